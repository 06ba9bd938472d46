package io.tributary.transforms.cdc;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.google.protobuf.ByteString;
import io.tributary.proto.cdc.ChangeEvent;
import io.tributary.proto.cdc.ConnectRecord;
import io.tributary.proto.common.Failure;
import io.tributary.testing.BeamTest;
import io.tributary.testing.Diff;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import org.apache.beam.sdk.testing.PAssert;
import org.apache.beam.sdk.testing.TestPipeline;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.MapElements;
import org.apache.beam.sdk.transforms.Reify;
import org.apache.beam.sdk.transforms.WithFailures;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.TimestampedValue;
import org.apache.beam.sdk.values.TypeDescriptors;
import org.joda.time.Instant;
import org.junit.jupiter.api.Test;

@BeamTest
class DebeziumChangesTest {
  private static final ObjectMapper MAPPER = new ObjectMapper();
  private static final String PG = "doc/postgresql/customers-create.schemas.json";
  private static final String MARIA = "doc/mariadb/customers-create.schemas.json";

  /** The value of a fixture, changed by {@code edit} (on the envelope root). */
  private static ConnectRecord edited(String fixture, Consumer<ObjectNode> edit) throws Exception {
    ConnectRecord r = Fixtures.record(fixture);
    ObjectNode root = (ObjectNode) MAPPER.readTree(r.getValue().toByteArray());
    edit.accept(root);
    return r.toBuilder().setValue(ByteString.copyFrom(MAPPER.writeValueAsBytes(root))).build();
  }

  private static ObjectNode payload(ObjectNode root) {
    return (ObjectNode) root.get("payload");
  }

  private static ObjectNode afterField(ObjectNode root, int i) {
    return (ObjectNode) root.get("schema").get("fields").get(1).get("fields").get(i);
  }

  @Test
  void everyKindOfBadRecordLandsInTheFailureOutputWithItsReason(TestPipeline p) throws Exception {
    String at = "PostgreSQL_server.public.customers/0@1: ";
    String mat = "mariadb-server-1.inventory.customers/0@1: ";
    List<Object[]> cases = new ArrayList<>();
    ConnectRecord pg = Fixtures.record(PG);
    cases.add(new Object[] {pg.toBuilder().setValue(ByteString.copyFromUtf8("{\"schema\":")).build(),
        at + "malformed JSON in value: Unexpected end-of-input within/between Object entries"});
    cases.add(new Object[] {pg.toBuilder().setValue(ByteString.EMPTY).build(), at + "malformed JSON in value: empty"});
    cases.add(new Object[] {pg.toBuilder().setValue(pg.getValue().concat(ByteString.copyFromUtf8("{}"))).build(),
        at + "trailing content after the JSON value at byte " + pg.getValue().size() + " (a second record, or junk)"});
    cases.add(new Object[] {pg.toBuilder().setKey(pg.getKey().concat(ByteString.copyFromUtf8(" junk"))).build(),
        at + "trailing content after the JSON key at byte " + pg.getKey().size() + " (a second record, or junk)"});
    cases.add(new Object[] {pg.toBuilder().setValue(ByteString.copyFromUtf8("[1]")).build(),
        at + "value must be a JSON object, got ARRAY"});
    cases.add(new Object[] {pg.toBuilder().setKey(ByteString.copyFromUtf8("{\"id\"")).build(),
        at + "malformed JSON in key: Unexpected end-of-input within/between Object entries"});
    cases.add(new Object[] {pg.toBuilder().clearKey().clearValue().build(), at + "record has neither a key nor a value"});
    cases.add(new Object[] {edited(PG, r -> r.set("payload", MAPPER.createArrayNode())),
        at + "value payload must be an object, got ARRAY"});
    cases.add(new Object[] {edited(PG, r -> payload(r).remove("op")), at + "missing envelope field 'op'"});
    cases.add(new Object[] {edited(PG, r -> payload(r).put("op", "m")), at + "unsupported op 'm'"});
    cases.add(new Object[] {edited(PG, r -> payload(r).remove("source")), at + "missing envelope field 'source'"});
    cases.add(new Object[] {edited(PG, r -> payload(r).put("source", 3)), at + "field 'source' must be an object, got NUMBER"});
    cases.add(new Object[] {edited(PG, r -> ((ObjectNode) payload(r).get("source")).put("connector", "oracle")),
        at + "unsupported connector 'oracle' in 'source'"});
    cases.add(new Object[] {edited(PG, r -> ((ObjectNode) payload(r).get("source")).remove("lsn")),
        at + "missing source field 'lsn'"});
    cases.add(new Object[] {edited(PG, r -> ((ObjectNode) payload(r).get("source")).put("lsn", "x")),
        at + "source field 'lsn' must be an integer, got STRING \"x\""});
    cases.add(new Object[] {edited(PG, r -> ((ObjectNode) payload(r).get("source")).remove("table")),
        at + "missing source field 'table'"});
    cases.add(new Object[] {edited(PG, r -> ((ObjectNode) payload(r).get("source")).put("sequence", "[1]")),
        at + "source field 'sequence' is not a JSON array of two LSNs: \"[1]\""});
    cases.add(new Object[] {edited(MARIA, r -> ((ObjectNode) payload(r).get("source")).put("file", "binlog")),
        mat + "source: binlog file name 'binlog' does not end in a numeric extension"});
    cases.add(new Object[] {edited(PG, r -> payload(r).putNull("after")), at + "op 'c' without an 'after' row"});
    cases.add(new Object[] {edited(PG, r -> ((ObjectNode) payload(r).get("after")).put("id", "one")),
        at + "column 'after.id' of type int32 has a STRING value: \"one\""});
    cases.add(new Object[] {edited(PG, r -> ((ObjectNode) payload(r).get("after")).putNull("email")),
        at + "column 'after.email' is not optional but null"});
    cases.add(new Object[] {edited(PG, r -> ((ObjectNode) payload(r).get("after")).put("phone", "1")),
        at + "'after' has column 'phone' that its schema does not declare"});
    cases.add(new Object[] {edited(PG, r -> afterField(r, 3).put("name", "io.debezium.data.Uuid")),
        at + "column 'after.email' of type Uuid is not a UUID: 'annek@noanswer.org'"});
    cases.add(new Object[] {edited(PG, r -> afterField(r, 3).put("name", "io.debezium.time.ZonedTimestamp")),
        at + "column 'after.email' of type ZonedTimestamp is not an ISO-8601 date-time with offset: 'annek@noanswer.org'"});
    cases.add(new Object[] {edited(PG, r -> {
          afterField(r, 3).put("type", "bytes").put("name", "org.apache.kafka.connect.data.Decimal")
              .putObject("parameters").put("scale", "2");
        }),
        at + "column 'after.email' of type bytes (org.apache.kafka.connect.data.Decimal) has an unreadable value"
            + " \"annek@noanswer.org\": Illegal base64 character 40"});
    cases.add(new Object[] {edited(PG, r -> afterField(r, 3).put("type", "float128")),
        at + "column 'after.email' has unknown type 'float128'"});
    cases.add(new Object[] {
        edited("doc/postgresql/customers-delete.noschemas.json", r -> r.putNull("before")).toBuilder().clearKey().build(),
        "PostgreSQL_server.public.customers/0@3: op 'd' with neither a 'before' row nor a key"});
    cases.add(new Object[] {
        edited(PG, r -> ((ObjectNode) payload(r).get("source")).put("ts_ms", 9_300_000_000_000_000L)),
        at + "source.ts_ms 9300000000000000 is outside the timestamps a pipeline can carry"});
    ConnectRecord big = pg.toBuilder().setValue(ByteString.copyFromUtf8("x".repeat(5000))).build();
    cases.add(new Object[] {big,
        at + "record of " + (pg.getKey().size() + 5000) + " bytes exceeds the limit of 4096"});

    List<ConnectRecord> input = new ArrayList<>();
    List<Failure> expected = new ArrayList<>();
    input.add(pg);
    for (Object[] c : cases) {
      ConnectRecord r = (ConnectRecord) c[0];
      input.add(r);
      expected.add(
          Failure.newBuilder()
              .setStep("ParseDebeziumChanges")
              .setReason((String) c[1])
              .setPayload(r.hasValue() ? r.getValue() : r.getKey())
              .build());
    }
    WithFailures.Result<PCollection<ChangeEvent>, Failure> result =
        p.apply(Create.of(input)).apply(DebeziumChanges.parse().withMaxPayloadBytes(4096));

    PAssert.that(result.failures())
        .satisfies(
            actual -> {
              Diff<Failure> diff = Diff.of(expected, actual);
              if (!diff.isEmpty()) {
                throw new AssertionError(
                    "missing reasons " + reasons(diff.missing()) + ", unexpected " + reasons(diff.unexpected()));
              }
              return null;
            });
    PAssert.that(result.output()).containsInAnyOrder(DebeziumJsonTest.parse(PG));
    p.run().waitUntilFinish();
  }

  @Test
  void changesAreStampedWithTheirCommitTimeAndTombstonesAreOptional(TestPipeline p) throws Exception {
    List<ConnectRecord> input =
        List.of(
            Fixtures.record("doc/mariadb/customers-create.noschemas.json"),
            Fixtures.record("doc/mariadb/customers-delete.schemas.json"),
            Fixtures.record("doc/mariadb/customers-tombstone.schemas.json"),
            Fixtures.record("doc/postgresql/customers-truncate.schemas.json"));
    PCollection<ConnectRecord> records = p.apply(Create.of(input));
    PCollection<ChangeEvent> dropping = records.apply("Parse", DebeziumChanges.parse()).output();
    PCollection<ChangeEvent> keeping =
        records.apply("ParseKeepingTombstones", DebeziumChanges.parse().withTombstones(true)).output();

    PAssert.that(dropping.apply("Times", Reify.timestamps()))
        .containsInAnyOrder(
            TimestampedValue.of(DebeziumJsonTest.parse("doc/mariadb/customers-create.noschemas.json"),
                new Instant(1465581029100L)),
            TimestampedValue.of(DebeziumJsonTest.parse("doc/mariadb/customers-delete.schemas.json"),
                new Instant(1465581902300L)),
            TimestampedValue.of(DebeziumJsonTest.parse("doc/postgresql/customers-truncate.schemas.json"),
                new Instant(1559033904863L)));
    PAssert.that(
            keeping.apply(
                "Ops",
                MapElements.into(TypeDescriptors.strings())
                    .via(e -> DebeziumJson.letter(e.getOp()) + (e.getTombstone() ? "+tombstone" : ""))))
        .containsInAnyOrder("c", "d", "d+tombstone", "t");
    p.run().waitUntilFinish();
  }

  static List<String> reasons(List<Failure> failures) {
    List<String> out = new ArrayList<>();
    failures.forEach(f -> out.add(f.getReason() + " [payload " + f.getPayload().size() + " bytes]"));
    return out;
  }
}
