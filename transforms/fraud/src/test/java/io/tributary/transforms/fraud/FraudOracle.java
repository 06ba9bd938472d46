package io.tributary.transforms.fraud;

import io.tributary.proto.fraud.FraudAlert;
import io.tributary.proto.fraud.ScoredTransaction;
import io.tributary.proto.fraud.Transaction;
import io.tributary.proto.fraud.WindowStats;
import io.tributary.testing.Schedule;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Brute force for {@link Fraud.Score}: replays an arrival schedule, decides which transactions are
 * late from the watermark each arrived under, then scores every accepted transaction by scanning
 * all accepted transactions of its card and currency.
 *
 * <p>A transaction is late when it is older than its card's horizon at arrival: the newest accepted
 * transaction already due (the watermark is past {@code t + lateness}: Beam fires a timer once the
 * watermark is beyond it), or a window and a millisecond past it once the watermark has left it
 * more than a window (plus lateness) behind. Retention is assumed longer than
 * the schedule.
 */
public final class FraudOracle {
  public final List<ScoredTransaction> scored = new ArrayList<>();
  public final List<FraudAlert> alerts = new ArrayList<>();
  public final List<Transaction> late = new ArrayList<>();

  public FraudOracle(
      List<Schedule.Arrival<Transaction>> arrivals,
      long window,
      long lateness,
      double threshold,
      int minHistory,
      String rule) {
    Map<String, List<Transaction>> accepted = new LinkedHashMap<>();
    for (Schedule.Arrival<Transaction> a : arrivals) {
      Transaction t = a.value();
      List<Transaction> card = accepted.computeIfAbsent(key(t), k -> new ArrayList<>());
      long horizon = Long.MIN_VALUE;
      Long newestDue = null;
      for (Transaction s : card) {
        if (a.watermark() != Long.MIN_VALUE && s.getEventTimeMillis() + lateness < a.watermark()) {
          newestDue =
              newestDue == null ? s.getEventTimeMillis() : Math.max(newestDue, s.getEventTimeMillis());
        }
      }
      if (newestDue != null) {
        horizon = newestDue;
        if (newestDue + window + lateness + 1 < a.watermark()) {
          horizon = newestDue + window + 1;
        }
      }
      if (t.getEventTimeMillis() < horizon) {
        late.add(t);
      } else {
        card.add(t);
      }
    }
    for (List<Transaction> card : accepted.values()) {
      Map<String, Transaction> unique = new LinkedHashMap<>();
      for (Transaction t : card) {
        unique.putIfAbsent(t.getTransactionId(), t);
      }
      for (Transaction t : unique.values()) {
        long end = t.getEventTimeMillis();
        long start = end - window;
        long count = 0;
        long sum = 0;
        long max = 0;
        for (Transaction s : unique.values()) {
          long ts = s.getEventTimeMillis();
          if (ts >= start && ts < end) {
            count++;
            sum += s.getAmountMinor();
            max = Math.max(max, s.getAmountMinor());
          }
        }
        double mean = count == 0 ? 0 : (double) sum / count;
        WindowStats stats =
            WindowStats.newBuilder()
                .setWindowStartMillis(start)
                .setWindowEndMillis(end)
                .setCount(count)
                .setSumMinor(sum)
                .setMaxMinor(max)
                .setMeanMinor(mean)
                .build();
        double ratio = count == 0 ? 0 : t.getAmountMinor() / mean;
        boolean flagged =
            count >= minHistory
                && new BigDecimal(t.getAmountMinor())
                        .multiply(new BigDecimal(count))
                        .compareTo(new BigDecimal(Double.toString(threshold)).multiply(new BigDecimal(sum)))
                    > 0;
        scored.add(
            ScoredTransaction.newBuilder()
                .setTransaction(t)
                .setPreceding(stats)
                .setRatio(ratio)
                .setFlagged(flagged)
                .build());
        if (flagged) {
          alerts.add(
              FraudAlert.newBuilder()
                  .setTransaction(t)
                  .setPreceding(stats)
                  .setRatio(ratio)
                  .setRule(rule)
                  .setThreshold(threshold)
                  .setMinHistory(minHistory)
                  .build());
        }
      }
    }
  }

  static String key(Transaction t) {
    return t.getCurrency() + t.getCardId();
  }

  /** The oracle of transactions that all arrive in event-time order, none late. */
  public static FraudOracle inOrder(
      List<Transaction> transactions,
      long window,
      double threshold,
      int minHistory,
      String rule) {
    List<Schedule.Arrival<Transaction>> arrivals = new ArrayList<>();
    transactions.stream()
        .sorted(java.util.Comparator.comparingLong(Transaction::getEventTimeMillis))
        .forEach(t -> arrivals.add(new Schedule.Arrival<>(t, t.getEventTimeMillis(), Long.MIN_VALUE)));
    return new FraudOracle(arrivals, window, 0, threshold, minHistory, rule);
  }
}
