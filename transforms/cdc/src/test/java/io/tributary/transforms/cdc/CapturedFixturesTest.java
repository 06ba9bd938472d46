package io.tributary.transforms.cdc;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.endsWith;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.greaterThanOrEqualTo;
import static org.hamcrest.Matchers.not;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tributary.proto.cdc.ChangeEvent;
import io.tributary.proto.cdc.Connector;
import io.tributary.transforms.values.Values;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The parser on every change event recorded from real Debezium 3.2 runs against PostgreSQL and
 * MariaDB ({@code debezium/captured/}, see its README): each record's op, table, connector and
 * position agree with what the workload did, with schemas on and off.
 */
class CapturedFixturesTest {
  @ParameterizedTest(name = "{0}/{1}")
  @CsvSource({
    "postgres, schemas, POSTGRESQL",
    "postgres, noschemas, POSTGRESQL",
    "mariadb, schemas, MARIADB",
    "mariadb, noschemas, MARIADB"
  })
  void everyRecordedRecordParsesToWhatTheWorkloadDid(String store, String mode, Connector connector)
      throws Exception {
    List<Path> files = files(store, mode);
    assertThat(store + "/" + mode + " fixtures", files.size(), greaterThanOrEqualTo(20));
    String lastStreamingKey = "";
    for (Path file : files) {
      String name = file.getFileName().toString();
      String[] parts = name.replace(".json", "").split("-", 3);
      String table = parts[1];
      String kind = parts[2];
      String where = store + "/" + mode + "/" + name;
      if (kind.equals("schema-change")) {
        // Schema-change records (MariaDB's history topic) are not row changes: rejected, named.
        DebeziumJson.InvalidChangeException e =
            assertThrows(
                DebeziumJson.InvalidChangeException.class,
                () -> DebeziumJson.parse(Fixtures.record("captured/" + store + "/" + mode + "/" + name)),
                where);
        assertThat(where, e.getMessage(), not(equalTo("")));
        continue;
      }
      ChangeEvent event = DebeziumJson.parse(Fixtures.record("captured/" + store + "/" + mode + "/" + name));
      if (kind.equals("tombstone")) {
        assertTrue(event.getTombstone(), where + " is a tombstone");
        assertThat(where, event.getTableId(), endsWith("." + table));
        continue;
      }
      assertThat(where + " op", DebeziumJson.letter(event.getOp()), equalTo(kind));
      assertThat(where + " table", event.getTableId(), endsWith("." + table));
      assertThat(where + " connector", event.getSource().getConnector(), equalTo(connector));
      String key = event.getSource().getPosition().getOrderKey();
      assertThat(where + " position", key, not(equalTo("")));
      if (!kind.equals("r") && !kind.equals("t")) {
        assertTrue(event.getPrimaryKeyCount() > 0, where + " has a primary key");
        // Streamed changes are recorded in log order: their order keys never go back.
        assertThat(where + " order key after " + lastStreamingKey, key.compareTo(lastStreamingKey), greaterThanOrEqualTo(0));
        lastStreamingKey = key;
      }
      if (kind.equals("c") || kind.equals("r") || kind.equals("u")) {
        assertTrue(event.getAfter().getColumnsCount() > 0, where + " has an after image");
      }
      if (kind.equals("d")) {
        assertTrue(event.getBefore().getColumnsCount() > 0, where + " has a before image");
      }
    }
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource({"postgres", "mariadb"})
  void schemasOnAndOffAgreeOnOpTableAndKey(String store) throws Exception {
    List<Path> on = files(store, "schemas");
    List<Path> off = files(store, "noschemas");
    assertThat(on.size(), equalTo(off.size()));
    for (int i = 0; i < on.size(); i++) {
      String name = on.get(i).getFileName().toString();
      assertThat(off.get(i).getFileName().toString(), equalTo(name));
      if (name.contains("schema-change")) {
        continue;
      }
      ChangeEvent a = DebeziumJson.parse(Fixtures.record("captured/" + store + "/schemas/" + name));
      ChangeEvent b = DebeziumJson.parse(Fixtures.record("captured/" + store + "/noschemas/" + name));
      assertThat(name + " op", b.getOp(), equalTo(a.getOp()));
      assertThat(name + " table", b.getTableId(), equalTo(a.getTableId()));
      assertThat(name + " position", b.getSource().getPosition().getOrderKey(), equalTo(a.getSource().getPosition().getOrderKey()));
      assertThat(name + " key columns", b.getPrimaryKeyCount(), equalTo(a.getPrimaryKeyCount()));
      for (int k = 0; k < a.getPrimaryKeyCount(); k++) {
        assertThat(name + " key column", b.getPrimaryKey(k).getName(), equalTo(a.getPrimaryKey(k).getName()));
        assertThat(name + " key value", Values.toText(b.getPrimaryKey(k).getValue()), equalTo(Values.toText(a.getPrimaryKey(k).getValue())));
      }
    }
  }

  private static List<Path> files(String store, String mode) throws IOException, URISyntaxException {
    Path dir = Path.of(CapturedFixturesTest.class.getResource("/debezium/captured/" + store + "/" + mode).toURI());
    try (Stream<Path> s = Files.list(dir)) {
      List<Path> files = new ArrayList<>(s.filter(p -> p.toString().endsWith(".json")).sorted().toList());
      return files;
    }
  }
}
