package io.tributary.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.tributary.io.redis.RedisSink;
import io.tributary.it.cdc.Capture;
import io.tributary.it.cdc.Connectors;
import io.tributary.testing.Diff;
import java.io.IOException;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.apache.avro.generic.GenericRecord;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import redis.clients.jedis.Jedis;

/**
 * Five service databases under change capture, for the cdc tests on real servers: PostgreSQL
 * orders (with an outbox), payments and shipping, MariaDB users and inventory; their six tables,
 * the Debezium connectors of a Kafka Connect worker ({@link Capture}) that capture them into
 * topics {@code <prefix><database>.<schema or database>.<table>}, and the cdc routing rules
 * (lake, cache, features) of the tables.
 *
 * <p>{@link Workload} runs statements and keeps what the capture and the pipeline should make of
 * them; {@link #check} compares a pipeline's cache, lake, online features and dead letters with
 * the databases: the cache equals {@code SELECT *} of every cached table row for row (deleted rows
 * absent, their fences kept), the lake holds every change exactly once, the features are those of
 * the current rows.
 */
final class CdcServices implements AutoCloseable {
  static final Duration DEADLINE = Duration.ofSeconds(60);
  private static final ObjectMapper MAPPER = new ObjectMapper();
  private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

  /** A captured table: where it lives, its key column, its lake dataset and its cache rule. */
  record Table(Db db, String name, String key, String dataset, String cacheKey, boolean hash) {
    String tableId() {
      return db.postgres ? db.name + ".public." + name : db.name + "." + name;
    }
  }

  /** A service database and an open connection to it. */
  record Db(String name, boolean postgres, Connection connection) {}

  final String id;
  final Db orders;
  final Db payments;
  final Db shipping;
  final Db users;
  final Db inventory;
  final Table orderTable;
  final Table outboxTable;
  final Table paymentTable;
  final Table shipmentTable;
  final Table userTable;
  final Table stockTable;
  final List<Table> tables;
  /** The Java regex of the tables' topics (MariaDB's schema-change topic, the bare prefix, excluded). */
  final String topics;
  /** The routing rules file. */
  final Path rules;
  private final Path dir;
  private final List<String> slots;

  /**
   * Creates the five databases (named {@code <tag><id>_<service>}) and their tables, empty, and
   * writes the rules file into {@code dir}.
   */
  CdcServices(String tag, Path dir) throws Exception {
    this.id = java.util.UUID.randomUUID().toString().replace("-", "").substring(0, 8);
    this.dir = dir;
    String prefix = tag + id + "_";
    orders = postgres(prefix + "orders");
    payments = postgres(prefix + "payments");
    shipping = postgres(prefix + "shipping");
    users = mariadb(prefix + "users");
    inventory = mariadb(prefix + "inventory");
    orderTable = new Table(orders, "orders", "id", "orders", "order:{id}", true);
    outboxTable = new Table(orders, "outbox", "id", "outbox", null, false);
    paymentTable = new Table(payments, "payments", "id", "payments", "payment:{id}", false);
    shipmentTable = new Table(shipping, "shipments", "id", "shipments", "shipment:{id}", true);
    userTable = new Table(users, "users", "id", "users", "user:{id}", false);
    stockTable = new Table(inventory, "stock", "sku", "stock", "stock:{sku}", true);
    tables = List.of(orderTable, outboxTable, paymentTable, shipmentTable, userTable, stockTable);

    run(orders, "CREATE TABLE orders (id INTEGER PRIMARY KEY, customer_id INTEGER NOT NULL,"
        + " status TEXT NOT NULL, total NUMERIC(10,2) NOT NULL)");
    run(orders, "CREATE TABLE outbox (id INTEGER PRIMARY KEY, aggregate_type TEXT NOT NULL,"
        + " aggregate_id TEXT NOT NULL, type TEXT NOT NULL, payload TEXT NOT NULL)");
    run(payments, "CREATE TABLE payments (id INTEGER PRIMARY KEY, order_id INTEGER NOT NULL,"
        + " amount_cents BIGINT NOT NULL, method TEXT)");
    run(shipping, "CREATE TABLE shipments (id INTEGER PRIMARY KEY, order_id INTEGER NOT NULL,"
        + " carrier TEXT NOT NULL, delivered BOOLEAN NOT NULL)");
    for (Table t : List.of(orderTable, outboxTable, paymentTable, shipmentTable)) {
      run(t.db, "ALTER TABLE " + t.name + " REPLICA IDENTITY FULL");
    }
    run(users, "CREATE TABLE users (id INTEGER PRIMARY KEY, name VARCHAR(64) NOT NULL,"
        + " tier VARCHAR(16) NOT NULL, credits INTEGER)");
    run(inventory, "CREATE TABLE stock (sku VARCHAR(16) PRIMARY KEY, warehouse VARCHAR(16) NOT NULL,"
        + " quantity INTEGER NOT NULL)");

    String slotPrefix = tag + id;
    slots = List.of(slotPrefix + "_orders", slotPrefix + "_payments", slotPrefix + "_shipping");
    rules = dir.resolve("rules.yaml");
    Files.writeString(rules, rules(tables), StandardCharsets.UTF_8);
    topics = Pattern.quote(prefix) + "[a-z]+\\..+";
  }

  /** Starts a Connect worker capturing the five databases, flushing its offsets every {@code offsetFlush}. */
  Capture startCapture(Duration offsetFlush) {
    int serverIds = 6000 + Math.floorMod(id.hashCode(), 1000) * 2;
    @SuppressWarnings("unchecked")
    Map<String, String>[] connectors =
        new Map[] {
          Connectors.postgres("orders-" + id, orders.name, orders.name, slots.get(0), "public.orders,public.outbox"),
          Connectors.postgres("payments-" + id, payments.name, payments.name, slots.get(1), "public.payments"),
          Connectors.postgres("shipping-" + id, shipping.name, shipping.name, slots.get(2), "public.shipments"),
          Connectors.mariadb("users-" + id, users.name, users.name, serverIds, users.name + ".users",
              dir.resolve("users-history.dat")),
          Connectors.mariadb("inventory-" + id, inventory.name, inventory.name, serverIds + 1,
              inventory.name + ".stock", dir.resolve("inventory-history.dat"))
        };
    return Capture.start("cdc-" + id, offsetFlush, connectors);
  }

  /** Drops the replication slots and closes the connections. */
  @Override
  public void close() throws Exception {
    for (String slot : slots) {
      Connectors.dropPostgresSlot(slot);
    }
    for (Db db : List.of(orders, payments, shipping, users, inventory)) {
      db.connection.close();
    }
  }

  /** One statement changing one row, as the capture should report it. */
  record Change(Table table, Object key, String op, String sql) {}

  /** Runs statements and keeps what the capture and the pipeline should make of them. */
  static final class Workload {
    /** "dataset op key" of every change, in order. */
    final List<String> changes = new ArrayList<>();
    /** Keys of every row that ever existed, per table. */
    final Map<Table, Set<String>> keys = new HashMap<>();
    /** Kafka records the capture should have written: one per change, plus a tombstone per delete. */
    long records;

    synchronized void snapshot(Table t, Object key, String sql) throws SQLException {
      update(t.db, sql);
      note(new Change(t, key, "r", sql));
    }

    synchronized void change(Table t, Object key, String op, String sql) throws SQLException {
      update(t.db, sql);
      note(new Change(t, key, op, sql));
    }

    synchronized void transaction(Db db, List<Change> changes) throws SQLException {
      db.connection.setAutoCommit(false);
      try {
        for (Change c : changes) {
          update(db, c.sql);
        }
        db.connection.commit();
      } finally {
        db.connection.setAutoCommit(true);
      }
      changes.forEach(this::note);
    }

    private void note(Change c) {
      changes.add(c.table.dataset + " " + c.op + " " + c.key);
      keys.computeIfAbsent(c.table, t -> new TreeSet<>()).add(c.key.toString());
      records += c.op.equals("d") ? 2 : 1;
    }

    private static void update(Db db, String sql) throws SQLException {
      try (Statement s = db.connection.createStatement()) {
        assertEquals(1, s.executeUpdate(sql), db.name + ": " + sql);
      }
    }
  }


  /**
   * Checks the cache, features, lake and dead letters against the workload: the lake must hold
   * every change exactly once.
   */
  static void check(String what, List<Table> tables, Workload w, String cachePrefix, String featurePrefix,
      Path lake, Path dead, Set<String> addedColumns) throws Exception {
    // The cache: every live row as the layout renders it, a fence for every row that ever existed.
    Map<String, String> expectedCache = new TreeMap<>();
    Map<String, String> expectedFeatures = new TreeMap<>();
    for (Table t : tables) {
      if (t.cacheKey == null) {
        continue;
      }
      for (String key : w.keys.get(t)) {
        expectedCache.put(cacheKey(t, key) + RedisSink.FENCE_SUFFIX, "fence");
      }
      for (Map<String, Object> row : selectAll(t)) {
        expectedCache.put(cacheKey(t, row.get(t.key).toString()), t.hash ? hashText(row) : json(row));
      }
    }
    // Features: users' tier and credits, stock quantity per sku; a deleted entity keeps no values.
    Table userTable = table(tables, "users");
    Table stockTable = table(tables, "stock");
    for (String key : w.keys.get(userTable)) {
      expectedFeatures.put("user:" + key, "{}");
    }
    for (Map<String, Object> row : selectAll(userTable)) {
      Map<String, String> f = new TreeMap<>();
      f.put("tier", row.get("tier").toString());
      if (row.get("credits") != null) {
        f.put("credits", row.get("credits").toString());
      }
      expectedFeatures.put("user:" + row.get("id"), f.toString());
    }
    for (String key : w.keys.get(stockTable)) {
      expectedFeatures.put("sku:" + key, "{}");
    }
    for (Map<String, Object> row : selectAll(stockTable)) {
      expectedFeatures.put("sku:" + row.get("sku"), Map.of("stock_quantity", row.get("quantity").toString()).toString());
    }

    Map<String, String> cache = new TreeMap<>();
    Map<String, String> features = new TreeMap<>();
    try (Jedis jedis = RedisSinkIT.jedis()) {
      String featureInfix = featurePrefix.substring(cachePrefix.length());
      for (Map.Entry<String, String> e : RedisSinkIT.dump(jedis, cachePrefix).entrySet()) {
        String value = e.getValue().substring(e.getValue().indexOf(' ') + 1);
        if (e.getKey().startsWith(featureInfix)) {
          Map<String, String> f = new TreeMap<>(jedis.hgetAll(cachePrefix + e.getKey()));
          assertTrue(f.keySet().stream().anyMatch(k -> k.endsWith(":__t")), what + " feature versions in " + e);
          f.keySet().removeIf(k -> k.endsWith(":__t"));
          features.put(e.getKey().substring(featureInfix.length()), f.toString());
        } else if (e.getKey().endsWith(RedisSink.FENCE_SUFFIX)) {
          cache.put(e.getKey(), "fence");
        } else {
          cache.put(e.getKey(), value.startsWith("{\"") ? MAPPER.readTree(value).toString() : value);
        }
      }
    }
    assertEquals(expectedCache, cache, what + " cache:\n" + Diff.of(expectedCache.entrySet(), cache.entrySet()));
    assertEquals(expectedFeatures, features,
        what + " features:\n" + Diff.of(expectedFeatures.entrySet(), features.entrySet()));

    // The lake: every change once, the offline features one row per change of a featured table.
    List<String> expectedLake = new ArrayList<>(w.changes);
    for (String c : w.changes) {
      if (c.startsWith("users ") || c.startsWith("stock ")) {
        expectedLake.add((c.startsWith("users ") ? "features_user" : "features_sku") + " c " + c.substring(c.lastIndexOf(' ') + 1));
      }
    }
    List<String> actualLake = new ArrayList<>();
    Set<String> added = new TreeSet<>();
    for (Path f : lakeFiles(lake)) {
      String dataset = f.getParent().getParent().getParent().getFileName().toString().replace("table=", "");
      for (GenericRecord r : CdcPipelineIT.read(f)) {
        Object key = dataset.startsWith("features_") ? r.get("entity_id") : dataset.equals("stock") ? r.get("sku") : r.get("id");
        actualLake.add(dataset + " " + r.get("_op") + " " + key);
        for (String column : List.of("coupon", "email")) {
          if (r.getSchema().getField(column) != null && r.get(column) != null) {
            added.add(dataset + " " + key + " " + column + "=" + r.get(column));
          }
        }
      }
    }
    Diff<String> lakeDiff = Diff.of(expectedLake, actualLake);
    assertTrue(lakeDiff.isEmpty(), what + " lake: " + lakeDiff);
    assertEquals(new TreeSet<>(addedColumns), added, what + " added columns in the lake");
    assertEquals(List.of(), deadLetters(dead), what + " dead letters");
  }

  static Table table(List<Table> tables, String name) {
    return tables.stream().filter(t -> t.name.equals(name)).findFirst().orElseThrow();
  }

  static String cacheKey(Table t, String key) {
    return t.cacheKey.replace("{" + t.key + "}", key);
  }

  /** Hash layout: column text values without SQL NULLs, as {@code RedisSinkIT.dump} prints them. */
  private static String hashText(Map<String, Object> row) {
    Map<String, String> hash = new TreeMap<>();
    row.forEach((column, v) -> {
      if (v != null) {
        hash.put(column, v instanceof BigDecimal d ? d.toPlainString() : v.toString());
      }
    });
    return hash.toString();
  }

  /** String-json layout: numbers and booleans natively, the rest as text, parsed back as the cache's. */
  private static String json(Map<String, Object> row) throws IOException {
    ObjectNode node = NODES.objectNode();
    row.forEach((column, v) -> {
      if (v == null) {
        node.putNull(column);
      } else if (v instanceof Integer i) {
        node.put(column, i);
      } else if (v instanceof Long l) {
        node.put(column, l);
      } else if (v instanceof BigDecimal d) {
        node.put(column, d);
      } else if (v instanceof Boolean b) {
        node.put(column, b);
      } else {
        node.put(column, v.toString());
      }
    });
    return MAPPER.readTree(node.toString()).toString();
  }

  private static List<Map<String, Object>> selectAll(Table t) throws SQLException {
    List<Map<String, Object>> rows = new ArrayList<>();
    try (Statement s = t.db.connection.createStatement();
        ResultSet r = s.executeQuery("SELECT * FROM " + t.name)) {
      ResultSetMetaData meta = r.getMetaData();
      while (r.next()) {
        Map<String, Object> row = new LinkedHashMap<>();
        for (int i = 1; i <= meta.getColumnCount(); i++) {
          row.put(meta.getColumnLabel(i), r.getObject(i));
        }
        rows.add(row);
      }
    }
    return rows;
  }

  /**
   * Waits until the topics matching {@code pattern} hold {@code expected} records, then checks that
   * no more arrive for a moment (a duplicate or a second snapshot would).
   */
  static long awaitRecords(String pattern, long expected) throws Exception {
    long end = System.nanoTime() + DEADLINE.toNanos();
    long count = 0;
    while (System.nanoTime() < end) {
      count = records(pattern);
      if (count >= expected) {
        break;
      }
      Thread.sleep(200);
    }
    assertEquals(expected, count, "records in topics " + pattern + " within " + DEADLINE);
    long settle = System.nanoTime() + Duration.ofSeconds(2).toNanos();
    while (System.nanoTime() < settle) {
      Thread.sleep(200);
      assertEquals(expected, records(pattern), "records in topics " + pattern + " after the expected ones");
    }
    return count;
  }

  /** Records in the topics matching a pattern: end minus beginning offsets of every partition. */
  static long records(String pattern) throws Exception {
    Pattern p = Pattern.compile(pattern);
    Set<String> topics;
    try (Admin admin = Kafka.admin()) {
      topics = admin.listTopics().names().get().stream().filter(t -> p.matcher(t).matches()).collect(Collectors.toSet());
    }
    if (topics.isEmpty()) {
      return 0;
    }
    Properties props = new Properties();
    props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, Services.kafkaBootstrap());
    try (KafkaConsumer<byte[], byte[]> consumer =
        new KafkaConsumer<>(props, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
      List<TopicPartition> partitions = new ArrayList<>();
      for (String t : topics) {
        consumer.partitionsFor(t).forEach(i -> partitions.add(new TopicPartition(t, i.partition())));
      }
      return sum(consumer.endOffsets(partitions).values()) - sum(consumer.beginningOffsets(partitions).values());
    }
  }

  private static long sum(Collection<Long> values) {
    return values.stream().mapToLong(Long::longValue).sum();
  }

  /**
   * The Parquet files of a lake, sorted; hidden files (a file being written) are left out. A
   * running pipeline renames and removes its temporary files while this walks the tree, so an
   * entry that vanishes is skipped; a missing lake has no files.
   */
  static List<Path> lakeFiles(Path lake) throws IOException {
    List<Path> found = new ArrayList<>();
    if (!Files.exists(lake)) {
      return found;
    }
    Files.walkFileTree(lake, new java.nio.file.SimpleFileVisitor<>() {
      @Override
      public java.nio.file.FileVisitResult visitFile(Path file, java.nio.file.attribute.BasicFileAttributes attrs) {
        String name = file.getFileName().toString();
        if (attrs.isRegularFile() && name.endsWith(".parquet") && !name.startsWith(".")) {
          found.add(file);
        }
        return java.nio.file.FileVisitResult.CONTINUE;
      }

      @Override
      public java.nio.file.FileVisitResult visitFileFailed(Path file, IOException e) throws IOException {
        if (e instanceof NoSuchFileException) {
          return java.nio.file.FileVisitResult.CONTINUE;
        }
        throw e;
      }
    });
    java.util.Collections.sort(found);
    return found;
  }

  static List<String> deadLetters(Path dead) throws IOException {
    List<String> lines = new ArrayList<>();
    try (Stream<Path> files = Files.walk(dead)) {
      for (Path f : (Iterable<Path>) files.filter(Files::isRegularFile)::iterator) {
        Files.readAllLines(f).stream().filter(l -> !l.isBlank()).forEach(lines::add);
      }
    } catch (NoSuchFileException e) {
      // No dead-letter file at all: no failures.
    }
    return lines;
  }

  static String rules(List<Table> tables) {
    StringBuilder yaml = new StringBuilder("routes:\n");
    for (Table t : tables) {
      yaml.append("  - name: ").append(t.name).append('\n')
          .append("    tables: [\"").append(t.tableId()).append("\"]\n")
          .append("    lake: {dataset: ").append(t.dataset).append("}\n");
      if (t.cacheKey != null) {
        yaml.append("    cache: {key: \"").append(t.cacheKey).append("\", layout: ")
            .append(t.hash ? "hash" : "string-json").append("}\n");
      }
      if (t.name.equals("users")) {
        yaml.append("    features: {entity: user, entityId: \"{id}\", features: [tier, credits]}\n");
      } else if (t.name.equals("stock")) {
        yaml.append("    features: {entity: sku, entityId: \"{sku}\","
            + " features: [{name: stock_quantity, column: quantity}]}\n");
      }
    }
    return yaml.append("unrouted: {deadLetter: true}\n").toString();
  }

  static void run(Db db, String sql) throws SQLException {
    try (Statement s = db.connection.createStatement()) {
      s.execute(sql);
    }
  }

  static Db postgres(String name) throws SQLException {
    Services.createPostgresDatabase(name);
    return new Db(name, true,
        DriverManager.getConnection(Services.postgresJdbcUrl(name), Services.postgresUser(), Services.postgresPassword()));
  }

  static Db mariadb(String name) throws SQLException {
    Services.createMariadbDatabase(name);
    return new Db(name, false,
        DriverManager.getConnection(Services.mariadbJdbcUrl(name), Services.mariadbUser(), Services.mariadbPassword()));
  }
}
