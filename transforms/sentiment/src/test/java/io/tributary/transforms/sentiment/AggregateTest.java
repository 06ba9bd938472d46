package io.tributary.transforms.sentiment;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.greaterThan;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.tributary.proto.common.Pane;
import io.tributary.proto.sentiment.ScoredMention;
import io.tributary.proto.sentiment.TickerWindow;
import io.tributary.testing.BeamTest;
import io.tributary.testing.Schedule;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.apache.beam.sdk.extensions.protobuf.ProtoCoder;
import org.apache.beam.sdk.testing.PAssert;
import org.apache.beam.sdk.testing.TestPipeline;
import org.apache.beam.sdk.transforms.Combine;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.WithKeys;
import org.apache.beam.sdk.transforms.windowing.SlidingWindows;
import org.apache.beam.sdk.transforms.windowing.Window;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.TimestampedValue;
import org.apache.beam.sdk.values.TypeDescriptors;
import org.joda.time.Duration;
import org.joda.time.Instant;
import org.junit.jupiter.api.Test;

/** Per-ticker sliding aggregates against a brute-force oracle; scored mentions are fed directly. */
@BeamTest
class AggregateTest {
  static final ProtoCoder<ScoredMention> CODER = ProtoCoder.of(ScoredMention.class);

  @Test
  void equalsOracleAndNaiveSlidingWindowsOnRandomInput(TestPipeline p) {
    long size = 3_600_000;
    long period = 300_000;
    long seed = 5;
    List<ScoredMention> mentions = SentimentOracle.random(new Random(seed), 600, 1_000_000_000L, 4 * 3_600_000L, 4);
    List<TimestampedValue<ScoredMention>> stamped = new ArrayList<>();
    List<Schedule.Arrival<ScoredMention>> arrivals = new ArrayList<>();
    for (ScoredMention m : mentions) {
      stamped.add(TimestampedValue.of(m, new Instant(m.getPublishedMillis())));
      arrivals.add(new Schedule.Arrival<>(m, m.getPublishedMillis(), Long.MIN_VALUE));
    }
    Map<SentimentOracle.Key, TickerWindow> expected = SentimentOracle.windows(arrivals, size, period, 0, 3);
    PCollection<ScoredMention> input = p.apply("Create", Create.timestamped(stamped).withCoder(CODER));
    PCollection<TickerWindow> windows =
        input.apply("Aggregate", Sentiment.aggregate().withSize(Duration.millis(size)).withPeriod(Duration.millis(period)));
    PAssert.that("incremental equals oracle (seed " + seed + ")", windows).satisfies(matches(expected, seed));

    // The same statistics through Beam's own SlidingWindows + Combine.perKey.
    PCollection<TickerWindow> naive =
        input
            .apply("NaiveWindow", Window.into(SlidingWindows.of(Duration.millis(size)).every(Duration.millis(period))))
            .apply("NaiveKey", WithKeys.of((ScoredMention m) -> m.getTicker()).withKeyType(TypeDescriptors.strings()))
            .apply("NaiveCombine", Combine.perKey(new MentionCombineFns.WindowFn(3)))
            .apply("NaiveStamp", ParDo.of(new Sentiment.StampWindowFn()))
            .setCoder(ProtoCoder.of(TickerWindow.class));
    PAssert.that("naive equals oracle (seed " + seed + ")", naive).satisfies(matches(expected, seed));
    p.run().waitUntilFinish();
  }

  @Test
  void finalPanesEqualOracleWithDisorderLateAndDroppedMentions(TestPipeline p) {
    long size = 600_000;
    long period = 120_000;
    long lateness = 180_000;
    for (long seed : new long[] {21, 22}) {
      Random random = new Random(seed);
      List<ScoredMention> mentions = SentimentOracle.random(random, 250, 2_000_000_000L, 3_600_000L, 3);
      int[] ids = {0};
      Schedule<ScoredMention> schedule =
          Schedule.random(
              random, mentions, ScoredMention::getPublishedMillis, 240_000, 60_000, 10,
              (watermark, r) -> SentimentOracle.straggler(watermark, r, 1_500_000, 3, ids[0]++));
      Map<SentimentOracle.Key, TickerWindow> expected =
          SentimentOracle.windows(schedule.arrivals(), size, period, lateness, 2);
      long late = schedule.arrivals().stream().filter(a -> a.eventTime() < a.watermark()).count();
      assertThat("the schedule has late mentions (seed " + seed + ")", late, greaterThan(5L));
      PCollection<TickerWindow> windows =
          p.apply("seed" + seed + "/Stream", schedule.toTestStream(CODER))
              .apply(
                  "seed" + seed + "/Aggregate",
                  Sentiment.aggregate()
                      .withSize(Duration.millis(size))
                      .withPeriod(Duration.millis(period))
                      .withAllowedLateness(Duration.millis(lateness))
                      .withTopK(2));
      PAssert.that("final panes equal oracle (seed " + seed + ")", windows).satisfies(matches(expected, seed));
    }
    p.run().waitUntilFinish();
  }

  @Test
  void oneWindowHoldsCountsMeansAndExtremes(TestPipeline p) {
    long t = 3_600_000;
    List<ScoredMention> mentions =
        List.of(
            SentimentOracle.mention("AAPL", "a", t, 0.8, 1.0),
            SentimentOracle.mention("AAPL", "b", t + 1, -0.4, 0.5),
            SentimentOracle.mention("AAPL", "c", t + 2, 0.0, 1.0),
            SentimentOracle.mention("MSFT", "d", t + 3, -0.6, 0.8));
    List<TimestampedValue<ScoredMention>> stamped = new ArrayList<>();
    mentions.forEach(m -> stamped.add(TimestampedValue.of(m, new Instant(m.getPublishedMillis()))));
    PCollection<TickerWindow> windows =
        p.apply(Create.timestamped(stamped).withCoder(CODER))
            .apply(Sentiment.aggregate().withSize(Duration.standardHours(1)).withPeriod(Duration.standardHours(1)).withTopK(1));
    Pane onTime = Pane.newBuilder().setTiming(Pane.Timing.ON_TIME).setLast(true).build();
    TickerWindow aapl =
            TickerWindow.newBuilder()
                .setTicker("AAPL")
                .setWindowStartMillis(t)
                .setWindowEndMillis(2 * t)
                .setMentions(3)
                .setMeanScore(0.4 / 3)
                .setWeightedScore((0.8 - 0.2) / 2.5)
                .setScoreStddev(Math.sqrt((0.64 + 0.16) / 3 - (0.4 / 3) * (0.4 / 3)))
                .setPositive(1)
                .setNeutral(1)
                .setNegative(1)
                .addMostPositive(contribution(mentions.get(0)))
                .addMostNegative(contribution(mentions.get(1)))
                .setPane(onTime)
                .build();
    TickerWindow msft =
            TickerWindow.newBuilder()
                .setTicker("MSFT")
                .setWindowStartMillis(t)
                .setWindowEndMillis(2 * t)
                .setMentions(1)
                .setMeanScore(-0.6)
                .setWeightedScore(-0.6)
                .setScoreStddev(0)
                .setNegative(1)
                .addMostPositive(contribution(mentions.get(3)))
                .addMostNegative(contribution(mentions.get(3)))
                .setPane(onTime)
                .build();
    PAssert.that(windows)
        .satisfies(
            new WindowsMatch<>(
                Map.of(new SentimentOracle.Key("AAPL", t), aapl, new SentimentOracle.Key("MSFT", t), msft),
                0,
                w -> new SentimentOracle.Key(w.getTicker(), w.getWindowStartMillis()),
                w -> w.getPane().getIndex(),
                w -> w));
    p.run().waitUntilFinish();
  }

  @Test
  void rejectsNegativeTopK(TestPipeline p) {
    PCollection<ScoredMention> mentions = p.apply(Create.empty(CODER));
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> mentions.apply(Sentiment.aggregate().withTopK(-1)));
    assertThat(e.getMessage(), containsString("topK must not be negative, got -1"));
    p.enableAbandonedNodeEnforcement(false);
  }

  static io.tributary.proto.sentiment.Contribution contribution(ScoredMention m) {
    return io.tributary.proto.sentiment.Contribution.newBuilder()
        .setItemId(m.getItemId())
        .setSentence(m.getSentence())
        .setScore(m.getScore())
        .setPublishedMillis(m.getPublishedMillis())
        .build();
  }

  static WindowsMatch<TickerWindow> matches(Map<SentimentOracle.Key, TickerWindow> expected, long seed) {
    return new WindowsMatch<>(
        expected,
        seed,
        w -> new SentimentOracle.Key(w.getTicker(), w.getWindowStartMillis()),
        w -> w.getPane().getIndex(),
        w -> w.toBuilder().clearPane().build());
  }
}
