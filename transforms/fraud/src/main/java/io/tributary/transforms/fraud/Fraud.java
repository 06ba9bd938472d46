package io.tributary.transforms.fraud;

import com.google.auto.value.AutoValue;
import io.tributary.proto.common.Failure;
import io.tributary.proto.fraud.FraudAlert;
import io.tributary.proto.fraud.ScoredTransaction;
import io.tributary.proto.fraud.Transaction;
import io.tributary.transforms.coders.MessageCoder;
import io.tributary.transforms.errors.Failures;
import io.tributary.transforms.json.ParseJson;
import io.tributary.transforms.window.GlobalWindowing;
import java.util.Map;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.VarIntCoder;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.display.DisplayData;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionTuple;
import org.apache.beam.sdk.values.PInput;
import org.apache.beam.sdk.values.POutput;
import org.apache.beam.sdk.values.PValue;
import org.apache.beam.sdk.values.TupleTag;
import org.apache.beam.sdk.values.TupleTagList;
import org.joda.time.Duration;

/**
 * Card fraud transforms: parse transactions, then score each against the same card's spending in
 * the window before it and flag the ones far above the card's average.
 *
 * <pre>{@code
 * WithFailures.Result<PCollection<Transaction>, Failure> txns =
 *     payloads.apply("Parse", Fraud.parseJson());
 * Fraud.Scores scores =
 *     txns.output().apply("Score", Fraud.score().withThreshold(3.0).withMinHistory(3));
 * scores.alerts();    // FraudAlert per flagged transaction
 * scores.scored();    // every transaction with its rolling features
 * scores.rejected();  // late transactions, conflicting redeliveries, out-of-range sums, with payloads
 * }</pre>
 */
public final class Fraud {
  /** Namespace of the transforms' counters. */
  public static final String METRICS_NAMESPACE = "tributary.fraud";

  /** The number of keys {@link Score} spreads the cards over, unless told otherwise. */
  public static final int DEFAULT_BUCKETS = 1024;

  /** The step name in parse failure records. */
  public static final String PARSE_STEP = "ParseTransactions";

  private Fraud() {}

  /**
   * Parses JSON transactions (see {@link TransactionJson}) into {@link Transaction}s stamped with
   * their event time, and every payload it cannot read into a {@link Failure} of step {@value
   * #PARSE_STEP} with the original bytes and the reason.
   */
  public static ParseJson<Transaction> parseJson() {
    return ParseJson.of(
        Transaction.class,
        PARSE_STEP,
        METRICS_NAMESPACE,
        TransactionJson::parse,
        Transaction::getEventTimeMillis);
  }

  /**
   * Scores transactions against a 1-hour window with the 3x rule over at least 3 earlier
   * transactions, no allowed lateness and a 1-day retention of the late horizon.
   */
  public static Score score() {
    return new AutoValue_Fraud_Score.Builder()
        .setWindow(Duration.standardHours(1))
        .setThreshold(3.0)
        .setMinHistory(3)
        .setAllowedLateness(Duration.ZERO)
        .setStateRetention(Duration.standardDays(1))
        .setBuckets(DEFAULT_BUCKETS)
        .build();
  }

  /**
   * For each transaction at event time {@code t}, the statistics (count, sum, max, mean) of the same
   * card's transactions in the same currency with event times in {@code [t - window, t)}, and a
   * flag when {@code amount > threshold x mean} over at least {@code minHistory} of them.
   *
   * <p>Guarantees, on any runner:
   *
   * <ul>
   *   <li><b>Exact per event</b>: the window is exactly the half-open hour before the transaction,
   *       not an approximation by sliding windows. The comparison is done in exact decimal
   *       arithmetic ({@code amount x count > threshold x sum}). A window whose sum exceeds the
   *       64-bit range of {@code WindowStats.sum_minor} is never wrapped: the transaction goes to
   *       {@link Scores#rejected()} with the reason (counter {@code sumOverflows}) and still counts
   *       in the windows of later transactions.
   *   <li><b>Order-independent</b>: a transaction is scored when the watermark passes its event
   *       time plus the allowed lateness, in event-time order, so any arrival order within the
   *       allowed lateness gives the same results as in-order arrival. Results are emitted that
   *       much after the watermark passes the transaction, stamped with its event time.
   *   <li><b>Ties</b>: transactions with equal event times do not see each other (the window ends
   *       before {@code t}); they are emitted in transaction-id order.
   *   <li><b>Duplicates</b>: a redelivered transaction id is counted once per card; a redelivery
   *       with different content goes to {@link Scores#rejected()}. Which copy is scored does not
   *       depend on arrival order or runner: of the copies due at one release (arrived within the
   *       allowed lateness), the earliest event time, then the smallest content fingerprint; a
   *       copy arriving after its id was scored is rejected.
   *       Deduplication covers the time the card holds state (below).
   *   <li><b>Currencies are never averaged together</b>: the history is per card and currency; a
   *       card's first transaction in a new currency has no history in it and is not flagged.
   *   <li><b>Late data is kept</b>: a transaction behind an already scored transaction of its card
   *       and currency (it would change a result already emitted) goes to {@link
   *       Scores#rejected()} with its JSON payload and the reason. A transaction that arrives behind
   *       the watermark but before anything later of its card was scored is still scored exactly.
   *   <li><b>Bounded state</b>: per card and currency, only the transactions of the last window and
   *       the ones not yet due; an idle card's history is cleared once the watermark is a window
   *       past its newest transaction, and its last 8-byte horizon after {@code stateRetention} more.
   *       A transaction more than {@code stateRetention} behind the watermark for a card that has
   *       forgotten it is scored against the history still held.
   * </ul>
   *
   * <p><b>Execution.</b> The cards are spread over {@link #withBuckets} keys. A transaction is
   * checked against its card's horizon and appended to its bucket's pending transactions on arrival;
   * the bucket's one timer, at its earliest pending release or card expiry, brings all its cards up
   * to the input watermark when it fires. The bucket's state is one value (its cards' histories and
   * horizons, and the timer's bookkeeping) and a bag of pending transactions. So timers grow with
   * watermark advances and buckets, not with transactions.
   * Bounded input takes the same path: its watermark passes everything at its end, when each
   * bucket's pending transactions (about the input over {@code buckets}) are scored in one firing.
   *
   * <p>Input elements must be timestamped with their event time (as {@link #parseJson()} does);
   * the input's windowing is replaced by the global window.
   */
  @AutoValue
  public abstract static class Score extends PTransform<PCollection<Transaction>, Scores> {
    /** The step name in rejected records. */
    public static final String STEP = "ScoreTransactions";

    abstract Duration getWindow();

    abstract double getThreshold();

    abstract int getMinHistory();

    abstract Duration getAllowedLateness();

    abstract Duration getStateRetention();

    abstract int getBuckets();

    abstract Builder toBuilder();

    @AutoValue.Builder
    abstract static class Builder {
      abstract Builder setWindow(Duration window);

      abstract Builder setThreshold(double threshold);

      abstract Builder setMinHistory(int minHistory);

      abstract Builder setAllowedLateness(Duration lateness);

      abstract Builder setStateRetention(Duration retention);

      abstract Builder setBuckets(int buckets);

      abstract Score build();
    }

    /** Length of the history window before each transaction (default 1 hour). */
    public Score withWindow(Duration window) {
      return toBuilder().setWindow(window).build();
    }

    /** Flag when the amount exceeds this multiple of the window's mean (default 3.0). */
    public Score withThreshold(double threshold) {
      return toBuilder().setThreshold(threshold).build();
    }

    /**
     * Flag only with at least this many earlier transactions in the window (default 3: the mean of
     * one or two purchases says little about a card's habits).
     */
    public Score withMinHistory(int minHistory) {
      return toBuilder().setMinHistory(minHistory).build();
    }

    /**
     * How far behind the watermark a transaction may arrive and still be scored in order (default
     * 0). Every result waits this long after the watermark passes its transaction.
     */
    public Score withAllowedLateness(Duration lateness) {
      return toBuilder().setAllowedLateness(lateness).build();
    }

    /** How long an idle card keeps its late horizon after its history is gone (default 1 day). */
    public Score withStateRetention(Duration retention) {
      return toBuilder().setStateRetention(retention).build();
    }

    /**
     * The cards are kept under this many keys (a hash of card and currency), each with one timer
     * for all its cards, so that a watermark advance fires at most this many timers. More buckets
     * spread the work over more workers; fewer make each timer cover more cards, and on bounded
     * input hold more transactions per bucket until the end. Default {@value
     * Fraud#DEFAULT_BUCKETS}. Results do not depend on it.
     */
    public Score withBuckets(int buckets) {
      return toBuilder().setBuckets(buckets).build();
    }

    /** The rule in words, as carried by each alert. */
    public String rule() {
      return "amount > "
          + getThreshold()
          + " x mean of >= "
          + getMinHistory()
          + " transactions of the same card and currency in the preceding "
          + getWindow();
    }

    @Override
    public Scores expand(PCollection<Transaction> input) {
      check(getWindow().getMillis() > 0, "window must be positive, got " + getWindow());
      check(
          getThreshold() > 0 && !Double.isInfinite(getThreshold()),
          "threshold must be a positive number, got " + getThreshold());
      check(getMinHistory() >= 1, "minHistory must be at least 1, got " + getMinHistory());
      check(
          getAllowedLateness().getMillis() >= 0,
          "allowedLateness must not be negative, got " + getAllowedLateness());
      check(
          getStateRetention().getMillis() >= 0,
          "stateRetention must not be negative, got " + getStateRetention());
      check(getBuckets() >= 1, "buckets must be at least 1, got " + getBuckets());
      TupleTag<ScoredTransaction> scoredTag = new TupleTag<ScoredTransaction>() {};
      TupleTag<FraudAlert> alertTag = new TupleTag<FraudAlert>() {};
      TupleTag<Failure> rejectedTag = Failures.tag();
      CardScorer scorer =
          new CardScorer(
              getWindow().getMillis(), getThreshold(), getMinHistory(), rule(), scoredTag, alertTag, rejectedTag);
      TupleTagList others = TupleTagList.of(alertTag).and(rejectedTag);
      // One path for streams and bounded input: on bounded input the watermark passes everything
      // at the end, so each bucket's timer fires once and scores all its cards.
      PCollectionTuple results =
          input
              .apply("KeyByBucket", ParDo.of(new KeyByBucketFn(getBuckets())))
              .setCoder(KvCoder.of(VarIntCoder.of(), MessageCoder.of(Transaction.class)))
              .apply("GlobalWindow", GlobalWindowing.of())
              .apply(
                  "Score",
                  ParDo.of(new ScoreFn(scorer, getAllowedLateness().getMillis(), getStateRetention().getMillis()))
                      .withOutputTags(scoredTag, others));
      PCollection<ScoredTransaction> scored =
          results.get(scoredTag).setCoder(MessageCoder.of(ScoredTransaction.class));
      PCollection<FraudAlert> alerts = results.get(alertTag).setCoder(MessageCoder.of(FraudAlert.class));
      PCollection<Failure> rejected = results.get(rejectedTag).setCoder(Failures.coder());
      return new Scores(input.getPipeline(), scored, alerts, rejected);
    }

    private static void check(boolean ok, String message) {
      if (!ok) {
        throw new IllegalArgumentException(STEP + ": " + message);
      }
    }

    @Override
    public void populateDisplayData(DisplayData.Builder builder) {
      super.populateDisplayData(builder);
      builder
          .add(DisplayData.item("window", getWindow()))
          .add(DisplayData.item("threshold", getThreshold()))
          .add(DisplayData.item("minHistory", getMinHistory()))
          .add(DisplayData.item("allowedLateness", getAllowedLateness()))
          .add(DisplayData.item("stateRetention", getStateRetention()))
          .add(DisplayData.item("buckets", getBuckets()));
    }
  }

  /**
   * Keys each transaction by the bucket of its card and currency: a mixed hash of the two, stable
   * across JVMs.
   */
  static final class KeyByBucketFn extends DoFn<Transaction, KV<Integer, Transaction>> {
    private final int buckets;

    KeyByBucketFn(int buckets) {
      this.buckets = buckets;
    }

    @ProcessElement
    public void process(@Element Transaction txn, OutputReceiver<KV<Integer, Transaction>> out) {
      out.output(KV.of(bucket(ScoreFn.cardKey(txn), buckets), txn));
    }

    static int bucket(String card, int buckets) {
      int h = card.hashCode();
      // Murmur3's finalizer, so that cards with neighbouring ids do not crowd neighbouring buckets.
      h ^= h >>> 16;
      h *= 0x85ebca6b;
      h ^= h >>> 13;
      h *= 0xc2b2ae35;
      h ^= h >>> 16;
      return Math.floorMod(h, buckets);
    }
  }

  public static final class Scores implements POutput {
    private static final TupleTag<ScoredTransaction> SCORED = new TupleTag<>("scored");
    private static final TupleTag<FraudAlert> ALERTS = new TupleTag<>("alerts");
    private static final TupleTag<Failure> REJECTED = new TupleTag<>("rejected");

    private final Pipeline pipeline;
    private final PCollection<ScoredTransaction> scored;
    private final PCollection<FraudAlert> alerts;
    private final PCollection<Failure> rejected;

    Scores(
        Pipeline pipeline,
        PCollection<ScoredTransaction> scored,
        PCollection<FraudAlert> alerts,
        PCollection<Failure> rejected) {
      this.pipeline = pipeline;
      this.scored = scored;
      this.alerts = alerts;
      this.rejected = rejected;
    }

    /** Every accepted transaction once, with its rolling features, at its event time. */
    public PCollection<ScoredTransaction> scored() {
      return scored;
    }

    /** The flagged transactions, each with the statistics and rule that flagged it. */
    public PCollection<FraudAlert> alerts() {
      return alerts;
    }

    /** Late transactions and conflicting redeliveries, with their JSON payload and the reason. */
    public PCollection<Failure> rejected() {
      return rejected;
    }

    @Override
    public Pipeline getPipeline() {
      return pipeline;
    }

    @Override
    public Map<TupleTag<?>, PValue> expand() {
      return Map.of(SCORED, scored, ALERTS, alerts, REJECTED, rejected);
    }

    @Override
    public void finishSpecifyingOutput(
        String transformName, PInput input, PTransform<?, ?> transform) {}
  }
}
