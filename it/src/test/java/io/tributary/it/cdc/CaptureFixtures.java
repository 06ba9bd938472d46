package io.tributary.it.cdc;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.debezium.embedded.Connect;
import io.debezium.engine.DebeziumEngine;
import io.debezium.engine.RecordChangeEvent;
import io.debezium.engine.format.ChangeEventFormat;
import io.tributary.it.Services;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Predicate;
import java.util.stream.Stream;
import org.apache.kafka.connect.data.Struct;
import org.apache.kafka.connect.json.JsonConverter;
import org.apache.kafka.connect.source.SourceRecord;

/**
 * Records what Debezium 3.2 emits for a fixed workload against the test PostgreSQL and MariaDB,
 * serialized by Kafka Connect's {@link JsonConverter} with {@code schemas.enable=true} and {@code
 * false}, one JSON file per record: {@code <out>/<postgres|mariadb>/<schemas|noschemas>/NNN-<table>-<kind>.json}
 * holding {@code {"topic": ..., "key": <json or null>, "value": <json or null>}}.
 *
 * <p>The workload: tables created and filled before the connector starts (snapshot records, op
 * {@code r}); then inserts ({@code c}), updates ({@code u}), an update of a primary key, deletes
 * ({@code d}) with their tombstones, a multi-row transaction, an outbox insert, {@code ALTER TABLE
 * ... ADD COLUMN} followed by an insert, and a {@code TRUNCATE} ({@code t}). MariaDB's records
 * include its schema changes (topic {@code mariadb}), the DDL of the snapshot among them. The last statement inserts customer {@value #LAST_CUSTOMER}:
 * once its record arrived, all earlier ones have (one connector task emits in commit order).
 *
 * <p>Run by {@code CaptureFixturesIT}; {@code -Dtributary.capture.fixtures=<dir>} writes the files
 * there (the committed fixtures live in {@code transforms/cdc/src/test/resources/debezium/captured}).
 */
public final class CaptureFixtures {
  static final String POSTGRES = "postgres";
  static final String MARIADB = "mariadb";
  /** The database captured on both servers (topics {@code postgres.public.*}, {@code mariadb.inventory.*}). */
  static final String DATABASE = "inventory";

  private static final int LAST_CUSTOMER = 99;
  private static final Duration DEADLINE = Duration.ofSeconds(60);
  private static final ObjectMapper JSON =
      new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  private CaptureFixtures() {}

  /** Captures both databases into {@code out}, replacing what is there; returns the records. */
  public static Map<String, List<SourceRecord>> captureAll(Path out) throws Exception {
    List<SourceRecord> postgres = capturePostgres();
    write(postgres, out.resolve(POSTGRES));
    List<SourceRecord> mariadb = captureMariadb(out);
    write(mariadb, out.resolve(MARIADB));
    return Map.of(POSTGRES, postgres, MARIADB, mariadb);
  }

  static List<SourceRecord> capturePostgres() throws Exception {
    String slot = "fixtures_inventory";
    Connectors.dropPostgresSlot(slot);
    try (Connection admin = postgres("tributary");
        Statement s = admin.createStatement()) {
      s.execute("DROP DATABASE IF EXISTS " + DATABASE + " WITH (FORCE)");
      s.execute("CREATE DATABASE " + DATABASE);
    }
    try (Connection c = postgres(DATABASE)) {
      run(
          c,
          "CREATE TABLE customers (id SERIAL PRIMARY KEY, email VARCHAR(255) NOT NULL, name TEXT,"
              + " active BOOLEAN NOT NULL, born DATE, opens TIME, updated_at TIMESTAMP(6),"
              + " last_login TIMESTAMPTZ, score DOUBLE PRECISION)",
          "CREATE TABLE orders (id BIGINT PRIMARY KEY, customer_id INTEGER NOT NULL,"
              + " total NUMERIC(12,2) NOT NULL, exact NUMERIC, placed_at TIMESTAMPTZ NOT NULL,"
              + " attrs JSONB, meta JSON, ref UUID)",
          "CREATE TABLE order_lines (order_id BIGINT, line_no INTEGER, sku VARCHAR(32) NOT NULL,"
              + " qty INTEGER NOT NULL, price NUMERIC(12,2) NOT NULL, PRIMARY KEY (order_id, line_no))",
          "CREATE TABLE outbox (id UUID PRIMARY KEY, aggregatetype VARCHAR(255) NOT NULL,"
              + " aggregateid VARCHAR(255) NOT NULL, type VARCHAR(255) NOT NULL, payload JSONB)",
          // Before-images of every column on updates and deletes.
          "ALTER TABLE customers REPLICA IDENTITY FULL",
          "ALTER TABLE orders REPLICA IDENTITY FULL",
          "ALTER TABLE order_lines REPLICA IDENTITY FULL",
          "ALTER TABLE outbox REPLICA IDENTITY FULL",
          "INSERT INTO customers (email, name, active, born, opens, updated_at, last_login, score)"
              + " VALUES ('ada@example.com', 'Ada Lovelace', true, '1815-12-10', '09:30:00',"
              + " '2024-03-01 10:15:30.123456', '2024-03-01 10:15:30.5+02', 4.25),"
              + " ('alan@example.com', 'Alan Turing', false, '1912-06-23', '17:45:15.25',"
              + " '2024-03-02 08:00:00', '2024-03-02 08:00:00Z', -0.5)",
          "INSERT INTO orders VALUES (1, 1, 1234.50, 3.14159265358979323846, '2024-03-01 12:00:00Z',"
              + " '{\"gift\": true, \"tags\": [\"a\", \"b\"]}', '{\"channel\": \"web\"}',"
              + " 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11')",
          "INSERT INTO order_lines VALUES (1, 1, 'SKU-1', 2, 500.00), (1, 2, 'SKU-2', 1, 234.50)");
    }
    Map<String, String> props =
        Connectors.postgres(
            "fixtures-postgres",
            DATABASE,
            POSTGRES,
            slot,
            "public.customers,public.orders,public.order_lines,public.outbox");
    // One-shot capture: the slot goes when the engine stops.
    props.put("slot.drop.on.stop", "true");
    return capture(
        props,
        5,
        () -> {
          try (Connection c = postgres(DATABASE)) {
            run(
                c,
                "INSERT INTO customers (email, name, active, born, opens, updated_at, last_login, score)"
                    + " VALUES ('grace@example.com', 'Grace Hopper', true, '1906-12-09', '23:59:59.999999',"
                    + " '2024-03-03 23:59:59.999999', '2024-03-03 23:59:59.999999-05', 1e10)",
                "UPDATE customers SET email = 'ada@lovelace.example', score = 5.5 WHERE id = 1",
                "UPDATE customers SET id = 20 WHERE id = 2",
                "DELETE FROM customers WHERE id = 3");
            c.setAutoCommit(false);
            run(
                c,
                "INSERT INTO orders VALUES (2, 1, 99.99, 0.000001, '2024-03-04 09:00:00Z',"
                    + " '{\"gift\": false}', '[1, 2, 3]', 'b1ffcd00-0d1c-4ef8-bb6d-6bb9bd380a22')",
                "INSERT INTO order_lines VALUES (2, 1, 'SKU-3', 3, 33.33)",
                "UPDATE orders SET total = 1200.00, exact = -12345678901234567890.123456789 WHERE id = 1",
                "DELETE FROM order_lines WHERE order_id = 1 AND line_no = 2");
            c.commit();
            c.setAutoCommit(true);
            run(
                c,
                "INSERT INTO outbox VALUES ('c2aade11-1e2d-4ef8-bb6d-6bb9bd380a33', 'order', '2',"
                    + " 'OrderPlaced', '{\"orderId\": 2, \"total\": \"99.99\", \"lines\": 1}')",
                "ALTER TABLE customers ADD COLUMN tier VARCHAR(16) DEFAULT 'basic'",
                "INSERT INTO customers (email, name, active, tier) VALUES ('edsger@example.com',"
                    + " 'Edsger Dijkstra', true, 'gold')",
                "TRUNCATE order_lines",
                "INSERT INTO customers (id, email, name, active) VALUES ("
                    + LAST_CUSTOMER
                    + ", 'last@example.com', 'Last', false)");
          }
        });
  }

  static List<SourceRecord> captureMariadb(Path work) throws Exception {
    try (Connection admin = mariadb("tributary");
        Statement s = admin.createStatement()) {
      s.execute("DROP DATABASE IF EXISTS " + DATABASE);
      s.execute("CREATE DATABASE " + DATABASE);
    }
    try (Connection c = mariadb(DATABASE)) {
      run(
          c,
          "CREATE TABLE customers (id INT AUTO_INCREMENT PRIMARY KEY, email VARCHAR(255) NOT NULL,"
              + " name TEXT, active BOOLEAN NOT NULL, born DATE, opens TIME(6),"
              + " updated_at DATETIME(6), last_login TIMESTAMP(6) NULL, score DOUBLE)",
          "CREATE TABLE orders (id BIGINT PRIMARY KEY, customer_id INT NOT NULL,"
              + " total DECIMAL(12,2) NOT NULL, placed_at TIMESTAMP(3) NOT NULL, attrs JSON,"
              + " ref CHAR(36))",
          "CREATE TABLE order_lines (order_id BIGINT, line_no INT, sku VARCHAR(32) NOT NULL,"
              + " qty INT NOT NULL, price DECIMAL(12,2) NOT NULL, PRIMARY KEY (order_id, line_no))",
          "CREATE TABLE outbox (id VARCHAR(36) PRIMARY KEY, aggregatetype VARCHAR(255) NOT NULL,"
              + " aggregateid VARCHAR(255) NOT NULL, type VARCHAR(255) NOT NULL, payload JSON)",
          "INSERT INTO customers (email, name, active, born, opens, updated_at, last_login, score)"
              + " VALUES ('ada@example.com', 'Ada Lovelace', true, '1815-12-10', '09:30:00',"
              + " '2024-03-01 10:15:30.123456', '2024-03-01 10:15:30.5', 4.25),"
              + " ('alan@example.com', 'Alan Turing', false, '1912-06-23', '17:45:15.25',"
              + " '2024-03-02 08:00:00', '2024-03-02 08:00:00', -0.5)",
          "INSERT INTO orders VALUES (1, 1, 1234.50, '2024-03-01 12:00:00',"
              + " '{\"gift\": true, \"tags\": [\"a\", \"b\"]}', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11')",
          "INSERT INTO order_lines VALUES (1, 1, 'SKU-1', 2, 500.00), (1, 2, 'SKU-2', 1, 234.50)");
    }
    Path history = work.resolve("mariadb-schema-history.dat");
    Files.deleteIfExists(history);
    Files.createDirectories(work);
    Map<String, String> props =
        Connectors.mariadb(
            "fixtures-mariadb",
            DATABASE,
            MARIADB,
            5401,
            "inventory.customers,inventory.orders,inventory.order_lines,inventory.outbox",
            history);
    try {
      return capture(
          props,
          5,
          () -> {
            try (Connection c = mariadb(DATABASE)) {
              run(
                  c,
                  "INSERT INTO customers (email, name, active, born, opens, updated_at, last_login, score)"
                      + " VALUES ('grace@example.com', 'Grace Hopper', true, '1906-12-09', '23:59:59.999999',"
                      + " '2024-03-03 23:59:59.999999', '2024-03-03 23:59:59.999999', 1e10)",
                  "UPDATE customers SET email = 'ada@lovelace.example', score = 5.5 WHERE id = 1",
                  "UPDATE customers SET id = 20 WHERE id = 2",
                  "DELETE FROM customers WHERE id = 3");
              c.setAutoCommit(false);
              run(
                  c,
                  "INSERT INTO orders VALUES (2, 1, 99.99, '2024-03-04 09:00:00', '{\"gift\": false}',"
                      + " 'b1ffcd00-0d1c-4ef8-bb6d-6bb9bd380a22')",
                  "INSERT INTO order_lines VALUES (2, 1, 'SKU-3', 3, 33.33)",
                  "UPDATE orders SET total = 1200.00 WHERE id = 1",
                  "DELETE FROM order_lines WHERE order_id = 1 AND line_no = 2");
              c.commit();
              c.setAutoCommit(true);
              run(
                  c,
                  "INSERT INTO outbox VALUES ('c2aade11-1e2d-4ef8-bb6d-6bb9bd380a33', 'order', '2',"
                      + " 'OrderPlaced', '{\"orderId\": 2, \"total\": \"99.99\", \"lines\": 1}')",
                  "ALTER TABLE customers ADD COLUMN tier VARCHAR(16) DEFAULT 'basic'",
                  "INSERT INTO customers (email, name, active, tier) VALUES ('edsger@example.com',"
                      + " 'Edsger Dijkstra', true, 'gold')",
                  "TRUNCATE order_lines",
                  "INSERT INTO customers (id, email, name, active) VALUES ("
                      + LAST_CUSTOMER
                      + ", 'last@example.com', 'Last', false)");
            }
          });
    } finally {
      Files.deleteIfExists(history);
    }
  }

  /** A workload step that may throw. */
  interface Workload {
    void run() throws Exception;
  }

  /**
   * Runs an engine until {@code snapshotRows} snapshot records arrived, runs the workload, and
   * collects records until the last customer's insert arrived.
   */
  private static List<SourceRecord> capture(
      Map<String, String> connector, int snapshotRows, Workload workload) throws Exception {
    Properties props = new Properties();
    props.putAll(connector);
    props.put("offset.storage", "org.apache.kafka.connect.storage.MemoryOffsetBackingStore");
    props.put("offset.flush.interval.ms", "0");
    List<SourceRecord> records = Collections.synchronizedList(new ArrayList<>());
    AtomicReference<Throwable> failure = new AtomicReference<>();
    ExecutorService executor = Executors.newSingleThreadExecutor();
    try (DebeziumEngine<RecordChangeEvent<SourceRecord>> engine =
        DebeziumEngine.create(ChangeEventFormat.of(Connect.class))
            .using(props)
            .notifying((RecordChangeEvent<SourceRecord> e) -> records.add(e.record()))
            .using(
                (success, message, error) -> {
                  if (!success) {
                    failure.set(error != null ? error : new IllegalStateException(message));
                  }
                })
            .build()) {
      executor.execute(engine);
      await(records, failure, r -> count(r, "r") >= snapshotRows, "the snapshot");
      workload.run();
      await(records, failure, CaptureFixtures::hasLastCustomer, "the workload's last insert");
    } finally {
      executor.shutdown();
      if (!executor.awaitTermination(30, TimeUnit.SECONDS)) {
        throw new IllegalStateException("the Debezium engine did not stop within 30 s");
      }
    }
    synchronized (records) {
      return List.copyOf(records);
    }
  }

  private static void await(
      List<SourceRecord> records,
      AtomicReference<Throwable> failure,
      Predicate<List<SourceRecord>> condition,
      String what)
      throws InterruptedException {
    long end = System.nanoTime() + DEADLINE.toNanos();
    while (true) {
      if (failure.get() != null) {
        throw new IllegalStateException("the Debezium engine failed", failure.get());
      }
      synchronized (records) {
        if (condition.test(records)) {
          return;
        }
      }
      if (System.nanoTime() > end) {
        throw new IllegalStateException(
            "no records of " + what + " within " + DEADLINE + "; got " + describe(records));
      }
      Thread.sleep(100);
    }
  }

  private static long count(List<SourceRecord> records, String op) {
    return records.stream().filter(r -> op.equals(kind(r))).count();
  }

  private static boolean hasLastCustomer(List<SourceRecord> records) {
    return records.stream()
        .anyMatch(
            r ->
                r.topic().endsWith(".customers")
                    && "c".equals(kind(r))
                    && ((Number) ((Struct) r.key()).get("id")).intValue() == LAST_CUSTOMER);
  }

  /** {@code r c u d t} from the envelope, {@code tombstone}, or {@code schema-change}. */
  static String kind(SourceRecord r) {
    if (r.value() == null) {
      return "tombstone";
    }
    Struct value = (Struct) r.value();
    if (value.schema().field("op") != null && value.get("op") != null) {
      return value.getString("op");
    }
    if (value.schema().field("ddl") != null) {
      return "schema-change";
    }
    return "other";
  }

  /** The table a record is about: the last part of its topic, or {@code schema} for DDL. */
  static String table(SourceRecord r) {
    String[] parts = r.topic().split("\\.");
    return parts.length >= 3 ? parts[parts.length - 1] : "schema";
  }

  private static List<String> describe(List<SourceRecord> records) {
    synchronized (records) {
      return records.stream().map(r -> r.topic() + ":" + kind(r)).toList();
    }
  }

  /** Writes {@code schemas/} and {@code noschemas/} under {@code dir}, replacing their files. */
  static void write(List<SourceRecord> records, Path dir) throws IOException {
    for (boolean schemas : new boolean[] {true, false}) {
      Path out = dir.resolve(schemas ? "schemas" : "noschemas");
      Files.createDirectories(out);
      try (Stream<Path> old = Files.list(out)) {
        for (Path p : old.filter(p -> p.toString().endsWith(".json")).toList()) {
          Files.delete(p);
        }
      }
      JsonConverter keys = converter(true, schemas);
      JsonConverter values = converter(false, schemas);
      int n = 0;
      for (SourceRecord r : records) {
        n++;
        ObjectNode file = JSON.createObjectNode();
        file.put("topic", r.topic());
        file.set("key", parse(keys.fromConnectData(r.topic(), r.keySchema(), r.key())));
        file.set("value", parse(values.fromConnectData(r.topic(), r.valueSchema(), r.value())));
        String name =
            String.format(Locale.ROOT, "%03d-%s-%s.json", n, table(r), kind(r));
        Files.writeString(out.resolve(name), JSON.writeValueAsString(file) + "\n");
      }
    }
  }

  /** Kafka Connect's JSON converter as a worker configures it. */
  static JsonConverter converter(boolean isKey, boolean schemas) {
    JsonConverter c = new JsonConverter();
    c.configure(Map.of("schemas.enable", Boolean.toString(schemas)), isKey);
    return c;
  }

  private static JsonNode parse(byte[] json) throws IOException {
    return json == null ? JSON.nullNode() : JSON.readTree(json);
  }

  private static void run(Connection c, String... statements) throws SQLException {
    try (Statement s = c.createStatement()) {
      for (String sql : statements) {
        s.execute(sql);
      }
    }
  }

  private static Connection postgres(String database) throws SQLException {
    return DriverManager.getConnection(
        Services.postgresJdbcUrl(database), Services.postgresUser(), Services.postgresPassword());
  }

  private static Connection mariadb(String database) throws SQLException {
    return DriverManager.getConnection(
        Services.mariadbJdbcUrl(database), Services.mariadbUser(), Services.mariadbPassword());
  }
}
