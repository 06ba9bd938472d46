package io.tributary.pipelines.activity;

import io.tributary.pipelines.io.Synthetic;
import io.tributary.pipelines.io.OptionsCheck;
import io.tributary.pipelines.io.Routes;
import io.tributary.pipelines.io.Sinks;
import io.tributary.pipelines.io.Sources;
import io.tributary.proto.activity.ActivitySnapshot;
import io.tributary.proto.activity.PageView;
import io.tributary.proto.activity.SessionSummary;
import io.tributary.proto.common.Failure;
import io.tributary.transforms.activity.WebActivity;
import io.tributary.transforms.errors.Failures;
import java.util.Arrays;
import java.util.Set;
import java.util.stream.Collectors;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.transforms.Flatten;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.WithFailures;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionList;
import org.joda.time.Duration;

/**
 * The web activity pipeline: page views in; top pages and referrers per sliding window, user
 * sessions and failures out.
 *
 * <pre>
 * tributary activity                                   # synthetic views, console dashboard
 * tributary activity --source=kafka --kafkaBootstrapServers=localhost:9092 --inputTopic=views \
 *     --sink=kafka,files --outputTopic=activity --outputPath=/tmp/activity
 * </pre>
 */
public final class ActivityPipeline {
  private ActivityPipeline() {}

  /** The results of {@link #build}. */
  public record Outputs(
      PCollection<ActivitySnapshot> snapshots,
      PCollection<SessionSummary> sessions,
      PCollection<Failure> failures) {}

  /**
   * Checks every option; throws one exception naming each bad option and value. Returns where the
   * pipeline reads and writes.
   */
  public static Routes validate(ActivityOptions options) {
    OptionsCheck check = new OptionsCheck();
    Routes routes = Routes.check(options, check);
    check
        .requirePositive(options.getWindowSizeSeconds(), "windowSizeSeconds")
        .requirePositive(options.getWindowPeriodSeconds(), "windowPeriodSeconds")
        .require(
            options.getWindowPeriodSeconds() <= options.getWindowSizeSeconds(),
            "windowPeriodSeconds",
            options.getWindowPeriodSeconds(),
            "must not exceed --windowSizeSeconds=" + options.getWindowSizeSeconds())
        .requirePositive(options.getTopN(), "topN")
        .requireNonNegative(options.getAllowedLatenessSeconds(), "allowedLatenessSeconds")
        .requirePositive(options.getSessionGapMinutes(), "sessionGapMinutes")
        .requirePositive(options.getEventsPerSecond(), "eventsPerSecond")
        .requirePositive(options.getUsers(), "users")
        .requirePositive(options.getPages(), "pages")
        .requireNonNegative(options.getMaxDisorderMillis(), "maxDisorderMillis")
        .requireNonNegative(options.getMaxEvents(), "maxEvents");
    check.throwIfInvalid();
    return routes;
  }

  /** The transforms of the pipeline, from parsed views to results: what tests drive. */
  public static Outputs build(PCollection<PageView> views, ActivityOptions options) {
    Duration lateness = Duration.standardSeconds(options.getAllowedLatenessSeconds());
    PCollection<ActivitySnapshot> snapshots =
        views.apply(
            "RankPagesAndReferrers",
            WebActivity.rankSliding()
                .withSize(Duration.standardSeconds(options.getWindowSizeSeconds()))
                .withPeriod(Duration.standardSeconds(options.getWindowPeriodSeconds()))
                .withTopN(options.getTopN())
                .withAllowedLateness(lateness)
                .withActiveUsers(options.getActiveUsers())
                .withSiteHosts(siteHosts(options)));
    WithFailures.Result<PCollection<SessionSummary>, Failure> sessions =
        views.apply(
            "Sessionize",
            WebActivity.sessionize()
                .withGap(Duration.standardMinutes(options.getSessionGapMinutes()))
                .withAllowedLateness(lateness));
    return new Outputs(snapshots, sessions.output(), sessions.failures());
  }

  /** The whole pipeline for the options: read, parse, compute, write. */
  public static Pipeline create(ActivityOptions options) {
    Routes routes = validate(options);
    Pipeline pipeline = Pipeline.create(options);

    // 1. Read page views: generated, or raw JSON from Kafka or files, parsed.
    PCollection<PageView> views;
    PCollection<Failure> parseFailures;
    if (routes.source().equals(Sources.SYNTHETIC)) {
      views = pipeline.apply("SyntheticViews", synthetic(options));
      parseFailures = pipeline.apply("NoParseFailures", org.apache.beam.sdk.transforms.Create.empty(Failures.coder()));
    } else {
      WithFailures.Result<PCollection<PageView>, Failure> parsed =
          Sources.readJson(pipeline, routes, options).apply("ParsePageViews", WebActivity.parseJson());
      views = parsed.output();
      parseFailures = parsed.failures();
    }

    // 2. Rank pages and referrers per sliding window; sessionize users.
    Outputs outputs = build(views, options);

    // 3. Write results where --sink says.
    Set<String> sinks = routes.sinks();
    if (sinks.contains(Sinks.CONSOLE)) {
      outputs.snapshots().apply("Dashboard", ParDo.of(new ConsoleDashboard.DrawFn()));
      outputs.sessions().apply("DashboardSessions", ParDo.of(new ConsoleDashboard.CountSessionsFn()));
    }
    if (sinks.contains(Sinks.KAFKA) || sinks.contains(Sinks.FILES)) {
      PCollection<String> snapshotJson =
          outputs.snapshots().apply("SnapshotsToJson", ParDo.of(new Sinks.ToJsonFn<ActivitySnapshot>())).setCoder(StringUtf8Coder.of());
      PCollection<String> sessionJson =
          outputs.sessions().apply("SessionsToJson", ParDo.of(new Sinks.ToJsonFn<SessionSummary>())).setCoder(StringUtf8Coder.of());
      if (sinks.contains(Sinks.KAFKA)) {
        Sinks.toKafka(snapshotJson, "SnapshotsToKafka", options, options.getOutputTopic());
        Sinks.toKafka(sessionJson, "SessionsToKafka", options, options.getOutputTopic() + ".sessions");
      }
      if (sinks.contains(Sinks.FILES)) {
        Sinks.toFiles(snapshotJson, "SnapshotsToFiles", options, options.getOutputPath(), "snapshots/snapshots");
        Sinks.toFiles(sessionJson, "SessionsToFiles", options, options.getOutputPath(), "sessions/sessions");
      }
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
    ActivityOptions options = PipelineOptionsFactory.fromArgs(args).withValidation().as(ActivityOptions.class);
    PipelineResult result = create(options).run();
    result.waitUntilFinish();
    return result;
  }

  private static org.apache.beam.sdk.transforms.PTransform<org.apache.beam.sdk.values.PBegin, PCollection<PageView>> synthetic(
      ActivityOptions options) {
    boolean bounded = options.getMaxEvents() > 0;
    PageViewGenerator generator =
        new PageViewGenerator(
            options.getSeed(),
            bounded ? options.getStartMillis() : System.currentTimeMillis(),
            options.getEventsPerSecond(),
            options.getUsers(),
            options.getPages(),
            options.getMaxDisorderMillis());
    return bounded
        ? Synthetic.bounded(generator, options.getMaxEvents())
        : Synthetic.unbounded(generator);
  }

  private static Set<String> siteHosts(ActivityOptions options) {
    return Arrays.stream(options.getSiteHosts().split(","))
        .map(String::trim)
        .filter(h -> !h.isEmpty())
        .collect(Collectors.toSet());
  }
}
