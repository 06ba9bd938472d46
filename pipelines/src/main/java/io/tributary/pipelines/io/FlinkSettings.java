package io.tributary.pipelines.io;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.util.Comparator;
import java.util.Optional;
import java.util.stream.Stream;
import org.apache.beam.runners.flink.FlinkPipelineOptions;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.flink.configuration.DeploymentOptions;
import org.apache.flink.streaming.api.environment.LocalStreamEnvironment;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;

/**
 * Defaults for Flink's runner that Beam leaves unset. Loaded only when the runner is Flink's
 * ({@link Launch}), so the pipelines run on other runners without Flink's classes.
 */
final class FlinkSettings {
  /**
   * How long a source that has read all its input waits before it shuts down when checkpointing is
   * on: long enough for a checkpoint to complete after the last record, so that sinks that commit
   * on checkpoints commit it.
   */
  static final long FINISHED_SOURCE_IDLE_MS = 10_000;

  /**
   * Where an embedded Flink keeps its checkpoints unless told otherwise. Flink's own default for an
   * embedded cluster keeps them in the JobManager's memory, which fails any checkpoint whose
   * operator state exceeds 5 MB (a backlog read while a checkpoint is taken is enough), and a
   * failed checkpoint fails the job.
   */
  static final Path EMBEDDED_CHECKPOINTS =
      Path.of(System.getProperty("java.io.tmpdir"), "tributary-flink-checkpoints");

  /** {@code --savepointPath=latest}: the newest checkpoint or savepoint under the storage path. */
  static final String LATEST = "latest";

  private FlinkSettings() {}

  /**
   * With checkpointing and {@code --shutdownSourcesAfterIdleMs} unset, Beam keeps finished
   * sources alive forever, so a job on bounded input never ends: they now shut down after {@link
   * #FINISHED_SOURCE_IDLE_MS}, except in a job with a {@code PeriodicImpulse} ({@code
   * keepSourcesAlive}), whose sources never shut down, with checkpointing or without (where Beam's
   * default shuts them down at once): a finished {@code Create} that starts the impulse would
   * finish the splittable step it feeds, whose finish fires that step's processing-time timers,
   * which the unbounded step sets again at once: it would spin, taking a core for as long as the
   * job runs, and hold back every checkpoint ({@code PeriodicImpulseIdleTest}). Such a job runs
   * until it is cancelled. An embedded Flink that checkpoints, with no state backend chosen,
   * keeps its checkpoints in files under {@link #EMBEDDED_CHECKPOINTS} ({@code
   * --stateBackend=filesystem}); a cluster's checkpoints follow the cluster's configuration. A program that Flink's client or REST API runs detached is
   * submitted with {@code --attachedMode=false}, whatever the option says: an attached
   * submission there fails once the job is submitted.
   *
   * <p>Restoring: {@code --savepointPath=latest} resolves to the newest complete checkpoint (or
   * savepoint) under {@code --stateBackendStoragePath} (required with it: a directory of this
   * pipeline's own), or to none on a first start; it also retains the job's checkpoints when the
   * job is cancelled, so that a stopped pipeline resumes too. Beam applies {@code
   * --savepointPath} only when it submits to a cluster; an embedded Flink is given it through its
   * configuration ({@code execution.savepoint.path} in a configuration directory of its own).
   */
  static void apply(PipelineOptions options, boolean keepSourcesAlive) {
    FlinkPipelineOptions flink = options.as(FlinkPipelineOptions.class);
    boolean checkpointing = checkpointing(options);
    if (flink.getShutdownSourcesAfterIdleMs() < 0) {
      if (keepSourcesAlive) {
        flink.setShutdownSourcesAfterIdleMs(Long.MAX_VALUE);
      } else if (checkpointing) {
        flink.setShutdownSourcesAfterIdleMs(FINISHED_SOURCE_IDLE_MS);
      }
    }
    if (checkpointing
        && flink.getStateBackend() == null
        && flink.getStateBackendFactory() == null
        && runsEmbedded(flink)) {
      flink.setStateBackend("filesystem");
      if (flink.getStateBackendStoragePath() == null) {
        flink.setStateBackendStoragePath(EMBEDDED_CHECKPOINTS.toUri().toString());
      }
    }
    if (flink.getAttachedMode() && submittedDetached(flink)) {
      flink.setAttachedMode(false);
    }
    if (LATEST.equals(flink.getSavepointPath())) {
      flink.setRetainExternalizedCheckpointsOnCancellation(true);
      Optional<Path> latest = latestCheckpoint(storage(flink));
      flink.setSavepointPath(latest.map(Path::toString).orElse(null));
      System.out.println(
          latest
              .map(p -> "Restoring the job's state from " + p)
              .orElse("No checkpoint under " + flink.getStateBackendStoragePath() + " yet: the job starts afresh"));
    }
    if (flink.getSavepointPath() != null && runsEmbedded(flink)) {
      flink.setFlinkConfDir(restoringConfiguration(flink).toString());
    }
  }

  /** The local directory of {@code --stateBackendStoragePath}, which {@code latest} needs. */
  private static Path storage(FlinkPipelineOptions flink) {
    String path = flink.getStateBackendStoragePath();
    if (path == null || path.isBlank()) {
      throw new IllegalArgumentException(
          "--savepointPath=latest needs --stateBackendStoragePath: the directory where this"
              + " pipeline's checkpoints are kept (one of its own, so that no other job's"
              + " checkpoint is taken for its latest)");
    }
    URI uri = URI.create(path.replace('\\', '/'));
    if (uri.getScheme() == null) {
      return Path.of(path);
    }
    if (!uri.getScheme().equals("file")) {
      throw new IllegalArgumentException(
          "--savepointPath=latest reads --stateBackendStoragePath on this machine, which '"
              + path
              + "' is not; give the checkpoint's path with --savepointPath");
    }
    return Path.of(uri);
  }

  /**
   * The newest checkpoint or savepoint directory (one holding a {@code _metadata} file: Flink
   * writes it last, so a checkpoint cut short by a crash has none) under {@code storage}: {@code
   * <storage>/<job id>/chk-<n>} or {@code <storage>/savepoint-...}.
   */
  static Optional<Path> latestCheckpoint(Path storage) {
    if (!Files.isDirectory(storage)) {
      return Optional.empty();
    }
    try (Stream<Path> found = Files.find(storage, 3, (p, a) -> a.isRegularFile() && p.endsWith("_metadata"))) {
      return found
          .max(Comparator.comparing(FlinkSettings::modified).thenComparing(Path::toString))
          .map(Path::getParent);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot list the checkpoints under " + storage, e);
    }
  }

  private static FileTime modified(Path file) {
    try {
      return Files.getLastModifiedTime(file);
    } catch (IOException e) {
      return FileTime.fromMillis(0);
    }
  }

  /**
   * A copy of the job's Flink configuration directory ({@code --flinkConfDir}, else {@code
   * FLINK_CONF_DIR}, else none) that also says where to restore from.
   */
  private static Path restoringConfiguration(FlinkPipelineOptions flink) {
    try {
      Path dir = Files.createTempDirectory("tributary-flink-conf");
      dir.toFile().deleteOnExit();
      String base = flink.getFlinkConfDir() != null ? flink.getFlinkConfDir() : System.getenv("FLINK_CONF_DIR");
      if (base != null && Files.isDirectory(Path.of(base))) {
        try (Stream<Path> files = Files.list(Path.of(base))) {
          for (Path f : (Iterable<Path>) files.filter(Files::isRegularFile)::iterator) {
            Files.copy(f, dir.resolve(f.getFileName()));
            dir.resolve(f.getFileName()).toFile().deleteOnExit();
          }
        }
      }
      Path conf = Files.exists(dir.resolve("config.yaml")) ? dir.resolve("config.yaml") : dir.resolve("flink-conf.yaml");
      String lines =
          "\nexecution.savepoint.path: " + flink.getSavepointPath()
              + "\nexecution.savepoint.ignore-unclaimed-state: " + flink.getAllowNonRestoredState() + "\n";
      Files.writeString(conf, lines, StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
      conf.toFile().deleteOnExit();
      return dir;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write the embedded Flink's configuration", e);
    }
  }

  /**
   * Concurrent checkpoints allowed to a job with a stable-input step: Flink's runner keeps that
   * many buffers of held input, plus one, and reuses them in turn.
   */
  static final int STABLE_INPUT_CHECKPOINTS = 8;

  /**
   * For a job with steps that need stable input (Beam's exactly-once Kafka sink, the exactly-once
   * lake): such a step holds its input in a buffer per checkpoint and releases a buffer once that
   * checkpoint completes. Beam 2.62's Flink runner keeps {@code --numConcurrentCheckpoints + 1}
   * buffers and moves to the next one, in turn, at each checkpoint, whether or not that one was
   * released. With the default of one concurrent checkpoint there are two, so after a checkpoint
   * that did not complete, or a restore from a checkpoint taken while one was still held (a
   * failure while a sink writes), input that arrives after a checkpoint is added to a buffer held
   * for an earlier one and released with it, before its own checkpoint completes. Restored from
   * that checkpoint, the job computes that input again: Beam's Kafka sink then numbers records
   * differently from what it wrote, and loses some and writes others twice.
   *
   * <p>So unless the options already allow concurrent checkpoints, the job may run {@link
   * #STABLE_INPUT_CHECKPOINTS} (Flink starts a checkpoint while another runs only when one takes
   * longer than the interval), and the step gets one buffer more: a buffer is reused only once that
   * many checkpoints, in flight, not completed or restored, are held at once.
   */
  static void bufferStableInput(PipelineOptions options) {
    FlinkPipelineOptions flink = options.as(FlinkPipelineOptions.class);
    if (flink.getNumConcurrentCheckpoints() == 1) {
      flink.setNumConcurrentCheckpoints(STABLE_INPUT_CHECKPOINTS);
    }
  }

  /**
   * For a job on bounded input with steps that need stable input (exactly-once sinks): such a step
   * writes what it holds once the checkpoint that holds it completes, and Beam fails the job when
   * the input ends with some of it still held (the last files of the lake, the last Kafka
   * transaction). {@code --enableStableInputDrain} releases it as the input ends instead. A
   * failure during that last release can write it twice; every earlier write stays exactly once.
   */
  static void releaseStableInputAtEnd(PipelineOptions options) {
    options.as(FlinkPipelineOptions.class).setEnableStableInputDrain(true);
  }

  /** Whether the job checkpoints ({@code --checkpointingInterval} above 0). */
  static boolean checkpointing(PipelineOptions options) {
    Long interval = options.as(FlinkPipelineOptions.class).getCheckpointingInterval();
    return interval != null && interval > 0;
  }

  /** Whether the job runs in a Flink cluster embedded in this JVM (not a cluster's own config). */
  static boolean runsEmbedded(FlinkPipelineOptions options) {
    String master = options.getFlinkMaster();
    if ("[local]".equals(master)) {
      return true;
    }
    if (master != null && !master.equals("[auto]")) {
      return false;
    }
    return StreamExecutionEnvironment.getExecutionEnvironment() instanceof LocalStreamEnvironment;
  }

  /**
   * Whether this program runs inside Flink's client ({@code flink run}) or REST API ({@code
   * /jars/<id>/run}) with a detached submission: both install a context environment whose
   * configuration says {@code execution.attached: false}.
   */
  static boolean submittedDetached(FlinkPipelineOptions options) {
    String master = options.getFlinkMaster();
    if (master != null && !master.equals("[auto]")) {
      return false;
    }
    StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
    return !(env instanceof LocalStreamEnvironment)
        && !env.getConfiguration().get(DeploymentOptions.ATTACHED);
  }
}
