package io.tributary.transforms.window;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.tributary.testing.BeamTest;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.coders.CoderRegistry;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.ListCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.coders.VarLongCoder;
import org.apache.beam.sdk.testing.PAssert;
import org.apache.beam.sdk.testing.TestPipeline;
import org.apache.beam.sdk.testing.TestStream;
import org.apache.beam.sdk.transforms.Combine.CombineFn;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.Sum;
import org.apache.beam.sdk.transforms.windowing.BoundedWindow;
import org.apache.beam.sdk.transforms.windowing.IntervalWindow;
import org.apache.beam.sdk.transforms.windowing.PaneInfo;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.TimestampedValue;
import org.joda.time.Duration;
import org.joda.time.Instant;
import org.junit.jupiter.api.Test;

@BeamTest
class SlidingCombineTest {
  /**
   * Bounded input takes the in-order window step, unbounded input the streaming one: both must give
   * every key and window its brute-force sum, once, in an ON_TIME pane stamped with the window's
   * end. Sum's merge may modify any accumulator, so the bounded step decodes buckets per window.
   */
  @Test
  void perKeySumEqualsBruteForceForEverySlidingWindow(TestPipeline p) {
    long seed = 31;
    Input input = Input.random(seed, 2000, 600_000);
    for (boolean bounded : new boolean[] {true, false}) {
      String name = bounded ? "bounded" : "unbounded";
      PCollection<KV<String, Long>> sums =
          input.apply(p, name, bounded)
              .apply(
                  name + "/Sum",
                  SlidingCombine.<String, Long, long[], Long>perKey(Sum.ofLongs())
                      .withSize(Duration.millis(SIZE))
                      .withPeriod(Duration.millis(PERIOD)))
              .apply(name + "/Label", ParDo.of(new LabelWithWindowFn()));
      PAssert.that(name + " sums per key and window (seed " + seed + ")", sums)
          .containsInAnyOrder(input.bruteForce(SIZE, PERIOD));
    }
    p.run().waitUntilFinish();
  }

  /**
   * A fn that promises to merge into its first accumulator has each bucket decoded once per block
   * and merged into a new accumulator per window: a merge that kept a bucket's accumulator as the
   * window's would add that bucket into the next windows again. Bursts far apart leave empty blocks
   * and windows between them.
   */
  @Test
  void bucketsDecodedOncePerBlockStillSumToBruteForceAcrossBlocksAndGaps(TestPipeline p) {
    long seed = 47;
    Input input = Input.random(seed, 3000, 400_000);
    input.shift(20_000_000L, Input.random(seed + 1, 1000, 300_000));
    PCollection<KV<String, Long>> sums =
        input.apply(p, "bursts", true)
            .apply(
                SlidingCombine.<String, Long, List<Long>, Long>perKey(new ListSumFn())
                    .withSize(Duration.millis(SIZE))
                    .withPeriod(Duration.millis(PERIOD)))
            .apply(ParDo.of(new LabelWithWindowFn()));
    PAssert.that("sums per key and window (seed " + seed + ")", sums)
        .containsInAnyOrder(input.bruteForce(SIZE, PERIOD));
    p.run().waitUntilFinish();
  }

  private static final long SIZE = 50_000;
  private static final long PERIOD = 20_000;

  /** Seeded timestamped values of a few keys, and their sums per sliding window by brute force. */
  static final class Input {
    final List<TimestampedValue<KV<String, Long>>> values = new ArrayList<>();

    static Input random(long seed, int count, long span) {
      Random random = new Random(seed);
      Input input = new Input();
      for (int i = 0; i < count; i++) {
        String key = "k" + random.nextInt(5);
        long ts = 3_000_000 + random.nextLong(span);
        input.values.add(TimestampedValue.of(KV.of(key, (long) random.nextInt(100)), new Instant(ts)));
      }
      return input;
    }

    /** Adds {@code other}'s values, later by {@code offset} ms. */
    void shift(long offset, Input other) {
      other.values.forEach(
          v -> values.add(TimestampedValue.of(v.getValue(), v.getTimestamp().plus(Duration.millis(offset)))));
    }

    PCollection<KV<String, Long>> apply(TestPipeline p, String name, boolean bounded) {
      KvCoder<String, Long> coder = KvCoder.of(StringUtf8Coder.of(), VarLongCoder.of());
      if (bounded) {
        return p.apply(name + "/Create", Create.timestamped(values).withCoder(coder));
      }
      TestStream.Builder<KV<String, Long>> stream = TestStream.create(coder);
      for (TimestampedValue<KV<String, Long>> v : values) {
        stream = stream.addElements(v);
      }
      return p.apply(name + "/Stream", stream.advanceWatermarkToInfinity());
    }

    /** "key@start-end ON_TIME maxTimestamp" and the sum, for every key and window with values. */
    List<KV<String, Long>> bruteForce(long size, long period) {
      Map<String, Long> expected = new TreeMap<>();
      for (TimestampedValue<KV<String, Long>> v : values) {
        long ts = v.getTimestamp().getMillis();
        for (long start = Math.floorDiv(ts, period) * period; start > ts - size; start -= period) {
          String label = v.getValue().getKey() + "@" + start + "-" + (start + size) + " ON_TIME " + (start + size - 1);
          expected.merge(label, v.getValue().getValue(), Long::sum);
        }
      }
      List<KV<String, Long>> want = new ArrayList<>();
      expected.forEach((k, sum) -> want.add(KV.of(k, sum)));
      return want;
    }
  }

  /**
   * Sums, keeping every value in a list accumulator that {@code mergeAccumulators} appends the
   * others to: it modifies the first accumulator only.
   */
  static final class ListSumFn extends CombineFn<Long, List<Long>, Long>
      implements SlidingCombine.MergesIntoFirst {
    @Override
    public List<Long> createAccumulator() {
      return new ArrayList<>();
    }

    @Override
    public List<Long> addInput(List<Long> acc, Long value) {
      acc.add(value);
      return acc;
    }

    @Override
    public List<Long> mergeAccumulators(Iterable<List<Long>> accumulators) {
      java.util.Iterator<List<Long>> it = accumulators.iterator();
      List<Long> first = it.next();
      it.forEachRemaining(first::addAll);
      return first;
    }

    @Override
    public Long extractOutput(List<Long> acc) {
      return acc.stream().mapToLong(Long::longValue).sum();
    }

    @Override
    public Coder<List<Long>> getAccumulatorCoder(CoderRegistry registry, Coder<Long> input) {
      return ListCoder.of(VarLongCoder.of());
    }
  }

  @Test
  void bucketIsTheGreatestCommonDivisorOfSizeAndPeriod() {
    assertEquals(Duration.standardSeconds(10), SlidingCombine.bucketOf(Duration.standardMinutes(5), Duration.standardSeconds(10)));
    assertEquals(Duration.standardSeconds(10), SlidingCombine.bucketOf(Duration.standardSeconds(50), Duration.standardSeconds(20)));
    assertEquals(Duration.standardMinutes(5), SlidingCombine.bucketOf(Duration.standardHours(1), Duration.standardMinutes(5)));
  }

  static final class LabelWithWindowFn extends DoFn<KV<String, Long>, KV<String, Long>> {
    @ProcessElement
    public void process(
        @Element KV<String, Long> kv,
        BoundedWindow window,
        PaneInfo pane,
        @Timestamp Instant timestamp,
        OutputReceiver<KV<String, Long>> out) {
      IntervalWindow w = (IntervalWindow) window;
      out.output(
          KV.of(
              kv.getKey() + "@" + w.start().getMillis() + "-" + w.end().getMillis() + " " + pane.getTiming()
                  + " " + timestamp.getMillis(),
              kv.getValue()));
    }
  }
}
