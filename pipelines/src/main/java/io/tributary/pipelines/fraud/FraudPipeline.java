package io.tributary.pipelines.fraud;

import io.tributary.features.FeatureStore;
import io.tributary.pipelines.dashboard.Dashboards;
import io.tributary.pipelines.dashboard.Meter;
import io.tributary.pipelines.io.Durations;
import io.tributary.pipelines.io.Launch;
import io.tributary.pipelines.io.OptionsCheck;
import io.tributary.pipelines.io.RedisOptions;
import io.tributary.pipelines.io.Routes;
import io.tributary.pipelines.io.Sinks;
import io.tributary.pipelines.io.Sources;
import io.tributary.pipelines.io.Synthetic;
import io.tributary.proto.common.Failure;
import io.tributary.proto.fraud.FraudAlert;
import io.tributary.proto.fraud.ScoredTransaction;
import io.tributary.proto.fraud.Transaction;
import io.tributary.transforms.errors.Failures;
import io.tributary.transforms.fraud.Fraud;
import io.tributary.transforms.fraud.FraudFeatures;
import java.util.Set;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.WithFailures;
import org.apache.beam.sdk.values.PBegin;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionList;

/**
 * The fraud pipeline: card transactions in; alerts for amounts far above the card's recent
 * average, each transaction's rolling features, and failures out.
 *
 * <pre>
 * tributary fraud                                  # synthetic transactions, alerts on the console
 * tributary fraud --maxEvents=1000000              # bounded run; prints precision and recall
 * tributary fraud --source=kafka --kafkaBootstrapServers=localhost:9092 --inputTopic=payments \
 *     --sink=kafka,postgres --outputTopic=fraud-alerts \
 *     --postgresUrl=jdbc:postgresql://localhost:5432/risk --postgresUser=risk
 * </pre>
 *
 * <p>Sinks: {@code console} prints alerts; {@code kafka} writes alerts as JSON to {@code
 * --outputTopic} and rolling features to {@code <outputTopic>.features}; {@code files} writes both
 * under {@code --outputPath} ({@code alerts/}, {@code features/}); {@code postgres} writes alerts to
 * {@code --alertsTable}, once per transaction id however often they are replayed; {@code redis}
 * keeps each card's newest rolling features in the online feature store ({@link
 * FraudFeatures#toFeatureRows}, {@link FeatureStore#writeOnline}: hash {@code
 * <featureKeyPrefix>card:<card id>}), each feature versioned by event time so that replays and
 * out-of-order writes leave the newest values, whose refusals go to the dead letters. {@code
 * --outputs} selects what the kafka and files sinks write; redis always takes the features.
 */
public final class FraudPipeline {
  /** The PostgreSQL alerts sink. */
  public static final String POSTGRES = "postgres";

  /** The online card-features sink. */
  public static final String REDIS = "redis";

  private FraudPipeline() {}

  /** The results of {@link #build}. */
  public record Outputs(
      PCollection<ScoredTransaction> scored,
      PCollection<FraudAlert> alerts,
      PCollection<Failure> failures) {}

  /** Checks every option; throws one exception naming each bad option and value. */
  public static Routes validate(FraudOptions options) {
    OptionsCheck check = new OptionsCheck();
    Routes routes = Routes.check(options, check, POSTGRES, REDIS, Sinks.DASHBOARD);
    Sinks.checkOutputs(options, check, java.util.Set.of("alerts", "features"));
    check.positiveDuration(options.getWindowSize(), "windowSize");
    check.duration(options.getAllowedLateness(), "allowedLateness");
    check.duration(options.getStateRetention(), "stateRetention");
    check.duration(options.getMaxDisorder(), "maxDisorder");
    check
        .require(
            options.getThreshold() > 0 && !Double.isInfinite(options.getThreshold()),
            "threshold",
            options.getThreshold(),
            "must be a positive number")
        .requirePositive(options.getMinHistory(), "minHistory")
        .requirePositive(options.getEventsPerSecond(), "eventsPerSecond")
        .requirePositive(options.getCards(), "cards")
        .require(
            options.getFraudRate() >= 0 && options.getFraudRate() < 1,
            "fraudRate",
            options.getFraudRate(),
            "must be in [0, 1)");
    if (routes.sinks().contains(POSTGRES)) {
      check
          .requireSet(options.getPostgresUrl(), "postgresUrl", "with --sink=postgres")
          .require(
              PostgresAlerts.isValidTable(options.getAlertsTable()),
              "alertsTable",
              options.getAlertsTable(),
              "must be a lower-case SQL identifier");
    }
    if (routes.sinks().contains(REDIS)) {
      RedisOptions.check(options, check);
    }
    check.throwIfInvalid();
    return routes;
  }

  /** The scoring transform the options describe. */
  public static Fraud.Score score(FraudOptions options) {
    return Fraud.score()
        .withWindow(Durations.parse(options.getWindowSize()))
        .withThreshold(options.getThreshold())
        .withMinHistory(options.getMinHistory())
        .withAllowedLateness(Durations.parse(options.getAllowedLateness()))
        .withStateRetention(Durations.parse(options.getStateRetention()));
  }

  /** The transforms of the pipeline, from parsed transactions to results: what tests drive. */
  public static Outputs build(PCollection<Transaction> transactions, FraudOptions options) {
    Fraud.Scores scores = transactions.apply("ScoreTransactions", score(options));
    return new Outputs(scores.scored(), scores.alerts(), scores.rejected());
  }

  /** The whole pipeline for the options: read, parse, score, write. */
  public static Pipeline create(FraudOptions options) {
    Routes routes = validate(options);
    Pipeline pipeline = Pipeline.create(options);

    // 1. Read transactions: generated, or raw JSON from Kafka or files, parsed.
    PCollection<Transaction> transactions;
    PCollection<Failure> parseFailures;
    TransactionGenerator generator = null;
    if (routes.source().equals(Sources.SYNTHETIC)) {
      generator = generator(options);
      transactions = pipeline.apply("SyntheticTransactions", synthetic(generator, options));
      parseFailures = pipeline.apply("NoParseFailures", Create.empty(Failures.coder()));
    } else {
      WithFailures.Result<PCollection<Transaction>, Failure> parsed =
          Sources.readJson(pipeline, routes, options).apply("ParseTransactions", Fraud.parseJson());
      transactions = parsed.output();
      parseFailures = parsed.failures();
    }

    // 2. Score each transaction against its card's preceding window.
    Outputs outputs = build(transactions, options);
    if (generator != null) {
      outputs.scored().apply("CountInjectedFraud", ParDo.of(new InjectedFraud.CountFn(generator)));
    }

    // 3. Write results where --sink says.
    Set<String> sinks = routes.sinks();
    if (sinks.contains(Sinks.CONSOLE)) {
      outputs.alerts().apply("PrintAlerts", ParDo.of(new ConsoleAlerts.PrintFn()));
    }
    if (sinks.contains(Sinks.DASHBOARD)) {
      transactions.apply("DashboardMeter", ParDo.of(new Meter.RecordFn<>("fraud", Transaction::getEventTimeMillis)));
      outputs.scored().apply("DashboardScored", ParDo.of(new FraudBoard.ScoredFn(generator)));
      outputs.alerts().apply("DashboardAlerts", ParDo.of(new FraudBoard.AlertFn(generator)));
    }
    Sinks.results(outputs.alerts(), "alerts", "", routes, options);
    Sinks.results(outputs.scored(), "features", ".features", routes, options);
    if (sinks.contains(POSTGRES)) {
      PostgresAlerts.createTable(options);
      outputs.alerts().apply("AlertsToPostgres", PostgresAlerts.write(options));
    }

    PCollectionList<Failure> failures = PCollectionList.of(parseFailures).and(outputs.failures());
    if (sinks.contains(REDIS)) {
      failures =
          failures.and(
              outputs
                  .scored()
                  .apply("CardFeatures", FraudFeatures.toFeatureRows())
                  .apply(
                      "OnlineFeatures",
                      FeatureStore.writeOnline(RedisOptions.reachableSettings(options))
                          .withKeyPrefix(options.getFeatureKeyPrefix())));
    }

    // 4. Every failure, with its payload and reason, to the dead-letter sink.
    Sinks.failures(failures, routes, options);
    return pipeline;
  }

  /**
   * Parses the arguments, builds the pipeline and runs it to completion; a bounded synthetic run
   * then prints the rule's precision and recall on the injected fraud.
   */
  public static PipelineResult run(String... args) {
    FraudOptions options =
        PipelineOptionsFactory.fromArgs(args).withValidation().as(FraudOptions.class);
    Routes routes = validate(options);
    Pipeline pipeline = create(options);
    java.util.function.Consumer<PipelineResult> summary =
        result -> {
          if (options.getSource().equalsIgnoreCase(Sources.SYNTHETIC) && options.getMaxEvents() > 0) {
            System.out.println("Rule quality on the synthetic source: " + InjectedFraud.Quality.of(result));
          }
        };
    if (routes.sinks().contains(Sinks.DASHBOARD)) {
      FraudBoard.BOARD.update(FraudBoard::clear);
      return Dashboards.run(pipeline, options, FraudBoard.BOARD, FraudBoard.METER, "card fraud", summary);
    }
    return Launch.run(pipeline, summary);
  }

  static TransactionGenerator generator(FraudOptions options) {
    boolean bounded = options.getMaxEvents() > 0;
    return new TransactionGenerator(
        options.getSeed(),
        bounded ? options.getStartMillis() : System.currentTimeMillis(),
        options.getEventsPerSecond(),
        options.getCards(),
        options.getFraudRate(),
        (int) Durations.parse(options.getMaxDisorder()).getMillis());
  }

  private static PTransform<PBegin, PCollection<Transaction>> synthetic(
      TransactionGenerator generator, FraudOptions options) {
    return options.getMaxEvents() > 0
        ? Synthetic.bounded(generator, options.getMaxEvents())
        : Synthetic.unbounded(generator);
  }
}
