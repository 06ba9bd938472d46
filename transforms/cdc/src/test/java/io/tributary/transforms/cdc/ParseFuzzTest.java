package io.tributary.transforms.cdc;

import static java.nio.charset.StandardCharsets.UTF_8;

import com.google.protobuf.ByteString;
import io.tributary.proto.cdc.ChangeEvent;
import io.tributary.proto.cdc.ConnectRecord;
import io.tributary.proto.common.Failure;
import io.tributary.testing.BeamTest;
import io.tributary.testing.Fuzz;
import java.util.ArrayList;
import java.util.List;
import org.apache.beam.sdk.extensions.protobuf.ProtoCoder;
import org.apache.beam.sdk.testing.TestPipeline;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.WithFailures;
import org.apache.beam.sdk.values.PCollection;
import org.junit.jupiter.api.Test;

/**
 * 10,000 seeded mutants (2,000 in the Flink run: {@link io.tributary.testing.Fuzz#MUTANTS}) per
 * parser (Debezium change values of PostgreSQL and MySQL events, with and without schemas; log
 * lines; sensor readings): each one parsed (tombstones emitted, so that a value whose payload is
 * null counts too) or rejected with its bytes.
 */
@BeamTest
class ParseFuzzTest {
  private static final List<String> FIXTURES = List.of(
      "doc/postgresql/customers-create.schemas.json", "doc/postgresql/customers-update.schemas.json",
      "doc/postgresql/customers-delete.noschemas.json", "doc/postgresql/customers-read.noschemas.json",
      "doc/mysql/customers-create.schemas.json", "doc/mysql/customers-update.noschemas.json",
      "doc/mysql/customers-delete.schemas.json", "doc/postgresql/products-types.schemas.json");

  @Test
  void everyDebeziumMutantIsParsedOrRejected(TestPipeline p) {
    List<ConnectRecord> originals = new ArrayList<>();
    List<byte[]> seeds = new ArrayList<>();
    for (String f : FIXTURES) {
      ConnectRecord r = Fixtures.record(f);
      originals.add(r);
      seeds.add(r.getValue().toByteArray());
    }
    List<byte[]> inputs = new ArrayList<>(Fuzz.mutants(seeds, Fuzz.MUTANTS, 20261205L));
    // Empty value bytes are no value: a tombstone of the original's key, which has no payload to keep.
    inputs.removeIf(b -> b.length == 0);
    inputs.addAll(seeds);
    List<ConnectRecord> records = new ArrayList<>();
    for (int i = 0; i < inputs.size(); i++) {
      // Each mutant keeps the key and topic of one original; offsets are distinct.
      ConnectRecord original = originals.get(i % originals.size());
      records.add(original.toBuilder().setOffset(i).setValue(ByteString.copyFrom(inputs.get(i))).build());
    }
    WithFailures.Result<PCollection<ChangeEvent>, Failure> parsed =
        p.apply(Create.of(records).withCoder(ProtoCoder.of(ConnectRecord.class))).apply(DebeziumChanges.parse().withTombstones(true));
    Fuzz.accountsForEveryInput("Debezium values, seed 20261205", inputs, parsed.output(), parsed.failures(), f -> f.getPayload().toByteArray());
    p.run().waitUntilFinish();
  }

  @Test
  void everyLogAndReadingMutantIsParsedOrRejected(TestPipeline p) {
    List<byte[]> logs = List.of(
        ("{\"level\":\"warning\",\"service\":\"payments\",\"message\":\"slow\",\"trace_id\":\"4bf9\","
            + "\"time\":\"2024-03-01T10:15:30.250Z\",\"host\":\"h1\"}").getBytes(UTF_8),
        "{\"level\":\"ERROR\",\"service\":\"api\",\"message\":\"boom \\u00e9\",\"time\":1709288130250}".getBytes(UTF_8));
    Fuzz.parser(p, "log lines", logs, 20261206L, EventStreams.parseLogs(), f -> f.getPayload().toByteArray());
    List<byte[]> readings = List.of(
        "{\"device_id\":\"pump-7\",\"metric\":\"temperature\",\"value\":21.5,\"unit\":\"celsius\",\"time\":1709288130250}".getBytes(UTF_8),
        "{\"device_id\":\"m-1\",\"metric\":\"rpm\",\"value\":-3e2,\"time\":\"2024-03-01T10:15:30Z\"}".getBytes(UTF_8));
    Fuzz.parser(p, "sensor readings", readings, 20261207L, EventStreams.parseReadings(), f -> f.getPayload().toByteArray());
    p.run().waitUntilFinish();
  }
}
