package io.tributary.it.cdc;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.equalTo;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.tributary.it.Kafka;
import io.tributary.it.Services;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * The Kafka Connect capture worker ({@code it/capture.sh} through {@link Capture}) against the test
 * PostgreSQL, MariaDB and Kafka: snapshot and streamed changes reach the topics {@code
 * <prefix>.<schema>.<table>}; after a stop, changes made while the worker is down arrive once it
 * is started again, and nothing before them is sent again (no new snapshot).
 */
class CaptureKafkaIT {
  private static final Duration DEADLINE = Duration.ofSeconds(60);
  private static final ObjectMapper JSON = new ObjectMapper();

  @Test
  void publishesChangesAndResumesAfterARestart() throws Exception {
    String id = UUID.randomUUID().toString().replace("-", "").substring(0, 8);
    String database = "capture_" + id;
    String slot = "capture_" + id;
    String pgPrefix = "pg" + id;
    String myPrefix = "my" + id;
    Services.createPostgresDatabase(database);
    Services.createMariadbDatabase(database);
    try (Connection pg = postgres(database);
        Connection my = mariadb(database)) {
      run(pg, "CREATE TABLE items (id INTEGER PRIMARY KEY, v TEXT)");
      run(pg, "ALTER TABLE items REPLICA IDENTITY FULL");
      run(my, "CREATE TABLE items (id INTEGER PRIMARY KEY, v TEXT)");
      for (Connection c : List.of(pg, my)) {
        run(c, "INSERT INTO items VALUES (1, 'a'), (2, 'b')");
      }
      String pgTopic = pgPrefix + ".public.items";
      String myTopic = myPrefix + "." + database + ".items";
      Map<String, String> pgConnector =
          Connectors.postgres("pg-" + id, database, pgPrefix, slot, "public.items");
      Map<String, String> myConnector =
          Connectors.mariadb(
              "my-" + id,
              database,
              myPrefix,
              5500 + Math.floorMod(id.hashCode(), 1000),
              database + ".items",
              Path.of("target", "capture-connectors", "history-" + id + ".dat").toAbsolutePath());
      Capture capture = Capture.start("it-" + id, pgConnector, myConnector);
      try {
        for (Connection c : List.of(pg, my)) {
          run(c, "INSERT INTO items VALUES (3, 'c')");
          run(c, "UPDATE items SET v = 'A' WHERE id = 1");
          run(c, "DELETE FROM items WHERE id = 2");
        }
        List<String> first = List.of("r 1", "r 2", "c 3", "u 1", "d 2", "tombstone");
        assertThat(changes(pgTopic, first.size()), equalTo(first));
        assertThat(changes(myTopic, first.size()), equalTo(first));

        capture.stop();
        for (Connection c : List.of(pg, my)) {
          run(c, "INSERT INTO items VALUES (4, 'd')");
          run(c, "UPDATE items SET v = 'C' WHERE id = 3");
          run(c, "DELETE FROM items WHERE id = 1");
        }
        capture.start();
        List<String> all = new ArrayList<>(first);
        all.addAll(List.of("c 4", "u 3", "d 1", "tombstone"));
        assertThat(changes(pgTopic, all.size()), equalTo(all));
        assertThat(changes(myTopic, all.size()), equalTo(all));

        capture.stop();
        Connectors.dropPostgresSlot(slot);
        assertThat("slot dropped", Connectors.postgresSlotExists(slot), equalTo(false));
      } finally {
        capture.stop();
        Connectors.dropPostgresSlot(slot);
      }
    }
  }

  /** The topic's records as {@code "<op> <id>"} or {@code tombstone}, in order. */
  private static List<String> changes(String topic, int expected) {
    List<String> out = new ArrayList<>();
    for (byte[] value : Kafka.consume(topic, expected, DEADLINE)) {
      if (value == null) {
        out.add("tombstone");
        continue;
      }
      try {
        JsonNode payload = JSON.readTree(value).get("payload");
        String op = payload.get("op").asText();
        JsonNode row = payload.get(op.equals("d") ? "before" : "after");
        out.add(op + " " + row.get("id").asInt());
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
    return out;
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
