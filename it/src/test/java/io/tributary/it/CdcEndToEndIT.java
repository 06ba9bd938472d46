package io.tributary.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.tributary.io.redis.RedisSink;
import io.tributary.it.cdc.Capture;
import io.tributary.it.cdc.Connectors;
import io.tributary.pipelines.cdc.CdcOptions;
import io.tributary.pipelines.cdc.CdcPipeline;
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
import java.util.UUID;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.apache.avro.generic.GenericRecord;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import redis.clients.jedis.Jedis;

/**
 * The cdc pipeline end to end on real change capture, on the Direct runner and on embedded Flink:
 * five service databases (PostgreSQL: orders with an outbox, payments, shipping; MariaDB: users,
 * inventory) -> Debezium in a Kafka Connect worker ({@link Capture}) -> Kafka -> the cdc pipeline
 * reading the topics by pattern -> Redis cache, Parquet lake, feature store.
 *
 * <p>Phase 1: snapshot rows, then inserts, updates, deletes, a multi-row transaction with an
 * outbox insert; the pipeline reads exactly the records in the topics. Phase 2: the capture is
 * stopped, the workload goes on (columns added in both databases and rows using them), the capture
 * is started again (it resumes, no second snapshot), more changes follow, and the pipeline runs
 * again from the start of the topics (a replay of phase 1 plus the new changes). Phase 3: the
 * capture runs without flushing its offsets, changes follow in every database, and the worker is
 * killed (SIGKILL) and started again, so Debezium sends every change of the phase a second time;
 * the pipeline runs again from the start of the topics.
 *
 * <p>After each phase: the Kafka topics hold exactly the expected number of records (nothing lost
 * by the capture, and nothing repeated but what the kill makes it resend); the cache equals {@code SELECT *} of every cached table row for row
 * (deleted rows absent, their fences kept); the lake, read back with a Parquet reader, holds every
 * change exactly once (op and key per dataset) and the added columns' values; the online features
 * equal the current rows; nothing went to the dead letters.
 */
@Timeout(value = 5, unit = java.util.concurrent.TimeUnit.MINUTES)
class CdcEndToEndIT {
  private static final Duration DEADLINE = Duration.ofSeconds(60);
  private static final ObjectMapper MAPPER = new ObjectMapper();
  private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

  /** A captured table: where it lives, its key column, its lake dataset and its cache rule. */
  private record Table(Db db, String name, String key, String dataset, String cacheKey, boolean hash) {
    String tableId() {
      return db.postgres ? db.name + ".public." + name : db.name + "." + name;
    }
  }

  /** A service database and an open connection to it. */
  private record Db(String name, boolean postgres, Connection connection) {}

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"DirectRunner", "FlinkRunner"})
  void cacheLakeAndFeaturesFollowTheDatabasesAcrossRestarts(String runner, @TempDir Path dir)
      throws Exception {
    String id = UUID.randomUUID().toString().replace("-", "").substring(0, 8);
    String prefix = "e2e" + id + "_";
    Db orders = postgres(prefix + "orders");
    Db payments = postgres(prefix + "payments");
    Db shipping = postgres(prefix + "shipping");
    Db users = mariadb(prefix + "users");
    Db inventory = mariadb(prefix + "inventory");
    List<Db> dbs = List.of(orders, payments, shipping, users, inventory);
    Table orderTable = new Table(orders, "orders", "id", "orders", "order:{id}", true);
    Table outboxTable = new Table(orders, "outbox", "id", "outbox", null, false);
    Table paymentTable = new Table(payments, "payments", "id", "payments", "payment:{id}", false);
    Table shipmentTable = new Table(shipping, "shipments", "id", "shipments", "shipment:{id}", true);
    Table userTable = new Table(users, "users", "id", "users", "user:{id}", false);
    Table stockTable = new Table(inventory, "stock", "sku", "stock", "stock:{sku}", true);
    List<Table> tables = List.of(orderTable, outboxTable, paymentTable, shipmentTable, userTable, stockTable);

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

    Workload w = new Workload();
    // Rows before the capture starts: the connectors' snapshot (op r).
    w.snapshot(orderTable, 1, "INSERT INTO orders VALUES (1, 100, 'new', 19.90)");
    w.snapshot(orderTable, 2, "INSERT INTO orders VALUES (2, 101, 'paid', 5.00)");
    w.snapshot(paymentTable, 1, "INSERT INTO payments VALUES (1, 2, 500, 'card')");
    w.snapshot(shipmentTable, 1, "INSERT INTO shipments VALUES (1, 2, 'dhl', false)");
    w.snapshot(userTable, 100, "INSERT INTO users VALUES (100, 'ada', 'gold', 50)");
    w.snapshot(userTable, 101, "INSERT INTO users VALUES (101, 'bob', 'silver', NULL)");
    w.snapshot(stockTable, "A-1", "INSERT INTO stock VALUES ('A-1', 'north', 10)");
    w.snapshot(stockTable, "B-2", "INSERT INTO stock VALUES ('B-2', 'south', 4)");

    String slotPrefix = "e2e" + id;
    List<String> slots = List.of(slotPrefix + "_orders", slotPrefix + "_payments", slotPrefix + "_shipping");
    int serverIds = 6000 + Math.floorMod(id.hashCode(), 1000) * 2;
    Capture capture =
        Capture.start(
            "e2e-" + id,
            Connectors.postgres("orders-" + id, orders.name, orders.name, slots.get(0), "public.orders,public.outbox"),
            Connectors.postgres("payments-" + id, payments.name, payments.name, slots.get(1), "public.payments"),
            Connectors.postgres("shipping-" + id, shipping.name, shipping.name, slots.get(2), "public.shipments"),
            Connectors.mariadb("users-" + id, users.name, users.name, serverIds, users.name + ".users",
                dir.resolve("users-history.dat")),
            Connectors.mariadb("inventory-" + id, inventory.name, inventory.name, serverIds + 1,
                inventory.name + ".stock", dir.resolve("inventory-history.dat")));
    Path rules = dir.resolve("rules.yaml");
    Files.writeString(rules, rules(tables), StandardCharsets.UTF_8);
    // Debezium topics <prefix>.<schema or database>.<table>; MariaDB's schema-change topic is the
    // bare prefix and is not read.
    String topics = Pattern.quote(prefix) + "[a-z]+\\..+";
    String cachePrefix = "e2e-" + id + ":";
    String featurePrefix = cachePrefix + "feature:";
    try {
      // Phase 1: inserts, updates, deletes, one multi-row transaction with an outbox insert.
      w.change(orderTable, 3, "c", "INSERT INTO orders VALUES (3, 100, 'new', 42.00)");
      w.change(userTable, 102, "c", "INSERT INTO users VALUES (102, 'cyd', 'bronze', 5)");
      w.change(stockTable, "C-3", "c", "INSERT INTO stock VALUES ('C-3', 'north', 7)");
      w.change(orderTable, 1, "u", "UPDATE orders SET status = 'paid' WHERE id = 1");
      w.change(userTable, 101, "u", "UPDATE users SET tier = 'gold', credits = 20 WHERE id = 101");
      w.change(shipmentTable, 1, "u", "UPDATE shipments SET delivered = true WHERE id = 1");
      w.change(paymentTable, 2, "c", "INSERT INTO payments VALUES (2, 1, 1990, NULL)");
      w.change(stockTable, "B-2", "d", "DELETE FROM stock WHERE sku = 'B-2'");
      w.change(orderTable, 2, "d", "DELETE FROM orders WHERE id = 2");
      w.transaction(
          orders,
          List.of(
              new Change(orderTable, 4, "c", "INSERT INTO orders VALUES (4, 102, 'new', 7.25)"),
              new Change(orderTable, 3, "u", "UPDATE orders SET status = 'cancelled' WHERE id = 3"),
              new Change(outboxTable, 1, "c",
                  "INSERT INTO outbox VALUES (1, 'order', '4', 'OrderPlaced', '{\"id\":4,\"total\":7.25}')")));
      w.transaction(
          inventory,
          List.of(
              new Change(stockTable, "A-1", "u", "UPDATE stock SET quantity = quantity - 3 WHERE sku = 'A-1'"),
              new Change(stockTable, "C-3", "u", "UPDATE stock SET quantity = quantity - 2 WHERE sku = 'C-3'"),
              new Change(stockTable, "D-4", "c", "INSERT INTO stock VALUES ('D-4', 'east', 1)")));
      w.change(userTable, 100, "d", "DELETE FROM users WHERE id = 100");

      long phase1 = awaitRecords(topics, w.records);
      long t1 = System.nanoTime();
      runPipeline(runner, topics, phase1, rules, dir.resolve("lake1"), dir.resolve("dead1"), cachePrefix, featurePrefix);
      System.out.printf("%s phase 1: %d records, pipeline %.1f s%n", runner, phase1, (System.nanoTime() - t1) / 1e9);
      check(runner + " phase 1", tables, w, cachePrefix, featurePrefix, dir.resolve("lake1"), dir.resolve("dead1"), Set.of());

      // Phase 2: the capture stops; changes and schema changes go on while it is down.
      capture.stop();
      run(orders, "ALTER TABLE orders ADD COLUMN coupon TEXT");
      run(users, "ALTER TABLE users ADD COLUMN email VARCHAR(64)");
      w.change(orderTable, 5, "c", "INSERT INTO orders VALUES (5, 101, 'new', 12.50, 'SPRING')");
      w.change(orderTable, 1, "u", "UPDATE orders SET coupon = 'WELCOME', total = 17.90 WHERE id = 1");
      w.change(userTable, 103, "c", "INSERT INTO users VALUES (103, 'dee', 'silver', 0, 'dee@example.com')");
      w.change(userTable, 102, "u", "UPDATE users SET email = 'cyd@example.com', tier = 'silver' WHERE id = 102");
      w.change(paymentTable, 1, "d", "DELETE FROM payments WHERE id = 1");
      w.change(shipmentTable, 2, "c", "INSERT INTO shipments VALUES (2, 4, 'ups', false)");
      w.change(stockTable, "D-4", "u", "UPDATE stock SET quantity = 0, warehouse = 'west' WHERE sku = 'D-4'");
      capture.start();
      // ... and after it resumed.
      w.transaction(
          orders,
          List.of(
              new Change(orderTable, 6, "c", "INSERT INTO orders VALUES (6, 103, 'new', 3.10, 'SPRING')"),
              new Change(outboxTable, 2, "c",
                  "INSERT INTO outbox VALUES (2, 'order', '6', 'OrderPlaced', '{\"id\":6,\"total\":3.10}')"),
              new Change(orderTable, 4, "d", "DELETE FROM orders WHERE id = 4")));
      w.change(userTable, 101, "d", "DELETE FROM users WHERE id = 101");
      w.change(stockTable, "A-1", "u", "UPDATE stock SET quantity = 12 WHERE sku = 'A-1'");
      w.change(paymentTable, 2, "u", "UPDATE payments SET method = 'paypal' WHERE id = 2");
      w.change(shipmentTable, 1, "d", "DELETE FROM shipments WHERE id = 1");

      long phase2 = awaitRecords(topics, w.records);
      long t2 = System.nanoTime();
      // The pipeline starts again from the beginning of the topics: phase 1 is replayed.
      runPipeline(runner, topics, phase2, rules, dir.resolve("lake2"), dir.resolve("dead2"), cachePrefix, featurePrefix);
      System.out.printf("%s phase 2: %d records, pipeline %.1f s%n", runner, phase2, (System.nanoTime() - t2) / 1e9);
      check(runner + " phase 2", tables, w, cachePrefix, featurePrefix, dir.resolve("lake2"), dir.resolve("dead2"),
          Set.of("orders 5 coupon=SPRING", "orders 1 coupon=WELCOME", "orders 6 coupon=SPRING",
              "users 103 email=dee@example.com", "users 102 email=cyd@example.com"));

      // Phase 3: the worker flushes no offset of this phase, then dies by SIGKILL; its restart
      // sends the whole phase again. The cache (fenced), the features (versioned) and the lake
      // (redeliveries dropped) must hold each change once.
      capture.stop();
      capture.start(Duration.ofHours(1));
      long beforeKill = w.records;
      w.change(orderTable, 7, "c", "INSERT INTO orders VALUES (7, 100, 'new', 8.00, NULL)");
      w.change(orderTable, 5, "u", "UPDATE orders SET status = 'paid' WHERE id = 5");
      w.change(userTable, 104, "c", "INSERT INTO users VALUES (104, 'eve', 'gold', 9, NULL)");
      w.change(userTable, 103, "u", "UPDATE users SET credits = 30 WHERE id = 103");
      w.change(stockTable, "A-1", "u", "UPDATE stock SET quantity = 11 WHERE sku = 'A-1'");
      w.change(paymentTable, 3, "c", "INSERT INTO payments VALUES (3, 5, 1250, 'card')");
      w.change(shipmentTable, 2, "d", "DELETE FROM shipments WHERE id = 2");
      awaitRecords(topics, w.records);
      capture.kill();
      capture.start();
      long resent = w.records - beforeKill;
      long phase3 = awaitRecords(topics, w.records + resent);
      long t3 = System.nanoTime();
      runPipeline(runner, topics, phase3, rules, dir.resolve("lake3"), dir.resolve("dead3"), cachePrefix, featurePrefix);
      System.out.printf("%s phase 3: %d records, %d of them sent again after the kill, pipeline %.1f s%n",
          runner, phase3, resent, (System.nanoTime() - t3) / 1e9);
      check(runner + " phase 3", tables, w, cachePrefix, featurePrefix, dir.resolve("lake3"), dir.resolve("dead3"),
          Set.of("orders 5 coupon=SPRING", "orders 1 coupon=WELCOME", "orders 6 coupon=SPRING",
              "users 103 email=dee@example.com", "users 102 email=cyd@example.com"));
    } finally {
      capture.stop();
      for (String slot : slots) {
        Connectors.dropPostgresSlot(slot);
      }
      for (Db db : dbs) {
        db.connection.close();
      }
    }
  }

  /** One statement changing one row, as the capture should report it. */
  private record Change(Table table, Object key, String op, String sql) {}

  /** Runs statements and keeps what the capture and the pipeline should make of them. */
  private static final class Workload {
    /** "dataset op key" of every change, in order. */
    final List<String> changes = new ArrayList<>();
    /** Keys of every row that ever existed, per table. */
    final Map<Table, Set<String>> keys = new HashMap<>();
    /** Kafka records the capture should have written: one per change, plus a tombstone per delete. */
    long records;

    void snapshot(Table t, Object key, String sql) throws SQLException {
      update(t.db, sql);
      note(new Change(t, key, "r", sql));
    }

    void change(Table t, Object key, String op, String sql) throws SQLException {
      update(t.db, sql);
      note(new Change(t, key, op, sql));
    }

    void transaction(Db db, List<Change> changes) throws SQLException {
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

  private static void runPipeline(String runner, String topics, long records, Path rules, Path lake, Path dead,
      String cachePrefix, String featurePrefix) {
    List<String> args =
        new ArrayList<>(
            List.of(
                "--runner=" + runner,
                "--source=kafka",
                "--kafkaBootstrapServers=" + Services.kafkaBootstrap(),
                "--inputTopic=" + topics,
                "--inputOffsetReset=earliest",
                "--maxInputRecords=" + records,
                "--rules=" + rules,
                "--lakePath=" + lake,
                "--redisHost=" + Services.redisHost(),
                "--redisPort=" + Services.redisPort(),
                "--cacheKeyPrefix=" + cachePrefix,
                "--featureKeyPrefix=" + featurePrefix,
                "--deadLetter=files",
                "--deadLetterPath=" + dead));
    if (runner.equals("FlinkRunner")) {
      args.addAll(List.of("--flinkMaster=[local]", "--parallelism=2"));
    }
    CdcOptions options = PipelineOptionsFactory.fromArgs(args.toArray(String[]::new)).as(CdcOptions.class);
    CdcPipeline.create(options).run().waitUntilFinish();
  }

  private static void check(String what, List<Table> tables, Workload w, String cachePrefix, String featurePrefix,
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
    try (Stream<Path> files = Files.walk(lake)) {
      for (Path f : (Iterable<Path>) files.filter(p -> p.toString().endsWith(".parquet"))::iterator) {
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
    }
    Diff<String> lakeDiff = Diff.of(expectedLake, actualLake);
    assertTrue(lakeDiff.isEmpty(), what + " lake: " + lakeDiff);
    assertEquals(new TreeSet<>(addedColumns), added, what + " added columns in the lake");
    assertEquals(List.of(), deadLetters(dead), what + " dead letters");
  }

  private static Table table(List<Table> tables, String name) {
    return tables.stream().filter(t -> t.name.equals(name)).findFirst().orElseThrow();
  }

  private static String cacheKey(Table t, String key) {
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
  private static long awaitRecords(String pattern, long expected) throws Exception {
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
  private static long records(String pattern) throws Exception {
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

  private static List<String> deadLetters(Path dead) throws IOException {
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

  private static String rules(List<Table> tables) {
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

  private static void run(Db db, String sql) throws SQLException {
    try (Statement s = db.connection.createStatement()) {
      s.execute(sql);
    }
  }

  private static Db postgres(String name) throws SQLException {
    Services.createPostgresDatabase(name);
    return new Db(name, true,
        DriverManager.getConnection(Services.postgresJdbcUrl(name), Services.postgresUser(), Services.postgresPassword()));
  }

  private static Db mariadb(String name) throws SQLException {
    Services.createMariadbDatabase(name);
    return new Db(name, false,
        DriverManager.getConnection(Services.mariadbJdbcUrl(name), Services.mariadbUser(), Services.mariadbPassword()));
  }
}
