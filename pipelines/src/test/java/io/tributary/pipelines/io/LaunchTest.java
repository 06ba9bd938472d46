package io.tributary.pipelines.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tributary.pipelines.fraud.FraudPipeline;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.apache.beam.runners.flink.FlinkPipelineOptions;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.io.GenerateSequence;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** What {@link Launch} changes before a run and how it ends one. */
class LaunchTest {
  @Test
  void finishedSourcesShutDownWhenFlinkCheckpoints() {
    FlinkPipelineOptions checkpointing = flink("--checkpointingInterval=1000");
    Launch.prepare(checkpointing);
    assertEquals(FlinkSettings.FINISHED_SOURCE_IDLE_MS, checkpointing.getShutdownSourcesAfterIdleMs());

    FlinkPipelineOptions chosen = flink("--checkpointingInterval=1000", "--shutdownSourcesAfterIdleMs=250");
    Launch.prepare(chosen);
    assertEquals(250L, chosen.getShutdownSourcesAfterIdleMs(), "a value the user set stays");

    FlinkPipelineOptions unboundedOptions = flink("--checkpointingInterval=1000");
    org.apache.beam.sdk.Pipeline unbounded = org.apache.beam.sdk.Pipeline.create(unboundedOptions);
    unbounded.apply(org.apache.beam.sdk.io.GenerateSequence.from(0));
    Launch.prepare(unbounded);
    assertEquals(FlinkSettings.FINISHED_SOURCE_IDLE_MS, unboundedOptions.getShutdownSourcesAfterIdleMs());

    FlinkPipelineOptions periodicOptions = flink("--checkpointingInterval=1000");
    org.apache.beam.sdk.Pipeline periodic = org.apache.beam.sdk.Pipeline.create(periodicOptions);
    periodic.apply(org.apache.beam.sdk.transforms.PeriodicImpulse.create()
        .withInterval(org.joda.time.Duration.standardSeconds(5)));
    Launch.prepare(periodic);
    assertEquals(Long.MAX_VALUE, periodicOptions.getShutdownSourcesAfterIdleMs(),
        "with a periodic impulse no source shuts down (the finished Create would stall the checkpoints)");

    FlinkPipelineOptions plain = flink();
    Launch.prepare(plain);
    assertEquals(-1L, plain.getShutdownSourcesAfterIdleMs(), "without checkpointing Beam's default stays");
    assertTrue(plain.getAttachedMode(), "outside Flink's client a submission stays attached");
  }

  /**
   * A step that needs stable input gets buffers to spare; a job without one, or options that
   * allow concurrent checkpoints already, stay as they are (see {@link StableInputRestoreTest}).
   */
  @Test
  void aStableInputStepGetsBuffersToSpare() {
    FlinkPipelineOptions stable = flink("--checkpointingInterval=1000");
    Launch.prepare(stableInputPipeline(stable));
    assertEquals(FlinkSettings.STABLE_INPUT_CHECKPOINTS, stable.getNumConcurrentCheckpoints());

    FlinkPipelineOptions concurrent = flink("--checkpointingInterval=1000", "--numConcurrentCheckpoints=3");
    Launch.prepare(stableInputPipeline(concurrent));
    assertEquals(3, concurrent.getNumConcurrentCheckpoints(), "concurrent checkpoints the user allowed stay");

    FlinkPipelineOptions plain = flink("--checkpointingInterval=1000");
    org.apache.beam.sdk.Pipeline none = org.apache.beam.sdk.Pipeline.create(plain);
    none.apply(org.apache.beam.sdk.io.GenerateSequence.from(0));
    Launch.prepare(none);
    assertEquals(1, plain.getNumConcurrentCheckpoints(), "no stable-input step: Beam's default");
  }

  private static org.apache.beam.sdk.Pipeline stableInputPipeline(FlinkPipelineOptions options) {
    org.apache.beam.sdk.Pipeline p = org.apache.beam.sdk.Pipeline.create(options);
    p.apply(org.apache.beam.sdk.io.GenerateSequence.from(0).to(10))
        .apply(org.apache.beam.sdk.transforms.ParDo.of(new StableWriteFn()));
    return p;
  }

  /** A step that needs stable input, as an exactly-once sink. */
  static final class StableWriteFn extends org.apache.beam.sdk.transforms.DoFn<Long, Void> {
    @RequiresStableInput
    @ProcessElement
    public void process(@Element Long element) {}
  }

  @Test
  void anEmbeddedFlinkThatCheckpointsKeepsCheckpointsInFiles() {
    FlinkPipelineOptions embedded = flink("--flinkMaster=[local]", "--checkpointingInterval=1000");
    Launch.prepare(embedded);
    assertEquals("filesystem", embedded.getStateBackend());
    assertEquals(FlinkSettings.EMBEDDED_CHECKPOINTS.toUri().toString(), embedded.getStateBackendStoragePath());

    FlinkPipelineOptions auto = flink("--checkpointingInterval=1000");
    Launch.prepare(auto);
    assertEquals("filesystem", auto.getStateBackend(), "[auto] outside a cluster's client runs embedded");

    FlinkPipelineOptions chosen =
        flink("--flinkMaster=[local]", "--checkpointingInterval=1000", "--stateBackend=rocksdb", "--stateBackendStoragePath=file:///x");
    Launch.prepare(chosen);
    assertEquals("rocksdb", chosen.getStateBackend(), "a backend the user chose stays");

    FlinkPipelineOptions cluster = flink("--flinkMaster=localhost:8081", "--checkpointingInterval=1000");
    Launch.prepare(cluster);
    assertNull(cluster.getStateBackend(), "a cluster's configuration decides");

    FlinkPipelineOptions plain = flink("--flinkMaster=[local]");
    Launch.prepare(plain);
    assertNull(plain.getStateBackend(), "without checkpointing there is nothing to store");
  }

  /**
   * {@code --savepointPath=latest}: the newest complete checkpoint of the storage path (a crash
   * leaves the newest without {@code _metadata}), given to the embedded Flink through its
   * configuration; none on a first start.
   */
  @Test
  void latestRestoresTheNewestCompleteCheckpoint(@TempDir Path dir) throws Exception {
    Path storage = dir.resolve("checkpoints");
    Path older = Files.createDirectories(storage.resolve("job-a/chk-3"));
    Files.writeString(older.resolve("_metadata"), "m");
    Path newest = Files.createDirectories(storage.resolve("job-b/chk-4"));
    Files.writeString(newest.resolve("_metadata"), "m");
    Files.createDirectories(storage.resolve("job-b/chk-5"));
    Files.setLastModifiedTime(older.resolve("_metadata"), java.nio.file.attribute.FileTime.fromMillis(1_000));
    Files.setLastModifiedTime(newest.resolve("_metadata"), java.nio.file.attribute.FileTime.fromMillis(2_000));

    FlinkPipelineOptions restart = flink("--flinkMaster=[local]", "--checkpointingInterval=1000",
        "--stateBackendStoragePath=" + storage.toUri(), "--savepointPath=latest");
    Launch.prepare(restart);
    assertEquals(newest.toString(), restart.getSavepointPath());
    assertEquals(storage.toUri().toString(), restart.getStateBackendStoragePath(), "the storage path stays");
    assertTrue(restart.getRetainExternalizedCheckpointsOnCancellation(), "a cancelled job's checkpoints are kept");
    String conf = Files.readString(Path.of(restart.getFlinkConfDir()).resolve("flink-conf.yaml"));
    assertTrue(conf.contains("execution.savepoint.path: " + newest), "embedded Flink restores: " + conf);

    FlinkPipelineOptions first = flink("--flinkMaster=[local]", "--checkpointingInterval=1000",
        "--stateBackendStoragePath=" + dir.resolve("none").toUri(), "--savepointPath=latest");
    Launch.prepare(first);
    assertNull(first.getSavepointPath(), "nothing to restore on a first start");
    assertNull(first.getFlinkConfDir());

    FlinkPipelineOptions shared = flink("--flinkMaster=[local]", "--savepointPath=latest");
    IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(
        IllegalArgumentException.class, () -> Launch.prepare(shared));
    assertTrue(e.getMessage().contains("--stateBackendStoragePath"), e.getMessage());
  }

  @Test
  void otherRunnersAreLeftAlone() {
    PipelineOptions direct = PipelineOptionsFactory.fromArgs("--runner=DirectRunner", "--checkpointingInterval=1000").create();
    Launch.prepare(direct);
    assertEquals(-1L, direct.as(FlinkPipelineOptions.class).getShutdownSourcesAfterIdleMs());
  }

  @Test
  void theDirectRunnerWarnsOfCrashesOnStreamsThatARestartResumes() {
    String group = "--consumerGroup=g";
    assertTrue(
        Launch.crashNotice(stream("--runner=DirectRunner", "--source=kafka", group)).contains("--runner=FlinkRunner"),
        "Kafka with a consumer group");
    assertTrue(
        Launch.crashNotice(stream("--runner=DirectRunner", "--source=capture")).contains("lost"),
        "the embedded capture");
    assertNull(Launch.crashNotice(stream("--runner=DirectRunner", "--source=kafka")), "no group: no resume");
    assertNull(Launch.crashNotice(stream("--runner=DirectRunner", "--source=synthetic")), "nothing to resume");
    assertNull(Launch.crashNotice(stream("--runner=FlinkRunner", "--source=kafka", group)), "Flink checkpoints");
    Pipeline bounded = Pipeline.create(PipelineOptionsFactory.fromArgs("--runner=DirectRunner", "--source=kafka", group)
        .as(SourceOptions.class));
    bounded.apply(GenerateSequence.from(0).to(10));
    assertNull(Launch.crashNotice(bounded), "bounded input ends: nothing to resume");
  }

  /** A pipeline with unbounded input, built with {@link SourceOptions} of {@code args}. */
  private static Pipeline stream(String... args) {
    Pipeline pipeline = Pipeline.create(PipelineOptionsFactory.fromArgs(args).as(SourceOptions.class));
    pipeline.apply(GenerateSequence.from(0));
    return pipeline;
  }

  /** Beam alone keeps a finished source of a checkpointing job alive, so the job never ends. */
  @Test
  @Timeout(value = 4, unit = TimeUnit.MINUTES)
  void aBoundedStreamingJobWithCheckpointsEndsOnItsOwn(@TempDir Path dir) throws Exception {
    PipelineResult result =
        FraudPipeline.run(
            "--runner=FlinkRunner",
            "--flinkMaster=[local]",
            "--parallelism=1",
            "--streaming=true",
            "--checkpointingInterval=500",
            "--maxEvents=3000",
            "--sink=files",
            "--outputs=alerts",
            "--outputPath=" + dir);
    assertEquals(PipelineResult.State.DONE, result.getState());
    assertFalse(Launch.isDetached(result));
    assertTrue(Files.isDirectory(dir.resolve("alerts")), "alerts written");
    assertFalse(Files.exists(dir.resolve("features")), "--outputs=alerts writes no features");
    long alerts;
    try (Stream<Path> files = Files.walk(dir.resolve("alerts"))) {
      alerts = files.filter(Files::isRegularFile).mapToLong(LaunchTest::lineCount).sum();
    }
    assertTrue(alerts > 0, "alert lines written: " + alerts);
  }

  private static long lineCount(Path file) {
    try (Stream<String> lines = Files.lines(file)) {
      return lines.count();
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  private static FlinkPipelineOptions flink(String... args) {
    String[] all = Stream.concat(Stream.of("--runner=FlinkRunner"), Stream.of(args)).toArray(String[]::new);
    return PipelineOptionsFactory.fromArgs(all).as(FlinkPipelineOptions.class);
  }
}
