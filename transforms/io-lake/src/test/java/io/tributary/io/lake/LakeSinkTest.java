package io.tributary.io.lake;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.contains;
import static org.hamcrest.Matchers.is;

import io.tributary.proto.cdc.ChangeEvent;
import io.tributary.proto.sinks.LakeRow;
import io.tributary.proto.values.ColumnSchema;
import io.tributary.proto.values.Row;
import io.tributary.testing.BeamTest;
import io.tributary.testing.Diff;
import io.tributary.transforms.cdc.CdcRouting;
import io.tributary.transforms.cdc.Fixtures;
import io.tributary.transforms.cdc.SourcePositions;
import io.tributary.transforms.values.Values;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericRecord;
import org.apache.beam.sdk.extensions.protobuf.ProtoCoder;
import org.apache.beam.sdk.testing.TestPipeline;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.values.TimestampedValue;
import org.apache.hadoop.conf.Configuration;
import org.apache.parquet.avro.AvroParquetReader;
import org.apache.parquet.hadoop.ParquetReader;
import org.apache.parquet.hadoop.util.HadoopInputFile;
import org.joda.time.Duration;
import org.joda.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

@BeamTest
class LakeSinkTest {
  private static final long BASE = java.time.Instant.parse("2024-03-01T21:50:00Z").toEpochMilli();

  /** Every record of every Parquet file under dir, keyed by its path relative to dir. */
  static Map<String, List<GenericRecord>> readAll(Path dir) throws IOException {
    Map<String, List<GenericRecord>> out = new TreeMap<>();
    List<Path> files;
    try (Stream<Path> walk = Files.walk(dir)) {
      files = walk.filter(f -> f.toString().endsWith(".parquet")).collect(Collectors.toList());
    }
    for (Path f : files) {
      List<GenericRecord> records = new ArrayList<>();
      try (ParquetReader<GenericRecord> reader =
          AvroParquetReader.<GenericRecord>builder(
                  HadoopInputFile.fromPath(
                      new org.apache.hadoop.fs.Path(f.toUri()), new Configuration()))
              .build()) {
        for (GenericRecord r = reader.read(); r != null; r = reader.read()) {
          records.add(r);
        }
      }
      out.put(dir.relativize(f).toString(), records);
    }
    return out;
  }

  /** A record as "partition | op | position | commit | columns" for comparison. */
  static String describe(String file, GenericRecord r) {
    StringBuilder s = new StringBuilder(file.substring(0, file.lastIndexOf('/')));
    for (Schema.Field f : r.getSchema().getFields()) {
      s.append(" | ").append(f.name()).append('=').append(r.get(f.name()));
    }
    return s.toString();
  }

  static String describe(LakeRow row) {
    Schema schema = LakeSink.avroSchema(row.getDataset(), row.getSchemaList());
    GenericRecord r = LakeSink.toRecord(schema, row);
    return describe(LakeSink.partitionPath(row.getDataset(), row.getCommitTimeMillis()) + "/f", r);
  }

  static ChangeEvent customer(ChangeEvent template, long id, String email, long commitMillis, ChangeEvent.Op op) {
    Row.Builder after = Row.newBuilder();
    for (var c : template.getAfter().getColumnsList()) {
      after.addColumns(
          c.getName().equals("id") ? Values.column("id", Values.of(id))
              : c.getName().equals("email") ? Values.column("email", Values.of(email)) : c);
    }
    ChangeEvent.Builder e = template.toBuilder().setOp(op);
    e.getSourceBuilder().setTsMs(commitMillis)
        .setPosition(SourcePositions.postgres(1000 + id, 900 + id, id));
    if (op == ChangeEvent.Op.DELETE) {
      e.clearAfter().setBefore(after);
    } else {
      e.setAfter(after);
    }
    return e.build();
  }

  @Test
  void writesPartitionedParquetThatAStandardReaderReadsBack(TestPipeline p, @TempDir Path dir)
      throws Exception {
    ChangeEvent create = Fixtures.change("doc/postgresql/customers-create.schemas.json");
    ChangeEvent.Op[] ops = {ChangeEvent.Op.CREATE, ChangeEvent.Op.UPDATE, ChangeEvent.Op.DELETE, ChangeEvent.Op.READ};
    List<TimestampedValue<LakeRow>> input = new ArrayList<>();
    List<String> expected = new ArrayList<>();
    // 40 changes 7 minutes apart: several hours, across midnight.
    for (int i = 0; i < 40; i++) {
      long commit = BASE + i * 7 * 60_000L + 1234;
      LakeRow row =
          CdcRouting.lakeRow(customer(create, i, "u" + i + "@x.org", commit, ops[i % 4]), "customers");
      input.add(TimestampedValue.of(row, new Instant(commit)));
      expected.add(describe(row));
    }
    // A column added upstream: later rows carry 'phone'.
    ChangeEvent.Builder widened = create.toBuilder();
    widened.addColumns(ColumnSchema.newBuilder().setName("phone").setType("string").setOptional(true));
    widened.setAfter(create.getAfter().toBuilder().addColumns(Values.column("phone", Values.of("+1 555"))));
    for (int i = 40; i < 43; i++) {
      long commit = BASE + i * 7 * 60_000L;
      LakeRow row = CdcRouting.lakeRow(customer(widened.build(), i, "w@x.org", commit, ChangeEvent.Op.CREATE), "customers");
      input.add(TimestampedValue.of(row, new Instant(commit)));
      expected.add(describe(row));
    }
    // Another table with logical types, and one from schemaless JSON.
    ChangeEvent types = Fixtures.change("doc/postgresql/products-types.schemas.json");
    LakeRow typed = CdcRouting.lakeRow(types, "products");
    input.add(TimestampedValue.of(typed, new Instant(types.getSource().getTsMs())));
    expected.add(describe(typed));
    ChangeEvent raw = Fixtures.change("doc/postgresql/products-types.noschemas.json");
    LakeRow untyped = CdcRouting.lakeRow(raw, "products");
    input.add(TimestampedValue.of(untyped, new Instant(raw.getSource().getTsMs())));
    expected.add(describe(untyped));

    p.apply(Create.timestamped(input).withCoder(ProtoCoder.of(LakeRow.class)))
        .apply(LakeSink.write(dir.toString()).withWindow(Duration.standardMinutes(10)));
    p.run().waitUntilFinish();

    Map<String, List<GenericRecord>> files = readAll(dir);
    List<String> actual = new ArrayList<>();
    files.forEach((f, records) -> records.forEach(r -> actual.add(describe(f, r))));
    Diff<String> diff = Diff.of(expected, actual);
    assertThat("read back differs: " + diff, diff.isEmpty(), is(true));

    // Partitions: table=<dataset>/dt=<date>/hr=<hour> of the commit time (UTC).
    assertThat(
        files.keySet().stream().map(f -> f.substring(0, f.lastIndexOf('/'))).distinct()
            .collect(Collectors.toList()),
        contains(
            "table=customers/dt=2024-03-01/hr=21", "table=customers/dt=2024-03-01/hr=22",
            "table=customers/dt=2024-03-01/hr=23", "table=customers/dt=2024-03-02/hr=00",
            "table=customers/dt=2024-03-02/hr=01", "table=customers/dt=2024-03-02/hr=02",
            "table=products/dt=2024-03-01/hr=10"));
    // Windowed files: a 10-minute window never spans two files' worth of time.
    for (Map.Entry<String, List<GenericRecord>> f : files.entrySet()) {
      long first = Long.MAX_VALUE;
      long last = Long.MIN_VALUE;
      for (GenericRecord r : f.getValue()) {
        first = Math.min(first, (Long) r.get("_commit_time"));
        last = Math.max(last, (Long) r.get("_commit_time"));
      }
      assertThat(f.getKey(), first / 600_000L, is(last / 600_000L));
    }
    // The added column appears in the files written after it, old files keep their columns.
    List<String> withPhone =
        files.entrySet().stream()
            .filter(e -> e.getValue().get(0).getSchema().getField("phone") != null)
            .map(e -> e.getKey().substring(0, e.getKey().lastIndexOf('/')))
            .distinct().collect(Collectors.toList());
    assertThat(withPhone, contains("table=customers/dt=2024-03-02/hr=02"));

    // Typed columns as a Parquet reader sees them.
    GenericRecord product =
        files.entrySet().stream().filter(e -> e.getKey().startsWith("table=products"))
            .flatMap(e -> e.getValue().stream())
            .filter(r -> r.getSchema().getField("price").schema().getTypes().get(1).getType() == Schema.Type.STRING
                && r.getSchema().getField("released").schema().getTypes().get(1).getType() == Schema.Type.INT)
            .findFirst().get();
    assertThat(product.get("_op").toString(), is("c"));
    assertThat(product.get("_position").toString(), is(types.getSource().getPosition().getOrderKey()));
    assertThat(product.get("id"), is(42L));
    assertThat(product.get("price").toString(), is("12.50"));
    assertThat(product.get("ratio").toString(), is("-31.416"));
    assertThat(product.get("released"), is(19783));
    assertThat(product.get("opens_at"), is(34200000250L));
    assertThat(product.get("updated_at"), is(1709288130000250L));
    assertThat(product.get("created_at"), is(1709284530000250L));
    assertThat(product.get("attrs").toString(), is("{\"color\": \"red\", \"sizes\": [1, 2]}"));
    assertThat(product.get("weight"), is(1.5));
    assertThat(product.get("active"), is(true));
    assertThat(product.get("note"), is((Object) null));
    assertThat(
        product.getSchema().getField("updated_at").schema().getTypes().get(1).getLogicalType().getName(),
        is("local-timestamp-micros"));
  }

  /**
   * A row committed before the watermark passed its window's end is written, within the allowed
   * lateness, to a further file of that window (pane 1); the on-time file keeps its rows.
   */
  @Test
  void aLateRowWithinTheAllowedLatenessGoesToAFurtherFileOfItsWindow(TestPipeline p, @TempDir Path dir) throws Exception {
    ChangeEvent create = Fixtures.change("doc/postgresql/customers-create.schemas.json");
    LakeRow onTime = CdcRouting.lakeRow(customer(create, 1, "a@x.org", BASE + 60_000L, ChangeEvent.Op.CREATE), "customers");
    LakeRow alsoOnTime = CdcRouting.lakeRow(customer(create, 2, "b@x.org", BASE + 120_000L, ChangeEvent.Op.CREATE), "customers");
    LakeRow late = CdcRouting.lakeRow(customer(create, 3, "c@x.org", BASE + 180_000L, ChangeEvent.Op.UPDATE), "customers");
    org.apache.beam.sdk.testing.TestStream<LakeRow> stream =
        org.apache.beam.sdk.testing.TestStream.create(ProtoCoder.of(LakeRow.class))
            .addElements(TimestampedValue.of(onTime, new Instant(BASE + 60_000L)), TimestampedValue.of(alsoOnTime, new Instant(BASE + 120_000L)))
            // Past the end of the 10-minute window [BASE, BASE + 10 min), within 30 minutes of it.
            .advanceWatermarkTo(new Instant(BASE + 25 * 60_000L))
            .addElements(TimestampedValue.of(late, new Instant(BASE + 180_000L)))
            .advanceWatermarkToInfinity();
    p.apply(stream)
        .apply(LakeSink.write(dir.toString()).withWindow(Duration.standardMinutes(10)).withAllowedLateness(Duration.standardMinutes(30)));
    p.run().waitUntilFinish();

    Map<String, List<GenericRecord>> files = readAll(dir);
    Map<String, List<String>> idsByPane = new TreeMap<>();
    files.forEach((f, records) -> {
      // part-<schema version>-<window start>-<pane>-<shard>-of-<n>.parquet
      String[] parts = f.substring(f.lastIndexOf('/') + 1).split("-");
      String pane = parts[parts.length - 4];
      records.forEach(r -> idsByPane.computeIfAbsent(pane, k -> new ArrayList<>()).add(r.get("id").toString()));
    });
    idsByPane.values().forEach(ids -> ids.sort(null));
    assertThat(idsByPane.toString(), idsByPane, is(Map.of("0", List.of("1", "2"), "1", List.of("3"))));
  }
}
