package example;

import io.tributary.proto.fraud.Transaction;
import io.tributary.transforms.fraud.Fraud;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.metrics.MetricNameFilter;
import org.apache.beam.sdk.metrics.MetricsFilter;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.transforms.Create;
import org.joda.time.Instant;

/** Four purchases of one card; the last, ten times the others, is flagged. */
public class FraudExample {
  public static void main(String[] args) {
    Pipeline p = Pipeline.create(PipelineOptionsFactory.fromArgs(args).create());
    Create.TimestampedValues<Transaction> txns = Create.timestamped(
        txn("t1", 1_000, 60_000), txn("t2", 1_000, 120_000), txn("t3", 1_000, 180_000), txn("t4", 10_000, 240_000));
    p.apply(txns).apply(Fraud.score());
    PipelineResult result = p.run();
    result.waitUntilFinish();
    long alerts = result.metrics().queryMetrics(MetricsFilter.builder().addNameFilter(
        MetricNameFilter.named(Fraud.METRICS_NAMESPACE, "alerts")).build()).getCounters().iterator().next().getAttempted();
    System.out.println("fraud alerts: " + alerts);
    if (alerts != 1) {
      throw new IllegalStateException("expected 1 alert, got " + alerts);
    }
  }

  static org.apache.beam.sdk.values.TimestampedValue<Transaction> txn(String id, long cents, long millis) {
    Transaction t = Transaction.newBuilder().setTransactionId(id).setCardId("c1").setAmountMinor(cents)
        .setCurrency("USD").setEventTimeMillis(millis).build();
    return org.apache.beam.sdk.values.TimestampedValue.of(t, new Instant(millis));
  }
}
