package io.tributary.pipelines.cdc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tributary.io.lake.LakeSink;
import io.tributary.pipelines.io.Launch;
import io.tributary.pipelines.io.Synthetic;
import io.tributary.proto.sinks.LakeRow;
import io.tributary.proto.values.Column;
import io.tributary.proto.values.ColumnSchema;
import io.tributary.proto.values.Value;
import io.tributary.transforms.coders.MessageCoder;
import io.tributary.transforms.metrics.Counters;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.apache.avro.generic.GenericRecord;
import org.apache.beam.runners.flink.FlinkPipelineOptions;
import org.apache.beam.runners.flink.FlinkRunner;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.hadoop.conf.Configuration;
import org.apache.parquet.avro.AvroParquetReader;
import org.apache.parquet.hadoop.ParquetReader;
import org.apache.parquet.hadoop.util.HadoopInputFile;
import org.joda.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The lake across a job failure on embedded Flink: a live stream of 6,000 rows at 750 a second
 * (16 hourly partitions, one after the other) goes to the lake with a rotation of 100 ms and a
 * checkpoint every 400 ms; the job fails once, after it has written files past a completed
 * checkpoint, and Flink restores it from its last checkpoint, where the rows due meanwhile wait as
 * a backlog (as on a live source). The rows are then counted in the files.
 */
class LakeRestoreTest {
  private static final int ROWS = 6000;
  private static final int PER_SECOND = 750;
  /** Files written per test run, by run, across the restart (the embedded job shares this JVM). */
  private static final Map<String, AtomicInteger> FILES = new ConcurrentHashMap<>();

  /** With exactly-once files every row is in exactly one file, however the failure fell. */
  @Test
  @Timeout(value = 3, unit = TimeUnit.MINUTES)
  void withExactlyOnceEveryRowIsInExactlyOneFileAfterARestore(@TempDir Path dir) throws IOException {
    Map<Long, Integer> copies = run(dir, true);
    List<Long> missing = missing(copies);
    Map<Long, Integer> repeated = repeated(copies);
    System.out.printf(
        "lake across a restore, exactly once: %d rows, %d distinct, %d missing, %d repeated%n",
        ROWS, copies.size(), missing.size(), repeated.size());
    assertTrue(missing.isEmpty(), "rows missing from the lake: " + first(missing));
    assertTrue(repeated.isEmpty(), "rows in more than one file (row=copies): " + first(repeated.entrySet()));
    assertEquals(ROWS, copies.size());
  }

  /** Without it, a restored job may write rows again, but loses none. */
  @Test
  @Timeout(value = 3, unit = TimeUnit.MINUTES)
  void withoutItEveryRowIsWrittenAtLeastOnce(@TempDir Path dir) throws IOException {
    Map<Long, Integer> copies = run(dir, false);
    List<Long> missing = missing(copies);
    System.out.printf(
        "lake across a restore, at least once: %d rows, %d missing, %d written more than once%n",
        ROWS, missing.size(), repeated(copies).size());
    assertTrue(missing.isEmpty(), "rows missing from the lake: " + first(missing));
  }

  /**
   * Bounded input on Flink with checkpoints: the source shuts down at once after its last row, so
   * no checkpoint follows the lake's last files; the launcher has the stable-input step release
   * them as the input ends (without it the job fails there, its watermark held).
   */
  @Test
  @Timeout(value = 3, unit = TimeUnit.MINUTES)
  void boundedInputWithCheckpointsEndsWithEveryRowWritten(@TempDir Path dir) throws IOException {
    FlinkPipelineOptions options = embeddedFlink("--shutdownSourcesAfterIdleMs=0");
    Pipeline p = Pipeline.create(options);
    p.apply(Synthetic.bounded(new LedgerRows(0), 2000))
        .apply(LakeSink.write(dir.resolve("lake").toString()).withExactlyOnce(true));
    PipelineResult result = Launch.run(p, r -> {});
    assertEquals(PipelineResult.State.DONE, result.getState());
    assertTrue(options.getEnableStableInputDrain(), "the launcher releases stable input at the end");
    Map<Long, Integer> copies = copies(dir.resolve("lake"));
    assertTrue(missing(copies, 2000).isEmpty(), "rows missing: " + first(missing(copies, 2000)));
    assertTrue(repeated(copies).isEmpty(), "rows repeated: " + first(repeated(copies).entrySet()));
    // The runner releases the stable input outside the scope of its metrics; the counts are made
    // by the step after it, so none is lost.
    long files;
    try (Stream<Path> walk = Files.walk(dir.resolve("lake"))) {
      files = walk.filter(f -> f.getFileName().toString().endsWith(".parquet")).count();
    }
    assertEquals(Map.of("files", files, "rows", 2000L), lakeCounters(result), "the lake's counters");
  }

  /** The sink's counters {@code files} and {@code rows}, as the runner reports them. */
  private static Map<String, Long> lakeCounters(PipelineResult result) {
    return Map.of(
        "files", Counters.attempted(result, LakeSink.METRICS_NAMESPACE, "files"),
        "rows", Counters.attempted(result, LakeSink.METRICS_NAMESPACE, "rows"));
  }

  /** Runs the job to its end and returns how often each row id is in the lake. */
  private static Map<Long, Integer> run(Path dir, boolean exactlyOnce) throws IOException {
    String runId = dir.getFileName().toString();
    FILES.put(runId, new AtomicInteger());
    FlinkPipelineOptions options =
        embeddedFlink(
            "--numberOfExecutionRetries=2",
            "--executionRetryDelay=200",
            // The stream ends: its last files are released as it ends, as the launcher has
            // bounded runs do (see the test above).
            "--shutdownSourcesAfterIdleMs=2000",
            "--enableStableInputDrain=true");
    Pipeline p = Pipeline.create(options);
    p.apply(Synthetic.paced(new LedgerRows(System.currentTimeMillis()), ROWS))
        .apply(
            LakeSink.write(dir.resolve("lake").toString())
                .withRotation(Duration.millis(100))
                .withExactlyOnce(exactlyOnce))
        .output()
        .apply("FailOnce", ParDo.of(new FailOnceFn(runId, 17)));
    PipelineResult.State state = p.run().waitUntilFinish();
    assertEquals(PipelineResult.State.DONE, state);
    Map<Long, Integer> copies = copies(dir.resolve("lake"));
    assertTrue(
        FILES.get(runId).get() > 17,
        "the job failed once and went on: " + FILES.get(runId) + " files written, rows " + copies.size());
    return copies;
  }

  /** An embedded Flink job in streaming mode, one slot, a checkpoint every 400 ms, and {@code more}. */
  private static FlinkPipelineOptions embeddedFlink(String... more) {
    List<String> args = new java.util.ArrayList<>(
        List.of("--flinkMaster=[local]", "--parallelism=1", "--streaming=true", "--checkpointingInterval=400"));
    args.addAll(List.of(more));
    FlinkPipelineOptions options = PipelineOptionsFactory.fromArgs(args.toArray(String[]::new)).as(FlinkPipelineOptions.class);
    options.setRunner(FlinkRunner.class);
    return options;
  }

  /**
   * Fails the job once, when the {@code after}-th file written reaches it, so that files written
   * past the last completed checkpoint exist when Flink restores the job.
   */
  static final class FailOnceFn extends DoFn<String, String> {
    private static final Map<String, Boolean> FAILED = new ConcurrentHashMap<>();
    private final String runId;
    private final int after;

    FailOnceFn(String runId, int after) {
      this.runId = runId;
      this.after = after;
    }

    @ProcessElement
    public void process(@Element String file, OutputReceiver<String> out) {
      int n = FILES.get(runId).incrementAndGet();
      if (n == after && FAILED.putIfAbsent(runId, true) == null) {
        throw new IllegalStateException("failure injected after " + n + " files");
      }
      out.output(file);
    }
  }

  /**
   * Row i of one table: id i at source position i, committed at its slot time plus an hour per
   * {@link #PER_HOUR} rows, so that the stream moves on to a new partition (file key) every half
   * second: a partition's last files are not replaced by later files of the same key, and a
   * restored job that writes a backlog in fewer files than the failed job leaves the failed job's
   * later files beside its own (what the at-least-once lake shows as repeats).
   */
  static final class LedgerRows implements Synthetic.PacedGenerator<LakeRow> {
    static final int PER_HOUR = 375;
    private final Synthetic.Pacing pacing;

    LedgerRows(long startMillis) {
      this.pacing = Synthetic.Pacing.of("LedgerRows", startMillis, PER_SECOND, 0);
    }

    @Override
    public LakeRow at(long index) {
      return LakeRow.newBuilder()
          .setDataset("ledger")
          .setOp("c")
          .setCommitTimeMillis(pacing.slotMillis(index) + index / PER_HOUR * 3_600_000L)
          .setPosition(String.format("%012d", index))
          .addSchema(ColumnSchema.newBuilder().setName("id").setType("int64"))
          .addColumns(Column.newBuilder().setName("id").setValue(Value.newBuilder().setIntValue(index)))
          .build();
    }

    @Override
    public Synthetic.Pacing pacing() {
      return pacing;
    }

    @Override
    public long eventTimeMillis(LakeRow row) {
      return row.getCommitTimeMillis();
    }

    @Override
    public Coder<LakeRow> coder() {
      return MessageCoder.of(LakeRow.class);
    }
  }

  private static Map<Long, Integer> copies(Path lake) throws IOException {
    Map<Long, Integer> copies = new TreeMap<>();
    List<Path> files;
    try (Stream<Path> walk = Files.walk(lake)) {
      files = walk.filter(f -> f.getFileName().toString().endsWith(".parquet")).collect(Collectors.toList());
    }
    for (Path f : files) {
      try (ParquetReader<GenericRecord> reader =
          AvroParquetReader.<GenericRecord>builder(
                  HadoopInputFile.fromPath(new org.apache.hadoop.fs.Path(f.toUri()), new Configuration()))
              .build()) {
        String partition = lake.relativize(f.getParent()).toString().replace('\\', '/');
        for (GenericRecord r = reader.read(); r != null; r = reader.read()) {
          long id = (Long) r.get("id");
          copies.merge(id, 1, Integer::sum);
          // Each file holds rows of its own partition only (no row written under another key's file).
          String own = LakeSink.partitionPath("ledger", (Long) r.get(LakeSink.COMMIT_TIME));
          assertEquals(own, partition, "row " + id + " in " + lake.relativize(f));
        }
      }
    }
    return copies;
  }

  private static List<Long> missing(Map<Long, Integer> copies) {
    return missing(copies, ROWS);
  }

  private static List<Long> missing(Map<Long, Integer> copies, long rows) {
    return java.util.stream.LongStream.range(0, rows).filter(i -> !copies.containsKey(i)).boxed().collect(Collectors.toList());
  }

  private static Map<Long, Integer> repeated(Map<Long, Integer> copies) {
    Map<Long, Integer> repeated = new TreeMap<>();
    copies.forEach((id, n) -> {
      if (n > 1) {
        repeated.put(id, n);
      }
    });
    return repeated;
  }

  private static String first(java.util.Collection<?> items) {
    return items.stream().limit(10).map(String::valueOf).collect(Collectors.joining(", ")) + (items.size() > 10 ? ", ..." : "");
  }
}
