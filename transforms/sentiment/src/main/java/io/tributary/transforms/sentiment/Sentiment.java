package io.tributary.transforms.sentiment;

import com.google.auto.value.AutoValue;
import io.tributary.proto.common.Failure;
import io.tributary.proto.sentiment.ClassProbabilities;
import io.tributary.proto.sentiment.Label;
import io.tributary.proto.sentiment.ScoredMention;
import io.tributary.proto.sentiment.ShiftAlert;
import io.tributary.proto.sentiment.TextItem;
import io.tributary.proto.sentiment.TickerWindow;
import io.tributary.transforms.coders.MessageCoder;
import io.tributary.transforms.errors.Failures;
import io.tributary.transforms.window.Panes;
import io.tributary.transforms.window.SlidingCombine;
import java.util.List;
import java.util.function.Function;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.metrics.Metrics;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.WithFailures;
import org.apache.beam.sdk.transforms.WithKeys;
import org.apache.beam.sdk.transforms.display.DisplayData;
import org.apache.beam.sdk.transforms.windowing.BoundedWindow;
import org.apache.beam.sdk.transforms.windowing.IntervalWindow;
import org.apache.beam.sdk.transforms.windowing.PaneInfo;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionTuple;
import org.apache.beam.sdk.values.TupleTag;
import org.apache.beam.sdk.values.TupleTagList;
import org.apache.beam.sdk.values.TypeDescriptors;
import org.checkerframework.checker.nullness.qual.Nullable;
import org.joda.time.Duration;

/**
 * Market sentiment transforms: parse texts, score their sentences per ticker, aggregate per ticker
 * over sliding windows, and alert on shifts against a trailing baseline.
 *
 * <pre>{@code
 * WithFailures.Result<PCollection<TextItem>, Failure> items = json.apply("Parse", Sentiment.parseJson());
 * WithFailures.Result<PCollection<ScoredMention>, Failure> mentions =
 *     items.output().apply("Score", Sentiment.score());
 * PCollection<TickerWindow> index = mentions.output().apply("Aggregate",
 *     Sentiment.aggregate().withSize(Duration.standardHours(1)).withPeriod(Duration.standardMinutes(5)));
 * PCollection<ShiftAlert> alerts = mentions.output().apply("Shifts", Sentiment.detectShifts());
 * }</pre>
 */
public final class Sentiment {
  /** Namespace of the transforms' counters. */
  public static final String METRICS_NAMESPACE = "tributary.sentiment";

  private Sentiment() {}

  /** Parses JSON text items (see {@link TextItemJson}). */
  public static Parse parseJson() {
    return new AutoValue_Sentiment_Parse.Builder().setCsv(false).setMaxPayloadBytes(256 * 1024).build();
  }

  /** Parses CSV headlines {@code id,published,text[,tickers]} (see {@link TextItemJson}). */
  public static Parse parseCsv() {
    return parseJson().toBuilder().setCsv(true).build();
  }

  /** Scores sentences with the shipped finance model; see {@link Score}. */
  public static Score score() {
    return new AutoValue_Sentiment_Score.Builder()
        .setDictionary(TickerDictionary.usLargeCaps())
        .setMethod(FinanceScorer.Method.FINANCE)
        .setCoreNlp(CoreNlpPipelines.Config.defaults())
        .setMaxTextChars(5000)
        .build();
  }

  /** Per-ticker aggregates over sliding windows of 1 hour every 5 minutes; see {@link Aggregate}. */
  public static Aggregate aggregate() {
    return new AutoValue_Sentiment_Aggregate.Builder()
        .setSize(Duration.standardHours(1))
        .setPeriod(Duration.standardMinutes(5))
        .setAllowedLateness(Duration.ZERO)
        .setTopK(3)
        .build();
  }

  /** Shift alerts of 1-hour windows against the 6 hours before them; see {@link DetectShifts}. */
  public static DetectShifts detectShifts() {
    return new AutoValue_Sentiment_DetectShifts.Builder()
        .setSize(Duration.standardHours(1))
        .setPeriod(Duration.standardMinutes(5))
        .setBaseline(Duration.standardHours(6))
        .setAllowedLateness(Duration.ZERO)
        .setZThreshold(3.0)
        .setMinMentions(5)
        .setMinBaselineMentions(10)
        .setMinStddev(0.1)
        .setTopK(3)
        .build();
  }

  /**
   * Parses JSON or CSV records into {@link TextItem}s stamped with their publication time; every
   * other record goes to the failure output (step {@value #STEP}) with its original bytes and the
   * reason (oversized, malformed, a missing, empty or mistyped field, a bad time or ticker). A CSV
   * header line is skipped and counted ({@code csvHeaders}).
   */
  @AutoValue
  public abstract static class Parse
      extends PTransform<PCollection<byte[]>, WithFailures.Result<PCollection<TextItem>, Failure>> {
    /** The step name in failure records. */
    public static final String STEP = "ParseTextItems";

    abstract boolean getCsv();

    abstract int getMaxPayloadBytes();

    abstract Builder toBuilder();

    @AutoValue.Builder
    abstract static class Builder {
      abstract Builder setCsv(boolean csv);

      abstract Builder setMaxPayloadBytes(int bytes);

      abstract Parse build();
    }

    /** Records larger than this are failures, unread (default 256 KiB). */
    public Parse withMaxPayloadBytes(int bytes) {
      return toBuilder().setMaxPayloadBytes(bytes).build();
    }

    @Override
    public WithFailures.Result<PCollection<TextItem>, Failure> expand(PCollection<byte[]> input) {
      if (getMaxPayloadBytes() <= 0) {
        throw new IllegalArgumentException("Parse: maxPayloadBytes must be positive, got " + getMaxPayloadBytes());
      }
      TupleTag<TextItem> parsed = new TupleTag<TextItem>() {};
      TupleTag<Failure> failed = Failures.tag();
      PCollectionTuple results =
          input.apply(
              "Parse",
              ParDo.of(new ParseTextFn(getCsv(), getMaxPayloadBytes(), parsed, failed))
                  .withOutputTags(parsed, TupleTagList.of(failed)));
      results.get(parsed).setCoder(MessageCoder.of(TextItem.class));
      results.get(failed).setCoder(Failures.coder());
      return WithFailures.Result.of(results, parsed, failed);
    }

    @Override
    public void populateDisplayData(DisplayData.Builder builder) {
      super.populateDisplayData(builder);
      builder.add(DisplayData.item("format", getCsv() ? "csv" : "json"))
          .add(DisplayData.item("maxPayloadBytes", getMaxPayloadBytes()));
    }
  }

  /**
   * Scores every sentence of every text and attributes it to the tickers it concerns: one {@link
   * ScoredMention} per (sentence, ticker), at the text's timestamp.
   *
   * <p><b>Scoring.</b> Per sentence, class probabilities from the {@link FinanceScorer.Method}
   * (default {@code FINANCE}: the {@link FinanceModel} over finance lexicons, headline grammar and
   * words; {@code COMBINED} adds CoreNLP's sentiment model); the label is the likeliest class, the
   * score {@code P(positive) - P(negative)} in [-1, 1] and the weight the label's probability.
   * CoreNLP (sentence splitting always, parsing and sentiment for the CoreNLP methods) is built
   * once per JVM and configuration ({@link CoreNlpPipelines}) and shared by all instances; scores
   * are deterministic.
   *
   * <p><b>Attribution.</b> A sentence that mentions tickers ({@link TickerDictionary}) is
   * attributed to each of them. A sentence that mentions none is attributed to the tickers of the
   * nearest preceding sentence that does ("Apple beat estimates. Shares rose 4%." gives both
   * sentences to AAPL); if no sentence before it mentions one, to the tickers the text was tagged
   * with ({@link TextItem#getTickersList()}); otherwise to none (counter {@code
   * unattributedSentences}). Tickers named on both sides of a contrast ("Apple beat estimates while
   * Microsoft missed") are scored on their own clauses; the mention keeps the whole sentence. A text with no attributed sentence yields nothing (counter {@code
   * itemsWithoutTicker}).
   *
   * <p><b>Limits.</b> A text longer than {@code maxTextChars} is cut at the last whitespace before
   * the limit and scored (counter {@code truncated}); with a CoreNLP method, a sentence longer than
   * the parser's limit is scored by the finance model alone ({@code unparsedSentences}). A text CoreNLP fails on goes to
   * the failure output (step {@value #STEP}) as JSON with the reason; nothing is dropped silently.
   */
  @AutoValue
  public abstract static class Score
      extends PTransform<PCollection<TextItem>, WithFailures.Result<PCollection<ScoredMention>, Failure>> {
    /** The step name in failure records. */
    public static final String STEP = "ScoreSentiment";

    abstract TickerDictionary getDictionary();

    abstract FinanceScorer.Method getMethod();

    abstract @Nullable FinanceModel getModel();

    abstract CoreNlpPipelines.Config getCoreNlp();

    abstract int getMaxTextChars();

    abstract Builder toBuilder();

    @AutoValue.Builder
    abstract static class Builder {
      abstract Builder setDictionary(TickerDictionary dictionary);

      abstract Builder setMethod(FinanceScorer.Method method);

      abstract Builder setModel(@Nullable FinanceModel model);

      abstract Builder setCoreNlp(CoreNlpPipelines.Config config);

      abstract Builder setMaxTextChars(int chars);

      abstract Score build();
    }

    /** The tickers and company names to look for (default {@link TickerDictionary#usLargeCaps()}). */
    public Score withDictionary(TickerDictionary dictionary) {
      return toBuilder().setDictionary(dictionary).build();
    }

    /** How sentences are scored (default {@code FINANCE}: the finance model alone, no parser). */
    public Score withMethod(FinanceScorer.Method method) {
      return toBuilder().setMethod(method).build();
    }

    /**
     * The finance model of the {@code FINANCE} and {@code COMBINED} methods (default {@link
     * FinanceModel#shipped()}); for example one refitted on your own labelled texts by {@code
     * tributary sentiment-eval --tune --modelOut=FILE} and read by {@link FinanceModel#read}.
     */
    public Score withModel(FinanceModel model) {
      return toBuilder().setModel(model).build();
    }

    /**
     * CoreNLP's annotators, parser and sentence limit (default {@link
     * CoreNlpPipelines.Config#defaults()}: {@value CoreNlpPipelines#DEFAULT_ANNOTATORS} with the
     * PCFG parser). With the {@code FINANCE} method only tokenization and sentence splitting run.
     */
    public Score withCoreNlp(CoreNlpPipelines.Config config) {
      return toBuilder().setCoreNlp(config).build();
    }

    /** Texts longer than this are truncated and counted (default 5,000 characters). */
    public Score withMaxTextChars(int chars) {
      return toBuilder().setMaxTextChars(chars).build();
    }

    /**
     * The scoring step outside a pipeline: a function from a text to its mentions, exactly what
     * {@link Score} emits for it (truncation included), for tests and benchmarks. Thread-safe; a
     * text the scorer fails on throws. Metrics are not counted outside a pipeline.
     */
    public Function<TextItem, List<ScoredMention>> inProcess() {
      ScoreFn fn = new ScoreFn(getDictionary(), getMethod(), getModel(), effectiveCoreNlp(), getMaxTextChars(), null, null);
      fn.setup();
      int max = getMaxTextChars();
      return item -> fn.score(item, item.getText().length() > max ? truncate(item.getText(), max) : item.getText());
    }

    /** The CoreNLP configuration that actually runs for the method. */
    public CoreNlpPipelines.Config effectiveCoreNlp() {
      return getMethod().usesCoreNlp()
          ? getCoreNlp()
          : new CoreNlpPipelines.Config(CoreNlpPipelines.SPLIT_ONLY, getCoreNlp().parseModel(), getCoreNlp().maxSentenceTokens());
    }

    @Override
    public WithFailures.Result<PCollection<ScoredMention>, Failure> expand(PCollection<TextItem> input) {
      if (getMaxTextChars() <= 0) {
        throw new IllegalArgumentException("Score: maxTextChars must be positive, got " + getMaxTextChars());
      }
      if (getMethod().usesCoreNlp() && !getCoreNlp().hasSentiment()) {
        throw new IllegalArgumentException(
            "Score: method " + getMethod() + " needs the sentiment annotator, got annotators '" + getCoreNlp().annotators() + "'");
      }
      TupleTag<ScoredMention> scored = new TupleTag<ScoredMention>() {};
      TupleTag<Failure> failed = Failures.tag();
      PCollectionTuple results =
          input.apply(
              "Score",
              ParDo.of(new ScoreFn(getDictionary(), getMethod(), getModel(), effectiveCoreNlp(), getMaxTextChars(), scored, failed))
                  .withOutputTags(scored, TupleTagList.of(failed)));
      results.get(scored).setCoder(MessageCoder.of(ScoredMention.class));
      results.get(failed).setCoder(Failures.coder());
      return WithFailures.Result.of(results, scored, failed);
    }

    @Override
    public void populateDisplayData(DisplayData.Builder builder) {
      super.populateDisplayData(builder);
      builder
          .add(DisplayData.item("method", getMethod().toString()))
          .add(DisplayData.item("model", getModel() == null ? "shipped" : getModel().toString()))
          .add(DisplayData.item("annotators", effectiveCoreNlp().annotators()))
          .add(DisplayData.item("parseModel", getCoreNlp().parseModel()))
          .add(DisplayData.item("maxTextChars", getMaxTextChars()))
          .add(DisplayData.item("tickers", getDictionary().tickers().size()));
    }
  }

  /**
   * The label, score, probabilities and weight of one sentence (no item, ticker or time): what
   * {@link Score} attaches to each of its mentions. {@code coreNlp} may be null.
   */
  public static ScoredMention.Builder scoreSentence(FinanceScorer.Method method, String sentence, double[] coreNlp) {
    return scoreSentence(method, FinanceModel.shipped(), sentence, coreNlp);
  }

  /** {@link #scoreSentence(FinanceScorer.Method, String, double[])} with a finance model of your own. */
  public static ScoredMention.Builder scoreSentence(FinanceScorer.Method method, FinanceModel model, String sentence, double[] coreNlp) {
    double[] p = FinanceScorer.probabilities(method, model, sentence, coreNlp);
    int best = FinanceScorer.argmax(p);
    return ScoredMention.newBuilder()
        .setSentence(sentence)
        .setLabel(best == 0 ? Label.NEGATIVE : best == 1 ? Label.NEUTRAL : Label.POSITIVE)
        .setScore(Math.max(-1, Math.min(1, p[2] - p[0])))
        .setWeight(p[best])
        .setProbabilities(ClassProbabilities.newBuilder().setNegative(p[0]).setNeutral(p[1]).setPositive(p[2]));
  }

  /** The text up to the last whitespace at or before {@code max} characters (or cut at max). */
  static String truncate(String text, int max) {
    int cut = max;
    while (cut > max / 2 && !Character.isWhitespace(text.charAt(cut))) {
      cut--;
    }
    if (cut <= max / 2) {
      cut = max;
    }
    // Never split a surrogate pair.
    if (Character.isLowSurrogate(text.charAt(cut)) && cut > 0) {
      cut--;
    }
    return text.substring(0, cut);
  }

  /**
   * Per-ticker sentiment over sliding event-time windows: one {@link TickerWindow} per ticker and
   * window that holds mentions (mentions, mean and weighted score, standard deviation, counts per
   * label, the {@code topK} most positive and most negative mentions).
   *
   * <p>Exact and incremental: computed by {@link SlidingCombine} (each mention is added once to its
   * bucket, buckets are merged per window), equal to {@code SlidingWindows} + {@code
   * Combine.perKey} for on-time data; sums are exact ({@link MentionStats}). A window fires when
   * the watermark passes its end; late mentions within the allowed lateness fire a complete
   * (accumulating) LATE pane with a higher index; later ones are dropped by the runner and counted
   * in its {@code droppedDueToLateness} counter. Bounded or unbounded input.
   */
  @AutoValue
  public abstract static class Aggregate extends PTransform<PCollection<ScoredMention>, PCollection<TickerWindow>> {
    abstract Duration getSize();

    abstract Duration getPeriod();

    abstract Duration getAllowedLateness();

    abstract int getTopK();

    abstract Builder toBuilder();

    @AutoValue.Builder
    abstract static class Builder {
      abstract Builder setSize(Duration size);

      abstract Builder setPeriod(Duration period);

      abstract Builder setAllowedLateness(Duration lateness);

      abstract Builder setTopK(int k);

      abstract Aggregate build();
    }

    /** The window length (default 1 hour). */
    public Aggregate withSize(Duration size) {
      return toBuilder().setSize(size).build();
    }

    /** How often a window starts (default 5 minutes). */
    public Aggregate withPeriod(Duration period) {
      return toBuilder().setPeriod(period).build();
    }

    /** How late a mention may be and still update its windows (default 0). */
    public Aggregate withAllowedLateness(Duration lateness) {
      return toBuilder().setAllowedLateness(lateness).build();
    }

    /** How many most positive and most negative mentions a window keeps (default 3). */
    public Aggregate withTopK(int k) {
      return toBuilder().setTopK(k).build();
    }

    @Override
    public PCollection<TickerWindow> expand(PCollection<ScoredMention> mentions) {
      if (getTopK() < 0) {
        throw new IllegalArgumentException("Aggregate: topK must not be negative, got " + getTopK());
      }
      return byTicker(mentions)
          .apply(
              "SlidingWindows",
              SlidingCombine.<String, ScoredMention, MentionStats, TickerWindow>perKey(new MentionCombineFns.WindowFn(getTopK()))
                  .withSize(getSize())
                  .withPeriod(getPeriod())
                  .withAllowedLateness(getAllowedLateness()))
          .apply("StampWindow", ParDo.of(new StampWindowFn()))
          .setCoder(MessageCoder.of(TickerWindow.class));
    }

    @Override
    public void populateDisplayData(DisplayData.Builder builder) {
      super.populateDisplayData(builder);
      builder
          .add(DisplayData.item("size", getSize()))
          .add(DisplayData.item("period", getPeriod()))
          .add(DisplayData.item("allowedLateness", getAllowedLateness()))
          .add(DisplayData.item("topK", getTopK()));
    }
  }

  private static PCollection<KV<String, ScoredMention>> byTicker(PCollection<ScoredMention> mentions) {
    return mentions
        .apply("ByTicker", WithKeys.of((ScoredMention m) -> m.getTicker()).withKeyType(TypeDescriptors.strings()))
        .setCoder(KvCoder.of(StringUtf8Coder.of(), MessageCoder.of(ScoredMention.class)));
  }

  /** Adds the ticker, the window bounds and the pane to an aggregate. */
  static final class StampWindowFn extends DoFn<KV<String, TickerWindow>, TickerWindow> {
    private final Counter late = Metrics.counter(METRICS_NAMESPACE, "lateWindows");

    @ProcessElement
    public void process(
        @Element KV<String, TickerWindow> kv, BoundedWindow window, PaneInfo pane, OutputReceiver<TickerWindow> out) {
      IntervalWindow w = (IntervalWindow) window;
      if (pane.getTiming() == PaneInfo.Timing.LATE) {
        late.inc();
      }
      out.output(
          kv.getValue().toBuilder()
              .setTicker(kv.getKey())
              .setWindowStartMillis(w.start().getMillis())
              .setWindowEndMillis(w.end().getMillis())
              .setPane(Panes.of(pane))
              .build());
    }
  }

  /**
   * Alerts when a ticker's sentiment in a window departs from its trailing baseline.
   *
   * <p>For every window {@code [s, s + size)} (starting every {@code period}) the <em>current</em>
   * mentions are those of the window and the <em>baseline</em> those of {@code [s - baseline, s)}.
   * With {@code n} current mentions of mean {@code m}, and baseline mean {@code b} and standard
   * deviation {@code sd} (per mention), the shift is {@code z = (m - b) / (max(sd, minStddev) /
   * sqrt(n))}, the z-statistic of the current mean under the baseline's distribution. A {@link
   * ShiftAlert} is emitted when {@code |z| >= zThreshold}, {@code n >= minMentions} and the
   * baseline has at least {@code minBaselineMentions}; it names the {@code topK} current mentions
   * furthest in the direction of the shift.
   *
   * <p>Computed in one pass by {@link SlidingCombine} over windows of {@code baseline + size},
   * keeping statistics per {@code gcd(size, period)} bucket so each window splits exactly into its
   * baseline and current parts. Windows fire when the watermark passes their end; late mentions
   * within the allowed lateness re-evaluate the window (pane LATE), and an alert is emitted again
   * if the condition still holds (an earlier alert is not withdrawn when it no longer does).
   */
  @AutoValue
  public abstract static class DetectShifts extends PTransform<PCollection<ScoredMention>, PCollection<ShiftAlert>> {
    abstract Duration getSize();

    abstract Duration getPeriod();

    abstract Duration getBaseline();

    abstract Duration getAllowedLateness();

    abstract double getZThreshold();

    abstract int getMinMentions();

    abstract int getMinBaselineMentions();

    abstract double getMinStddev();

    abstract int getTopK();

    abstract Builder toBuilder();

    @AutoValue.Builder
    abstract static class Builder {
      abstract Builder setSize(Duration size);

      abstract Builder setPeriod(Duration period);

      abstract Builder setBaseline(Duration baseline);

      abstract Builder setAllowedLateness(Duration lateness);

      abstract Builder setZThreshold(double z);

      abstract Builder setMinMentions(int n);

      abstract Builder setMinBaselineMentions(int n);

      abstract Builder setMinStddev(double sd);

      abstract Builder setTopK(int k);

      abstract DetectShifts build();
    }

    /** The current window's length (default 1 hour). */
    public DetectShifts withSize(Duration size) {
      return toBuilder().setSize(size).build();
    }

    /** How often a window starts and is evaluated (default 5 minutes). */
    public DetectShifts withPeriod(Duration period) {
      return toBuilder().setPeriod(period).build();
    }

    /** The span before each window that forms its baseline, a multiple of the period (default 6 hours). */
    public DetectShifts withBaseline(Duration baseline) {
      return toBuilder().setBaseline(baseline).build();
    }

    /** How late a mention may be and still re-evaluate its windows (default 0). */
    public DetectShifts withAllowedLateness(Duration lateness) {
      return toBuilder().setAllowedLateness(lateness).build();
    }

    /** The |z| at which to alert (default 3). */
    public DetectShifts withZThreshold(double z) {
      return toBuilder().setZThreshold(z).build();
    }

    /** The fewest current mentions to alert on (default 5). */
    public DetectShifts withMinMentions(int n) {
      return toBuilder().setMinMentions(n).build();
    }

    /** The fewest baseline mentions to alert on (default 10). */
    public DetectShifts withMinBaselineMentions(int n) {
      return toBuilder().setMinBaselineMentions(n).build();
    }

    /** The smallest baseline standard deviation used, so a flat baseline does not alert on noise (default 0.1). */
    public DetectShifts withMinStddev(double sd) {
      return toBuilder().setMinStddev(sd).build();
    }

    /** How many contributing mentions an alert names (default 3). */
    public DetectShifts withTopK(int k) {
      return toBuilder().setTopK(k).build();
    }

    @Override
    public PCollection<ShiftAlert> expand(PCollection<ScoredMention> mentions) {
      long size = getSize().getMillis();
      long period = getPeriod().getMillis();
      long baseline = getBaseline().getMillis();
      check(period > 0 && size >= period, "size " + getSize() + " must be at least the period " + getPeriod() + " (> 0)");
      check(baseline > 0 && baseline % period == 0, "baseline " + getBaseline() + " must be a positive multiple of the period " + getPeriod());
      check(getZThreshold() > 0, "zThreshold must be positive, got " + getZThreshold());
      check(getMinMentions() >= 1, "minMentions must be at least 1, got " + getMinMentions());
      check(getMinBaselineMentions() >= 1, "minBaselineMentions must be at least 1, got " + getMinBaselineMentions());
      check(getMinStddev() > 0, "minStddev must be positive, got " + getMinStddev());
      check(getTopK() >= 0, "topK must not be negative, got " + getTopK());
      long bucket = java.math.BigInteger.valueOf(size).gcd(java.math.BigInteger.valueOf(period)).longValueExact();
      return byTicker(mentions)
          .apply(
              "SlidingWindows",
              SlidingCombine.<String, ScoredMention, MentionStats.Buckets, MentionStats.Buckets>perKey(
                      new MentionCombineFns.BucketFn(bucket, getTopK()))
                  .withSize(getSize().plus(getBaseline()))
                  .withPeriod(getPeriod())
                  .withAllowedLateness(getAllowedLateness()))
          .apply("Evaluate", ParDo.of(new ShiftFn(size, this)))
          .setCoder(MessageCoder.of(ShiftAlert.class));
    }

    private static void check(boolean ok, String message) {
      if (!ok) {
        throw new IllegalArgumentException("DetectShifts: " + message);
      }
    }

    @Override
    public void populateDisplayData(DisplayData.Builder builder) {
      super.populateDisplayData(builder);
      builder
          .add(DisplayData.item("size", getSize()))
          .add(DisplayData.item("period", getPeriod()))
          .add(DisplayData.item("baseline", getBaseline()))
          .add(DisplayData.item("allowedLateness", getAllowedLateness()))
          .add(DisplayData.item("zThreshold", getZThreshold()))
          .add(DisplayData.item("minMentions", getMinMentions()))
          .add(DisplayData.item("minBaselineMentions", getMinBaselineMentions()))
          .add(DisplayData.item("minStddev", getMinStddev()));
    }
  }

}
