package io.tributary.it.bench;

import io.tributary.it.bench.BenchRunner.Mode;
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
import org.apache.beam.sdk.transforms.Combine;
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
 * ({@link HandWrittenFlinkFraud}) on the same embedded Flink mini cluster. Each runs in batch mode
 * (bounded input) and in streaming mode ({@link Synthetic#streamed}: the same records as an unbounded
 * stream whose watermark advances with them). Prints seconds, events per second, the ratios, the
 * peak heap of each run (the fastest of {@code --repeats} runs counts), and each variant's alerts against the brute-force oracle (exit status 1 if
 * an exact variant differs).
 *
 * <p>{@code it/bin/benchmark fraud [--events=1000000] [--cards=100000] [--runners=flink,direct]
 * [--naive=true] [--modes=batch,streaming] [--repeats=2]}
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
    boolean naive = true;
    String modes = "batch,streaming";
    for (String arg : args) {
      if (arg.startsWith("--events=")) {
        events = Long.parseLong(arg.substring(9));
      } else if (arg.startsWith("--cards=")) {
        cards = Integer.parseInt(arg.substring(8));
      } else if (arg.startsWith("--repeats=")) {
        repeats = Integer.parseInt(arg.substring(10));
      } else if (arg.startsWith("--runners=")) {
        runners = arg.substring(10);
      } else if (arg.startsWith("--modes=")) {
        modes = arg.substring(8);
      } else if (arg.startsWith("--naive=")) {
        naive = Boolean.parseBoolean(arg.substring(8));
      } else {
        throw new IllegalArgumentException(
            "unknown argument " + arg + "; use --events=N --cards=N --runners=flink,direct --naive=true|false --modes=batch,streaming --repeats=N");
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
        "%-7s %-9s %-46s %9s %12s %9s %9s  %s%n",
        "runner", "mode", "variant", "seconds", "events/s", "ratio", "heap MB", "alerts vs oracle");
    boolean exact = true;
    for (String runner : runners.split(",")) {
      long warm = Math.min(events, 20_000);
      if (naive) {
        run(runner, Mode.BATCH, generator, warm, Variant.NAIVE, "warm");
      }
      run(runner, Mode.BATCH, generator, warm, Variant.TRIBUTARY, "warm");
      if (modes.contains("streaming")) {
        run(runner, Mode.STREAMING, generator, warm, Variant.TRIBUTARY, "warm");
      }
      Measure.Run floor = run(runner, Mode.BATCH, generator, events, Variant.FLOOR, runner + "-floor");
      row(runner, Mode.BATCH, "(floor: generate and count only)", events, floor, "-", "");
      Measure.Run slow = null;
      if (naive) {
        slow = run(runner, Mode.BATCH, generator, events, Variant.NAIVE, runner + "-naive");
        row(runner, Mode.BATCH, "naive SlidingWindows(1h,1m) + CoGroupByKey", events, slow, "1.0x",
            compare(oracle, ALERTS.get(runner + "-naive")));
      }
      Measure.Run batch = run(runner, Mode.BATCH, generator, events, Variant.TRIBUTARY, runner + "-batch");
      row(runner, Mode.BATCH, "Fraud.score() (exact)", events, batch,
          slow == null ? "-" : String.format("%.1fx", slow.seconds() / batch.seconds()),
          compare(oracle, ALERTS.get(runner + "-batch")));
      exact &= oracle.equals(ALERTS.get(runner + "-batch"));
      Measure.Run streaming = null;
      if (modes.contains("streaming")) {
        Measure.Run streamFloor = run(runner, Mode.STREAMING, generator, events, Variant.FLOOR, runner + "-stream-floor");
        row(runner, Mode.STREAMING, "(floor: generate and count only)", events, streamFloor, "-", "");
        streaming = run(runner, Mode.STREAMING, generator, events, Variant.TRIBUTARY, runner + "-streaming");
        row(runner, Mode.STREAMING, "Fraud.score() (exact)", events, streaming,
            slow == null ? "-" : String.format("%.1fx", slow.seconds() / streaming.seconds()),
            compare(oracle, ALERTS.get(runner + "-streaming")));
        exact &= oracle.equals(ALERTS.get(runner + "-streaming"));
      }
      if (runner.equals("flink")) {
        exact &= handWritten(generator, oracle, events, warm, streaming, batch);
      }
    }
    System.out.println(exact ? "all exact variants equal the oracle" : "AN EXACT VARIANT DIFFERS FROM THE ORACLE");
    if (!exact) {
      System.exit(1);
    }
  }

  /**
   * Runs the hand-written Flink job in batch mode, and in streaming mode when {@code Fraud.score()}
   * ran in it ({@code streaming} not null), prints its rows and the ratios of {@code Fraud.score()}
   * against them; returns whether its alerts equal the oracle.
   */
  private static boolean handWritten(
      TransactionGenerator generator, Set<String> oracle, long events, long warm, Measure.Run streaming,
      Measure.Run batch)
      throws Exception {
    boolean exact = true;
    Measure.Run handStreaming = null;
    if (streaming != null) {
      HandWrittenFlinkFraud.run(generator, warm, WINDOW, THRESHOLD, MIN_HISTORY, false, "warm");
      handStreaming = Measure.best(repeats,
          () -> HandWrittenFlinkFraud.run(generator, events, WINDOW, THRESHOLD, MIN_HISTORY, false, "hand-streaming"));
      row("flink", Mode.STREAMING, "hand-written KeyedProcessFunction (DataStream)", events, handStreaming,
          "-", compare(oracle, ALERTS.get("hand-streaming")));
      exact &= oracle.equals(ALERTS.get("hand-streaming"));
    }
    HandWrittenFlinkFraud.run(generator, warm, WINDOW, THRESHOLD, MIN_HISTORY, true, "warm");
    Measure.Run handBatch = Measure.best(repeats,
        () -> HandWrittenFlinkFraud.run(generator, events, WINDOW, THRESHOLD, MIN_HISTORY, true, "hand-batch"));
    row("flink", Mode.BATCH, "hand-written KeyedProcessFunction (DataStream)", events, handBatch,
        "-", compare(oracle, ALERTS.get("hand-batch")));
    exact &= oracle.equals(ALERTS.get("hand-batch"));
    if (handStreaming != null) {
      System.out.printf(
          "Fraud.score() speed relative to the hand-written Flink job: %.2fx in streaming mode (target 0.5x);"
              + " in batch mode %.2fx of the hand-written job in streaming mode (target 1.0x), %.2fx of it in batch mode%n",
          handStreaming.seconds() / streaming.seconds(),
          handStreaming.seconds() / batch.seconds(),
          handBatch.seconds() / batch.seconds());
    } else {
      System.out.printf(
          "Fraud.score() speed relative to the hand-written Flink job in batch mode: %.2fx%n",
          handBatch.seconds() / batch.seconds());
    }
    return exact;
  }

  private static void row(
      String runner, Mode mode, String variant, long events, Measure.Run run, String ratio, String alerts) {
    System.out.printf(
        "%-7s %-9s %-46s %9.1f %,12.0f %9s %9d  %s%n",
        runner, mode.label(), variant, run.seconds(), events / run.seconds(),
        ratio, run.peakHeapMb(), alerts);
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


  /** Runs of each variant; the fastest counts. */
  static int repeats = 2;

  private static Measure.Run run(
      String runner, Mode mode, TransactionGenerator generator, long events, Variant variant, String label)
      throws Exception {
    ALERTS.put(label, ConcurrentHashMap.newKeySet());
    // A new pipeline per run, each from scratch.
    return Measure.best(repeats, () -> pipeline(runner, mode, generator, events, variant, label).run().waitUntilFinish());
  }

  private static Pipeline pipeline(
      String runner, Mode mode, TransactionGenerator generator, long events, Variant variant, String label) {
    Pipeline p = Pipeline.create(BenchRunner.options(runner, mode));
    PCollection<Transaction> txns = BenchRunner.source(p.begin(), "Transactions", generator, events, mode);
    switch (variant) {
      case FLOOR -> txns.apply("Count", ParDo.of(new CountFn()));
      case TRIBUTARY ->
          txns.apply("Score", Fraud.score()).alerts().apply("Collect", ParDo.of(new CollectAlertFn(label)));
      case NAIVE -> naive(txns, label);
    }
    return p;
  }

  /** Counts what it reads, so that nothing is skipped; works in either mode. */
  static final class CountFn extends DoFn<Transaction, Void> {
    static final java.util.concurrent.atomic.AtomicLong COUNT = new java.util.concurrent.atomic.AtomicLong();

    @ProcessElement
    public void process(@Element Transaction t) {
      COUNT.incrementAndGet();
    }
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
