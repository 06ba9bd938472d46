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
import io.tributary.transforms.metrics.Counters;
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
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.extensions.protobuf.ProtoCoder;
import org.apache.beam.sdk.testing.TestPipeline;
import org.apache.beam.sdk.testing.TestStream;
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
  static final long BASE = java.time.Instant.parse("2024-03-01T21:50:00Z").toEpochMilli();

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
        .apply(LakeSink.write(dir.toString()));
    PipelineResult result = p.run();
    result.waitUntilFinish();

    Map<String, List<GenericRecord>> files = readAll(dir);
    List<String> actual = new ArrayList<>();
    files.forEach((f, records) -> records.forEach(r -> actual.add(describe(f, r))));
    Diff<String> diff = Diff.of(expected, actual);
    assertThat("read back differs: " + diff, diff.isEmpty(), is(true));
    // The counters say what was written.
    assertThat(
        "the lake's counters",
        Map.of(
            "files", Counters.attempted(result, LakeSink.METRICS_NAMESPACE, "files"),
            "rows", Counters.attempted(result, LakeSink.METRICS_NAMESPACE, "rows")),
        is(Map.of("files", (long) files.size(), "rows", (long) expected.size())));

    // Partitions: table=<dataset>/dt=<date>/hr=<hour> of the commit time (UTC).
    assertThat(
        files.keySet().stream().map(f -> f.substring(0, f.lastIndexOf('/'))).distinct()
            .collect(Collectors.toList()),
        contains(
            "table=customers/dt=2024-03-01/hr=21", "table=customers/dt=2024-03-01/hr=22",
            "table=customers/dt=2024-03-01/hr=23", "table=customers/dt=2024-03-02/hr=00",
            "table=customers/dt=2024-03-02/hr=01", "table=customers/dt=2024-03-02/hr=02",
            "table=products/dt=2024-03-01/hr=10"));
    // A file holds rows of its partition's commit hour only.
    for (Map.Entry<String, List<GenericRecord>> f : files.entrySet()) {
      String dataset = f.getKey().substring("table=".length(), f.getKey().indexOf('/'));
      for (GenericRecord r : f.getValue()) {
        String partition = LakeSink.partitionPath(dataset, (Long) r.get("_commit_time"));
        assertThat(f.getKey(), f.getKey().startsWith(partition + "/"), is(true));
      }
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

  /** Ids of the rows in the files under dir, sorted, with repeats. */
  static List<String> ids(Path dir) throws IOException {
    List<String> ids = new ArrayList<>();
    readAll(dir).values().forEach(records -> records.forEach(r -> ids.add(r.get("id") + "/" + r.get("email"))));
    ids.sort(null);
    return ids;
  }

  /**
   * Nothing is late: rows whose commit times lie days behind the watermark (a capture that was
   * down, a replay) are written, to their commit hour's partition, beside the on-time ones.
   */
  @Test
  void rowsFarBehindTheWatermarkAreWrittenNotDropped(TestPipeline p, @TempDir Path dir) throws Exception {
    ChangeEvent create = Fixtures.change("doc/postgresql/customers-create.schemas.json");
    long day = 86_400_000L;
    TestStream.Builder<LakeRow> stream = TestStream.create(ProtoCoder.of(LakeRow.class));
    List<String> expected = new ArrayList<>();
    for (int i = 0; i < 6; i++) {
      long commit = BASE + i * 60_000L;
      LakeRow row = CdcRouting.lakeRow(customer(create, i, "on@x.org", commit, ChangeEvent.Op.CREATE), "customers");
      stream = stream.addElements(TimestampedValue.of(row, new Instant(commit)));
      expected.add(i + "/on@x.org");
    }
    // Two days on, rows committed in the first hour arrive (beyond any lateness a window would allow).
    stream = stream.advanceWatermarkTo(new Instant(BASE + 2 * day));
    for (int i = 6; i < 9; i++) {
      long commit = BASE + i * 60_000L;
      LakeRow row = CdcRouting.lakeRow(customer(create, i, "late@x.org", commit, ChangeEvent.Op.UPDATE), "customers");
      stream = stream.addElements(TimestampedValue.of(row, new Instant(commit)));
      expected.add(i + "/late@x.org");
    }
    long now = BASE + 2 * day + 1000;
    LakeRow current = CdcRouting.lakeRow(customer(create, 9, "now@x.org", now, ChangeEvent.Op.CREATE), "customers");
    stream = stream.addElements(TimestampedValue.of(current, new Instant(now)));
    expected.add(9 + "/now@x.org");

    p.apply(stream.advanceWatermarkToInfinity()).apply(LakeSink.write(dir.toString()));
    p.run().waitUntilFinish();

    expected.sort(null);
    Diff<String> diff = Diff.of(expected, ids(dir));
    assertThat("rows written differ: " + diff, diff.isEmpty(), is(true));
    assertThat(
        readAll(dir).keySet().stream().map(f -> f.substring(0, f.lastIndexOf('/'))).distinct().collect(Collectors.toList()),
        contains("table=customers/dt=2024-03-01/hr=21", "table=customers/dt=2024-03-03/hr=21"));
  }

  /**
   * A redelivered row (equal in every field, as a restarted capture resends it) is written once,
   * whenever it arrives within the retention; two different rows at one position (one snapshot's
   * rows) and rows without a position (event streams) are all written; a copy arriving after the
   * retention is written again, which shows that the state is pruned.
   */
  @Test
  void redeliveriesWithinTheRetentionAreWrittenOnce(TestPipeline p, @TempDir Path dir) throws Exception {
    ChangeEvent create = Fixtures.change("doc/postgresql/customers-create.schemas.json");
    List<TimestampedValue<LakeRow>> originals = new ArrayList<>();
    List<String> expected = new ArrayList<>();
    for (int i = 0; i < 40; i++) {
      long commit = BASE + i * 1000L;
      LakeRow row = CdcRouting.lakeRow(customer(create, i, "o" + i + "@x.org", commit, ChangeEvent.Op.UPDATE), "customers");
      originals.add(TimestampedValue.of(row, new Instant(commit)));
      expected.add(i + "/o" + i + "@x.org");
    }
    // One snapshot: two rows at one position.
    ChangeEvent snapshotRow = customer(create, 100, "s1@x.org", BASE, ChangeEvent.Op.READ);
    LakeRow snap1 = CdcRouting.lakeRow(snapshotRow, "customers");
    LakeRow snap2 = CdcRouting.lakeRow(customer(create, 101, "s2@x.org", BASE, ChangeEvent.Op.READ).toBuilder()
        .setSource(snapshotRow.getSource()).build(), "customers");
    assertThat(snap2.getPosition(), is(snap1.getPosition()));
    expected.add("100/s1@x.org");
    expected.add("101/s2@x.org");
    // Rows without a position, twice each: both copies are written.
    LakeRow log = CdcRouting.lakeRow(customer(create, 200, "log@x.org", BASE, ChangeEvent.Op.CREATE), "customers")
        .toBuilder().clearPosition().build();
    expected.add("200/log@x.org");
    expected.add("200/log@x.org");

    Duration retention = Duration.standardMinutes(10);
    TestStream.Builder<LakeRow> stream = TestStream.create(ProtoCoder.of(LakeRow.class));
    for (TimestampedValue<LakeRow> row : originals) {
      stream = stream.addElements(row);
    }
    stream = stream.addElements(TimestampedValue.of(snap1, new Instant(BASE)), TimestampedValue.of(snap2, new Instant(BASE)),
        TimestampedValue.of(log, new Instant(BASE)), TimestampedValue.of(log, new Instant(BASE)));
    // The capture restarts: the last 20 changes come again, in a later pane and past their commit times.
    stream = stream.advanceWatermarkTo(new Instant(BASE + 5 * 60_000L));
    for (TimestampedValue<LakeRow> row : originals.subList(20, 40)) {
      stream = stream.addElements(row);
    }
    // Past the retention, one more copy of change 0 is written again (its fingerprint was pruned).
    stream = stream.advanceWatermarkTo(new Instant(BASE + 30 * 60_000L)).addElements(originals.get(0));
    expected.add("0/o0@x.org");

    p.apply(stream.advanceWatermarkToInfinity()).apply(LakeSink.write(dir.toString()).withDeduplication(retention));
    p.run().waitUntilFinish();

    expected.sort(null);
    Diff<String> diff = Diff.of(expected, ids(dir));
    assertThat("rows written differ: " + diff, diff.isEmpty(), is(true));
  }

  /**
   * A pipeline started again (as after a crash) that reads again rows it had written does not
   * write them twice: the deduplication step reads the rows of the files written within the
   * retention. Rows of files older than the retention (by modification time) are written again.
   */
  @Test
  void aRestartedPipelineDoesNotWriteAgainTheRowsOfRecentFiles(TestPipeline p, @TempDir Path dir) throws Exception {
    ChangeEvent create = Fixtures.change("doc/postgresql/customers-create.schemas.json");
    List<TimestampedValue<LakeRow>> rows = new ArrayList<>();
    for (int i = 0; i < 30; i++) {
      long commit = BASE + i * 1000L;
      rows.add(TimestampedValue.of(
          CdcRouting.lakeRow(customer(create, i, "o" + i + "@x.org", commit, ChangeEvent.Op.UPDATE), "customers"),
          new Instant(commit)));
    }
    // Two runs into one lake: rows 0-19, then 10-29 (10-19 read again after a restart).
    p.apply(Create.timestamped(rows.subList(0, 20)).withCoder(ProtoCoder.of(LakeRow.class)))
        .apply(LakeSink.write(dir.toString()));
    p.run().waitUntilFinish();
    writeAgain(dir, rows.subList(10, 30));
    List<String> expected = new ArrayList<>();
    for (int i = 0; i < 30; i++) {
      expected.add(i + "/o" + i + "@x.org");
    }
    expected.sort(null);
    Diff<String> diff = Diff.of(expected, ids(dir));
    assertThat("rows written differ after a restart: " + diff, diff.isEmpty(), is(true));

    // Files older than the retention (10 minutes by default) are not read: their rows come again.
    long old = System.currentTimeMillis() - Duration.standardMinutes(20).getMillis();
    try (Stream<Path> walk = Files.walk(dir)) {
      for (Path f : walk.filter(f -> f.toString().endsWith(".parquet")).collect(Collectors.toList())) {
        Files.setLastModifiedTime(f, java.nio.file.attribute.FileTime.fromMillis(old));
      }
    }
    writeAgain(dir, rows.subList(25, 30));
    for (int i = 25; i < 30; i++) {
      expected.add(i + "/o" + i + "@x.org");
    }
    expected.sort(null);
    diff = Diff.of(expected, ids(dir));
    assertThat("rows written differ after a restart past the retention: " + diff, diff.isEmpty(), is(true));
  }

  /** Runs a new pipeline that writes {@code rows} to the lake at {@code dir}. */
  private static void writeAgain(Path dir, List<TimestampedValue<LakeRow>> rows) {
    org.apache.beam.sdk.Pipeline again = org.apache.beam.sdk.Pipeline.create();
    again.apply(Create.timestamped(rows).withCoder(ProtoCoder.of(LakeRow.class))).apply(LakeSink.write(dir.toString()));
    again.run().waitUntilFinish();
  }

  /** With deduplication off, every copy is written. */
  @Test
  void withoutDeduplicationEveryCopyIsWritten(TestPipeline p, @TempDir Path dir) throws Exception {
    ChangeEvent create = Fixtures.change("doc/postgresql/customers-create.schemas.json");
    LakeRow row = CdcRouting.lakeRow(customer(create, 1, "a@x.org", BASE, ChangeEvent.Op.CREATE), "customers");
    p.apply(Create.timestamped(List.of(TimestampedValue.of(row, new Instant(BASE)), TimestampedValue.of(row, new Instant(BASE))))
            .withCoder(ProtoCoder.of(LakeRow.class)))
        .apply(LakeSink.write(dir.toString()).withDeduplication(Duration.ZERO));
    p.run().waitUntilFinish();
    assertThat(ids(dir), is(List.of("1/a@x.org", "1/a@x.org")));
  }

  /** Rows of one partition per file written, by file name, in name (sequence) order. */
  static List<Integer> rowsPerFile(Path dir) throws IOException {
    return new ArrayList<>(readAll(dir).values()).stream().map(List::size).collect(Collectors.toList());
  }

  /** A partition that gathers more rows than a file may hold is written in several files. */
  @Test
  void fullFilesAreWrittenBeforeTheRotation(TestPipeline p, @TempDir Path dir) throws Exception {
    ChangeEvent create = Fixtures.change("doc/postgresql/customers-create.schemas.json");
    List<TimestampedValue<LakeRow>> input = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      LakeRow row = CdcRouting.lakeRow(customer(create, i, "f@x.org", BASE + i, ChangeEvent.Op.CREATE), "customers");
      input.add(TimestampedValue.of(row, new Instant(BASE + i)));
    }
    p.apply(Create.timestamped(input).withCoder(ProtoCoder.of(LakeRow.class)))
        .apply(LakeSink.write(dir.toString()).withMaxRowsPerFile(2).withRotation(Duration.standardHours(1)));
    p.run().waitUntilFinish();
    assertThat(ids(dir), is(List.of("0/f@x.org", "1/f@x.org", "2/f@x.org", "3/f@x.org", "4/f@x.org")));
    List<Integer> sizes = rowsPerFile(dir);
    sizes.sort(null);
    assertThat(sizes, contains(1, 2, 2));
  }
}
