package io.tributary.it.bench;

import io.tributary.pipelines.fraud.TransactionGenerator;
import io.tributary.pipelines.io.Synthetic;
import io.tributary.proto.fraud.FraudAlert;
import io.tributary.proto.fraud.Transaction;
import io.tributary.transforms.fraud.Fraud;
import io.tributary.transforms.fraud.FraudOracle;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.coders.VarLongCoder;
import org.apache.beam.sdk.extensions.protobuf.ProtoCoder;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.transforms.Combine;
import org.apache.beam.sdk.transforms.Count;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.join.CoGbkResult;
import org.apache.beam.sdk.transforms.join.CoGroupByKey;
import org.apache.beam.sdk.transforms.join.KeyedPCollectionTuple;
import org.apache.beam.sdk.transforms.windowing.BoundedWindow;
import org.apache.beam.sdk.transforms.windowing.GlobalWindows;
import org.apache.beam.sdk.transforms.windowing.IntervalWindow;
import org.apache.beam.sdk.transforms.windowing.SlidingWindows;
import org.apache.beam.sdk.transforms.windowing.Window;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.TupleTag;
import org.joda.time.Duration;

/**
 * Flags transactions above 3x the card's mean over the preceding hour, three ways, on the same
 * generated input: Tributary's exact {@code Fraud.score()}; the naive Beam approach ({@code
 * SlidingWindows(1h, 1m)} sums and counts joined back to each transaction by the minute it falls
 * in); and a hand-written Flink DataStream {@code KeyedProcessFunction} with the same exact logic
 * ({@link HandWrittenFlinkFraud}) on the same embedded Flink mini cluster. Prints events per
 * second, the ratios, and each variant's alerts against the brute-force oracle.
 *
 * <p>{@code it/bin/benchmark fraud [--events=1000000] [--cards=100000] [--runners=flink,direct]}
 */
public final class FraudBenchmark {
  static final Map<String, Set<String>> ALERTS = new ConcurrentHashMap<>();
  static final long WINDOW = 3_600_000;
  static final double THRESHOLD = 3.0;
  static final int MIN_HISTORY = 3;

  private FraudBenchmark() {}

  public static void main(String[] args) throws Exception {
    long events = 1_000_000;
    int cards = 100_000;
    String runners = "flink,direct";
    for (String arg : args) {
      if (arg.startsWith("--events=")) {
        events = Long.parseLong(arg.substring(9));
      } else if (arg.startsWith("--cards=")) {
        cards = Integer.parseInt(arg.substring(8));
      } else if (arg.startsWith("--runners=")) {
        runners = arg.substring(10);
      } else {
        throw new IllegalArgumentException(
            "unknown argument " + arg + "; use --events=N --cards=N --runners=flink,direct");
      }
    }
    // 100 transactions per second of event time: 1M span about 2.8 hours, ~3.6 per card-hour.
    TransactionGenerator generator =
        new TransactionGenerator(7, 1_700_000_000_000L, 100, cards, 0.005, 2000);
    Set<String> oracle = oracleAlerts(generator, events);
    System.out.printf(
        "fraud benchmark: %,d transactions, %,d cards, window 1 h, amount > %.1fx mean of >= %d, %d cores;"
            + " oracle: %,d alerts%n",
        events, cards, THRESHOLD, MIN_HISTORY, Runtime.getRuntime().availableProcessors(), oracle.size());
    System.out.printf(
        "%-7s %-46s %9s %12s %9s  %s%n", "runner", "variant", "seconds", "events/s", "ratio", "alerts vs oracle");
    boolean exact = true;
    for (String runner : runners.split(",")) {
      long warm = Math.min(events, 20_000);
      run(runner, generator, warm, Variant.NAIVE, "warm");
      run(runner, generator, warm, Variant.TRIBUTARY, "warm");
      double floor = run(runner, generator, events, Variant.FLOOR, runner + "-floor");
      double naive = run(runner, generator, events, Variant.NAIVE, runner + "-naive");
      double tributary = run(runner, generator, events, Variant.TRIBUTARY, runner + "-tributary");
      row(runner, "(floor: generate and count only)", events, floor, "-", "");
      row(runner, "naive SlidingWindows(1h,1m) + CoGroupByKey", events, naive, "1.0x",
          compare(oracle, ALERTS.get(runner + "-naive")));
      row(runner, "Fraud.score() (exact)", events, tributary,
          String.format("%.1fx", naive / tributary), compare(oracle, ALERTS.get(runner + "-tributary")));
      exact &= oracle.equals(ALERTS.get(runner + "-tributary"));
      if (runner.equals("flink")) {
        double streaming = run("flink-streaming", generator, events, Variant.TRIBUTARY, "flink-streaming-tributary");
        row(runner, "Fraud.score() (exact), Flink streaming mode", events, streaming,
            String.format("%.1fx", naive / streaming), compare(oracle, ALERTS.get("flink-streaming-tributary")));
        exact &= oracle.equals(ALERTS.get("flink-streaming-tributary"));
        HandWrittenFlinkFraud.run(generator, 1000, WINDOW, THRESHOLD, MIN_HISTORY, "warm");
        double flink = HandWrittenFlinkFraud.run(generator, events, WINDOW, THRESHOLD, MIN_HISTORY, "flink-datastream");
        row("flink", "hand-written KeyedProcessFunction (DataStream)", events, flink,
            "-", compare(oracle, ALERTS.get("flink-datastream")));
        System.out.printf(
            "%-7s Fraud.score() speed relative to the hand-written Flink job: %.2fx (batch mode), %.2fx (streaming mode)%n",
            "", flink / tributary, flink / streaming);
      }
    }
    if (!exact) {
      System.exit(1);
    }
  }

  private static void row(String runner, String variant, long events, double seconds, String ratio, String alerts) {
    System.out.printf(
        "%-7s %-46s %9.1f %,12.0f %9s  %s%n", runner, variant, seconds, events / seconds, ratio, alerts);
  }

  static String compare(Set<String> oracle, Set<String> actual) {
    if (actual == null) {
      return "none";
    }
    long missed = oracle.stream().filter(id -> !actual.contains(id)).count();
    long extra = actual.stream().filter(id -> !oracle.contains(id)).count();
    return String.format(
        "%,d alerts: %s", actual.size(),
        missed == 0 && extra == 0 ? "equal to the oracle" : String.format("%,d missed, %,d false", missed, extra));
  }

  static Set<String> oracleAlerts(TransactionGenerator generator, long events) {
    List<Transaction> all = new ArrayList<>();
    for (long i = 0; i < events; i++) {
      all.add(generator.at(i));
    }
    Set<String> ids = ConcurrentHashMap.newKeySet();
    FraudOracle.inOrder(all, WINDOW, THRESHOLD, MIN_HISTORY, "")
        .alerts
        .forEach(a -> ids.add(a.getTransaction().getTransactionId()));
    return ids;
  }

  /** The same exact rule as {@code Fraud.score()}: amount x count > threshold x sum. */
  static boolean flags(long amount, long count, long sum) {
    return count >= MIN_HISTORY
        && BigDecimal.valueOf(amount)
                .multiply(BigDecimal.valueOf(count))
                .compareTo(BigDecimal.valueOf(THRESHOLD).multiply(BigDecimal.valueOf(sum)))
            > 0;
  }

  enum Variant {
    FLOOR,
    NAIVE,
    TRIBUTARY
  }

  private static PipelineOptions options(String runner) {
    int cores = Runtime.getRuntime().availableProcessors();
    return PipelineOptionsFactory.fromArgs(
            runner.equals("flink-streaming")
                ? new String[] {"--runner=FlinkRunner", "--flinkMaster=[local]", "--parallelism=" + cores, "--streaming=true"}
                : runner.equals("flink")
                ? new String[] {"--runner=FlinkRunner", "--flinkMaster=[local]", "--parallelism=" + cores}
                : new String[] {
                  "--runner=DirectRunner", "--targetParallelism=" + cores,
                  // The Direct runner's debugging checks re-encode every element; all variants run without them.
                  "--enforceImmutability=false", "--enforceEncodability=false"
                })
        .create();
  }

  private static double run(String runner, TransactionGenerator generator, long events, Variant variant, String label) {
    Pipeline p = Pipeline.create(options(runner));
    ALERTS.put(label, ConcurrentHashMap.newKeySet());
    PCollection<Transaction> txns = p.apply("Transactions", Synthetic.bounded(generator, events));
    switch (variant) {
      case FLOOR -> txns.apply("Count", Count.globally());
      case TRIBUTARY ->
          txns.apply("Score", Fraud.score()).alerts().apply("Collect", ParDo.of(new CollectAlertFn(label)));
      case NAIVE -> naive(txns, label);
    }
    long start = System.nanoTime();
    p.run().waitUntilFinish();
    return (System.nanoTime() - start) / 1e9;
  }

  /**
   * The usual Beam answer: count and sum per card in 1-hour windows sliding every minute, then each
   * transaction joined with the window that ends at the start of its minute. It copies every
   * transaction into 60 windows and only approximates "the hour before the transaction".
   */
  private static void naive(PCollection<Transaction> txns, String label) {
    TupleTag<long[]> statsTag = new TupleTag<>();
    TupleTag<Transaction> txnTag = new TupleTag<>();
    PCollection<KV<String, long[]>> stats =
        txns.apply("Sliding", Window.into(SlidingWindows.of(Duration.standardHours(1)).every(Duration.standardMinutes(1))))
            .apply("KeyAmounts", ParDo.of(new KeyAmountFn()))
            .setCoder(KvCoder.of(StringUtf8Coder.of(), VarLongCoder.of()))
            .apply("CountAndSum", Combine.perKey(new CountSumFn()))
            .apply("KeyByWindowEnd", ParDo.of(new KeyByWindowEndFn()))
            .apply("GlobalStats", Window.into(new GlobalWindows()));
    PCollection<KV<String, Transaction>> keyed =
        txns.apply("KeyByMinute", ParDo.of(new KeyByMinuteFn()))
            .setCoder(KvCoder.of(StringUtf8Coder.of(), ProtoCoder.of(Transaction.class)))
            .apply("GlobalTxns", Window.into(new GlobalWindows()));
    KeyedPCollectionTuple.of(statsTag, stats)
        .and(txnTag, keyed)
        .apply("Join", CoGroupByKey.create())
        .apply("Flag", ParDo.of(new FlagFn(statsTag, txnTag, label)));
  }

  static final class KeyAmountFn extends DoFn<Transaction, KV<String, Long>> {
    @ProcessElement
    public void process(@Element Transaction t, OutputReceiver<KV<String, Long>> out) {
      out.output(KV.of(t.getCurrency() + t.getCardId(), t.getAmountMinor()));
    }
  }

  static final class CountSumFn extends Combine.CombineFn<Long, long[], long[]> {
    @Override
    public long[] createAccumulator() {
      return new long[2];
    }

    @Override
    public long[] addInput(long[] acc, Long amount) {
      acc[0]++;
      acc[1] += amount;
      return acc;
    }

    @Override
    public long[] mergeAccumulators(Iterable<long[]> accs) {
      long[] merged = new long[2];
      for (long[] a : accs) {
        merged[0] += a[0];
        merged[1] += a[1];
      }
      return merged;
    }

    @Override
    public long[] extractOutput(long[] acc) {
      return acc;
    }
  }

  static final class KeyByWindowEndFn extends DoFn<KV<String, long[]>, KV<String, long[]>> {
    @ProcessElement
    public void process(@Element KV<String, long[]> kv, BoundedWindow window, OutputReceiver<KV<String, long[]>> out) {
      out.output(KV.of(kv.getKey() + "@" + ((IntervalWindow) window).end().getMillis(), kv.getValue()));
    }
  }

  static final class KeyByMinuteFn extends DoFn<Transaction, KV<String, Transaction>> {
    @ProcessElement
    public void process(@Element Transaction t, OutputReceiver<KV<String, Transaction>> out) {
      long minute = t.getEventTimeMillis() - Math.floorMod(t.getEventTimeMillis(), 60_000L);
      out.output(KV.of(t.getCurrency() + t.getCardId() + "@" + minute, t));
    }
  }

  static final class FlagFn extends DoFn<KV<String, CoGbkResult>, Void> {
    private final TupleTag<long[]> statsTag;
    private final TupleTag<Transaction> txnTag;
    private final String label;

    FlagFn(TupleTag<long[]> statsTag, TupleTag<Transaction> txnTag, String label) {
      this.statsTag = statsTag;
      this.txnTag = txnTag;
      this.label = label;
    }

    @ProcessElement
    public void process(@Element KV<String, CoGbkResult> joined) {
      long[] stats = joined.getValue().getOnly(statsTag, new long[2]);
      for (Transaction t : joined.getValue().getAll(txnTag)) {
        if (flags(t.getAmountMinor(), stats[0], stats[1])) {
          ALERTS.get(label).add(t.getTransactionId());
        }
      }
    }
  }

  static final class CollectAlertFn extends DoFn<FraudAlert, Void> {
    private final String label;

    CollectAlertFn(String label) {
      this.label = label;
    }

    @ProcessElement
    public void process(@Element FraudAlert alert) {
      ALERTS.get(label).add(alert.getTransaction().getTransactionId());
    }
  }
}
