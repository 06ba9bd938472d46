package io.tributary.pipelines.io;

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

  private FlinkSettings() {}

  /**
   * With checkpointing and {@code --shutdownSourcesAfterIdleMs} unset, Beam keeps finished
   * sources alive forever, so a job on bounded input never ends: they now shut down after {@link
   * #FINISHED_SOURCE_IDLE_MS}. A program that Flink's client or REST API runs detached is
   * submitted with {@code --attachedMode=false}, whatever the option says: an attached
   * submission there fails once the job is submitted.
   */
  static void apply(PipelineOptions options) {
    FlinkPipelineOptions flink = options.as(FlinkPipelineOptions.class);
    Long interval = flink.getCheckpointingInterval();
    if (interval != null && interval > 0 && flink.getShutdownSourcesAfterIdleMs() < 0) {
      flink.setShutdownSourcesAfterIdleMs(FINISHED_SOURCE_IDLE_MS);
    }
    if (flink.getAttachedMode() && submittedDetached(flink)) {
      flink.setAttachedMode(false);
    }
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
