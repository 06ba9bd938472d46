package io.tributary.pipelines.io;

import java.nio.file.Path;
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

  private FlinkSettings() {}

  /**
   * With checkpointing and {@code --shutdownSourcesAfterIdleMs} unset, Beam keeps finished
   * sources alive forever, so a job on bounded input never ends: they now shut down after {@link
   * #FINISHED_SOURCE_IDLE_MS}. An embedded Flink that checkpoints, with no state backend chosen,
   * keeps its checkpoints in files under {@link #EMBEDDED_CHECKPOINTS} ({@code
   * --stateBackend=filesystem}); a cluster's checkpoints follow the cluster's configuration. A program that Flink's client or REST API runs detached is
   * submitted with {@code --attachedMode=false}, whatever the option says: an attached
   * submission there fails once the job is submitted.
   */
  static void apply(PipelineOptions options) {
    FlinkPipelineOptions flink = options.as(FlinkPipelineOptions.class);
    Long interval = flink.getCheckpointingInterval();
    boolean checkpointing = interval != null && interval > 0;
    if (checkpointing && flink.getShutdownSourcesAfterIdleMs() < 0) {
      flink.setShutdownSourcesAfterIdleMs(FINISHED_SOURCE_IDLE_MS);
    }
    if (checkpointing
        && flink.getStateBackend() == null
        && flink.getStateBackendFactory() == null
        && runsEmbedded(flink)) {
      flink.setStateBackend("filesystem");
      flink.setStateBackendStoragePath(EMBEDDED_CHECKPOINTS.toUri().toString());
    }
    if (flink.getAttachedMode() && submittedDetached(flink)) {
      flink.setAttachedMode(false);
    }
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
