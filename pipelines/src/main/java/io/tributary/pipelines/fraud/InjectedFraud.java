package io.tributary.pipelines.fraud;

import io.tributary.proto.fraud.ScoredTransaction;
import io.tributary.transforms.metrics.Counters;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.metrics.Metrics;
import org.apache.beam.sdk.transforms.DoFn;

/**
 * How well the rule finds the synthetic source's injected fraud: counters of scored injected
 * transactions, true and false alerts, and the precision and recall they give.
 */
final class InjectedFraud {
  static final String NAMESPACE = "tributary.fraud.quality";

  private InjectedFraud() {}

  /** Precision and recall of a finished run, from its counters. */
  record Quality(long injected, long truePositives, long falsePositives) {
    double precision() {
      long flagged = truePositives + falsePositives;
      return flagged == 0 ? Double.NaN : (double) truePositives / flagged;
    }

    double recall() {
      return injected == 0 ? Double.NaN : (double) truePositives / injected;
    }

    @Override
    public String toString() {
      return String.format(
          java.util.Locale.ROOT,
          "injected fraud %,d, alerts %,d (true %,d, false %,d): precision %.3f, recall %.3f",
          injected,
          truePositives + falsePositives,
          truePositives,
          falsePositives,
          precision(),
          recall());
    }

    static Quality of(PipelineResult result) {
      return new Quality(
          counter(result, "injected"), counter(result, "truePositives"), counter(result, "falsePositives"));
    }

    private static long counter(PipelineResult result, String name) {
      return Counters.attempted(result, NAMESPACE, name);
    }

  }

  /** Counts each scored transaction against the generator's labels. */
  static final class CountFn extends DoFn<ScoredTransaction, Void> {
    private final TransactionGenerator generator;
    private final Counter injected = Metrics.counter(NAMESPACE, "injected");
    private final Counter truePositives = Metrics.counter(NAMESPACE, "truePositives");
    private final Counter falsePositives = Metrics.counter(NAMESPACE, "falsePositives");

    CountFn(TransactionGenerator generator) {
      this.generator = generator;
    }

    @ProcessElement
    public void process(@Element ScoredTransaction scored) {
      boolean fraud = generator.isInjectedFraud(scored.getTransaction().getTransactionId());
      if (fraud) {
        injected.inc();
      }
      if (scored.getFlagged()) {
        (fraud ? truePositives : falsePositives).inc();
      }
    }
  }
}
