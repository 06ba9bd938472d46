package io.tributary.transforms.fraud;

import static io.tributary.transforms.fraud.RandomTransactions.txn;
import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.greaterThan;

import io.tributary.proto.common.Failure;
import io.tributary.proto.fraud.ScoredTransaction;
import io.tributary.proto.fraud.Transaction;
import io.tributary.testing.BeamTest;
import io.tributary.testing.Diff;
import io.tributary.testing.Schedule;
import io.tributary.transforms.metrics.Counters;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.extensions.protobuf.ProtoCoder;
import org.apache.beam.sdk.testing.PAssert;
import org.apache.beam.sdk.testing.TestPipeline;
import org.apache.beam.sdk.testing.TestStream;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.Reify;
import org.apache.beam.sdk.transforms.SerializableFunction;
import org.apache.beam.sdk.values.TimestampedValue;
import org.joda.time.Duration;
import org.joda.time.Instant;
import org.junit.jupiter.api.Test;

@BeamTest
class ScoreTest {
  private static final ProtoCoder<Transaction> CODER = ProtoCoder.of(Transaction.class);
  private static final long MIN = 60_000;
  private static final long HOUR = 60 * MIN;

  @Test
  void flagsAmountAboveThreeTimesThePrecedingHourMean(TestPipeline p) {
    List<Transaction> in =
        List.of(
            txn("a1", "a", 1000, "USD", 0),
            txn("a2", "a", 2000, "USD", 10 * MIN),
            txn("a3", "a", 3000, "USD", 20 * MIN),
            // mean 2000 over 3: 6000 is not above 3x, 6001 is.
            txn("a4", "a", 6000, "USD", 30 * MIN),
            txn("a5", "a", 9001, "USD", 40 * MIN),
            // a1 (at exactly t - 1h) is in the window, a later one at exactly t is not.
            txn("a6", "a", 100, "USD", HOUR),
            txn("a7", "a", 100, "USD", HOUR));
    Fraud.Scores scores = p.apply(create(in)).apply(Fraud.score());
    FraudOracle oracle = oracle(in, Fraud.score());
    PAssert.that(scores.scored()).containsInAnyOrder(oracle.scored);
    PAssert.that(scores.alerts()).containsInAnyOrder(oracle.alerts);
    PAssert.that(scores.rejected()).empty();
    p.run().waitUntilFinish();

    assertThat(oracle.alerts.size(), equalTo(1));
    assertThat(oracle.alerts.get(0).getTransaction().getTransactionId(), equalTo("a5"));
    ScoredTransaction a6 = scoredOf(oracle, "a6");
    assertThat(a6.getPreceding().getCount(), equalTo(5L));
    assertThat(a6.getPreceding().getSumMinor(), equalTo(21001L));
    assertThat(a6.getPreceding().getMaxMinor(), equalTo(9001L));
    assertThat(scoredOf(oracle, "a7").getPreceding(), equalTo(a6.getPreceding()));
  }

  @Test
  void outOfOrderArrivalWithinLatenessGivesTheInOrderResult(TestPipeline p) {
    Fraud.Score score = Fraud.score().withMinHistory(2).withAllowedLateness(Duration.standardMinutes(30));
    List<Transaction> in =
        List.of(
            txn("b1", "b", 1000, "USD", 0),
            txn("b2", "b", 1000, "USD", 5 * MIN),
            txn("b3", "b", 5000, "USD", 10 * MIN),
            txn("b4", "b", 900, "USD", 20 * MIN));
    // b2 arrives last, 25 minutes behind the watermark: without it b3 would be compared with b1
    // alone (too little history); with it, b3 is flagged.
    TestStream<Transaction> stream =
        TestStream.create(CODER)
            .addElements(at(in.get(0)), at(in.get(2)), at(in.get(3)))
            .advanceWatermarkTo(new Instant(30 * MIN))
            .addElements(at(in.get(1)))
            .advanceWatermarkToInfinity();
    Fraud.Scores scores = p.apply(stream).apply(score);
    FraudOracle inOrder = oracle(in, score);
    PAssert.that(scores.scored()).containsInAnyOrder(inOrder.scored);
    PAssert.that(scores.alerts()).containsInAnyOrder(inOrder.alerts);
    PAssert.that(scores.rejected()).empty();
    p.run().waitUntilFinish();
    assertThat(inOrder.alerts.size(), equalTo(1));
  }

  @Test
  void releasesOnlyWhenTheWatermarkPassesEventTimePlusLateness(TestPipeline p) {
    Fraud.Score score = Fraud.score().withAllowedLateness(Duration.standardMinutes(10));
    Transaction first = txn("c1", "c", 1000, "USD", 0);
    Transaction straggler = txn("c0", "c", 1000, "USD", -MIN);
    Transaction tooLate = txn("c-late", "c", 1000, "USD", -2 * MIN);
    TestStream<Transaction> stream =
        TestStream.create(CODER)
            .addElements(at(first))
            // 9 minutes past c1: not due yet, so c0 (one minute before c1) still counts for c1.
            .advanceWatermarkTo(new Instant(9 * MIN))
            .addElements(at(straggler))
            // Past 10 minutes after c1: both are scored; anything older than c1 is now late.
            .advanceWatermarkTo(new Instant(10 * MIN + 1))
            .addElements(at(tooLate))
            .advanceWatermarkToInfinity();
    Fraud.Scores scores = p.apply(stream).apply(score);
    PAssert.that(scores.scored())
        .satisfies(
            sortedSummaries(
                s -> s.getTransaction().getTransactionId() + ":" + s.getPreceding().getCount(),
                List.of("c0:0", "c1:1")));
    PAssert.that(scores.rejected())
        .satisfies(rejectedPayloads(tooLate));
    p.run().waitUntilFinish();
  }

  @Test
  void theSameConflictingCopyIsScoredWhateverTheArrivalOrder(TestPipeline p) {
    // Per card, two copies of one id with different amounts, due together; on every other card the
    // copy that is not chosen arrives first, so first-come would choose differently.
    TestStream.Builder<Transaction> stream = TestStream.create(CODER);
    List<String> expectedScored = new ArrayList<>();
    List<Transaction> expectedRejected = new ArrayList<>();
    int firstComeWouldDiffer = 0;
    for (int c = 0; c < 8; c++) {
      Transaction a = txn("k" + c, "card" + c, 1000 + c, "USD", MIN);
      Transaction b = txn("k" + c, "card" + c, 5000 + c, "USD", MIN);
      Transaction chosen = CardHistory.fingerprint(a) < CardHistory.fingerprint(b) ? a : b;
      Transaction other = chosen == a ? b : a;
      Transaction first = c % 2 == 0 ? chosen : other;
      stream = stream.addElements(at(first), at(first == chosen ? other : chosen));
      expectedScored.add(chosen.getCardId() + " " + chosen.getAmountMinor());
      expectedRejected.add(other);
      firstComeWouldDiffer += first == chosen ? 0 : 1;
    }
    assertThat("the input exercises the rule", firstComeWouldDiffer, greaterThan(0));
    Fraud.Scores scores = p.apply(stream.advanceWatermarkToInfinity()).apply(Fraud.score());
    PAssert.that(scores.scored())
        .satisfies(sortedSummaries(s -> s.getTransaction().getCardId() + " " + s.getTransaction().getAmountMinor(), expectedScored));
    PAssert.that(scores.rejected()).satisfies(rejectedPayloads(expectedRejected.toArray(Transaction[]::new)));
    p.run().waitUntilFinish();
  }

  @Test
  void aWindowSumBeyondSixtyFourBitsIsRejectedNeverWrapped(TestPipeline p) {
    long huge = 4_000_000_000_000_000_000L;
    List<Transaction> in =
        List.of(
            txn("h1", "h", huge, "USD", 0),
            txn("h2", "h", huge, "USD", MIN),
            txn("h3", "h", huge, "USD", 2 * MIN),
            // The preceding sum 12e18 exceeds 2^63 - 1: wrapped, it was negative and flagged h4.
            txn("h4", "h", huge, "USD", 3 * MIN),
            // Once h1 and h2 leave the window the sum fits again and scoring resumes.
            txn("h5", "h", 1000, "USD", 2 * MIN + HOUR));
    Fraud.Scores scores = p.apply(create(in)).apply(Fraud.score());
    PAssert.that(scores.scored())
        .satisfies(sortedSummaries(s -> s.getTransaction().getTransactionId() + " " + s.getPreceding().getCount()
            + " " + s.getPreceding().getSumMinor() + " " + s.getFlagged(),
            List.of("h1 0 0 false", "h2 1 4000000000000000000 false", "h3 2 8000000000000000000 false",
                "h5 2 8000000000000000000 false")));
    PAssert.that(scores.alerts()).empty();
    PAssert.that(scores.rejected())
        .satisfies(
            sortedSummaries(
                f -> f.getPayload().toStringUtf8() + " " + f.getReason(),
                List.of(new String(TransactionJson.format(in.get(3)), StandardCharsets.UTF_8)
                    + " the preceding window of card 'h' in USD sums to more than 9223372036854775807 minor units;"
                    + " the transaction cannot be scored exactly")));
    PipelineResult result = p.run();
    result.waitUntilFinish();
    assertThat(counter(result, "sumOverflows"), equalTo(1L));
  }

  @Test
  void redeliveriesCountOnceAndConflictingOnesAreRejected(TestPipeline p) {
    Transaction d1 = txn("d1", "d", 1000, "USD", 0);
    Transaction d2 = txn("d2", "d", 1000, "USD", MIN);
    Transaction d2Changed = d2.toBuilder().setAmountMinor(99_999).build();
    Transaction d3 = txn("d3", "d", 1000, "USD", 2 * MIN);
    TestStream<Transaction> stream =
        TestStream.create(CODER)
            .addElements(at(d1), at(d2), at(d1))
            .advanceWatermarkTo(new Instant(MIN + 1))
            // d2 was scored already: an identical redelivery at its time is dropped, a changed one
            // is rejected.
            .addElements(at(d2), at(d2Changed), at(d3))
            .advanceWatermarkToInfinity();
    Fraud.Scores scores = p.apply(stream).apply(Fraud.score());
    PAssert.that(scores.scored()).containsInAnyOrder(oracle(List.of(d1, d2, d3), Fraud.score()).scored);
    PAssert.that(scores.rejected())
        .satisfies(rejectedPayloads(d2Changed));
    PipelineResult result = p.run();
    result.waitUntilFinish();
    assertThat(counter(result, "duplicates"), equalTo(2L));
    assertThat(counter(result, "conflictingDuplicates"), equalTo(1L));
  }

  @Test
  void currenciesAreNeverAveragedTogether(TestPipeline p) {
    List<Transaction> in =
        List.of(
            txn("e1", "e", 100, "USD", 0),
            txn("e2", "e", 100, "USD", MIN),
            txn("e3", "e", 100, "USD", 2 * MIN),
            // 50,000 yen is far above a mean of 1 dollar, but there is no yen history.
            txn("e4", "e", 50_000, "JPY", 3 * MIN),
            txn("e5", "e", 301, "USD", 4 * MIN));
    Fraud.Scores scores = p.apply(create(in)).apply(Fraud.score());
    PAssert.that(scores.alerts())
        .satisfies(sortedSummaries(a -> a.getTransaction().getTransactionId(), List.of("e5")));
    PAssert.that(scores.scored()).containsInAnyOrder(oracle(in, Fraud.score()).scored);
    p.run().waitUntilFinish();
  }

  @Test
  void idleCardForgetsItsHistoryThenItsHorizon(TestPipeline p) {
    Fraud.Score score = Fraud.score().withMinHistory(1).withStateRetention(Duration.standardHours(2));
    Transaction f1 = txn("f1", "f", 1000, "USD", 0);
    // Needs f1's history, but arrives after the watermark left f1 an hour behind: late.
    Transaction needsHistory = txn("f2", "f", 9000, "USD", 30 * MIN);
    // After the retention too, the card has no state left: this one is scored from nothing.
    Transaction afterRetention = txn("f3", "f", 9000, "USD", 30 * MIN);
    TestStream<Transaction> stream =
        TestStream.create(CODER)
            .addElements(at(f1))
            .advanceWatermarkTo(new Instant(HOUR + 2))
            .addElements(at(needsHistory))
            .advanceWatermarkTo(new Instant(3 * HOUR + 2))
            .addElements(at(afterRetention))
            .advanceWatermarkToInfinity();
    Fraud.Scores scores = p.apply(stream).apply(score);
    PAssert.that(scores.scored())
        .satisfies(
            sortedSummaries(
                s -> s.getTransaction().getTransactionId() + ":" + s.getPreceding().getCount() + ":" + s.getFlagged(),
                List.of("f1:0:false", "f3:0:false")));
    PAssert.that(scores.rejected())
        .satisfies(rejectedPayloads(needsHistory));
    PipelineResult result = p.run();
    result.waitUntilFinish();
    // Once after the first idle period, once after f3's: every state of the card was cleared.
    assertThat(counter(result, "statesExpired"), equalTo(2L));
  }

  @Test
  void randomStreamsEqualTheOracle(TestPipeline p) {
    for (long seed : new long[] {31, 32, 33, 34, 35}) {
      Random random = new Random(seed);
      long window = 20 * MIN;
      // Seed 35: many sparse cards in few buckets, so that histories run out and expire between
      // transactions while other cards of their bucket are released.
      int cards = seed == 35 ? 40 : 5;
      long lateness = seed % 2 == 0 ? 0 : 5 * MIN;
      Fraud.Score score =
          Fraud.score()
              .withWindow(Duration.millis(window))
              .withThreshold(seed == 33 ? 2.5 : 3.0)
              .withMinHistory(seed == 34 ? 1 : 2)
              .withAllowedLateness(Duration.millis(lateness))
              // One bucket for all cards, a few shared ones, and one per card in all likelihood.
              .withBuckets(seed == 31 ? 1 : seed == 32 ? 2 : seed == 33 || seed == 35 ? 3 : Fraud.DEFAULT_BUCKETS);
      List<Transaction> txns = RandomTransactions.generate(random, 300, 3 * HOUR, cards, 12);
      int[] next = {0};
      Schedule<Transaction> schedule =
          Schedule.random(
              random,
              txns,
              Transaction::getEventTimeMillis,
              15 * MIN,
              8 * MIN,
              25,
              (watermark, r) ->
                  txn(
                      "late" + next[0]++,
                      "card-" + r.nextInt(cards),
                      500 + r.nextInt(2000),
                      "USD",
                      watermark - r.nextLong(window)));
      FraudOracle oracle =
          new FraudOracle(schedule.arrivals(), window, lateness, score.getThreshold(), score.getMinHistory(), score.rule());
      Fraud.Scores scores =
          p.apply("seed" + seed + "/Stream", schedule.toTestStream(CODER))
              .apply("seed" + seed + "/Score", score);
      PAssert.that("seed " + seed + " scored", scores.scored())
          .satisfies(new MatchesOracle<>(oracle.scored, seed, "scored"));
      PAssert.that("seed " + seed + " alerts", scores.alerts())
          .satisfies(new MatchesOracle<>(oracle.alerts, seed, "alerts"));
      PAssert.that("seed " + seed + " rejected", scores.rejected())
          .satisfies(new LateMatchesOracle(oracle.late, seed));
      assertThat("seed " + seed + " exercises alerts", oracle.alerts.size() > 3, equalTo(true));
      assertThat("seed " + seed + " exercises late data", oracle.late.size() > 1, equalTo(true));
    }
    p.run().waitUntilFinish();
  }

  @Test
  void boundedInputGivesTheInOrderResultsStampedWithTheirEventTimes(TestPipeline p) {
    // Bounded input: the watermark passes everything at the end, so each bucket's timer fires once
    // with all its cards' transactions due. Results must equal the oracle, redeliveries and ties
    // included, and keep their event times for the windows downstream.
    for (long seed : new long[] {41, 42, 43}) {
      Random random = new Random(seed);
      long window = (10 + 10 * (seed % 3)) * MIN;
      Fraud.Score score =
          Fraud.score()
              .withWindow(Duration.millis(window))
              .withThreshold(seed == 42 ? 2.5 : 3.0)
              .withMinHistory(seed == 43 ? 1 : 2);
      List<Transaction> txns = RandomTransactions.generate(random, 400, 3 * HOUR, 6, 12);
      List<TimestampedValue<Transaction>> stamped = new ArrayList<>();
      txns.forEach(t -> stamped.add(TimestampedValue.of(t, new Instant(t.getEventTimeMillis()))));
      FraudOracle oracle = FraudOracle.inOrder(txns, window, score.getThreshold(), score.getMinHistory(), score.rule());
      Fraud.Scores scores =
          p.apply("seed" + seed + "/Create", Create.timestamped(stamped).withCoder(CODER))
              .apply("seed" + seed + "/Score", score);
      PAssert.that("seed " + seed + " scored", scores.scored())
          .satisfies(new MatchesOracle<>(oracle.scored, seed, "scored"));
      PAssert.that("seed " + seed + " alerts", scores.alerts())
          .satisfies(new MatchesOracle<>(oracle.alerts, seed, "alerts"));
      PAssert.that("seed " + seed + " rejected", scores.rejected()).empty();
      PAssert.that(
              "seed " + seed + " timestamps",
              scores.scored().apply("seed" + seed + "/Stamps", Reify.timestamps()))
          .satisfies(
              results -> {
                for (TimestampedValue<ScoredTransaction> s : results) {
                  assertThat(
                      s.getValue().getTransaction().getTransactionId(),
                      s.getTimestamp().getMillis(),
                      equalTo(s.getValue().getTransaction().getEventTimeMillis()));
                }
                return null;
              });
      assertThat("seed " + seed + " exercises alerts", oracle.alerts.size() > 3, equalTo(true));
      assertThat("seed " + seed + " has redeliveries", txns.size() > 400, equalTo(true));
    }
    p.run().waitUntilFinish();
  }

  /** Asserts an output's summaries, sorted, equal {@code expected}. */
  static <T> SerializableFunction<Iterable<T>, Void> sortedSummaries(
      SerializableFunction<T, String> summary, List<String> expected) {
    return actual -> {
      List<String> summaries = new ArrayList<>();
      actual.forEach(x -> summaries.add(summary.apply(x)));
      summaries.sort(null);
      List<String> want = new ArrayList<>(expected);
      want.sort(null);
      assertThat(summaries, equalTo(want));
      return null;
    };
  }

  /** Asserts the rejected output holds just these transactions' JSON, from {@link Fraud.Score}. */
  static SerializableFunction<Iterable<Failure>, Void> rejectedPayloads(Transaction... expected) {
    List<String> want = new ArrayList<>();
    for (Transaction t : expected) {
      want.add(Fraud.Score.STEP + " " + new String(TransactionJson.format(t), StandardCharsets.UTF_8));
    }
    return sortedSummaries(
        f -> f.getStep() + " " + f.getPayload().toStringUtf8(), want);
  }

  /** Asserts an output equals the oracle as a multiset, printing the difference and the seed. */
  static final class MatchesOracle<T> implements SerializableFunction<Iterable<T>, Void> {
    private final List<T> expected;
    private final long seed;
    private final String what;

    MatchesOracle(List<T> expected, long seed, String what) {
      this.expected = expected;
      this.seed = seed;
      this.what = what;
    }

    @Override
    public Void apply(Iterable<T> actual) {
      Diff<T> diff = Diff.of(expected, actual);
      if (!diff.isEmpty()) {
        throw new AssertionError(
            "seed " + seed + ": " + what + " differ from the oracle (expected " + expected.size()
                + ")\nmissing: " + diff.missing() + "\nunexpected: " + diff.unexpected());
      }
      return null;
    }
  }

  /** Asserts the rejected output holds exactly the oracle's late transactions. */
  static final class LateMatchesOracle implements SerializableFunction<Iterable<Failure>, Void> {
    private final List<Transaction> expected;
    private final long seed;

    LateMatchesOracle(List<Transaction> expected, long seed) {
      this.expected = expected;
      this.seed = seed;
    }

    @Override
    public Void apply(Iterable<Failure> actual) {
      List<Transaction> late = new ArrayList<>();
      for (Failure f : actual) {
        try {
          late.add(TransactionJson.parse(f.getPayload().toByteArray()));
        } catch (Exception e) {
          throw new AssertionError("seed " + seed + ": unreadable rejected payload " + f, e);
        }
      }
      Diff<Transaction> diff = Diff.of(expected, late);
      if (!diff.isEmpty()) {
        throw new AssertionError(
            "seed " + seed + ": late transactions differ from the oracle (expected "
                + expected.size() + ")\nmissing: " + diff.missing()
                + "\nunexpected: " + diff.unexpected());
      }
      return null;
    }
  }

  private static FraudOracle oracle(List<Transaction> transactions, Fraud.Score score) {
    return FraudOracle.inOrder(
        transactions,
        score.getWindow().getMillis(),
        score.getThreshold(),
        score.getMinHistory(),
        score.rule());
  }


  private static ScoredTransaction scoredOf(FraudOracle oracle, String id) {
    return oracle.scored.stream()
        .filter(s -> s.getTransaction().getTransactionId().equals(id))
        .findFirst()
        .orElseThrow();
  }

  private static TestStream<Transaction> create(List<Transaction> in) {
    TestStream.Builder<Transaction> b = TestStream.create(CODER);
    for (Transaction t : in) {
      b = b.addElements(at(t));
    }
    return b.advanceWatermarkToInfinity();
  }

  private static TimestampedValue<Transaction> at(Transaction t) {
    return TimestampedValue.of(t, new Instant(t.getEventTimeMillis()));
  }

  private static long counter(PipelineResult result, String name) {
    return Counters.attempted(result, Fraud.METRICS_NAMESPACE, name);
  }

}
