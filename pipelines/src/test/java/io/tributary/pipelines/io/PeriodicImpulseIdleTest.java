package io.tributary.pipelines.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
import java.lang.management.ThreadMXBean;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.beam.runners.flink.FlinkPipelineOptions;
import org.apache.beam.runners.flink.FlinkRunner;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.PeriodicImpulse;
import org.joda.time.Duration;
import org.joda.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A streaming job on Flink with a {@link PeriodicImpulse} (the topic listing of {@link
 * KafkaDiscovery}) and no checkpointing: between ticks, the periodic step's task waits instead of
 * spinning. Beam's default without checkpointing shuts the finished impulse that starts it down at
 * once; the step then finishes, and its finish fires its processing-time timers, which the
 * unbounded step sets again at once, in a loop that takes a whole core for as long as the job runs
 * ({@link Launch#prepare} keeps such a job's sources up instead).
 */
class PeriodicImpulseIdleTest {
  /** Ticks seen, across the test's jobs (one at a time). */
  private static final AtomicLong TICKS = new AtomicLong();

  /** What an idle task may use of a core between ticks; a spinning one uses most of one. */
  private static final double IDLE_CORE_SHARE = 0.1;

  /** Ticks (one per 500 ms) over which the step's CPU is measured. */
  private static final int MEASURED_TICKS = 6;

  @Test
  @Timeout(value = 2, unit = TimeUnit.MINUTES)
  void thePeriodicStepIdlesBetweenTicksWithoutCheckpointing() throws Exception {
    FlinkPipelineOptions options =
        PipelineOptionsFactory.fromArgs(
                "--flinkMaster=[local]", "--parallelism=1", "--streaming=true", "--attachedMode=false")
            .as(FlinkPipelineOptions.class);
    options.setRunner(FlinkRunner.class);
    Pipeline p = Pipeline.create(options);
    p.apply("Ticks", PeriodicImpulse.create().withInterval(Duration.millis(500)))
        .apply("Count", ParDo.of(new CountFn()));
    Launch.prepare(p);
    assertEquals(Long.MAX_VALUE, options.getShutdownSourcesAfterIdleMs(), "the impulse's source stays up");

    long before = TICKS.get();
    PipelineResult result = p.run();
    try {
      awaitTicks(before + 2, "the job's first two ticks");
      long cpu = periodicStepCpuNanos();
      long start = System.nanoTime();
      long ticks = TICKS.get();
      awaitTicks(ticks + MEASURED_TICKS, "the job going on ticking");
      double seconds = (System.nanoTime() - start) / 1e9;
      double share = (periodicStepCpuNanos() - cpu) / 1e9 / seconds;
      System.out.printf(Locale.ROOT, "periodic impulse without checkpointing: %d ticks in %.1f s, its step's tasks used %.3f of a core%n",
          MEASURED_TICKS, seconds, share);
      assertTrue(share < IDLE_CORE_SHARE,
          String.format(Locale.ROOT, "the periodic step's tasks used %.2f of a core between ticks (expected below %.2f)",
              share, IDLE_CORE_SHARE));
    } finally {
      result.cancel();
    }
  }

  /** Waits until the ticks reach {@code count}; fails after 60 s. */
  private static void awaitTicks(long count, String what) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (TICKS.get() < count) {
      assertTrue(System.nanoTime() < deadline, what + ": " + TICKS.get() + " ticks of " + count + " within 60 s");
      Thread.sleep(20);
    }
  }

  /** CPU time of the threads of the periodic step's tasks (Flink names a task's thread after its steps). */
  private static long periodicStepCpuNanos() {
    ThreadMXBean threads = ManagementFactory.getThreadMXBean();
    long total = 0;
    for (ThreadInfo info : threads.getThreadInfo(threads.getAllThreadIds())) {
      if (info != null && info.getThreadName().contains("Ticks/PeriodicSequence")) {
        total += Math.max(0, threads.getThreadCpuTime(info.getThreadId()));
      }
    }
    return total;
  }

  /** Counts the ticks. */
  static final class CountFn extends DoFn<Instant, Void> {
    @ProcessElement
    public void process(@Element Instant tick) {
      TICKS.incrementAndGet();
    }
  }
}
