package io.tributary.pipelines.sentiment;

import io.tributary.pipelines.io.OptionsCheck;
import io.tributary.pipelines.io.Routes;
import io.tributary.pipelines.io.Sinks;
import io.tributary.pipelines.io.Sources;
import io.tributary.proto.common.Failure;
import io.tributary.proto.sentiment.ScoredMention;
import io.tributary.proto.sentiment.ShiftAlert;
import io.tributary.proto.sentiment.TextItem;
import io.tributary.proto.sentiment.TickerWindow;
import io.tributary.transforms.errors.Failures;
import io.tributary.transforms.sentiment.CoreNlpPipelines;
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
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.extensions.protobuf.ProtoCoder;
import org.apache.beam.sdk.io.GenerateSequence;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.Flatten;
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
 *     --sink=kafka,files --outputTopic=sentiment --outputPath=/tmp/sentiment --redis=localhost:6379
 * </pre>
 */
public final class SentimentPipeline {
  /** Namespace of the pipeline's own counters. */
  public static final String METRICS_NAMESPACE = "tributary.sentiment.pipeline";

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
    Routes routes = Routes.check(options, check);
    check.choices(options.getInputFormat(), "inputFormat", Set.of("json", "csv"));
    check.choices(options.getMethod(), "method", Set.of("combined", "corenlp", "finance"));
    check.choices(options.getParser(), "parser", Set.of("sr", "pcfg"));
    check
        .requirePositive(options.getMaxTextChars(), "maxTextChars")
        .requirePositive(options.getWindowSizeMinutes(), "windowSizeMinutes")
        .requirePositive(options.getWindowPeriodMinutes(), "windowPeriodMinutes")
        .require(options.getWindowPeriodMinutes() <= options.getWindowSizeMinutes(), "windowPeriodMinutes",
            options.getWindowPeriodMinutes(), "must not exceed --windowSizeMinutes=" + options.getWindowSizeMinutes())
        .requirePositive(options.getBaselineMinutes(), "baselineMinutes")
        .require(options.getWindowPeriodMinutes() <= 0 || options.getBaselineMinutes() % options.getWindowPeriodMinutes() == 0,
            "baselineMinutes", options.getBaselineMinutes(), "must be a multiple of --windowPeriodMinutes=" + options.getWindowPeriodMinutes())
        .requireNonNegative(options.getAllowedLatenessSeconds(), "allowedLatenessSeconds")
        .require(options.getShiftZScore() > 0, "shiftZScore", options.getShiftZScore(), "must be positive")
        .requirePositive(options.getMinMentions(), "minMentions")
        .requirePositive(options.getMinBaselineMentions(), "minBaselineMentions")
        .require(options.getMinStddev() > 0, "minStddev", options.getMinStddev(), "must be positive")
        .requirePositive(options.getItemsPerSecond(), "itemsPerSecond")
        .requireNonNegative(options.getMaxItems(), "maxItems");
    String dictionary = options.getTickerDictionary();
    check.require(dictionary.isEmpty() || Files.isReadable(Path.of(dictionary)), "tickerDictionary", dictionary, "is not a readable file");
    String redis = options.getRedis();
    check.require(redis.isEmpty() || redis.matches("[^:\\s]+:\\d{1,5}"), "redis", redis, "must be host:port");
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
    return options.getTickerDictionary().isEmpty()
        ? score
        : score.withDictionary(TickerDictionary.fromFile(Path.of(options.getTickerDictionary())));
  }

  /** The transforms of the pipeline, from parsed texts to results: what tests drive. */
  public static Outputs build(PCollection<TextItem> items, SentimentOptions options) {
    WithFailures.Result<PCollection<ScoredMention>, Failure> scored = items.apply("Score", score(options));
    Duration size = Duration.standardMinutes(options.getWindowSizeMinutes());
    Duration period = Duration.standardMinutes(options.getWindowPeriodMinutes());
    Duration lateness = Duration.standardSeconds(options.getAllowedLatenessSeconds());
    PCollection<TickerWindow> windows =
        scored.output().apply("Aggregate", Sentiment.aggregate().withSize(size).withPeriod(period).withAllowedLateness(lateness));
    PCollection<ShiftAlert> alerts =
        scored.output()
            .apply(
                "DetectShifts",
                Sentiment.detectShifts()
                    .withSize(size)
                    .withPeriod(period)
                    .withBaseline(Duration.standardMinutes(options.getBaselineMinutes()))
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

    // 3. Write results where --sink (and --redis) say.
    Set<String> sinks = routes.sinks();
    if (sinks.contains(Sinks.CONSOLE)) {
      outputs.windows().apply("Console", ParDo.of(new SentimentConsole.DrawFn()));
      outputs.alerts().apply("ConsoleAlerts", ParDo.of(new SentimentConsole.AlertFn()));
    }
    if (sinks.contains(Sinks.KAFKA) || sinks.contains(Sinks.FILES)) {
      PCollection<String> windowJson =
          outputs.windows().apply("WindowsToJson", ParDo.of(new Sinks.ToJsonFn<TickerWindow>())).setCoder(StringUtf8Coder.of());
      PCollection<String> alertJson =
          outputs.alerts().apply("AlertsToJson", ParDo.of(new Sinks.ToJsonFn<ShiftAlert>())).setCoder(StringUtf8Coder.of());
      PCollection<String> mentionJson =
          outputs.mentions().apply("MentionsToJson", ParDo.of(new Sinks.ToJsonFn<ScoredMention>())).setCoder(StringUtf8Coder.of());
      if (sinks.contains(Sinks.KAFKA)) {
        Sinks.toKafka(windowJson, "WindowsToKafka", options, options.getOutputTopic());
        Sinks.toKafka(alertJson, "AlertsToKafka", options, options.getOutputTopic() + ".alerts");
        Sinks.toKafka(mentionJson, "MentionsToKafka", options, options.getOutputTopic() + ".mentions");
      }
      if (sinks.contains(Sinks.FILES)) {
        Sinks.toFiles(windowJson, "WindowsToFiles", options, options.getOutputPath(), "windows/windows");
        Sinks.toFiles(alertJson, "AlertsToFiles", options, options.getOutputPath(), "alerts/alerts");
        Sinks.toFiles(mentionJson, "MentionsToFiles", options, options.getOutputPath(), "mentions/mentions");
      }
    }
    if (!options.getRedis().isEmpty()) {
      String[] hostPort = options.getRedis().split(":");
      outputs.windows().apply("RedisIndex",
          ParDo.of(new RedisIndex.WriteFn(hostPort[0], Integer.parseInt(hostPort[1]), options.getRedisKeyPrefix())));
    }

    // 4. Every failure, with its payload and reason, to the dead-letter sink.
    Sinks.failures(
        PCollectionList.of(parseFailures).and(outputs.failures()).apply("AllFailures", Flatten.pCollections()),
        routes,
        options);
    return pipeline;
  }

  /** Parses the arguments, builds the pipeline and runs it to completion. */
  public static PipelineResult run(String... args) {
    SentimentOptions options = PipelineOptionsFactory.fromArgs(args).withValidation().as(SentimentOptions.class);
    PipelineResult result = create(options).run();
    result.waitUntilFinish();
    return result;
  }

  /** Synthetic headlines: bounded (as fast as read) with --maxItems, else paced in real time. */
  static PCollection<TextItem> synthetic(Pipeline pipeline, SentimentOptions options) {
    HeadlineGenerator generator = new HeadlineGenerator(options.getSeed(), options.getStartMillis(), options.getItemsPerSecond());
    GenerateSequence indexes =
        options.getMaxItems() > 0
            ? GenerateSequence.from(0).to(options.getMaxItems())
            : GenerateSequence.from(0).withRate(options.getItemsPerSecond(), Duration.standardSeconds(1));
    return pipeline
        .apply("Indexes", indexes)
        .apply("Headlines", ParDo.of(new HeadlineFn(generator, options.getMaxItems() > 0)))
        .setCoder(ProtoCoder.of(TextItem.class));
  }

  /** Headline i at its scheduled time (bounded) or at the time it is generated (paced). */
  static final class HeadlineFn extends DoFn<Long, TextItem> {
    private final HeadlineGenerator generator;
    private final boolean scheduled;

    HeadlineFn(HeadlineGenerator generator, boolean scheduled) {
      this.generator = generator;
      this.scheduled = scheduled;
    }

    @ProcessElement
    public void process(@Element Long i, @Timestamp Instant now, OutputReceiver<TextItem> out) {
      TextItem item = scheduled ? generator.itemAt(i) : generator.itemAt(i, now.getMillis());
      out.outputWithTimestamp(item, new Instant(item.getPublishedMillis()));
    }

    @SuppressWarnings("deprecation")
    @Override
    public Duration getAllowedTimestampSkew() {
      return Duration.millis(Long.MAX_VALUE);
    }
  }
}
