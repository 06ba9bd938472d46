package io.tributary.it.cdc;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.equalTo;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.tributary.it.Services;
import io.tributary.proto.cdc.ChangeEvent;
import io.tributary.proto.cdc.ConnectRecord;
import io.tributary.transforms.cdc.DebeziumChanges;
import io.tributary.transforms.cdc.DebeziumJson;
import io.tributary.transforms.cdc.capture.DebeziumCapture;
import io.tributary.transforms.values.Values;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.io.TextIO;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.transforms.MapElements;
import org.apache.beam.sdk.transforms.SimpleFunction;
import org.apache.beam.sdk.transforms.WithFailures;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.TypeDescriptors;
import org.joda.time.Duration;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@link DebeziumCapture} against the test PostgreSQL and MariaDB, on the Direct runner and on
 * embedded Flink: a first bounded run delivers the snapshot (and, from PostgreSQL, changes made
 * while it runs); a second run with the same offset store delivers exactly the changes made in
 * between, with no new snapshot.
 */
@Timeout(value = 4, unit = TimeUnit.MINUTES)
class DebeziumCaptureIT {
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir Path dir;

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"DirectRunner", "FlinkRunner"})
  void postgresResumesFromFinalizedOffsets(String runner) throws Exception {
    String id = uniqueId();
    String database = "embed_" + id;
    String slot = "embed_" + id;
    Services.createPostgresDatabase(database);
    try (Connection pg = postgres(database)) {
      run(pg, "CREATE TABLE items (id INTEGER PRIMARY KEY, v TEXT)");
      run(pg, "ALTER TABLE items REPLICA IDENTITY FULL");
      run(pg, "INSERT INTO items VALUES (1, 'a'), (2, 'b')");
      DebeziumCapture.Read read =
          DebeziumCapture.read()
              .withConnectorProperties(
                  Connectors.postgres("embed-" + id, database, "pg" + id, slot, "public.items"))
              .withOffsetStore(dir.resolve("offsets.json").toString());
      String topic = "pg" + id + ".public.items";
      try {
        // First run: the snapshot, then changes made once the slot exists (so they are streamed).
        ExecutorService background = Executors.newSingleThreadExecutor();
        try {
          Future<List<String>> first = background.submit(() -> capture(runner, read.withMaxRecords(6), "first"));
          awaitSlot(slot);
          run(pg, "INSERT INTO items VALUES (3, 'c')");
          run(pg, "UPDATE items SET v = 'A' WHERE id = 1");
          run(pg, "DELETE FROM items WHERE id = 2");
          assertThat(
              first.get(3, TimeUnit.MINUTES),
              equalTo(sorted(topic + " r 1", topic + " r 2", topic + " c 3", topic + " u 1",
                  topic + " d 2", topic + " tombstone 2")));
        } finally {
          background.shutdownNow();
        }
        run(pg, "INSERT INTO items VALUES (4, 'd')");
        run(pg, "UPDATE items SET v = 'C' WHERE id = 3");
        run(pg, "DELETE FROM items WHERE id = 1");
        assertThat(
            capture(runner, read.withMaxRecords(4).withDropSlotOnClose(true), "second"),
            equalTo(sorted(topic + " c 4", topic + " u 3", topic + " d 1", topic + " tombstone 1")));
        assertThat("slot dropped on close", Connectors.postgresSlotExists(slot), equalTo(false));
      } finally {
        Connectors.dropPostgresSlot(slot);
      }
    }
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"DirectRunner", "FlinkRunner"})
  void mariadbResumesFromFinalizedOffsets(String runner) throws Exception {
    String id = uniqueId();
    String database = "embed_" + id;
    Services.createMariadbDatabase(database);
    try (Connection my = mariadb(database)) {
      run(my, "CREATE TABLE items (id INTEGER PRIMARY KEY, v TEXT)");
      run(my, "INSERT INTO items VALUES (1, 'a'), (2, 'b')");
      Map<String, String> connector =
          Connectors.mariadb(
              "embed-" + id,
              database,
              "my" + id,
              6500 + Math.floorMod(id.hashCode(), 1000),
              database + ".items",
              dir.resolve("history.dat"));
      // Only the table's changes: schema changes go to topic "my<id>".
      connector.put("include.schema.changes", "false");
      DebeziumCapture.Read read =
          DebeziumCapture.read()
              .withConnectorProperties(connector)
              .withOffsetStore(dir.resolve("offsets.json").toString());
      String topic = "my" + id + "." + database + ".items";
      assertThat(
          capture(runner, read.withMaxRecords(2), "first"),
          equalTo(sorted(topic + " r 1", topic + " r 2")));
      run(my, "INSERT INTO items VALUES (3, 'c')");
      run(my, "UPDATE items SET v = 'A' WHERE id = 1");
      run(my, "DELETE FROM items WHERE id = 2");
      assertThat(
          capture(runner, read.withMaxRecords(4), "second"),
          equalTo(sorted(topic + " c 3", topic + " u 1", topic + " d 2", topic + " tombstone 2")));
    }
  }

  /** Runs a pipeline reading {@code read} and returns its records as sorted descriptions. */
  private List<String> capture(String runner, DebeziumCapture.Read read, String name)
      throws IOException {
    List<String> args = new ArrayList<>(List.of("--runner=" + runner));
    if (runner.equals("FlinkRunner")) {
      args.add("--flinkMaster=[local]");
      args.add("--parallelism=1");
    }
    Pipeline p = Pipeline.create(PipelineOptionsFactory.fromArgs(args.toArray(String[]::new)).create());
    Path out = dir.resolve(name);
    PCollection<ConnectRecord> records = p.apply("Capture", read);
    records
        .apply("Describe", MapElements.via(new Describe()))
        .apply("Write", TextIO.write().to(out.resolve("raw").resolve("part").toString()));
    // What the capture emits is what the change parser reads: every record parses.
    WithFailures.Result<PCollection<ChangeEvent>, io.tributary.proto.common.Failure> parsed =
        records.apply("Parse", DebeziumChanges.parse());
    parsed
        .output()
        .apply("DescribeParsed", MapElements.via(new DescribeParsed()))
        .apply("WriteParsed", TextIO.write().to(out.resolve("parsed").resolve("part").toString()));
    parsed
        .failures()
        .apply("DescribeFailures", MapElements.into(TypeDescriptors.strings()).via(f -> f.getReason()))
        .apply("WriteFailures", TextIO.write().to(out.resolve("failures").resolve("part").toString()));
    PipelineResult.State state = p.run().waitUntilFinish(Duration.standardMinutes(3));
    assertThat(state, equalTo(PipelineResult.State.DONE));
    List<String> raw = lines(out.resolve("raw"));
    assertThat("parse failures", lines(out.resolve("failures")), equalTo(List.of()));
    assertThat(
        "parsed changes",
        lines(out.resolve("parsed")),
        equalTo(raw.stream().filter(l -> !l.contains(" tombstone ")).toList()));
    return raw;
  }

  /** The sorted lines of every file in {@code directory}. */
  private static List<String> lines(Path directory) throws IOException {
    List<String> lines = new ArrayList<>();
    try (Stream<Path> files = Files.list(directory)) {
      for (Path f : files.toList()) {
        lines.addAll(Files.readAllLines(f));
      }
    }
    return lines.stream().sorted().toList();
  }

  /** {@code "<topic> <op> <id>"} of a parsed change, as {@link Describe} gives for its record. */
  static final class DescribeParsed extends SimpleFunction<ChangeEvent, String> {
    @Override
    public String apply(ChangeEvent e) {
      return e.getTopic() + " " + DebeziumJson.letter(e.getOp()) + " " + Values.toText(e.getPrimaryKey(0).getValue());
    }
  }

  /**
   * {@code "<topic> <op> <id>"} or {@code "<topic> tombstone <id>"}, read from the JSON converter
   * bytes (with schemas); fails on a record without a commit timestamp.
   */
  static final class Describe extends SimpleFunction<ConnectRecord, String> {
    @Override
    public String apply(ConnectRecord c) {
      if (c.getTimestampMillis() <= 0) {
        throw new IllegalStateException("no commit time: " + c);
      }
      try {
        JsonNode key = JSON.readTree(c.getKey().toByteArray()).get("payload");
        if (!c.hasValue()) {
          return c.getTopic() + " tombstone " + key.get("id").asInt();
        }
        JsonNode value = JSON.readTree(c.getValue().toByteArray()).get("payload");
        String op = value.get("op").asText();
        int rowId = value.get(op.equals("d") ? "before" : "after").get("id").asInt();
        if (rowId != key.get("id").asInt()) {
          throw new IllegalStateException("key and row differ: " + c);
        }
        return c.getTopic() + " " + op + " " + rowId;
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
  }

  private static void awaitSlot(String slot) throws SQLException, InterruptedException {
    long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
    while (!Connectors.postgresSlotExists(slot)) {
      if (System.nanoTime() > end) {
        throw new IllegalStateException("replication slot " + slot + " not created within 120 s");
      }
      Thread.sleep(100);
    }
  }

  private static List<String> sorted(String... lines) {
    return Stream.of(lines).sorted().toList();
  }

  private static String uniqueId() {
    return UUID.randomUUID().toString().replace("-", "").substring(0, 8);
  }

  private static void run(Connection c, String sql) throws SQLException {
    try (Statement s = c.createStatement()) {
      s.execute(sql);
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
