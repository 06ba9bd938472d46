package io.tributary.it.cdc;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItems;
import static org.hamcrest.Matchers.hasSize;
import static org.hamcrest.Matchers.notNullValue;
import static org.hamcrest.Matchers.oneOf;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.apache.kafka.connect.data.Struct;
import org.apache.kafka.connect.source.SourceRecord;
import org.junit.jupiter.api.Test;

/**
 * Captures the fixture workload of {@link CaptureFixtures} from the test PostgreSQL and MariaDB and
 * checks that every kind of change came out, and that the fixtures committed under {@code
 * transforms/cdc/src/test/resources/debezium/captured} are what the workload yields today (same files:
 * topics and kinds in the same order). With {@code -Dtributary.capture.fixtures=<dir>} it writes the
 * fixtures there instead (regeneration; see the README next to them).
 */
class CaptureFixturesIT {
  private static final Path COMMITTED =
      Path.of("..", "transforms", "cdc", "src", "test", "resources", "debezium", "captured");

  @Test
  void capturesEveryKindOfChangeAndMatchesTheCommittedFixtures() throws Exception {
    String target = System.getProperty("tributary.capture.fixtures");
    Path out = target != null ? Path.of(target) : Path.of("target", "debezium-captured");
    Map<String, List<SourceRecord>> captured = CaptureFixtures.captureAll(out);

    List<SourceRecord> postgres = captured.get(CaptureFixtures.POSTGRES);
    assertThat(
        kinds(postgres), hasItems("r", "c", "u", "d", "t", "tombstone"));
    assertThat(
        "the multi-row transaction's changes share one transaction id",
        transactionIds(postgres, "postgres.public.orders", "postgres.public.order_lines"),
        hasSize(1));
    assertAddedColumnAndOutbox(postgres);

    List<SourceRecord> mariadb = captured.get(CaptureFixtures.MARIADB);
    assertThat(kinds(mariadb), hasItems("r", "c", "u", "d", "t", "tombstone", "schema-change"));
    String ddl =
        mariadb.stream()
            .filter(r -> "schema-change".equals(CaptureFixtures.kind(r)))
            .map(r -> ((Struct) r.value()).getString("ddl"))
            .collect(Collectors.joining("\n"));
    assertThat(ddl, containsString("ADD COLUMN tier"));
    assertAddedColumnAndOutbox(mariadb);

    for (String db : List.of(CaptureFixtures.POSTGRES, CaptureFixtures.MARIADB)) {
      for (String variant : List.of("schemas", "noschemas")) {
        assertThat(
            "files of " + db + "/" + variant + " (regenerate the fixtures if the workload changed)",
            names(out.resolve(db).resolve(variant)),
            equalTo(names(COMMITTED.resolve(db).resolve(variant))));
      }
    }
  }

  private static void assertAddedColumnAndOutbox(List<SourceRecord> records) {
    SourceRecord tiered =
        records.stream()
            .filter(r -> r.topic().endsWith(".customers") && "c".equals(CaptureFixtures.kind(r)))
            .filter(r -> ((Struct) r.value()).getStruct("after").schema().field("tier") != null)
            .filter(r -> "gold".equals(((Struct) r.value()).getStruct("after").get("tier")))
            .findFirst()
            .orElse(null);
    assertThat("an insert carrying the added column", tiered, notNullValue());
    assertThat(
        records.stream()
            .filter(r -> r.topic().endsWith(".outbox") && "c".equals(CaptureFixtures.kind(r)))
            .map(r -> ((Struct) r.value()).getStruct("after").getString("type"))
            .toList(),
        equalTo(List.of("OrderPlaced")));
  }

  private static Set<String> kinds(List<SourceRecord> records) {
    return records.stream().map(CaptureFixtures::kind).collect(Collectors.toSet());
  }

  /**
   * Transaction ids of the four changes from the first streamed order insert on: order 2
   * inserted, a line inserted, order 1 updated, a line deleted, in one transaction.
   */
  private static Set<Object> transactionIds(List<SourceRecord> records, String orders, String lines) {
    int firstOrderInsert = -1;
    for (int i = 0; i < records.size(); i++) {
      if (records.get(i).topic().equals(orders) && "c".equals(CaptureFixtures.kind(records.get(i)))) {
        firstOrderInsert = i;
        break;
      }
    }
    assertThat("an order insert", firstOrderInsert >= 0, equalTo(true));
    return records.subList(firstOrderInsert, firstOrderInsert + 4).stream()
        .peek(r -> assertThat(r.topic(), oneOf(orders, lines)))
        .map(r -> ((Struct) r.value()).getStruct("source").get("txId"))
        .collect(Collectors.toSet());
  }

  private static List<String> names(Path dir) throws IOException {
    try (Stream<Path> files = Files.list(dir)) {
      return files.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".json")).sorted().toList();
    }
  }
}
