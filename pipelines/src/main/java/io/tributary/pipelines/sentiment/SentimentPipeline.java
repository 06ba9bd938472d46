package io.tributary.pipelines.sentiment;

import io.tributary.pipelines.io.Durations;
import io.tributary.pipelines.io.Launch;
import io.tributary.pipelines.io.OptionsCheck;
import io.tributary.pipelines.io.RedisOptions;
import io.tributary.pipelines.io.Routes;
import io.tributary.pipelines.io.Sinks;
import io.tributary.pipelines.io.Sources;
import io.tributary.pipelines.io.Synthetic;
import io.tributary.proto.common.Failure;
import io.tributary.proto.sentiment.ScoredMention;
import io.tributary.proto.sentiment.ShiftAlert;
import io.tributary.proto.sentiment.TextItem;
import io.tributary.proto.sentiment.TickerWindow;
import io.tributary.transforms.coders.MessageCoder;
import io.tributary.transforms.errors.Failures;
import io.tributary.transforms.sentiment.CoreNlpPipelines;
import io.tributary.transforms.sentiment.FinanceModel;
import io.tributary.transforms.sentiment.FinanceScorer;
import io.tributary.transforms.sentiment.Sentiment;
import io.tributary.transforms.sentiment.TextItemJson;
import io.tributary.transforms.sentiment.TickerDictionary;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Set;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.io.GenerateSequence;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.WithFailures;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionList;
import org.joda.time.Duration;
import org.joda.time.Instant;

/**
 * The market sentiment pipeline: texts in; scored mentions, a per-ticker sliding-window index,
 * shift alerts and failures out.
 *
 * <pre>
 * tributary sentiment                                  # synthetic headlines, console table
 * tributary sentiment --source=kafka --kafkaBootstrapServers=localhost:9092 --inputTopic=news \
 *     --sink=kafka,files,redis --outputTopic=sentiment --outputPath=/tmp/sentiment --redisPort=6379
 * </pre>
 *
 * <p>Sinks: {@code console} draws a refreshing table; {@code kafka} and {@code files} write windows,
 * alerts and mentions as JSON; {@code redis} keeps the latest window of each ticker ({@link
 * RedisIndex}) through the shared Redis writer, whose refusals go to the dead letters.
 */
public final class SentimentPipeline {
  /** Namespace of the pipeline's own counters. */
  public static final String METRICS_NAMESPACE = "tributary.sentiment.pipeline";

  /** The Redis index sink. */
  public static final String REDIS = "redis";

  private SentimentPipeline() {}

  /** The results of {@link #build}. */
  public record Outputs(
      PCollection<ScoredMention> mentions,
      PCollection<TickerWindow> windows,
      PCollection<ShiftAlert> alerts,
      PCollection<Failure> failures) {}

  /** Checks every option; throws one exception naming each bad option and value. */
  public static Routes validate(SentimentOptions options) {
    OptionsCheck check = new OptionsCheck();
    Routes routes = Routes.check(options, check, REDIS, Sinks.DASHBOARD);
    Sinks.checkOutputs(options, check, java.util.Set.of("windows", "alerts", "mentions"));
    check.choices(options.getInputFormat(), "inputFormat", Set.of("json", "csv"));
    check.choices(options.getMethod(), "method", Set.of("combined", "corenlp", "finance"));
    String model = options.getFinanceModel();
    check.require(model.isEmpty() || Files.isReadable(Path.of(model)), "financeModel", model, "is not a readable file");
    check.choices(options.getParser(), "parser", Set.of("sr", "pcfg"));
    check.slidingWindow(options.getWindowSize(), options.getWindowPeriod());
    Duration period = check.positiveDuration(options.getWindowPeriod(), "windowPeriod");
    Duration baseline = check.positiveDuration(options.getBaseline(), "baseline");
    check.require(
        period.isEqual(Duration.ZERO) || baseline.getMillis() % period.getMillis() == 0,
        "baseline", options.getBaseline(), "must be a multiple of --windowPeriod=" + options.getWindowPeriod());
    check.duration(options.getAllowedLateness(), "allowedLateness");
    check
        .requirePositive(options.getMaxTextChars(), "maxTextChars")
        .require(options.getShiftZScore() > 0, "shiftZScore", options.getShiftZScore(), "must be positive")
        .requirePositive(options.getMinMentions(), "minMentions")
        .requirePositive(options.getMinBaselineMentions(), "minBaselineMentions")
        .require(options.getMinStddev() > 0, "minStddev", options.getMinStddev(), "must be positive")
        .requirePositive(options.getEventsPerSecond(), "eventsPerSecond");
    String dictionary = options.getTickerDictionary();
    check.require(dictionary.isEmpty() || Files.isReadable(Path.of(dictionary)), "tickerDictionary", dictionary, "is not a readable file");
    if (routes.sinks().contains(REDIS)) {
      RedisOptions.check(options, check);
    }
    check.throwIfInvalid();
    return routes;
  }

  /** The scoring transform the options describe. */
  public static Sentiment.Score score(SentimentOptions options) {
    FinanceScorer.Method method = FinanceScorer.Method.valueOf(options.getMethod().trim().toUpperCase(Locale.ROOT));
    String parser = options.getParser().trim().equalsIgnoreCase("pcfg") ? CoreNlpPipelines.PCFG_PARSER : CoreNlpPipelines.SHIFT_REDUCE_PARSER;
    Sentiment.Score score =
        Sentiment.score()
            .withMethod(method)
            .withCoreNlp(new CoreNlpPipelines.Config(CoreNlpPipelines.DEFAULT_ANNOTATORS, parser, 80))
            .withMaxTextChars(options.getMaxTextChars());
    if (!options.getFinanceModel().isEmpty()) {
      score = score.withModel(FinanceModel.read(Path.of(options.getFinanceModel())));
    }
    return options.getTickerDictionary().isEmpty()
        ? score
        : score.withDictionary(TickerDictionary.fromFile(Path.of(options.getTickerDictionary())));
  }

  /** The transforms of the pipeline, from parsed texts to results: what tests drive. */
  public static Outputs build(PCollection<TextItem> items, SentimentOptions options) {
    WithFailures.Result<PCollection<ScoredMention>, Failure> scored = items.apply("Score", score(options));
    Duration size = Durations.parse(options.getWindowSize());
    Duration period = Durations.parse(options.getWindowPeriod());
    Duration lateness = Durations.parse(options.getAllowedLateness());
    PCollection<TickerWindow> windows =
        scored.output().apply("Aggregate", Sentiment.aggregate().withSize(size).withPeriod(period).withAllowedLateness(lateness));
    PCollection<ShiftAlert> alerts =
        scored.output()
            .apply(
                "DetectShifts",
                Sentiment.detectShifts()
                    .withSize(size)
                    .withPeriod(period)
                    .withBaseline(Durations.parse(options.getBaseline()))
                    .withAllowedLateness(lateness)
                    .withZThreshold(options.getShiftZScore())
                    .withMinMentions(options.getMinMentions())
                    .withMinBaselineMentions(options.getMinBaselineMentions())
                    .withMinStddev(options.getMinStddev()));
    return new Outputs(scored.output(), windows, alerts, scored.failures());
  }

  /** The whole pipeline for the options: read, parse, score, aggregate, write. */
  public static Pipeline create(SentimentOptions options) {
    // Text items carry their time in "published"; Kafka input is timestamped by it.
    if (options.getEventTimeField().equals("event_time")) {
      options.setEventTimeField(TextItemJson.TIME_FIELD);
    }
    Routes routes = validate(options);
    Pipeline pipeline = Pipeline.create(options);

    // 1. Read texts: generated headlines, or JSON / CSV records from Kafka or files, parsed.
    PCollection<TextItem> items;
    PCollection<Failure> parseFailures;
    if (routes.source().equals(Sources.SYNTHETIC)) {
      items = synthetic(pipeline, options);
      parseFailures = pipeline.apply("NoParseFailures", Create.empty(Failures.coder()));
    } else {
      Sentiment.Parse parse = options.getInputFormat().trim().equalsIgnoreCase("csv") ? Sentiment.parseCsv() : Sentiment.parseJson();
      WithFailures.Result<PCollection<TextItem>, Failure> parsed =
          Sources.readJson(pipeline, routes, options).apply("ParseTexts", parse);
      items = parsed.output();
      parseFailures = parsed.failures();
    }

    // 2. Score sentences per ticker; aggregate per ticker and window; detect shifts.
    Outputs outputs = build(items, options);

    // 3. Write results where --sink says.
    Set<String> sinks = routes.sinks();
    if (sinks.contains(Sinks.CONSOLE)) {
      outputs.windows().apply("Console", ParDo.of(new SentimentConsole.DrawFn()));
      outputs.alerts().apply("ConsoleAlerts", ParDo.of(new SentimentConsole.AlertFn()));
    }
    if (sinks.contains(Sinks.DASHBOARD)) {
      items.apply("DashboardMeter", ParDo.of(new io.tributary.pipelines.dashboard.Meter.RecordFn<>("sentiment", TextItem::getPublishedMillis)));
      outputs.mentions().apply("DashboardMentions", ParDo.of(new SentimentBoard.MentionFn()));
      outputs.windows().apply("DashboardWindows", ParDo.of(new SentimentBoard.WindowFn()));
      outputs.alerts().apply("DashboardShifts", ParDo.of(new SentimentBoard.ShiftFn()));
    }
    Sinks.results(outputs.windows(), "windows", "", routes, options);
    Sinks.results(outputs.alerts(), "alerts", ".alerts", routes, options);
    Sinks.results(outputs.mentions(), "mentions", ".mentions", routes, options);
    PCollectionList<Failure> failures = PCollectionList.of(parseFailures).and(outputs.failures());
    if (sinks.contains(REDIS)) {
      failures =
          failures.and(
              outputs
                  .windows()
                  .apply("RedisIndex", RedisIndex.write(RedisOptions.reachableSettings(options), options.getIndexKeyPrefix())));
    }

    // 4. Every failure, with its payload and reason, to the dead-letter sink.
    Sinks.failures(failures, routes, options);
    return pipeline;
  }

  /** Parses the arguments, builds the pipeline and runs it to completion. */
  public static PipelineResult run(String... args) {
    SentimentOptions options = PipelineOptionsFactory.fromArgs(args).withValidation().as(SentimentOptions.class);
    Pipeline pipeline = create(options);
    if (validate(options).sinks().contains(Sinks.DASHBOARD)) {
      SentimentBoard.BOARD.update(SentimentBoard::clear);
      return io.tributary.pipelines.dashboard.Dashboards.run(
          pipeline, options, SentimentBoard.BOARD, SentimentBoard.METER, "market sentiment", r -> {});
    }
    return Launch.run(pipeline, result -> {});
  }

  /** Synthetic headlines: bounded (as fast as read) with --maxEvents, else paced in real time. */
  static PCollection<TextItem> synthetic(Pipeline pipeline, SentimentOptions options) {
    HeadlineGenerator generator = new HeadlineGenerator(options.getSeed(), options.getStartMillis(), options.getEventsPerSecond());
    if (options.getMaxEvents() > 0) {
      return pipeline.apply("Headlines", Synthetic.bounded(generator, options.getMaxEvents()));
    }
    return pipeline
        .apply("Indexes", GenerateSequence.from(0).withRate(options.getEventsPerSecond(), Duration.standardSeconds(1)))
        .apply("Headlines", ParDo.of(new HeadlineFn(generator)))
        .setCoder(MessageCoder.of(TextItem.class));
  }

  /** Headline i at the time it is generated. */
  static final class HeadlineFn extends DoFn<Long, TextItem> {
    private final HeadlineGenerator generator;

    HeadlineFn(HeadlineGenerator generator) {
      this.generator = generator;
    }

    @ProcessElement
    public void process(@Element Long i, @Timestamp Instant now, OutputReceiver<TextItem> out) {
      TextItem item = generator.itemAt(i, now.getMillis());
      out.outputWithTimestamp(item, new Instant(item.getPublishedMillis()));
    }

    @SuppressWarnings("deprecation")
    @Override
    public Duration getAllowedTimestampSkew() {
      return Duration.millis(Long.MAX_VALUE);
    }
  }
}
