package io.tributary.it;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.tributary.io.redis.RedisSink;
import io.tributary.it.cdc.Connectors;
import io.tributary.pipelines.cdc.CdcOptions;
import io.tributary.pipelines.cdc.CdcPipeline;
import io.tributary.testing.Diff;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import redis.clients.jedis.Jedis;

/**
 * The cdc pipeline reading PostgreSQL and MariaDB through the embedded capture ({@code
 * --source=capture}, no Kafka) on the Direct runner: a first bounded run caches the snapshot, a
 * second run with the same offset store applies exactly the changes made in between; after each,
 * the Redis cache equals {@code SELECT *} of the table and nothing is dead-lettered.
 */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class CdcCaptureIT {
  @TempDir Path dir;

  @Test
  void postgresTableIsCachedThenKeptCurrentAcrossRuns() throws Exception {
    String id = uniqueId();
    String database = "cdccap_" + id;
    String slot = "cdccap_" + id;
    Services.createPostgresDatabase(database);
    try (Connection db = DriverManager.getConnection(
        Services.postgresJdbcUrl(database), Services.postgresUser(), Services.postgresPassword())) {
      run(db, "CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT, qty INTEGER)");
      run(db, "ALTER TABLE items REPLICA IDENTITY FULL");
      Map<String, String> connector = Connectors.postgres("cdccap-" + id, database, "pg" + id, slot, "public.items");
      try {
        check(db, connector, database + ".public.items");
      } finally {
        Connectors.dropPostgresSlot(slot);
      }
    }
  }

  @Test
  void mariadbTableIsCachedThenKeptCurrentAcrossRuns() throws Exception {
    String id = uniqueId();
    String database = "cdccap_" + id;
    Services.createMariadbDatabase(database);
    try (Connection db = DriverManager.getConnection(
        Services.mariadbJdbcUrl(database), Services.mariadbUser(), Services.mariadbPassword())) {
      run(db, "CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT, qty INTEGER)");
      Map<String, String> connector =
          Connectors.mariadb(
              "cdccap-" + id, database, "my" + id, 7500 + Math.floorMod(id.hashCode(), 1000),
              database + ".items", dir.resolve("history.dat"));
      connector.put("include.schema.changes", "false");
      check(db, connector, database + ".items");
    }
  }

  /** Snapshot of three rows, then an insert, an update and a delete (four records with the tombstone). */
  private void check(Connection db, Map<String, String> connector, String tableId) throws Exception {
    run(db, "INSERT INTO items VALUES (1, 'anvil', 3), (2, 'bolt', 40), (3, 'crate', 7)");
    Path properties = dir.resolve("capture.properties");
    Properties p = new Properties();
    p.putAll(connector);
    try (Writer w = Files.newBufferedWriter(properties, StandardCharsets.UTF_8)) {
      p.store(w, "the Debezium connector of the test");
    }
    Path rules = dir.resolve("rules.yaml");
    Files.writeString(
        rules,
        "routes:\n  - name: items\n    tables: [\"" + tableId + "\"]\n    lake: {dataset: items}\n"
            + "    cache: {key: \"item:{id}\", layout: hash}\n");
    String prefix = "cdccap-" + UUID.randomUUID() + ":";

    pipeline(properties, rules, prefix, 3);
    assertCacheEqualsTable(db, prefix, "after the snapshot");

    run(db, "INSERT INTO items VALUES (4, 'drill', 1)");
    run(db, "UPDATE items SET qty = 39 WHERE id = 2");
    run(db, "DELETE FROM items WHERE id = 3");
    pipeline(properties, rules, prefix, 4);
    assertCacheEqualsTable(db, prefix, "after the changes");
    // Windowed file writes create no file for a window without failures.
    List<String> dead = new ArrayList<>();
    if (Files.exists(dir.resolve("dead"))) {
      try (Stream<Path> files = Files.walk(dir.resolve("dead"))) {
        for (Path f : files.filter(Files::isRegularFile).toList()) {
          dead.addAll(Files.readAllLines(f));
        }
      }
    }
    assertEquals(List.of(), dead, "dead letters");
  }

  private void pipeline(Path properties, Path rules, String prefix, int records) {
    CdcOptions options =
        PipelineOptionsFactory.fromArgs(
                "--source=capture",
                "--captureProperties=" + properties,
                "--captureOffsetStore=" + dir.resolve("offsets.json"),
                "--maxInputRecords=" + records,
                "--rules=" + rules,
                "--redisHost=" + Services.redisHost(),
                "--redisPort=" + Services.redisPort(),
                "--cacheKeyPrefix=" + prefix,
                "--lakePath=" + dir.resolve("lake"),
                "--sink=files",
                "--outputPath=" + dir.resolve("changes"),
                "--deadLetter=files",
                "--deadLetterPath=" + dir.resolve("dead"))
            .as(CdcOptions.class);
    PipelineResult.State state = CdcPipeline.create(options).run().waitUntilFinish(org.joda.time.Duration.standardMinutes(3));
    assertEquals(PipelineResult.State.DONE, state, "pipeline state");
  }

  /** The cache holds one hash per row (column text values) and a fence per row ever seen. */
  private static void assertCacheEqualsTable(Connection db, String prefix, String when) throws SQLException {
    Map<String, String> expected = new TreeMap<>();
    try (Statement s = db.createStatement();
        ResultSet r = s.executeQuery("SELECT id, name, qty FROM items")) {
      while (r.next()) {
        Map<String, String> row = new TreeMap<>(Map.of("id", r.getString(1), "name", r.getString(2), "qty", r.getString(3)));
        expected.put("item:" + r.getString(1), "hash " + row);
      }
    }
    Map<String, String> actual = new TreeMap<>();
    try (Jedis jedis = RedisSinkIT.jedis()) {
      for (Map.Entry<String, String> e : RedisSinkIT.dump(jedis, prefix).entrySet()) {
        if (!e.getKey().endsWith(RedisSink.FENCE_SUFFIX)) {
          actual.put(e.getKey(), e.getValue());
        }
      }
    }
    assertEquals(expected, actual, when + ":\n" + Diff.of(expected.entrySet(), actual.entrySet()));
  }

  private static void run(Connection c, String sql) throws SQLException {
    try (Statement s = c.createStatement()) {
      s.execute(sql);
    }
  }

  private static String uniqueId() {
    return UUID.randomUUID().toString().replace("-", "").substring(0, 8);
  }
}
