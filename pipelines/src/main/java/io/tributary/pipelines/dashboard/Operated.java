package io.tributary.pipelines.dashboard;

import org.apache.beam.sdk.metrics.MetricQueryResults;
import org.apache.beam.sdk.metrics.MetricResult;

/** A page model with an operations strip, fed once a second while its pipeline runs in-process. */
public interface Operated extends Board.Model {
  /** The input figures of the in-process pipeline. */
  void operations(Meter.Reading reading);

  /**
   * The pipeline's Beam counters, where the runner reports them while it runs (the Direct runner
   * does; an embedded Flink job only when it has finished). Ignored by default.
   */
  default void metrics(MetricQueryResults metrics) {}

  /** The attempted value of a counter, summed over the steps that report it; 0 if none does. */
  static long counter(MetricQueryResults metrics, String namespace, String name) {
    long sum = 0;
    for (MetricResult<Long> c : metrics.getCounters()) {
      if (c.getName().getNamespace().equals(namespace) && c.getName().getName().equals(name)) {
        sum += c.getAttempted();
      }
    }
    return sum;
  }
}
