package io.tributary.transforms.fraud;

import io.tributary.proto.common.Failure;
import io.tributary.proto.fraud.ScoredTransaction;
import io.tributary.proto.fraud.Transaction;
import io.tributary.transforms.errors.Failures;
import java.util.ArrayList;
import java.util.List;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.metrics.Metrics;
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
 * <p>State per key is one {@link CardState} value, so a transaction costs one state read and one
 * write. Two event-time timers: {@code release} fires at the oldest pending event time plus the
 * allowed lateness (by then every on-time transaction before it has arrived, so releasing due
 * transactions in event-time order gives the same result as in-order arrival); {@code expire}
 * clears the history once the watermark has left its newest transaction a window behind, and the
 * horizon a retention period later, so an idle card holds no state. The expiry timer is not moved
 * when the history grows: when it fires early it sets itself again, so a busy card costs about one
 * timer registration per transaction rather than three.
 *
 * <p>With allowed lateness the release timer holds the output watermark at the oldest pending event
 * time, so scored transactions keep their own event times downstream. Without it the timer fires at
 * that event time, and its default output timestamp, the firing time, is that hold already.
 */
final class ScoreFn extends DoFn<KV<String, Transaction>, ScoredTransaction> {
  /**
   * The order due transactions are scored in: event time, id, then content fingerprint, so that of
   * conflicting copies of one id due together the same one is scored on every runner, whatever
   * order the state returned them in.
   */
  private final CardScorer scorer;
  private final long window;
  private final long lateness;
  private final long retention;
  private final TupleTag<Failure> rejectedTag;

  private final Counter late = Metrics.counter(Fraud.METRICS_NAMESPACE, "late");
  private final Counter expired = Metrics.counter(Fraud.METRICS_NAMESPACE, "statesExpired");

  @StateId("card")
  private final StateSpec<ValueState<CardState>> cardSpec = StateSpecs.value(CardState.Coder.INSTANCE);

  @TimerId("release")
  private final TimerSpec releaseSpec = TimerSpecs.timer(TimeDomain.EVENT_TIME);

  @TimerId("expire")
  private final TimerSpec expireSpec = TimerSpecs.timer(TimeDomain.EVENT_TIME);

  ScoreFn(CardScorer scorer, long lateness, long retention) {
    this.scorer = scorer;
    this.window = scorer.window();
    this.lateness = lateness;
    this.retention = retention;
    this.rejectedTag = scorer.rejectedTag();
  }

  @ProcessElement
  public void process(
      @Element KV<String, Transaction> element,
      @Timestamp Instant timestamp,
      @AlwaysFetched @StateId("card") ValueState<CardState> cardState,
      @TimerId("release") Timer release,
      MultiOutputReceiver out) {
    Transaction txn = element.getValue();
    long ts = txn.getEventTimeMillis();
    CardState card = cardState.read();
    if (card == null) {
      card = CardState.empty();
    } else if (card.horizon != CardState.NONE && ts < card.horizon) {
      rejectLate(txn, card.horizon, out);
      return;
    }
    card.pending.add(txn);
    long due = ts + lateness;
    if (card.releaseAt == CardState.NONE || due < card.releaseAt) {
      // Moving the timer only earlier keeps its hold at or after this element's timestamp.
      setTimer(release, due, Math.max(ts, timestamp.getMillis()));
      card.releaseAt = due;
    }
    cardState.write(card);
  }

  @OnTimer("release")
  public void onRelease(
      OnTimerContext context,
      @AlwaysFetched @StateId("card") ValueState<CardState> cardState,
      @TimerId("release") Timer release,
      @TimerId("expire") Timer expire,
      MultiOutputReceiver out) {
    fired(true, context, cardState, release, expire, out);
  }

  @OnTimer("expire")
  public void onExpire(
      OnTimerContext context,
      @AlwaysFetched @StateId("card") ValueState<CardState> cardState,
      @TimerId("release") Timer release,
      @TimerId("expire") Timer expire,
      MultiOutputReceiver out) {
    fired(false, context, cardState, release, expire, out);
  }

  /** Marks the timer that fired as no longer set, then advances the card. */
  private void fired(
      boolean releaseFired,
      OnTimerContext context,
      ValueState<CardState> cardState,
      Timer release,
      Timer expire,
      MultiOutputReceiver out) {
    CardState card = cardState.read();
    if (card == null) {
      return;
    }
    if (releaseFired) {
      card.releaseAt = CardState.NONE;
    } else {
      card.expireAt = CardState.NONE;
    }
    advance(card, context, cardState, release, expire, out);
  }

  /**
   * Brings the card up to the timer's time: scores the pending transactions that are due, moves
   * the horizon, drops the history no later transaction can need, and sets the timers for what is
   * left, or clears the card.
   */
  private void advance(
      CardState card,
      OnTimerContext context,
      ValueState<CardState> cardState,
      Timer release,
      Timer expire,
      MultiOutputReceiver out) {
    long now = context.fireTimestamp().getMillis();
    long upTo = now - lateness;
    long holdFloor = context.timestamp().getMillis();
    List<Transaction> due = new ArrayList<>();
    List<Transaction> rest = new ArrayList<>();
    for (Transaction t : card.pending) {
      (t.getEventTimeMillis() <= upTo ? due : rest).add(t);
    }
    CardHistory history = card.history;
    List<Transaction> batch = due.isEmpty() ? List.of() : scorer.release(history, due, holdFloor, out);
    // Releasing transactions, or the history running out, moves the horizon up to what is now
    // final. An expiry timer that fires before the history runs out (it grew since the timer was
    // set), or that ends the retention of an idle card, leaves the horizon where it is.
    boolean runOut = !history.isEmpty() && now > history.newestTime() + window + lateness;
    long horizon =
        card.horizon == CardState.NONE
            ? upTo
            : due.isEmpty() && !runOut ? card.horizon : Math.max(card.horizon, upTo);
    CardHistory kept = history.append(batch, horizon - window);
    CardState next = new CardState(kept, rest, horizon, card.releaseAt, card.expireAt);

    if (!rest.isEmpty() && next.releaseAt == CardState.NONE) {
      long oldest = next.oldestPending();
      next.releaseAt = oldest + lateness;
      setTimer(release, next.releaseAt, Math.max(oldest, holdFloor));
    }
    long expireAt;
    if (!kept.isEmpty()) {
      // The history is needed until the watermark leaves its newest transaction a window behind.
      expireAt = kept.newestTime() + window + lateness + 1;
    } else if (rest.isEmpty()) {
      expireAt = horizon + lateness + retention;
      if (expireAt <= now) {
        expired.inc();
        cardState.clear();
        return;
      }
    } else {
      // Pending transactions set the expiry when they are released.
      expireAt = CardState.NONE;
    }
    if (expireAt != CardState.NONE && (next.expireAt == CardState.NONE || expireAt < next.expireAt)) {
      expire.set(Instant.ofEpochMilli(expireAt));
      next.expireAt = expireAt;
    }
    cardState.write(next);
  }

  /** Sets a timer, with an explicit output timestamp only when it holds before the firing time. */
  private static void setTimer(Timer timer, long at, long hold) {
    if (hold < at) {
      timer.withOutputTimestamp(Instant.ofEpochMilli(hold)).set(Instant.ofEpochMilli(at));
    } else {
      timer.set(Instant.ofEpochMilli(at));
    }
  }

  private void rejectLate(Transaction txn, long horizon, MultiOutputReceiver out) {
    late.inc();
    out.get(rejectedTag)
        .output(
            Failures.of(
                Fraud.Score.STEP,
                "transaction at "
                    + Instant.ofEpochMilli(txn.getEventTimeMillis())
                    + " of card '"
                    + txn.getCardId()
                    + "' in "
                    + txn.getCurrency()
                    + " arrived after the card was scored up to "
                    + Instant.ofEpochMilli(horizon)
                    + ": beyond the allowed lateness",
                TransactionJson.format(txn),
                txn.getEventTimeMillis()));
  }

}
