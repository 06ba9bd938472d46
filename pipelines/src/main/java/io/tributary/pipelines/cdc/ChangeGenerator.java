package io.tributary.pipelines.cdc;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.google.protobuf.ByteString;
import io.tributary.pipelines.io.Synthetic;
import io.tributary.proto.cdc.ConnectRecord;
import io.tributary.transforms.coders.MessageCoder;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import org.apache.beam.sdk.coders.Coder;

/**
 * Debezium change events of five microservice databases as Kafka Connect JSON records (schemas
 * enabled), a pure function of (seed, index): what the {@code cdc} pipeline reads without Kafka.
 *
 * <ul>
 *   <li>{@code orders} (PostgreSQL, {@code orders.public.orders}; an added column {@code coupon}
 *       from the orders' {@code schemaChangeAt}-th change on, the schema change),
 *   <li>{@code users} (MySQL, {@code users.users}),
 *   <li>{@code payments} (PostgreSQL, {@code payments.public.payments}),
 *   <li>{@code inventory} (PostgreSQL, {@code inventory.public.stock}),
 *   <li>{@code shipping} (MySQL, {@code shipping.shipments}).
 * </ul>
 *
 * <p>Change {@code i} belongs to service {@code i % 5}; that service's {@code j = i / 5}-th change
 * touches row {@code j % rows} in its life cycle {@code c = j / rows}: insert (c % 4 = 0), update,
 * update, delete (c % 4 = 3), and again. Updates and deletes carry the row's previous image as
 * {@code before}. Positions (PostgreSQL LSNs, binlog positions) and commit times increase with
 * {@code i}; topics follow Debezium's {@code <server>.<schema or db>.<table>}. Every row's state is
 * therefore known from the index alone, and a bounded run's final tables are those of the last
 * change of each row.
 */
public final class ChangeGenerator implements Synthetic.PacedGenerator<ConnectRecord> {
  private static final long serialVersionUID = 1L;
  private static final ObjectMapper MAPPER = new ObjectMapper();

  /** The five services in the order their changes interleave. */
  public static final List<String> SERVICES = List.of("orders", "users", "payments", "inventory", "shipping");

  private static final String[] STATUSES = {"new", "paid", "packed", "shipped", "cancelled"};
  private static final String[] TIERS = {"bronze", "silver", "gold"};
  private static final String[] METHODS = {"card", "paypal", "bank"};
  private static final String[] CARRIERS = {"dhl", "ups", "fedex", "post"};
  private static final String[] WAREHOUSES = {"ber", "ams", "lon"};

  private final long seed;
  private final Synthetic.Pacing pacing;
  private final int rows;
  private final int schemaChangeAt;

  public ChangeGenerator(long seed, long startMillis, int eventsPerSecond, int rows, int schemaChangeAt) {
    if (rows <= 0 || schemaChangeAt < 0) {
      throw new IllegalArgumentException(
          "ChangeGenerator: rows must be positive and schemaChangeAt not negative, got " + rows + " and " + schemaChangeAt);
    }
    this.seed = seed;
    this.pacing = Synthetic.Pacing.of("ChangeGenerator", startMillis, eventsPerSecond, 0);
    this.rows = rows;
    this.schemaChangeAt = schemaChangeAt;
  }

  @Override
  public Synthetic.Pacing pacing() {
    return pacing;
  }

  @Override
  public long eventTimeMillis(ConnectRecord record) {
    return record.getTimestampMillis();
  }

  @Override
  public Coder<ConnectRecord> coder() {
    return MessageCoder.of(ConnectRecord.class);
  }

  /** The service of change {@code index}. */
  public static String service(long index) {
    return SERVICES.get((int) (index % SERVICES.size()));
  }

  /** The op letter of change {@code index}: c, u or d. */
  public String op(long index) {
    long cycle = (index / SERVICES.size()) / rows;
    int phase = (int) (cycle % 4);
    return phase == 0 ? "c" : phase == 3 ? "d" : "u";
  }

  /** The primary key (column {@code id}) of the row change {@code index} touches. */
  public long rowId(long index) {
    return (index / SERVICES.size()) % rows + 1;
  }

  @Override
  public ConnectRecord at(long index) {
    int s = (int) (index % SERVICES.size());
    long j = index / SERVICES.size();
    String service = SERVICES.get(s);
    String op = op(index);
    boolean added = service.equals("orders") && j >= schemaChangeAt;
    long commit = slotMillis(index);
    ObjectNode before = op.equals("c") ? null : image(s, j - rows, added);
    ObjectNode after = op.equals("d") ? null : image(s, j, added);

    ObjectNode payload = MAPPER.createObjectNode();
    payload.set("before", before);
    payload.set("after", after);
    payload.set("source", source(service, index, commit));
    payload.putNull("transaction");
    payload.put("op", op);
    payload.put("ts_ms", commit + 3);
    ObjectNode value = MAPPER.createObjectNode();
    value.set("schema", envelopeSchema(service, columns(service, added)));
    value.set("payload", payload);

    ObjectNode key = MAPPER.createObjectNode();
    ObjectNode keySchema = key.putObject("schema");
    keySchema.put("type", "struct");
    keySchema.putArray("fields").add(field("id", "int64", false));
    keySchema.put("optional", false);
    keySchema.put("name", topic(service) + ".Key");
    key.putObject("payload").put("id", rowId(index));

    return ConnectRecord.newBuilder()
        .setTopic(topic(service))
        .setPartition(0)
        .setOffset(j)
        .setKey(ByteString.copyFrom(bytes(key)))
        .setValue(ByteString.copyFrom(bytes(value)))
        .setTimestampMillis(commit)
        .build();
  }

  /** The Debezium topic of a service: {@code <server>.<schema or database>.<table>}. */
  public static String topic(String service) {
    switch (service) {
      case "orders":
        return "orders.public.orders";
      case "users":
        return "users.users.users";
      case "payments":
        return "payments.public.payments";
      case "inventory":
        return "inventory.public.stock";
      default:
        return "shipping.shipping.shipments";
    }
  }

  private static boolean postgres(String service) {
    return !service.equals("users") && !service.equals("shipping");
  }

  private static String table(String service) {
    String t = topic(service);
    return t.substring(t.lastIndexOf('.') + 1);
  }

  /** Column names and Kafka Connect types of a service's table. */
  static List<String[]> columns(String service, boolean added) {
    List<String[]> c = new ArrayList<>();
    c.add(new String[] {"id", "int64"});
    switch (service) {
      case "orders":
        c.add(new String[] {"customer_id", "int64"});
        c.add(new String[] {"status", "string"});
        c.add(new String[] {"total_cents", "int64"});
        if (added) {
          c.add(new String[] {"coupon", "string"});
        }
        break;
      case "users":
        c.add(new String[] {"email", "string"});
        c.add(new String[] {"tier", "string"});
        c.add(new String[] {"active", "boolean"});
        break;
      case "payments":
        c.add(new String[] {"order_id", "int64"});
        c.add(new String[] {"amount_cents", "int64"});
        c.add(new String[] {"method", "string"});
        break;
      case "inventory":
        c.add(new String[] {"sku", "string"});
        c.add(new String[] {"quantity", "int64"});
        c.add(new String[] {"warehouse", "string"});
        break;
      default:
        c.add(new String[] {"order_id", "int64"});
        c.add(new String[] {"carrier", "string"});
        c.add(new String[] {"status", "string"});
        break;
    }
    return c;
  }

  /** The row written by the service's {@code j}-th change, in the current schema. */
  private ObjectNode image(int s, long j, boolean added) {
    String service = SERVICES.get(s);
    SplittableRandom r = new SplittableRandom(seed * 1_000_003L + s * 7_919L + j * 31L);
    ObjectNode row = MAPPER.createObjectNode();
    row.put("id", j % rows + 1);
    switch (service) {
      case "orders":
        row.put("customer_id", 1 + r.nextInt(Math.max(1, rows / 3)));
        row.put("status", STATUSES[r.nextInt(STATUSES.length)]);
        row.put("total_cents", 100 + r.nextInt(50_000));
        if (added) {
          // Rows last written before the column existed read it as null.
          if (j >= schemaChangeAt && r.nextBoolean()) {
            row.put("coupon", "SAVE" + r.nextInt(30));
          } else {
            row.putNull("coupon");
          }
        }
        break;
      case "users":
        row.put("email", "user" + (j % rows + 1) + "." + r.nextInt(1000) + "@example.com");
        row.put("tier", TIERS[r.nextInt(TIERS.length)]);
        row.put("active", r.nextInt(5) > 0);
        break;
      case "payments":
        row.put("order_id", 1 + r.nextInt(rows));
        row.put("amount_cents", 100 + r.nextInt(50_000));
        row.put("method", METHODS[r.nextInt(METHODS.length)]);
        break;
      case "inventory":
        row.put("sku", String.format(Locale.ROOT, "SKU-%05d", j % rows + 1));
        row.put("quantity", r.nextInt(500));
        row.put("warehouse", WAREHOUSES[r.nextInt(WAREHOUSES.length)]);
        break;
      default:
        row.put("order_id", 1 + r.nextInt(rows));
        row.put("carrier", CARRIERS[r.nextInt(CARRIERS.length)]);
        row.put("status", STATUSES[r.nextInt(STATUSES.length)]);
        break;
    }
    return row;
  }

  private static ObjectNode source(String service, long index, long commit) {
    ObjectNode src = MAPPER.createObjectNode();
    src.put("version", "3.2.0.Final");
    src.put("connector", postgres(service) ? "postgresql" : "mysql");
    src.put("name", service);
    src.put("ts_ms", commit);
    src.put("snapshot", "false");
    src.put("db", service);
    src.put("table", table(service));
    if (postgres(service)) {
      long lsn = 0x1000000L + index * 256;
      src.put("schema", "public");
      src.put("sequence", "[\"" + (lsn - 128) + "\",\"" + lsn + "\"]");
      src.put("txId", 1000 + index);
      src.put("lsn", lsn);
    } else {
      src.put("server_id", 1);
      src.put("file", "mysql-bin.000001");
      src.put("pos", 4 + index * 200);
      src.put("row", 0);
    }
    return src;
  }

  private static ObjectNode envelopeSchema(String service, List<String[]> columns) {
    ObjectNode schema = MAPPER.createObjectNode();
    schema.put("type", "struct");
    ArrayNode fields = schema.putArray("fields");
    for (String image : new String[] {"before", "after"}) {
      ObjectNode row = fields.addObject();
      row.put("type", "struct");
      ArrayNode rowFields = row.putArray("fields");
      for (String[] c : columns) {
        rowFields.add(field(c[0], c[1], !c[0].equals("id")));
      }
      row.put("optional", true);
      row.put("name", topic(service) + ".Value");
      row.put("field", image);
    }
    fields.add(field("op", "string", false));
    fields.add(field("ts_ms", "int64", true));
    schema.put("optional", false);
    schema.put("name", topic(service) + ".Envelope");
    return schema;
  }

  private static ObjectNode field(String name, String type, boolean optional) {
    ObjectNode f = MAPPER.createObjectNode();
    f.put("type", type);
    f.put("optional", optional);
    f.put("field", name);
    return f;
  }

  private static byte[] bytes(ObjectNode node) {
    try {
      return MAPPER.writeValueAsBytes(node);
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }
}
