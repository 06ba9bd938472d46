package io.tributary.transforms.window;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.tributary.testing.BeamTest;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.coders.VarLongCoder;
import org.apache.beam.sdk.testing.PAssert;
import org.apache.beam.sdk.testing.TestPipeline;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.Sum;
import org.apache.beam.sdk.transforms.windowing.BoundedWindow;
import org.apache.beam.sdk.transforms.windowing.IntervalWindow;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.TimestampedValue;
import org.joda.time.Duration;
import org.joda.time.Instant;
import org.junit.jupiter.api.Test;

@BeamTest
class SlidingCombineTest {
  @Test
  void perKeySumEqualsBruteForceForEverySlidingWindow(TestPipeline p) {
    long seed = 31;
    Random random = new Random(seed);
    long size = 50_000;
    long period = 20_000;
    List<TimestampedValue<KV<String, Long>>> input = new ArrayList<>();
    Map<String, Long> expected = new TreeMap<>();
    for (int i = 0; i < 2000; i++) {
      String key = "k" + random.nextInt(5);
      long value = random.nextInt(100);
      long ts = 3_000_000 + random.nextLong(600_000);
      input.add(TimestampedValue.of(KV.of(key, value), new Instant(ts)));
      for (long start = Math.floorDiv(ts, period) * period; start > ts - size; start -= period) {
        expected.merge(key + "@" + start + "-" + (start + size), value, Long::sum);
      }
    }
    PCollection<KV<String, Long>> sums =
        p.apply(
                Create.timestamped(input)
                    .withCoder(KvCoder.of(StringUtf8Coder.of(), VarLongCoder.of())))
            .apply(
                SlidingCombine.<String, Long, long[], Long>perKey(Sum.ofLongs())
                    .withSize(Duration.millis(size))
                    .withPeriod(Duration.millis(period)))
            .apply(ParDo.of(new LabelWithWindowFn()));
    List<KV<String, Long>> want = new ArrayList<>();
    expected.forEach((k, v) -> want.add(KV.of(k, v)));
    PAssert.that("sums per key and window (seed " + seed + ")", sums).containsInAnyOrder(want);
    p.run().waitUntilFinish();
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
        @Element KV<String, Long> kv, BoundedWindow window, OutputReceiver<KV<String, Long>> out) {
      IntervalWindow w = (IntervalWindow) window;
      out.output(
          KV.of(kv.getKey() + "@" + w.start().getMillis() + "-" + w.end().getMillis(), kv.getValue()));
    }
  }
}
