package io.tributary.transforms.fraud;

import io.tributary.proto.fraud.ScoredTransaction;
import io.tributary.proto.fraud.Transaction;
import java.util.ArrayList;
import java.util.List;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.values.KV;
import org.joda.time.Instant;

/**
 * Scores all the transactions of one card and currency of a bounded input in one pass: the results
 * {@link ScoreFn} gives on a stream, without its state and timers.
 *
 * <p>On bounded input every transaction is on time, and ScoreFn releases a card's transactions in
 * groups of equal event time, oldest first, each against the history the previous releases left;
 * its expiry timer clears the history before a release that comes more than a window after the
 * history's newest transaction. This replays exactly that sequence, with the same {@link
 * CardScorer}.
 */
final class ScoreBatchFn extends DoFn<KV<String, Iterable<Transaction>>, ScoredTransaction> {
  private final CardScorer scorer;
  private final long window;

  ScoreBatchFn(CardScorer scorer) {
    this.scorer = scorer;
    this.window = scorer.window();
  }

  @ProcessElement
  public void process(
      @Element KV<String, Iterable<Transaction>> card, @Timestamp Instant timestamp, MultiOutputReceiver out) {
    List<Transaction> all = new ArrayList<>();
    card.getValue().forEach(all::add);
    all.sort(CardScorer.EVENT_ORDER);
    CardHistory history = CardHistory.EMPTY;
    for (int i = 0; i < all.size(); ) {
      long at = all.get(i).getEventTimeMillis();
      int j = i;
      while (j < all.size() && all.get(j).getEventTimeMillis() == at) {
        j++;
      }
      if (!history.isEmpty() && history.newestTime() + window + 1 <= at) {
        history = CardHistory.EMPTY;
      }
      List<Transaction> batch = scorer.release(history, new ArrayList<>(all.subList(i, j)), timestamp.getMillis(), out);
      history = history.append(batch, at - window);
      i = j;
    }
  }
}
