package io.tributary.pipelines.activity;

import io.tributary.pipelines.io.Durations;
import io.tributary.pipelines.io.Launch;
import io.tributary.pipelines.io.OptionsCheck;
import io.tributary.pipelines.io.Routes;
import io.tributary.pipelines.io.Sinks;
import io.tributary.pipelines.io.Sources;
import io.tributary.pipelines.io.Synthetic;
import io.tributary.proto.activity.ActivitySnapshot;
import io.tributary.proto.activity.PageView;
import io.tributary.proto.activity.SessionSummary;
import io.tributary.proto.activity.ViewCount;
import io.tributary.pipelines.dashboard.DashboardServer;
import io.tributary.pipelines.dashboard.Dashboards;
import io.tributary.pipelines.dashboard.Meter;
import java.util.concurrent.atomic.AtomicReference;
import io.tributary.proto.common.Failure;
import io.tributary.transforms.activity.WebActivity;
import io.tributary.transforms.errors.Failures;
import java.util.Arrays;
import java.util.Set;
import java.util.stream.Collectors;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
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
 * tributary activity                                   # synthetic views, live web dashboard
 * tributary activity --source=kafka --kafkaBootstrapServers=localhost:9092 --inputTopic=views \
 *     --sink=kafka,files --outputTopic=activity --outputPath=/tmp/activity
 * </pre>
 */
public final class ActivityPipeline {
  /** Kafka topics of the sessions and the trend: the snapshot topic with these suffixes. */
  public static final String SESSIONS_TOPIC_SUFFIX = ".sessions";

  public static final String TREND_TOPIC_SUFFIX = ".trend";

  private ActivityPipeline() {}

  /** The results of {@link #build}. */
  public record Outputs(
      PCollection<ActivitySnapshot> snapshots,
      PCollection<SessionSummary> sessions,
      PCollection<ViewCount> trend,
      PCollection<Failure> failures) {}

  /**
   * Checks every option; throws one exception naming each bad option and value. Returns where the
   * pipeline reads and writes.
   */
  public static Routes validate(ActivityOptions options) {
    OptionsCheck check = new OptionsCheck();
    Routes routes = Routes.check(options, check, Sinks.DASHBOARD, Set.of(), Set.of(Sinks.DASHBOARD));
    Sinks.checkOutputs(options, check, java.util.Set.of("snapshots", "sessions", "trend"));
    check.slidingWindow(options.getWindowSize(), options.getWindowPeriod());
    check.duration(options.getAllowedLateness(), "allowedLateness");
    check.positiveDuration(options.getSessionGap(), "sessionGap");
    check.duration(options.getMaxDisorder(), "maxDisorder");
    check
        .requirePositive(options.getTopN(), "topN")
        .requirePositive(options.getEventsPerSecond(), "eventsPerSecond")
        .requirePositive(options.getPages(), "pages");
    check.throwIfInvalid();
    return routes;
  }

  /** The transforms of the pipeline, from parsed views to results: what tests drive. */
  public static Outputs build(PCollection<PageView> views, ActivityOptions options) {
    Duration lateness = Durations.parse(options.getAllowedLateness());
    PCollection<ActivitySnapshot> snapshots =
        views.apply(
            "RankPagesAndReferrers",
            WebActivity.rankSliding()
                .withSize(Durations.parse(options.getWindowSize()))
                .withPeriod(Durations.parse(options.getWindowPeriod()))
                .withTopN(options.getTopN())
                .withAllowedLateness(lateness)
                .withActiveUsers(options.getActiveUsers())
                .withSiteHosts(siteHosts(options)));
    WithFailures.Result<PCollection<SessionSummary>, Failure> sessions =
        views.apply(
            "Sessionize",
            WebActivity.sessionize()
                .withGap(Durations.parse(options.getSessionGap()))
                .withAllowedLateness(lateness));
    PCollection<ViewCount> trend =
        views.apply("TrendViews", new ViewTrend(Durations.parse(options.getWindowPeriod()), lateness));
    return new Outputs(snapshots, sessions.output(), trend, sessions.failures());
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
    if (sinks.contains(Sinks.DASHBOARD)) {
      views.apply("DashboardMeter", ParDo.of(new Meter.RecordFn<>("activity", PageView::getEventTimeMillis)));
      outputs.snapshots().apply("DashboardSnapshots", ParDo.of(new ActivityBoard.SnapshotFn()));
      outputs.sessions().apply("DashboardSessions", ParDo.of(new ActivityBoard.SessionFn()));
      outputs.trend().apply("DashboardTrend", ParDo.of(new ActivityBoard.TrendFn()));
    }
    Sinks.results(outputs.snapshots(), "snapshots", "", routes, options);
    Sinks.results(outputs.sessions(), "sessions", SESSIONS_TOPIC_SUFFIX, routes, options);
    Sinks.results(outputs.trend(), "trend", TREND_TOPIC_SUFFIX, routes, options);

    // 4. Every failure, with its payload and reason, to the dead-letter sink.
    Sinks.failures(
        PCollectionList.of(parseFailures).and(outputs.failures()),
        routes,
        options);
    return pipeline;
  }

  /**
   * Parses the arguments, builds the pipeline and runs it to completion. With the dashboard sink,
   * the dashboard is served from this process (its URL printed) and stays up after a bounded run
   * until the process is stopped.
   */
  public static PipelineResult run(String... args) {
    ActivityOptions options = PipelineOptionsFactory.fromArgs(args).withValidation().as(ActivityOptions.class);
    Routes routes = validate(options);
    Pipeline pipeline = create(options);
    if (!routes.sinks().contains(Sinks.DASHBOARD)) {
      return Launch.run(pipeline, result -> {});
    }
    ActivityBoard.BOARD.update(ActivityBoard::clear);
    return Dashboards.run(pipeline, options, ActivityBoard.BOARD, ActivityBoard.METER, "web activity", r -> {});
  }

  /**
   * Clears this JVM's activity board and serves it on {@code --dashboardHost:--dashboardPort},
   * with the operations strip fed from the in-process pipeline's meter once a second.
   */
  public static DashboardServer startDashboard(ActivityOptions options) {
    ActivityBoard.BOARD.update(ActivityBoard::clear);
    return Dashboards.serve(options, ActivityBoard.BOARD, ActivityBoard.METER, new AtomicReference<>());
  }

  private static org.apache.beam.sdk.transforms.PTransform<org.apache.beam.sdk.values.PBegin, PCollection<PageView>> synthetic(
      ActivityOptions options) {
    boolean bounded = options.getMaxEvents() > 0;
    PageViewGenerator generator =
        new PageViewGenerator(
            options.getSeed(),
            bounded ? options.getStartMillis() : System.currentTimeMillis(),
            options.getEventsPerSecond(),
            options.getPages(),
            (int) Durations.parse(options.getMaxDisorder()).getMillis(),
            Durations.parse(options.getSessionGap()).getMillis());
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
