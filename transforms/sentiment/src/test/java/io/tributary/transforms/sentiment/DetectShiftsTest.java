package io.tributary.transforms.sentiment;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.greaterThan;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.tributary.proto.common.Pane;
import io.tributary.proto.sentiment.ScoredMention;
import io.tributary.proto.sentiment.ShiftAlert;
import io.tributary.testing.BeamTest;
import io.tributary.testing.Schedule;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.apache.beam.sdk.testing.PAssert;
import org.apache.beam.sdk.testing.TestPipeline;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.TimestampedValue;
import org.joda.time.Duration;
import org.joda.time.Instant;
import org.junit.jupiter.api.Test;

/** Shift alerts against a brute-force oracle; scored mentions are fed directly. */
@BeamTest
class DetectShiftsTest {
  @Test
  void alertsEqualOracleOnRandomOutOfOrderInput(TestPipeline p) {
    long size = 1_800_000;
    long period = 300_000;
    long baseline = 3 * 3_600_000;
    for (long seed : new long[] {31, 32}) {
      Random random = new Random(seed);
      List<ScoredMention> mentions = SentimentOracle.random(random, 900, 3_000_000_000L, 12 * 3_600_000L, 3);
      // Out of order by up to 10 minutes, but the watermark trails by more: nothing is late.
      Schedule<ScoredMention> schedule =
          Schedule.random(random, mentions, ScoredMention::getPublishedMillis, 600_000, 600_001, 0, null);
      Map<SentimentOracle.Key, ShiftAlert> expected =
          SentimentOracle.alerts(mentions, size, period, baseline, 2.5, 4, 8, 0.1, 2);
      assertThat("the input has shifts to find (seed " + seed + ")", expected.size(), greaterThan(3));
      PCollection<ShiftAlert> alerts =
          p.apply("seed" + seed + "/Stream", schedule.toTestStream(AggregateTest.CODER))
              .apply(
                  "seed" + seed + "/Detect",
                  Sentiment.detectShifts()
                      .withSize(Duration.millis(size))
                      .withPeriod(Duration.millis(period))
                      .withBaseline(Duration.millis(baseline))
                      .withZThreshold(2.5)
                      .withMinMentions(4)
                      .withMinBaselineMentions(8)
                      .withMinStddev(0.1)
                      .withTopK(2));
      PAssert.that("alerts equal oracle (seed " + seed + ")", alerts).satisfies(matches(expected, seed));
    }
    p.run().waitUntilFinish();
  }

  @Test
  void alertsOnAConstructedShiftAndNotOnASteadyTicker(TestPipeline p) {
    long hour = 3_600_000;
    long t0 = 100 * hour;
    List<ScoredMention> mentions = new ArrayList<>();
    // Six hours of calm for both tickers: scores alternate around zero.
    for (int i = 0; i < 24; i++) {
      double s = i % 2 == 0 ? 0.1 : -0.1;
      mentions.add(SentimentOracle.mention("AAPL", "base" + i, t0 + i * 15 * 60_000L, s, 1.0));
      mentions.add(SentimentOracle.mention("MSFT", "mbase" + i, t0 + i * 15 * 60_000L, s, 1.0));
    }
    // Then AAPL turns: five strongly positive mentions in the next hour; MSFT stays calm.
    for (int i = 0; i < 5; i++) {
      mentions.add(SentimentOracle.mention("AAPL", "up" + i, t0 + 6 * hour + i * 60_000L, 0.7 + i * 0.05, 1.0));
      mentions.add(SentimentOracle.mention("MSFT", "calm" + i, t0 + 6 * hour + i * 60_000L, i % 2 == 0 ? 0.1 : -0.1, 1.0));
    }
    List<TimestampedValue<ScoredMention>> stamped = new ArrayList<>();
    mentions.forEach(m -> stamped.add(TimestampedValue.of(m, new Instant(m.getPublishedMillis()))));
    PCollection<ShiftAlert> alerts =
        p.apply(Create.timestamped(stamped).withCoder(AggregateTest.CODER))
            .apply(
                Sentiment.detectShifts()
                    .withSize(Duration.standardHours(1))
                    .withPeriod(Duration.standardHours(1))
                    .withBaseline(Duration.standardHours(6))
                    .withTopK(2));
    // Baseline: 24 scores of +-0.1, mean 0, sd 0.1; current: mean 0.8 over 5 mentions.
    double z = 0.8 / (0.1 / Math.sqrt(5));
    PAssert.that(alerts)
        .satisfies(
            new WindowsMatch<>(
                Map.of(
                    new SentimentOracle.Key("AAPL", t0 + 6 * hour),
                    ShiftAlert.newBuilder()
                        .setTicker("AAPL")
                        .setWindowStartMillis(t0 + 6 * hour)
                        .setWindowEndMillis(t0 + 7 * hour)
                        .setBaselineStartMillis(t0)
                        .setCurrentMentions(5)
                        .setCurrentMean(0.8)
                        .setBaselineMentions(24)
                        .setBaselineMean(0)
                        .setBaselineStddev(0.1)
                        .setZScore(z)
                        .addTopItems(AggregateTest.contribution(mentions.get(24 * 2 + 4 * 2)))
                        .addTopItems(AggregateTest.contribution(mentions.get(24 * 2 + 3 * 2)))
                        .setPane(Pane.newBuilder().setTiming(Pane.Timing.ON_TIME).setLast(true))
                        .build()),
                0,
                a -> new SentimentOracle.Key(a.getTicker(), a.getWindowStartMillis()),
                a -> a.getPane().getIndex(),
                a -> a));
    p.run().waitUntilFinish();
  }

  @Test
  void rejectsABaselineThatIsNoMultipleOfThePeriod(TestPipeline p) {
    PCollection<ScoredMention> mentions = p.apply(Create.empty(AggregateTest.CODER));
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> mentions.apply(Sentiment.detectShifts().withPeriod(Duration.standardMinutes(7))));
    assertThat(e.getMessage(), containsString("baseline PT21600S must be a positive multiple of the period PT420S"));
    p.enableAbandonedNodeEnforcement(false);
  }

  static WindowsMatch<ShiftAlert> matches(Map<SentimentOracle.Key, ShiftAlert> expected, long seed) {
    return new WindowsMatch<>(
        expected,
        seed,
        a -> new SentimentOracle.Key(a.getTicker(), a.getWindowStartMillis()),
        a -> a.getPane().getIndex(),
        a -> a.toBuilder().clearPane().build());
  }
}
