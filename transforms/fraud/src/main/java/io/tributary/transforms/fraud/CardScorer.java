package io.tributary.transforms.fraud;

import io.tributary.proto.common.Failure;
import io.tributary.proto.fraud.FraudAlert;
import io.tributary.proto.fraud.ScoredTransaction;
import io.tributary.proto.fraud.Transaction;
import io.tributary.proto.fraud.WindowStats;
import io.tributary.transforms.errors.Failures;
import java.io.Serializable;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.metrics.Metrics;
import org.apache.beam.sdk.transforms.DoFn.MultiOutputReceiver;
import org.apache.beam.sdk.values.TupleTag;
import org.joda.time.Instant;

/**
 * Scores the transactions of one card and currency that are due together against the card's
 * history: the scoring step of {@link ScoreFn}.
 */
final class CardScorer implements Serializable {
  private static final long serialVersionUID = 1L;

  /**
   * The order due transactions are scored in: event time, id, then content fingerprint, so that of
   * conflicting copies of one id due together the same one is scored on every runner, whatever
   * order the state returned them in.
   */
  static final Comparator<Transaction> EVENT_ORDER =
      Comparator.comparingLong(Transaction::getEventTimeMillis)
          .thenComparing(Transaction::getTransactionId)
          .thenComparingLong(CardHistory::fingerprint);

  private final long window;
  private final BigDecimal threshold;
  private final double thresholdValue;
  private final int minHistory;
  private final String rule;
  private final TupleTag<ScoredTransaction> scoredTag;
  private final TupleTag<FraudAlert> alertTag;
  private final TupleTag<Failure> rejectedTag;

  private final Counter scored = Metrics.counter(Fraud.METRICS_NAMESPACE, "scored");
  private final Counter alerts = Metrics.counter(Fraud.METRICS_NAMESPACE, "alerts");
  private final Counter duplicates = Metrics.counter(Fraud.METRICS_NAMESPACE, "duplicates");
  private final Counter conflicting =
      Metrics.counter(Fraud.METRICS_NAMESPACE, "conflictingDuplicates");
  private final Counter overflows = Metrics.counter(Fraud.METRICS_NAMESPACE, "sumOverflows");

  CardScorer(
      long window,
      double threshold,
      int minHistory,
      String rule,
      TupleTag<ScoredTransaction> scoredTag,
      TupleTag<FraudAlert> alertTag,
      TupleTag<Failure> rejectedTag) {
    this.window = window;
    this.threshold = BigDecimal.valueOf(threshold);
    this.thresholdValue = threshold;
    this.minHistory = minHistory;
    this.rule = rule;
    this.scoredTag = scoredTag;
    this.alertTag = alertTag;
    this.rejectedTag = rejectedTag;
  }

  long window() {
    return window;
  }

  TupleTag<Failure> rejectedTag() {
    return rejectedTag;
  }

  /**
   * Scores {@code due} (sorted here into {@link #EVENT_ORDER}; none older than the history's
   * newest) against {@code history}: emits each at its event time, or at {@code holdFloor} if
   * later, and returns the transactions scored, for the history.
   */
  List<Transaction> release(
      CardHistory history, List<Transaction> due, long holdFloor, MultiOutputReceiver out) {
    due.sort(EVENT_ORDER);
    List<Transaction> batch = deduplicate(history, due, out);
    List<WindowStats> stats = history.scoreAll(batch, window);
    for (int i = 0; i < batch.size(); i++) {
      if (stats.get(i) == null) {
        rejectOverflow(batch.get(i), out);
      } else {
        emit(batch.get(i), stats.get(i), holdFloor, out);
      }
    }
    return batch;
  }

  /**
   * The first of {@code due} (in {@link #EVENT_ORDER}) of each transaction id not in {@code
   * history} or earlier in {@code due}; redeliveries are counted, and one whose content differs
   * from the scored copy goes to the rejected output. Both lists are a few transactions long, so
   * they are searched, not hashed.
   */
  private List<Transaction> deduplicate(CardHistory history, List<Transaction> due, MultiOutputReceiver out) {
    List<Transaction> batch = new ArrayList<>(due.size());
    for (Transaction t : due) {
      String id = t.getTransactionId();
      int held = history.indexOf(id);
      Long first = held >= 0 ? Long.valueOf(history.fingerprintAt(held)) : null;
      for (int i = 0; first == null && i < batch.size(); i++) {
        if (batch.get(i).getTransactionId().equals(id)) {
          first = CardHistory.fingerprint(batch.get(i));
        }
      }
      // A transaction is serialized for its fingerprint here only when its id was seen; the history
      // fingerprints what it keeps.
      if (first == null) {
        batch.add(t);
      } else if (first == CardHistory.fingerprint(t)) {
        duplicates.inc();
      } else {
        conflicting.inc();
        out.get(rejectedTag)
            .output(
                Failures.of(
                    Fraud.Score.STEP,
                    "transaction id '"
                        + id
                        + "' was delivered again with different content; the first delivery was"
                        + " scored",
                    TransactionJson.format(t),
                    t.getEventTimeMillis()));
      }
    }
    return batch;
  }

  /** A transaction whose preceding window sums beyond the 64-bit range cannot be scored exactly. */
  private void rejectOverflow(Transaction t, MultiOutputReceiver out) {
    overflows.inc();
    out.get(rejectedTag)
        .output(
            Failures.of(
                Fraud.Score.STEP,
                "the preceding window of card '"
                    + t.getCardId()
                    + "' in "
                    + t.getCurrency()
                    + " sums to more than "
                    + Long.MAX_VALUE
                    + " minor units; the transaction cannot be scored exactly",
                TransactionJson.format(t),
                t.getEventTimeMillis()));
  }

  /**
   * Whether {@code amount x count > threshold x sum}, exactly. Both sides are first compared as
   * doubles (each within a relative 2^-52 of its exact value); only when they are within a relative
   * 1e-9 of each other is the comparison redone in decimal arithmetic.
   */
  boolean above(long amount, long count, long sum) {
    double left = (double) amount * (double) count;
    double right = thresholdValue * (double) sum;
    double margin = 1e-9 * Math.max(Math.abs(left), Math.abs(right));
    if (left - right > margin) {
      return true;
    }
    if (right - left > margin) {
      return false;
    }
    return BigDecimal.valueOf(amount)
            .multiply(BigDecimal.valueOf(count))
            .compareTo(threshold.multiply(BigDecimal.valueOf(sum)))
        > 0;
  }

  private void emit(Transaction txn, WindowStats preceding, long holdFloor, MultiOutputReceiver out) {
    long amount = txn.getAmountMinor();
    double ratio = preceding.getCount() == 0 ? 0 : amount / preceding.getMeanMinor();
    // amount > k * sum / count, compared exactly: amount * count > k * sum.
    boolean flagged =
        preceding.getCount() >= minHistory
            && preceding.getCount() > 0
            && above(amount, preceding.getCount(), preceding.getSumMinor());
    Instant at = Instant.ofEpochMilli(Math.max(txn.getEventTimeMillis(), holdFloor));
    scored.inc();
    out.get(scoredTag)
        .outputWithTimestamp(
            ScoredTransaction.newBuilder()
                .setTransaction(txn)
                .setPreceding(preceding)
                .setRatio(ratio)
                .setFlagged(flagged)
                .build(),
            at);
    if (flagged) {
      alerts.inc();
      out.get(alertTag)
          .outputWithTimestamp(
              FraudAlert.newBuilder()
                  .setTransaction(txn)
                  .setPreceding(preceding)
                  .setRatio(ratio)
                  .setRule(rule)
                  .setThreshold(thresholdValue)
                  .setMinHistory(minHistory)
                  .build(),
              at);
    }
  }
}
