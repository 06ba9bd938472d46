package io.tributary.pipelines.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tributary.io.lake.LakeSink;
import io.tributary.proto.sinks.LakeRow;
import io.tributary.proto.values.Column;
import io.tributary.proto.values.ColumnSchema;
import io.tributary.proto.values.Value;
import io.tributary.transforms.coders.MessageCoder;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.BitSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.apache.avro.generic.GenericRecord;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.io.GenerateSequence;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.apache.hadoop.conf.Configuration;
import org.apache.parquet.avro.AvroParquetReader;
import org.apache.parquet.hadoop.ParquetReader;
import org.apache.parquet.hadoop.util.HadoopInputFile;
import org.joda.time.Duration;
import org.joda.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link CommitGate} on the Direct runner, on a live stream: a record's offset is committed only
 * once its row is in a lake file, late rows (stamped up to a minute before the record) included,
 * and the committed offset keeps up with the stream.
 */
class CommitGateTest {
  /** What each run's committer saw: the offsets committed, and the commits made too early. */
  private static final Map<String, List<String>> EARLY = new ConcurrentHashMap<>();

  private static final Map<String, List<Long>> COMMITTED = new ConcurrentHashMap<>();

  @Test
  void commitsAnOffsetOnlyOnceEveryRowBeforeItIsInALakeFile(@TempDir Path dir) throws Exception {
    String run = dir.getFileName().toString();
    long seed = System.nanoTime();
    EARLY.put(run, new CopyOnWriteArrayList<>());
    COMMITTED.put(run, new CopyOnWriteArrayList<>());
    Path lake = dir.resolve("lake");
    Pipeline p =
        Pipeline.create(PipelineOptionsFactory.fromArgs("--runner=DirectRunner", "--streaming=true", "--blockOnRun=false").create());
    PCollection<Long> read =
        p.apply(
            "Read",
            GenerateSequence.from(0).withRate(RATE, Duration.standardSeconds(1)).withTimestampFn(i -> Instant.now()));
    PCollection<String> files =
        read.apply("Rows", ParDo.of(new RowFn(seed)))
            .setCoder(MessageCoder.of(LakeRow.class))
            .apply(
                "Lake",
                LakeSink.write(lake.toString()).withRotation(Duration.standardSeconds(2)).withDeduplication(Duration.ZERO))
            .output();
    read.apply("Marks", ParDo.of(new MarkFn()))
        .apply("Gate", CommitGate.after(List.of(files), new CheckingCommitter(lake.toString(), run)));
    PipelineResult result = p.run();
    result.waitUntilFinish(Duration.standardSeconds(RUN_SECONDS));
    result.cancel();

    List<Long> committed = COMMITTED.get(run);
    long last = committed.stream().mapToLong(Long::longValue).max().orElse(-1);
    System.out.printf("CommitGateTest: %d commits in %d s at %d records/s, last offset committed %d, %d commits too early"
        + " (seed %d)%n", committed.size(), RUN_SECONDS, RATE, last, EARLY.get(run).size(), seed);
    assertEquals(List.of(), EARLY.get(run),
        "offsets committed before the rows read before them were in a lake file (seed " + seed + ")");
    assertTrue(last >= RATE * (RUN_SECONDS / 2), "the committed offset keeps up with the stream: last " + last);
    for (int i = 1; i < committed.size(); i++) {
      assertTrue(committed.get(i) > committed.get(i - 1), "commits only move forward: " + committed);
    }
  }

  private static final int RATE = 200;
  private static final int RUN_SECONDS = 20;

  /** A row per record, one in three stamped up to a minute before it (a late change). */
  static final class RowFn extends DoFn<Long, LakeRow> {
    private final long seed;
    private transient Random random;

    RowFn(long seed) {
      this.seed = seed;
    }

    @Setup
    public void setup() {
      random = new Random(seed);
    }

    @ProcessElement
    public void process(@Element Long i, @Timestamp Instant timestamp, OutputReceiver<LakeRow> out) {
      long stamp = i % 3 == 0 ? timestamp.getMillis() - random.nextInt(60_000) : timestamp.getMillis();
      out.outputWithTimestamp(
          LakeRow.newBuilder()
              .setDataset("ledger")
              .setOp("c")
              .setCommitTimeMillis(stamp)
              .setPosition(String.format("%012d", i))
              .addSchema(ColumnSchema.newBuilder().setName("id").setType("int64"))
              .addColumns(Column.newBuilder().setName("id").setValue(Value.newBuilder().setIntValue(i)))
              .build(),
          new Instant(stamp));
    }

    @Override
    public Duration getAllowedTimestampSkew() {
      return Duration.standardMinutes(2);
    }
  }

  /** The mark of record {@code i}: offset i of partition 0 of topic t. */
  static final class MarkFn extends DoFn<Long, KV<String, Long>> {
    @ProcessElement
    public void process(@Element Long i, OutputReceiver<KV<String, Long>> out) {
      out.output(CommitGate.mark("t", 0, i));
    }
  }

  /** Records each commit, and as too early one made while a row before the offset is in no file. */
  static final class CheckingCommitter implements CommitGate.Committer {
    private final String lake;
    private final String run;

    CheckingCommitter(String lake, String run) {
      this.lake = lake;
      this.run = run;
    }

    @Override
    public void commit(String topic, int partition, long offset) throws IOException {
      assertEquals("t/0", topic + "/" + partition);
      BitSet written = ids(Path.of(lake));
      int missing = written.nextClearBit(0);
      if (missing < offset) {
        EARLY.get(run).add("offset " + offset + " committed while row " + missing + " was in no file");
      }
      COMMITTED.get(run).add(offset);
    }
  }

  /** The ids of the rows in the lake's visible files. */
  static BitSet ids(Path lake) throws IOException {
    BitSet ids = new BitSet();
    if (!Files.isDirectory(lake)) {
      return ids;
    }
    List<Path> files;
    try (Stream<Path> walk = Files.walk(lake)) {
      files =
          walk.filter(f -> f.getFileName().toString().endsWith(".parquet") && !f.getFileName().toString().startsWith("."))
              .collect(Collectors.toList());
    }
    for (Path f : files) {
      try (ParquetReader<GenericRecord> reader =
          AvroParquetReader.<GenericRecord>builder(
                  HadoopInputFile.fromPath(new org.apache.hadoop.fs.Path(f.toUri()), new Configuration()))
              .build()) {
        for (GenericRecord r = reader.read(); r != null; r = reader.read()) {
          ids.set(((Long) r.get("id")).intValue());
        }
      }
    }
    return ids;
  }
}
