package io.tributary.it.bench;

import io.tributary.pipelines.fraud.TransactionGenerator;
import io.tributary.proto.fraud.Transaction;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.flink.api.common.RuntimeExecutionMode;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.common.functions.MapFunction;
import org.apache.flink.api.common.state.ListState;
import org.apache.flink.api.common.state.ListStateDescriptor;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.typeinfo.TypeHint;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.java.tuple.Tuple4;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.functions.KeyedProcessFunction;
import org.apache.flink.streaming.api.functions.sink.SinkFunction;
import org.apache.flink.util.Collector;

/**
 * The fraud rule as a Flink engineer writes it by hand: a {@code KeyedProcessFunction} per card and
 * currency that buffers transactions until the watermark passes them, then scores each against a
 * sorted history of the preceding hour and evicts what no later transaction can need. Same
 * generated input, same exact rule as {@code Fraud.score()}; heap state, no serialization on access.
 */
final class HandWrittenFlinkFraud {
  /** (key, event time, amount, transaction id). */
  private static final TypeInformation<Tuple4<String, Long, Long, String>> TXN =
      TypeInformation.of(new TypeHint<Tuple4<String, Long, Long, String>>() {});

  private HandWrittenFlinkFraud() {}

  /**
   * Runs the job on a local mini cluster, in Flink's batch execution mode or in its streaming mode
   * (watermarks 2 s behind the largest event time seen); returns seconds. Alert ids go to the
   * benchmark's map.
   */
  static double run(
      TransactionGenerator generator, long events, long window, double threshold, int minHistory, boolean batch,
      String label)
      throws Exception {
    FraudBenchmark.ALERTS.put(label, ConcurrentHashMap.newKeySet());
    StreamExecutionEnvironment env =
        StreamExecutionEnvironment.createLocalEnvironment(Runtime.getRuntime().availableProcessors());
    env.setRuntimeMode(batch ? RuntimeExecutionMode.BATCH : RuntimeExecutionMode.STREAMING);
    env.fromSequence(0, events - 1)
        .map(new GenerateMap(generator))
        .returns(TXN)
        .assignTimestampsAndWatermarks(
            WatermarkStrategy.<Tuple4<String, Long, Long, String>>forBoundedOutOfOrderness(
                    java.time.Duration.ofMillis(2000))
                .withTimestampAssigner((t, ts) -> t.f1))
        .keyBy(t -> t.f0)
        .process(new ScoreFunction(window))
        .addSink(new CollectSink(label));
    long start = System.nanoTime();
    env.execute("hand-written fraud");
    return (System.nanoTime() - start) / 1e9;
  }

  static final class GenerateMap implements MapFunction<Long, Tuple4<String, Long, Long, String>> {
    private final TransactionGenerator generator;

    GenerateMap(TransactionGenerator generator) {
      this.generator = generator;
    }

    @Override
    public Tuple4<String, Long, Long, String> map(Long index) {
      Transaction t = generator.at(index);
      return Tuple4.of(t.getCurrency() + t.getCardId(), t.getEventTimeMillis(), t.getAmountMinor(), t.getTransactionId());
    }
  }

  /** Sorted history of one key: parallel arrays of times, amounts and ids. */
  public static final class History {
    public long[] times = new long[0];
    public long[] amounts = new long[0];
    public String[] ids = new String[0];
  }

  static final class ScoreFunction
      extends KeyedProcessFunction<String, Tuple4<String, Long, Long, String>, String> {
    private final long window;
    private transient ListState<Tuple4<String, Long, Long, String>> pending;
    private transient ValueState<History> history;
    private transient ValueState<Long> horizon;

    ScoreFunction(long window) {
      this.window = window;
    }

    @Override
    public void open(Configuration parameters) {
      pending = getRuntimeContext().getListState(new ListStateDescriptor<>("pending", TXN));
      history = getRuntimeContext().getState(new ValueStateDescriptor<>("history", History.class));
      horizon = getRuntimeContext().getState(new ValueStateDescriptor<>("horizon", Long.class));
    }

    @Override
    public void processElement(
        Tuple4<String, Long, Long, String> t, Context ctx, Collector<String> out) throws Exception {
      Long h = horizon.value();
      if (h != null && t.f1 < h) {
        return; // late: the benchmark input has none
      }
      pending.add(t);
      ctx.timerService().registerEventTimeTimer(t.f1);
    }

    @Override
    public void onTimer(long timestamp, OnTimerContext ctx, Collector<String> out) throws Exception {
      List<Tuple4<String, Long, Long, String>> due = new ArrayList<>();
      List<Tuple4<String, Long, Long, String>> rest = new ArrayList<>();
      for (Tuple4<String, Long, Long, String> t : pending.get()) {
        (t.f1 <= timestamp ? due : rest).add(t);
      }
      History hist = history.value();
      if (due.isEmpty()) {
        // The cleanup timer: drop what no later transaction can need.
        if (hist != null && rest.isEmpty() && hist.times.length > 0
            && hist.times[hist.times.length - 1] + window < timestamp) {
          history.clear();
          horizon.clear();
          pending.clear();
        }
        return;
      }
      due.sort((a, b) -> a.f1.equals(b.f1) ? a.f3.compareTo(b.f3) : Long.compare(a.f1, b.f1));
      if (hist == null) {
        hist = new History();
      }
      Set<String> seen = new HashSet<>(Arrays.asList(hist.ids));
      int n0 = hist.times.length;
      long[] times = Arrays.copyOf(hist.times, n0 + due.size());
      long[] amounts = Arrays.copyOf(hist.amounts, n0 + due.size());
      String[] ids = Arrays.copyOf(hist.ids, n0 + due.size());
      int n = n0;
      for (Tuple4<String, Long, Long, String> t : due) {
        if (!seen.add(t.f3)) {
          continue;
        }
        long count = 0;
        long sum = 0;
        for (int i = n - 1; i >= 0 && times[i] >= t.f1 - window; i--) {
          if (times[i] < t.f1) {
            count++;
            sum += amounts[i];
          }
        }
        if (FraudBenchmark.flags(t.f2, count, sum)) {
          out.collect(t.f3);
        }
        times[n] = t.f1;
        amounts[n] = t.f2;
        ids[n] = t.f3;
        n++;
      }
      int first = 0;
      while (first < n && times[first] < timestamp - window) {
        first++;
      }
      History next = new History();
      next.times = Arrays.copyOfRange(times, first, n);
      next.amounts = Arrays.copyOfRange(amounts, first, n);
      next.ids = Arrays.copyOfRange(ids, first, n);
      history.update(next);
      horizon.update(timestamp);
      pending.update(rest);
      if (next.times.length > 0) {
        ctx.timerService().registerEventTimeTimer(next.times[next.times.length - 1] + window + 1);
      }
    }
  }

  static final class CollectSink implements SinkFunction<String> {
    private final String label;

    CollectSink(String label) {
      this.label = label;
    }

    @Override
    public void invoke(String id, Context context) {
      FraudBenchmark.ALERTS.get(label).add(id);
    }
  }
}
