package io.tributary.pipelines.io;

import java.util.function.Consumer;
import java.util.function.Predicate;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.options.StreamingOptions;
import org.apache.beam.sdk.runners.TransformHierarchy;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.PeriodicImpulse;
import org.apache.beam.sdk.transforms.reflect.DoFnSignatures;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PValue;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * Runs a built pipeline the way its runner and submission allow.
 *
 * <ul>
 *   <li>On Flink, first applies {@link FlinkSettings}: bounded input with checkpointing ends on its
 *       own (its exactly-once sinks releasing what they hold at the end), steps that need stable
 *       input get enough buffers to hold it until its own checkpoint completes, and a submission that
 *       Flink runs detached ({@code flink run -d}, the REST API's {@code /jars/<id>/run}) is
 *       submitted detached.
 *   <li>A detached submission returns at once: the job runs on the cluster, and nothing here waits
 *       for it or reads its counters (a detached client has neither). So does a Dataflow template
 *       ({@code --templateLocation}: the job file is written, nothing runs) and a streaming
 *       Dataflow job (it runs until drained or cancelled, from Dataflow's console or {@code
 *       gcloud}).
 *   <li>On Spark, refuses a streaming run (unbounded input or {@code --streaming}) with an {@link
 *       IllegalArgumentException} that says so: Spark's streaming mode has no event-time timers,
 *       which the pipelines' stateful steps need.
 *   <li>On the Direct runner, a stream read from Kafka with a consumer group or from the embedded
 *       capture gets a notice on standard error first: the Direct runner marks records as read as
 *       soon as it has read them and keeps its state in memory, so a crash loses what it held;
 *       except where a {@link CommitGate} commits the offsets after the sinks (the cdc pipeline).
 *   <li>Otherwise waits until the pipeline finishes, then hands the result to the summary (e.g. a
 *       bounded run's quality figures).
 * </ul>
 */
public final class Launch {
  private static final String FLINK_DETACHED_RESULT =
      "org.apache.beam.runners.flink.FlinkDetachedRunnerResult";
  /** What Dataflow's runner returns when it wrote a template ({@code --templateLocation}). */
  private static final String DATAFLOW_TEMPLATE = "org.apache.beam.runners.dataflow.util.DataflowTemplateJob";
  private static final String DATAFLOW_JOB = "org.apache.beam.runners.dataflow.DataflowPipelineJob";

  private Launch() {}

  /** Runs the pipeline; see the class comment. */
  public static PipelineResult run(Pipeline pipeline, Consumer<PipelineResult> summary) {
    PipelineResult result = start(pipeline);
    String name = result.getClass().getName();
    if (name.equals(DATAFLOW_TEMPLATE)) {
      System.out.println("Wrote the Dataflow job of " + pipeline.getOptions().getJobName() + "; nothing runs.");
      return result;
    }
    if (name.equals(DATAFLOW_JOB) && pipeline.getOptions().as(StreamingOptions.class).isStreaming()) {
      System.out.println(
          "Submitted the streaming Dataflow job "
              + pipeline.getOptions().getJobName()
              + ": it runs until drained or cancelled (Dataflow's console, gcloud dataflow jobs).");
      return result;
    }
    if (isDetached(result)) {
      System.out.println(
          "Submitted "
              + pipeline.getOptions().getJobName()
              + " detached: it runs on the cluster, which shows its progress (Flink's web UI);"
              + " stop it with a savepoint to resume it later.");
      return result;
    }
    result.waitUntilFinish();
    summary.accept(result);
    return result;
  }

  /**
   * Starts the pipeline as every launcher does: its options adjusted for its runner ({@link
   * #prepare}), a pipeline the runner cannot run refused ({@link #checkRunnerSupports}), the
   * {@link #crashNotice} printed, then {@link Pipeline#run}; waits only as the runner's run does.
   */
  public static PipelineResult start(Pipeline pipeline) {
    prepare(pipeline);
    checkRunnerSupports(pipeline);
    String notice = crashNotice(pipeline);
    if (notice != null) {
      System.err.println(notice);
    }
    return pipeline.run();
  }

  /** Adjusts the pipeline's options for its runner before it runs; see the class comment. */
  public static void prepare(Pipeline pipeline) {
    PipelineOptions options = pipeline.getOptions();
    if (isFlink(options)) {
      FlinkSettings.apply(options, hasPeriodicImpulse(pipeline));
      if (hasStableInputStep(pipeline)) {
        FlinkSettings.bufferStableInput(options);
        if (!hasUnboundedInput(pipeline)) {
          FlinkSettings.releaseStableInputAtEnd(options);
        }
      }
    }
  }

  /**
   * Whether the options name a runner that cannot keep a step's input stable ({@code
   * RequiresStableInput}) as they stand: Flink without {@code --checkpointingInterval}.
   */
  public static boolean lacksStableInput(PipelineOptions options) {
    return isFlink(options) && !FlinkSettings.checkpointing(options);
  }

  /** Whether a step of the pipeline needs stable input (an exactly-once sink: Kafka, the lake). */
  static boolean hasStableInputStep(Pipeline pipeline) {
    return hasTransform(
        pipeline,
        t -> t instanceof ParDo.MultiOutput<?, ?> parDo
            && DoFnSignatures.getSignature(parDo.getFn().getClass()).processElement().requiresStableInput());
  }

  /** Whether any transform of the pipeline, composite or primitive, is one {@code test} accepts. */
  private static boolean hasTransform(Pipeline pipeline, Predicate<PTransform<?, ?>> test) {
    boolean[] found = {false};
    pipeline.traverseTopologically(
        new Pipeline.PipelineVisitor.Defaults() {
          @Override
          public CompositeBehavior enterCompositeTransform(TransformHierarchy.Node node) {
            found[0] |= node.getTransform() != null && test.test(node.getTransform());
            return CompositeBehavior.ENTER_TRANSFORM;
          }

          @Override
          public void visitPrimitiveTransform(TransformHierarchy.Node node) {
            found[0] |= test.test(node.getTransform());
          }
        });
    return found[0];
  }

  /** As {@link #prepare(Pipeline)}, for a pipeline without a periodic impulse. */
  public static void prepare(PipelineOptions options) {
    if (isFlink(options)) {
      FlinkSettings.apply(options, false);
    }
  }

  /** Throws for a pipeline its runner cannot run; see the class comment. */
  public static void checkRunnerSupports(Pipeline pipeline) {
    PipelineOptions options = pipeline.getOptions();
    String runner = options.getRunner().getSimpleName();
    if (!runner.startsWith("Spark") && !runner.equals("TestSparkRunner")) {
      return;
    }
    boolean streaming = options.as(StreamingOptions.class).isStreaming() || hasUnboundedInput(pipeline);
    if (streaming) {
      throw new IllegalArgumentException(
          "--runner="
              + runner
              + " runs these pipelines in batch only: Spark's streaming mode has no event-time"
              + " timers, which their stateful steps need. Give bounded input (--maxEvents=N with"
              + " the synthetic source, or --source=files) without --streaming, or run streams"
              + " with --runner=FlinkRunner.");
    }
  }

  /**
   * What to tell the user before the Direct runner reads a stream that a restart resumes from what
   * it marked as read (Kafka with a consumer group, the embedded capture), or null: the Direct
   * runner marks records as read as soon as it has read them, and keeps its state in memory, so a
   * crash loses what it held. None for a pipeline whose Kafka offsets a {@link CommitGate} commits.
   */
  static @Nullable String crashNotice(Pipeline pipeline) {
    PipelineOptions options = pipeline.getOptions();
    if (!options.getRunner().getSimpleName().equals("DirectRunner") || !hasUnboundedInput(pipeline)) {
      return null;
    }
    SourceOptions source = options.as(SourceOptions.class);
    boolean resumes =
        (Sources.KAFKA.equals(source.getSource()) && Sources.consumerSettings(source).commits())
            || Sources.CAPTURE.equals(source.getSource());
    if (!resumes || hasTransform(pipeline, t -> t instanceof CommitGate)) {
      // A commit gate commits only what every sink has written: a restart loses nothing.
      return null;
    }
    return "Note: the Direct runner keeps this pipeline's state in memory and marks what it reads as read"
        + " (Kafka offsets committed, capture offsets stored) as soon as it has read it. If this process"
        + " dies, what it held is lost and a restart goes on after it: windows and per-key state start"
        + " empty, and rows gathered for a file (the cdc lake's next file) are never written. Where the"
        + " pipeline must survive a crash, run it on Flink with checkpoints (--runner=FlinkRunner"
        + " --checkpointingInterval=...; see the README's Deploy section).";
  }

  /** Whether any collection of the pipeline is unbounded. */
  static boolean hasUnboundedInput(Pipeline pipeline) {
    boolean[] unbounded = {false};
    pipeline.traverseTopologically(
        new Pipeline.PipelineVisitor.Defaults() {
          @Override
          public void visitValue(PValue value, TransformHierarchy.Node producer) {
            if (value instanceof PCollection<?> collection
                && collection.isBounded() == PCollection.IsBounded.UNBOUNDED) {
              unbounded[0] = true;
            }
          }
        });
    return unbounded[0];
  }

  /** Whether the pipeline starts a step from {@link PeriodicImpulse} (e.g. a periodic topic listing). */
  static boolean hasPeriodicImpulse(Pipeline pipeline) {
    return hasTransform(pipeline, t -> t instanceof PeriodicImpulse);
  }

  /** Whether the result is that of a job submitted and left running on a cluster. */
  public static boolean isDetached(PipelineResult result) {
    return result.getClass().getName().equals(FLINK_DETACHED_RESULT);
  }

  /** Whether the options name Flink's runner (without loading its classes otherwise). */
  static boolean isFlink(PipelineOptions options) {
    String runner = options.getRunner().getSimpleName();
    return runner.equals("FlinkRunner") || runner.equals("TestFlinkRunner");
  }
}
