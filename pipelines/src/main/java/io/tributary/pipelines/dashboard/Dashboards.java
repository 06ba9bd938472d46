package io.tributary.pipelines.dashboard;

import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import org.apache.beam.runners.direct.DirectOptions;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.metrics.MetricsFilter;

/** Runs a pipeline with its dashboard page served from the same process. */
public final class Dashboards {
  private Dashboards() {}

  /**
   * Clears the board and serves it on {@code --dashboardHost:--dashboardPort}; once a second the
   * board gets the meter's reading and, once the pipeline runs, its counters ({@code result}).
   */
  public static <M extends Operated> DashboardServer serve(
      DashboardOptions options, Board<M> board, Meter meter, AtomicReference<PipelineResult> result) {
    return DashboardServer.start(
        options.getDashboardHost(),
        options.getDashboardPort(),
        List.of(board),
        () -> {
          board.quietly(m -> m.operations(meter.read(System.currentTimeMillis())));
          PipelineResult running = result.get();
          if (running != null) {
            try {
              var metrics = running.metrics().queryMetrics(MetricsFilter.builder().build());
              board.quietly(m -> m.metrics(metrics));
            } catch (RuntimeException e) {
              // This runner reports counters only when the job has finished.
            }
          }
        });
  }

  /**
   * Runs the pipeline to completion with its page served and its URL printed; {@code finished}
   * then gets the result (e.g. to print a summary), and the page stays up with the final state
   * until the process is stopped.
   */
  public static <M extends Operated> PipelineResult run(
      Pipeline pipeline,
      DashboardOptions options,
      Board<M> board,
      Meter meter,
      String title,
      Consumer<PipelineResult> finished) {
    AtomicReference<PipelineResult> result = new AtomicReference<>();
    // The Direct runner's run() blocks by default; returning at once lets the page show the
    // pipeline's counters while it runs.
    options.as(DirectOptions.class).setBlockOnRun(false);
    try (DashboardServer server = serve(options, board, meter, result)) {
      System.out.println("Tributary " + title + " dashboard: " + server.address(board.name()));
      System.out.flush();
      result.set(io.tributary.pipelines.io.Launch.start(pipeline));
      result.get().waitUntilFinish();
      finished.accept(result.get());
      System.out.println(
          "The pipeline has finished; the dashboard shows its final state at "
              + server.url()
              + board.name()
              + " until this process is stopped (Ctrl-C).");
      try {
        Thread.currentThread().join();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      return result.get();
    }
  }
}
