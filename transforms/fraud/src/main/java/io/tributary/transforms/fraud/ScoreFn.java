package io.tributary.transforms.fraud;

import io.tributary.proto.common.Failure;
import io.tributary.proto.fraud.ScoredTransaction;
import io.tributary.proto.fraud.Transaction;
import io.tributary.transforms.coders.MessageCoder;
import io.tributary.transforms.errors.Failures;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
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
 * Scores each transaction of a card and currency against the card's transactions in the window
 * before it (see {@link Fraud.Score} for the contract), for all the cards of one bucket (a hash of
 * the card and currency, {@link Fraud.KeyByBucketFn}), whose state is one {@link BucketState}
 * value beside a bag of pending transactions.
 *
 * <p>Per card this is the sequence of two event-time timers: a release at each pending event time
 * plus the allowed lateness (by then every on-time transaction before it has arrived, so releasing
 * due transactions in event-time order gives the same result as in-order arrival), and an expiry
 * that clears the history once the watermark has left its newest transaction a window (plus the
 * lateness) behind, and the horizon a retention period later, so an idle card holds no state. A
 * transaction behind its card's horizon is late.
 *
 * <p>The bucket keeps that sequence with one timer for all its cards, set at the earliest pending
 * release or card expiry. When it fires it brings every card of the bucket up to the input
 * watermark: each card's releases and expiries that are due, in the order the per-card timers
 * would fire. So a watermark advance costs a bucket one timer however many of its cards' events it
 * passes, and a transaction costs a read of its bucket's state (its card's horizon for the late
 * check, and the timer's bookkeeping) and a bag append on arrival. A card's horizon only moves
 * past a pending transaction's event time by releasing it, so release needs no second late check.
 *
 * <p>The timer holds the output watermark at the oldest pending event time, so scored transactions
 * keep their own event times downstream.
 */
final class ScoreFn extends DoFn<KV<Integer, Transaction>, ScoredTransaction> {
  private final CardScorer scorer;
  private final long window;
  private final long lateness;
  private final long retention;
  private final TupleTag<Failure> rejectedTag;

  private final Counter late = Metrics.counter(Fraud.METRICS_NAMESPACE, "late");
  private final Counter expired = Metrics.counter(Fraud.METRICS_NAMESPACE, "statesExpired");

  @StateId("pending")
  private final StateSpec<BagState<Transaction>> pendingSpec = StateSpecs.bag(MessageCoder.of(Transaction.class));

  @StateId("bucket")
  private final StateSpec<ValueState<BucketState>> bucketSpec = StateSpecs.value(BucketState.Coder.INSTANCE);

  @TimerId("advance")
  private final TimerSpec advanceSpec = TimerSpecs.timer(TimeDomain.EVENT_TIME);

  ScoreFn(CardScorer scorer, long lateness, long retention) {
    this.scorer = scorer;
    this.window = scorer.window();
    this.lateness = lateness;
    this.retention = retention;
    this.rejectedTag = scorer.rejectedTag();
  }

  @ProcessElement
  public void process(
      @Element KV<Integer, Transaction> element,
      @Timestamp Instant timestamp,
      @StateId("pending") BagState<Transaction> pending,
      @AlwaysFetched @StateId("bucket") ValueState<BucketState> bucketState,
      @TimerId("advance") Timer advance,
      MultiOutputReceiver out) {
    Transaction txn = element.getValue();
    long ts = txn.getEventTimeMillis();
    BucketState bucket = bucketState.read();
    CardState card = bucket == null ? null : bucket.cards.get(cardKey(txn));
    if (card != null && card.horizon != CardState.NONE && ts < card.horizon) {
      // Rejected on arrival, so that the dead letter does not wait for the watermark to move.
      rejectLate(txn, card.horizon, out);
      return;
    }
    pending.add(txn);
    long due = ts + lateness;
    // The hold may not be before the element's timestamp, nor after the timer.
    long hold = Math.min(Math.max(ts, timestamp.getMillis()), due);
    if (bucket == null) {
      bucket = BucketState.empty();
    } else if (bucket.timerAt != CardState.NONE && bucket.timerAt <= due && bucket.hold <= hold) {
      return;
    }
    if (bucket.timerAt != CardState.NONE) {
      // Only ever earlier: the hold stays at or before every pending event time.
      due = Math.min(due, bucket.timerAt);
      hold = Math.min(hold, bucket.hold);
    }
    setTimer(advance, due, hold);
    bucket.timerAt = due;
    bucket.hold = hold;
    bucketState.write(bucket);
  }

  @OnTimer("advance")
  public void onAdvance(
      OnTimerContext context,
      @StateId("pending") BagState<Transaction> pending,
      @AlwaysFetched @StateId("bucket") ValueState<BucketState> bucketState,
      @TimerId("advance") Timer advance,
      MultiOutputReceiver out) {
    BucketState bucket = bucketState.read();
    if (bucket == null) {
      return;
    }
    // Everything before the input watermark is due, and at least what this timer was set for.
    long upTo = Math.max(advance.getCurrentRelativeTime().getMillis(), context.fireTimestamp().getMillis() + 1);
    long holdFloor = context.timestamp().getMillis();

    Map<String, List<Transaction>> due = new HashMap<>();
    Set<String> waiting = new HashSet<>();
    List<Transaction> rest = new ArrayList<>();
    long oldestRest = Long.MAX_VALUE;
    for (Transaction t : pending.read()) {
      if (t.getEventTimeMillis() + lateness < upTo) {
        due.computeIfAbsent(cardKey(t), k -> new ArrayList<>()).add(t);
      } else {
        rest.add(t);
        waiting.add(cardKey(t));
        oldestRest = Math.min(oldestRest, t.getEventTimeMillis());
      }
    }
    Set<String> visit = new HashSet<>(due.keySet());
    // Every expiry before the watermark leaves the index here; the cards set their next one below.
    while (!bucket.expiries.isEmpty() && bucket.expiries.first().at() < upTo) {
      visit.add(bucket.expiries.pollFirst().card());
    }
    for (String key : visit) {
      CardState card = bucket.cards.get(key);
      if (card != null && card.expireAt != CardState.NONE) {
        bucket.expiries.remove(new BucketState.Expiry(card.expireAt, key));
      }
      List<Transaction> cardDue = due.getOrDefault(key, List.of());
      if (card == null) {
        if (cardDue.isEmpty()) {
          continue;
        }
        card = CardState.empty();
      }
      card = advanceCard(card, cardDue, waiting.contains(key), upTo, holdFloor, out);
      if (card == null) {
        expired.inc();
        bucket.cards.remove(key);
      } else {
        if (card.expireAt != CardState.NONE) {
          bucket.expiries.add(new BucketState.Expiry(card.expireAt, key));
        }
        bucket.cards.put(key, card);
      }
    }
    if (!due.isEmpty()) {
      pending.clear();
      for (Transaction t : rest) {
        pending.add(t);
      }
    }

    long next = bucket.firstExpiry();
    long hold = next;
    if (!rest.isEmpty()) {
      long release = oldestRest + lateness;
      next = next == CardState.NONE ? release : Math.min(next, release);
      hold = Math.min(oldestRest, next);
    }
    if (next == CardState.NONE) {
      bucket.timerAt = CardState.NONE;
      bucket.hold = CardState.NONE;
    } else {
      hold = Math.max(hold, holdFloor);
      setTimer(advance, next, hold);
      bucket.timerAt = next;
      bucket.hold = hold;
    }
    bucketState.write(bucket);
  }

  /**
   * Runs one card's releases and expiries that are due before {@code upTo}, in the order its own
   * timers would fire (an expiry before a release at the same time), and sets its next expiry.
   * Returns the card, or null once it has expired whole.
   */
  private CardState advanceCard(
      CardState card, List<Transaction> due, boolean waiting, long upTo, long holdFloor, MultiOutputReceiver out) {
    if (due.size() > 1) {
      due.sort(CardScorer.EVENT_ORDER);
    }
    int i = 0;
    while (true) {
      boolean more = i < due.size();
      long expireAt = expiry(card, waiting || more);
      long releaseAt = more ? due.get(i).getEventTimeMillis() + lateness : Long.MAX_VALUE;
      if (expireAt != CardState.NONE && expireAt < upTo && expireAt <= releaseAt) {
        if (card.history.isEmpty()) {
          return null;
        }
        // The history ran out: nothing it holds is in the window of a transaction still on time.
        card.horizon = Math.max(card.horizon, card.history.newestTime() + window + 1);
        card.history = CardHistory.EMPTY;
        continue;
      }
      if (!more) {
        card.expireAt = expireAt;
        return card;
      }
      long at = due.get(i).getEventTimeMillis();
      int j = i;
      List<Transaction> group = new ArrayList<>(2);
      for (; j < due.size() && due.get(j).getEventTimeMillis() == at; j++) {
        group.add(due.get(j));
      }
      List<Transaction> batch = scorer.release(card.history, group, holdFloor, out);
      card.horizon = Math.max(card.horizon, at);
      card.history = card.history.append(batch, card.horizon - window);
      i = j;
    }
  }

  /**
   * When the card's next expiry is due: a window (plus lateness) after its newest scored
   * transaction while it has a history; the retention after its horizon once it has none and
   * nothing pending; none otherwise.
   */
  private long expiry(CardState card, boolean pending) {
    if (!card.history.isEmpty()) {
      return card.history.newestTime() + window + lateness + 1;
    }
    if (pending || card.horizon == CardState.NONE) {
      return CardState.NONE;
    }
    return card.horizon + lateness + retention;
  }

  static String cardKey(Transaction t) {
    return t.getCurrency() + t.getCardId();
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
