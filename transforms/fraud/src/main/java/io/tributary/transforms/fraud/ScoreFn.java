package io.tributary.transforms.fraud;

import io.tributary.proto.common.Failure;
import io.tributary.proto.fraud.FraudAlert;
import io.tributary.proto.fraud.ScoredTransaction;
import io.tributary.proto.fraud.Transaction;
import io.tributary.proto.fraud.WindowStats;
import io.tributary.transforms.errors.Failures;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import org.apache.beam.sdk.coders.VarLongCoder;
import org.apache.beam.sdk.extensions.protobuf.ProtoCoder;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.metrics.Metrics;
import org.apache.beam.sdk.state.BagState;
import org.apache.beam.sdk.state.StateSpec;
import org.apache.beam.sdk.state.StateSpecs;
import org.apache.beam.sdk.state.TimeDomain;
import org.apache.beam.sdk.state.Timer;
import org.apache.beam.sdk.state.TimerSpec;
import org.apache.beam.sdk.state.TimerSpecs;
import org.apache.beam.sdk.state.ValueState;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.TupleTag;
import org.joda.time.Instant;

/**
 * Scores each transaction of one card and currency against the card's transactions in the window
 * before it (see {@link Fraud.Score} for the contract).
 *
 * <p>State per key: the transactions that arrived but are not yet due ({@code pending}), the scored
 * ones later transactions may still need ({@code history}), the horizon (the earliest event time
 * that can still be scored exactly; earlier transactions are late) and when the release timer is
 * set. The release timer fires at the oldest pending event time plus the allowed lateness: by then
 * every on-time transaction before it has arrived, so releasing in event-time order gives the same
 * result as in-order arrival. The release timer holds the output watermark at the oldest pending
 * event time, so scored transactions keep their own event times downstream. The expiry timer
 * clears the history once the watermark has left the newest scored transaction a window behind,
 * and the horizon a retention period later, so an idle card holds no state.
 */
final class ScoreFn extends DoFn<KV<String, Transaction>, ScoredTransaction> {
  /**
   * The order due transactions are scored in: event time, id, then content fingerprint, so that of
   * conflicting copies of one id due together the same one is scored on every runner, whatever
   * order the state returned them in.
   */
  private static final Comparator<Transaction> EVENT_ORDER =
      Comparator.comparingLong(Transaction::getEventTimeMillis)
          .thenComparing(Transaction::getTransactionId)
          .thenComparingLong(CardHistory::fingerprint);

  private final long window;
  private final long lateness;
  private final long retention;
  private final BigDecimal threshold;
  private final double thresholdValue;
  private final int minHistory;
  private final String rule;
  private final TupleTag<ScoredTransaction> scoredTag;
  private final TupleTag<FraudAlert> alertTag;
  private final TupleTag<Failure> rejectedTag;

  private final Counter scored = Metrics.counter(Fraud.METRICS_NAMESPACE, "scored");
  private final Counter alerts = Metrics.counter(Fraud.METRICS_NAMESPACE, "alerts");
  private final Counter late = Metrics.counter(Fraud.METRICS_NAMESPACE, "late");
  private final Counter duplicates = Metrics.counter(Fraud.METRICS_NAMESPACE, "duplicates");
  private final Counter conflicting =
      Metrics.counter(Fraud.METRICS_NAMESPACE, "conflictingDuplicates");
  private final Counter expired = Metrics.counter(Fraud.METRICS_NAMESPACE, "statesExpired");
  private final Counter overflows = Metrics.counter(Fraud.METRICS_NAMESPACE, "sumOverflows");

  @StateId("pending")
  private final StateSpec<BagState<Transaction>> pendingSpec =
      StateSpecs.bag(ProtoCoder.of(Transaction.class));

  @StateId("history")
  private final StateSpec<ValueState<CardHistory>> historySpec =
      StateSpecs.value(CardHistory.Coder.INSTANCE);

  @StateId("horizon")
  private final StateSpec<ValueState<Long>> horizonSpec = StateSpecs.value(VarLongCoder.of());

  @StateId("releaseAt")
  private final StateSpec<ValueState<Long>> releaseAtSpec = StateSpecs.value(VarLongCoder.of());

  @TimerId("release")
  private final TimerSpec releaseSpec = TimerSpecs.timer(TimeDomain.EVENT_TIME);

  @TimerId("expire")
  private final TimerSpec expireSpec = TimerSpecs.timer(TimeDomain.EVENT_TIME);

  ScoreFn(
      long window,
      long lateness,
      long retention,
      double threshold,
      int minHistory,
      String rule,
      TupleTag<ScoredTransaction> scoredTag,
      TupleTag<FraudAlert> alertTag,
      TupleTag<Failure> rejectedTag) {
    this.window = window;
    this.lateness = lateness;
    this.retention = retention;
    this.threshold = BigDecimal.valueOf(threshold);
    this.thresholdValue = threshold;
    this.minHistory = minHistory;
    this.rule = rule;
    this.scoredTag = scoredTag;
    this.alertTag = alertTag;
    this.rejectedTag = rejectedTag;
  }

  @ProcessElement
  public void process(
      @Element KV<String, Transaction> element,
      @Timestamp Instant timestamp,
      @StateId("pending") BagState<Transaction> pending,
      @StateId("horizon") ValueState<Long> horizonState,
      @StateId("releaseAt") ValueState<Long> releaseAtState,
      @TimerId("release") Timer release,
      MultiOutputReceiver out) {
    Transaction txn = element.getValue();
    long ts = txn.getEventTimeMillis();
    Long horizon = horizonState.read();
    if (horizon != null && ts < horizon) {
      late.inc();
      out.get(rejectedTag)
          .output(
              Failures.of(
                  Fraud.Score.STEP,
                  "transaction at "
                      + Instant.ofEpochMilli(ts)
                      + " of card '"
                      + txn.getCardId()
                      + "' in "
                      + txn.getCurrency()
                      + " arrived after the card was scored up to "
                      + Instant.ofEpochMilli(horizon)
                      + ": beyond the allowed lateness",
                  TransactionJson.format(txn),
                  ts));
      return;
    }
    pending.add(txn);
    long due = ts + lateness;
    Long releaseAt = releaseAtState.read();
    if (releaseAt == null || due < releaseAt) {
      // Moving the timer only earlier keeps its hold at or after this element's timestamp.
      long hold = Math.max(ts, timestamp.getMillis());
      release.withOutputTimestamp(Instant.ofEpochMilli(hold)).set(Instant.ofEpochMilli(due));
      releaseAtState.write(due);
    }
  }

  @OnTimer("release")
  public void onRelease(
      OnTimerContext context,
      @StateId("pending") BagState<Transaction> pending,
      @StateId("history") ValueState<CardHistory> historyState,
      @StateId("horizon") ValueState<Long> horizonState,
      @StateId("releaseAt") ValueState<Long> releaseAtState,
      @TimerId("release") Timer release,
      @TimerId("expire") Timer expire,
      MultiOutputReceiver out) {
    long upTo = context.fireTimestamp().getMillis() - lateness;
    long holdFloor = context.timestamp().getMillis();
    List<Transaction> due = new ArrayList<>();
    List<Transaction> rest = new ArrayList<>();
    for (Transaction t : pending.read()) {
      (t.getEventTimeMillis() <= upTo ? due : rest).add(t);
    }
    due.sort(EVENT_ORDER);
    CardHistory history = historyState.read();
    if (history == null) {
      history = CardHistory.EMPTY;
    }
    List<Transaction> batch = deduplicate(history.fingerprints(), due, out);
    List<WindowStats> stats = history.scoreAll(batch, window);
    for (int i = 0; i < batch.size(); i++) {
      if (stats.get(i) == null) {
        rejectOverflow(batch.get(i), out);
      } else {
        emit(batch.get(i), stats.get(i), holdFloor, out);
      }
    }

    Long horizon = horizonState.read();
    long newHorizon = horizon == null ? upTo : Math.max(horizon, upTo);
    horizonState.write(newHorizon);
    CardHistory kept = history.append(batch, newHorizon - window);
    if (kept.isEmpty()) {
      historyState.clear();
    } else {
      historyState.write(kept);
      expire.set(Instant.ofEpochMilli(kept.newestTime() + window + lateness + 1));
    }

    pending.clear();
    long next = Long.MAX_VALUE;
    for (Transaction t : rest) {
      pending.add(t);
      next = Math.min(next, t.getEventTimeMillis());
    }
    if (rest.isEmpty()) {
      releaseAtState.clear();
    } else {
      release
          .withOutputTimestamp(Instant.ofEpochMilli(Math.max(next, holdFloor)))
          .set(Instant.ofEpochMilli(next + lateness));
      releaseAtState.write(next + lateness);
    }
  }

  @OnTimer("expire")
  public void onExpire(
      OnTimerContext context,
      @StateId("pending") BagState<Transaction> pending,
      @StateId("history") ValueState<CardHistory> historyState,
      @StateId("horizon") ValueState<Long> horizonState,
      @StateId("releaseAt") ValueState<Long> releaseAtState,
      @TimerId("expire") Timer expire) {
    long now = context.fireTimestamp().getMillis();
    Long horizon = horizonState.read();
    CardHistory history = historyState.read();
    boolean pendingLeft = releaseAtState.read() != null;
    if (history == null) {
      // The history is gone already: this is the end of the retention period.
      if (!pendingLeft) {
        forgetOrWait(horizon, now, horizonState, pending, expire);
      }
      return;
    }
    long newHorizon = horizon == null ? now - lateness : Math.max(horizon, now - lateness);
    horizonState.write(newHorizon);
    CardHistory kept = history.append(List.of(), newHorizon - window);
    if (!kept.isEmpty()) {
      historyState.write(kept);
      expire.set(Instant.ofEpochMilli(kept.newestTime() + window + lateness + 1));
      return;
    }
    historyState.clear();
    if (!pendingLeft) {
      // Pending transactions set the next expiry when they are released.
      forgetOrWait(newHorizon, now, horizonState, pending, expire);
    }
  }

  /** Clears the horizon once the retention period after it has passed, else waits for that. */
  private void forgetOrWait(
      Long horizon, long now, ValueState<Long> horizonState, BagState<Transaction> pending, Timer expire) {
    if (horizon == null || horizon + lateness + retention <= now) {
      horizonState.clear();
      pending.clear();
      expired.inc();
    } else {
      expire.set(Instant.ofEpochMilli(horizon + lateness + retention));
    }
  }

  /**
   * The first of {@code due} (in {@link #EVENT_ORDER}) of each transaction id not {@code seen} (id
   * to fingerprint) before; redeliveries are counted, and one whose content differs from the
   * scored copy goes to the rejected output.
   */
  private List<Transaction> deduplicate(
      Map<String, Long> seen, List<Transaction> due, MultiOutputReceiver out) {
    List<Transaction> batch = new ArrayList<>(due.size());
    for (Transaction t : due) {
      String id = t.getTransactionId();
      Long first = seen.get(id);
      long fingerprint = CardHistory.fingerprint(t);
      if (first == null) {
        seen.put(id, fingerprint);
        batch.add(t);
      } else if (first == fingerprint) {
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

  private void emit(Transaction txn, WindowStats preceding, long holdFloor, MultiOutputReceiver out) {
    long amount = txn.getAmountMinor();
    double ratio = preceding.getCount() == 0 ? 0 : amount / preceding.getMeanMinor();
    // amount > k * sum / count, compared exactly: amount * count > k * sum.
    boolean flagged =
        preceding.getCount() >= minHistory
            && preceding.getCount() > 0
            && BigDecimal.valueOf(amount)
                    .multiply(BigDecimal.valueOf(preceding.getCount()))
                    .compareTo(threshold.multiply(BigDecimal.valueOf(preceding.getSumMinor())))
                > 0;
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
