package io.tributary.transforms.activity;

import com.google.auto.value.AutoValue;
import io.tributary.proto.activity.ActivitySnapshot;
import io.tributary.proto.activity.PageView;
import io.tributary.proto.activity.SessionSummary;
import io.tributary.proto.common.Failure;
import io.tributary.transforms.coders.MessageCoder;
import io.tributary.transforms.errors.Failures;
import io.tributary.transforms.json.ParseJson;
import io.tributary.transforms.window.GlobalWindowing;
import io.tributary.transforms.window.Panes;
import io.tributary.transforms.window.SlidingCombine;
import java.util.Set;
import java.util.TreeSet;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.VarIntCoder;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.metrics.Metrics;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.SerializableFunction;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.WithFailures;
import org.apache.beam.sdk.transforms.WithKeys;
import org.apache.beam.sdk.transforms.display.DisplayData;
import org.apache.beam.sdk.transforms.windowing.BoundedWindow;
import org.apache.beam.sdk.transforms.windowing.IntervalWindow;
import org.apache.beam.sdk.transforms.windowing.PaneInfo;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionTuple;
import org.apache.beam.sdk.values.TupleTag;
import org.apache.beam.sdk.values.TupleTagList;
import org.apache.beam.sdk.values.TypeDescriptors;
import org.joda.time.Duration;

/**
 * Web activity transforms: parse page views, rank pages and referrers over sliding windows, and
 * sessionize users.
 *
 * <pre>{@code
 * WithFailures.Result<PCollection<PageView>, Failure> views =
 *     rawJson.apply("Parse", WebActivity.parseJson());
 * PCollection<ActivitySnapshot> dashboard =
 *     views.output().apply("Rank", WebActivity.rankSliding().withTopN(10));
 * WithFailures.Result<PCollection<SessionSummary>, Failure> sessions =
 *     views.output().apply("Sessionize", WebActivity.sessionize());
 * }</pre>
 */
public final class WebActivity {
  /** Namespace of the transforms' counters. */
  public static final String METRICS_NAMESPACE = "tributary.activity";

  private WebActivity() {}

  /** The step name in parse failure records. */
  public static final String PARSE_STEP = "ParsePageViews";

  /**
   * Parses JSON page views (see {@link PageViewJson}); every payload comes out either as a {@link
   * PageView} stamped with its event time, or as a {@link Failure} of step {@value #PARSE_STEP}
   * holding the original bytes and the reason: oversized payload, malformed JSON, a non-object, a
   * missing, empty or mistyped field, or an unreadable or out-of-range {@code event_time}.
   *
   * <p>Elements are re-stamped with their event time, which may be earlier than the timestamp the
   * source gave them (for example a Kafka append time); such views may be late downstream.
   */
  public static ParseJson<PageView> parseJson() {
    return ParseJson.of(
        PageView.class,
        PARSE_STEP,
        METRICS_NAMESPACE,
        PageViewJson::parse,
        PageView::getEventTimeMillis);
  }

  /** Ranks pages and referrers over sliding windows of 5 minutes, refreshed every 10 seconds. */
  public static RankSliding rankSliding() {
    return new AutoValue_WebActivity_RankSliding.Builder()
        .setSize(Duration.standardMinutes(5))
        .setPeriod(Duration.standardSeconds(10))
        .setTopN(10)
        .setAllowedLateness(Duration.ZERO)
        .setSiteHosts(Set.of())
        .setFanout(0)
        .setActiveUsers(true)
        .setSketchPrecision(0)
        .build();
  }

  /** Groups each user's views into sessions separated by 30 minutes without a view. */
  public static Sessionize sessionize() {
    return new AutoValue_WebActivity_Sessionize.Builder()
        .setGap(Duration.standardMinutes(30))
        .setAllowedLateness(Duration.ZERO)
        .setStateRetention(Duration.standardMinutes(30))
        .setKeyBuckets(Sessionize.DEFAULT_KEY_BUCKETS)
        .build();
  }

  /**
   * Ranks pages and external referrers over sliding event-time windows and counts the active pages
   * and users of each window: one {@link ActivitySnapshot} per window that holds views.
   *
   * <p>Exact: the top lists equal {@code Window.into(SlidingWindows.of(size).every(period))}, then
   * {@code Count.perElement()}, then {@code Top.of(n)} by count descending and key ascending, and
   * the distinct counts are exact. Each view is aggregated once into its bucket (see {@link
   * SlidingCombine}), not copied into the {@code size / period} windows that contain it; there are
   * no per-page keys, so a hot page does not funnel traffic through one worker.
   *
   * <p>Keys follow {@link Traffic}: pages by path, referrers by host, direct traffic as {@value
   * Traffic#DIRECT}, and views referred by the site itself counted as internal and not ranked.
   *
   * <p>A window fires when the watermark passes its end; with allowed lateness, late views fire a
   * LATE snapshot that is complete (accumulating) and carries a higher pane index, so a dashboard
   * shows the last snapshot of each window. Bounded or unbounded input.
   */
  @AutoValue
  public abstract static class RankSliding
      extends PTransform<PCollection<PageView>, PCollection<ActivitySnapshot>> {
    abstract Duration getSize();

    abstract Duration getPeriod();

    abstract int getTopN();

    abstract Duration getAllowedLateness();

    abstract Set<String> getSiteHosts();

    abstract int getFanout();

    abstract boolean getActiveUsers();

    abstract int getSketchPrecision();

    abstract Builder toBuilder();

    @AutoValue.Builder
    abstract static class Builder {
      abstract Builder setActiveUsers(boolean activeUsers);

      abstract Builder setSketchPrecision(int precision);

      abstract Builder setSize(Duration size);

      abstract Builder setPeriod(Duration period);

      abstract Builder setTopN(int n);

      abstract Builder setAllowedLateness(Duration lateness);

      abstract Builder setSiteHosts(Set<String> hosts);

      abstract Builder setFanout(int fanout);

      abstract RankSliding build();
    }

    /** The window length (default 5 minutes). */
    public RankSliding withSize(Duration size) {
      return toBuilder().setSize(size).build();
    }

    /** How often a window starts and the dashboard refreshes (default 10 seconds). */
    public RankSliding withPeriod(Duration period) {
      return toBuilder().setPeriod(period).build();
    }

    /** How many pages and referrers each snapshot ranks (default 10). */
    public RankSliding withTopN(int n) {
      return toBuilder().setTopN(n).build();
    }

    /** How late a view may be and still update its windows (default 0). */
    public RankSliding withAllowedLateness(Duration lateness) {
      return toBuilder().setAllowedLateness(lateness).build();
    }

    /** The site's own hosts: referrals from them are internal navigation (default none). */
    public RankSliding withSiteHosts(Set<String> hosts) {
      Set<String> normalized = new TreeSet<>();
      hosts.forEach(h -> normalized.add(Traffic.normalizeHost(h)));
      return toBuilder().setSiteHosts(Set.copyOf(normalized)).build();
    }

    /** Pre-aggregates over {@code fanout} intermediate keys per bucket; 0 (default) disables it. */
    public RankSliding withFanout(int fanout) {
      return toBuilder().setFanout(fanout).build();
    }

    /**
     * Whether to count the distinct users of each window (default true), exactly. Exact counting
     * keeps the distinct user ids of each bucket as one immutable byte array; a window refers to
     * its buckets' arrays and counts their union when it fires, so memory grows with the distinct
     * users per bucket. A window that follows the one before it (bounded input, where windows are
     * extracted in order, and mostly in streaming) is counted from that one's union, by the ids
     * of the buckets that left and entered; other windows read the ids of all their buckets. A
     * runner that sends each bucket to each of its windows apart (Flink in streaming mode does)
     * copies that array once per window; the README's benchmark gives the cost. {@link
     * #withApproximateActiveUsers} counts with a fixed-size sketch instead; without either, {@code
     * active_users} is 0.
     */
    public RankSliding withActiveUsers(boolean activeUsers) {
      return toBuilder().setActiveUsers(activeUsers).setSketchPrecision(0).build();
    }

    /**
     * Counts the distinct users of each window approximately, with a HyperLogLog++ sketch of
     * {@code 2^precision} registers per bucket (precision 4 to 18; the relative standard error is
     * about {@code 1.04 / sqrt(2^precision)}, 0.8% at 14): each bucket's sketch merges into its
     * windows in at most {@code 2^precision} steps however many users it holds. A sketch starts
     * sparse (a sorted list of its users' hashes) and takes its registers only once it would be
     * larger than them, so the partial sketches of few users that a runner buffers and copies stay
     * small. The README's benchmark prints its measured error against the exact count.
     */
    public RankSliding withApproximateActiveUsers(int precision) {
      if (precision < 4 || precision > 18) {
        throw new IllegalArgumentException(
            "RankSliding: the sketch precision must be between 4 and 18, got " + precision);
      }
      return toBuilder().setActiveUsers(true).setSketchPrecision(precision).build();
    }

    @Override
    public PCollection<ActivitySnapshot> expand(PCollection<PageView> views) {
      if (getTopN() <= 0) {
        throw new IllegalArgumentException("RankSliding: topN must be positive, got " + getTopN());
      }
      return views
          .apply(
              "Aggregate",
              SlidingCombine.globally(
                  new ActivityCombineFn(getTopN(), getSiteHosts(), getActiveUsers(), getSketchPrecision()))
                  .withSize(getSize())
                  .withPeriod(getPeriod())
                  .withAllowedLateness(getAllowedLateness())
                  .withFanout(getFanout()))
          .apply("StampWindow", ParDo.of(new StampWindowFn()))
          .setCoder(MessageCoder.of(ActivitySnapshot.class));
    }

    @Override
    public void populateDisplayData(DisplayData.Builder builder) {
      super.populateDisplayData(builder);
      builder
          .add(DisplayData.item("size", getSize()))
          .add(DisplayData.item("period", getPeriod()))
          .add(DisplayData.item("topN", getTopN()))
          .add(DisplayData.item("allowedLateness", getAllowedLateness()))
          .add(DisplayData.item("siteHosts", String.join(",", getSiteHosts())))
          .add(DisplayData.item("activeUsers", getActiveUsers()))
          .add(DisplayData.item("userSketchPrecision", getSketchPrecision()));
    }
  }

  /** Adds the window bounds and the pane to a snapshot. */
  static final class StampWindowFn extends DoFn<ActivitySnapshot, ActivitySnapshot> {
    private final Counter lateSnapshots = Metrics.counter(METRICS_NAMESPACE, "lateSnapshots");

    @ProcessElement
    public void process(
        @Element ActivitySnapshot snapshot,
        BoundedWindow window,
        PaneInfo pane,
        OutputReceiver<ActivitySnapshot> out) {
      IntervalWindow w = (IntervalWindow) window;
      if (pane.getTiming() == PaneInfo.Timing.LATE) {
        lateSnapshots.inc();
      }
      out.output(
          snapshot.toBuilder()
              .setWindowStartMillis(w.start().getMillis())
              .setWindowEndMillis(w.end().getMillis())
              .setPane(Panes.of(pane))
              .build());
    }
  }

  /**
   * Groups each user's views into sessions: views of one user less than {@code gap} apart in event
   * time belong to one session (the merging rule of Beam's {@code Sessions}). One {@link
   * SessionSummary} is emitted per session when the watermark passes its last view plus the gap
   * (pane ON_TIME, index 0).
   *
   * <p><b>Late views.</b> A view that arrives after its session was emitted, but before the
   * watermark passes the session's end plus the allowed lateness, revises it at once: the view is
   * merged (possibly joining two sessions) and an updated summary is emitted with pane LATE and the
   * next index. Once the allowed lateness of a session has passed, the session is final; a view
   * that would fall into or before a final session of its user goes to the failure output (step
   * {@value #STEP}) with the view as JSON and the reason, and is counted ({@code lateDropped}).
   * Nothing is dropped silently.
   *
   * <p><b>Ties.</b> Of views at the same event time, the landing page is the one with the smallest
   * (page, referrer) and the exit page the one with the largest page, so results do not depend on
   * arrival order.
   *
   * <p><b>State.</b> Per user: the open sessions and the end of the user's last final session.
   * Once a user has no open session, that end is kept for {@code stateRetention}, then all of the
   * user's state is cleared; a view older than it arriving after that starts a new session. Users
   * are hashed into {@code keyBuckets} keys, each holding its users' state in map state and one
   * event-time timer at its users' earliest deadline, so the keys and timers a runner tracks stay
   * bounded however many users there are. Runs on any runner with map state and event-time timers
   * in the global window (Direct, Flink, Dataflow).
   */
  @AutoValue
  public abstract static class Sessionize
      extends PTransform<
          PCollection<PageView>, WithFailures.Result<PCollection<SessionSummary>, Failure>> {
    /** The step name in failure records. */
    public static final String STEP = "Sessionize";

    /** Keys the users are hashed into unless {@link #withKeyBuckets} says otherwise. */
    public static final int DEFAULT_KEY_BUCKETS = 1024;

    abstract Duration getGap();

    abstract Duration getAllowedLateness();

    abstract Duration getStateRetention();

    abstract int getKeyBuckets();

    abstract Builder toBuilder();

    @AutoValue.Builder
    abstract static class Builder {
      abstract Builder setGap(Duration gap);

      abstract Builder setAllowedLateness(Duration lateness);

      abstract Builder setStateRetention(Duration retention);

      abstract Builder setKeyBuckets(int buckets);

      abstract Sessionize build();
    }

    /** Inactivity that ends a session (default 30 minutes). */
    public Sessionize withGap(Duration gap) {
      return toBuilder().setGap(gap).build();
    }

    /** How long after a session's end late views may still revise it (default 0). */
    public Sessionize withAllowedLateness(Duration lateness) {
      return toBuilder().setAllowedLateness(lateness).build();
    }

    /**
     * Into how many keys users are hashed (default {@value #DEFAULT_KEY_BUCKETS}): the state of a
     * bucket is kept per user, so results do not depend on it; it bounds the keys a runner tracks
     * and is the parallelism of the step.
     */
    public Sessionize withKeyBuckets(int buckets) {
      return toBuilder().setKeyBuckets(buckets).build();
    }

    /** How long the end of a user's last final session is remembered (default 30 minutes). */
    public Sessionize withStateRetention(Duration retention) {
      return toBuilder().setStateRetention(retention).build();
    }

    @Override
    public WithFailures.Result<PCollection<SessionSummary>, Failure> expand(
        PCollection<PageView> views) {
      if (getGap().getMillis() <= 0) {
        throw new IllegalArgumentException("Sessionize: gap must be positive, got " + getGap());
      }
      if (getKeyBuckets() <= 0) {
        throw new IllegalArgumentException("Sessionize: keyBuckets must be positive, got " + getKeyBuckets());
      }
      if (getAllowedLateness().getMillis() < 0 || getStateRetention().getMillis() < 0) {
        throw new IllegalArgumentException(
            "Sessionize: allowed lateness and state retention must not be negative, got "
                + getAllowedLateness()
                + " and "
                + getStateRetention());
      }
      TupleTag<SessionSummary> sessions = new TupleTag<SessionSummary>() {};
      TupleTag<Failure> late = Failures.tag();
      PCollectionTuple results =
          views
              .apply("KeyByUserBucket", WithKeys.of(new UserBucket(getKeyBuckets())).withKeyType(TypeDescriptors.integers()))
              .setCoder(KvCoder.of(VarIntCoder.of(), MessageCoder.of(PageView.class)))
              .apply("GlobalWindow", GlobalWindowing.of())
              .apply(
                  "Sessionize",
                  ParDo.of(
                          new SessionizeFn(
                              getGap().getMillis(),
                              getAllowedLateness().getMillis(),
                              getStateRetention().getMillis(),
                              sessions,
                              late))
                      .withOutputTags(sessions, TupleTagList.of(late)));
      results.get(sessions).setCoder(MessageCoder.of(SessionSummary.class));
      results.get(late).setCoder(Failures.coder());
      return WithFailures.Result.of(results, sessions, late);
    }

    @Override
    public void populateDisplayData(DisplayData.Builder builder) {
      super.populateDisplayData(builder);
      builder
          .add(DisplayData.item("gap", getGap()))
          .add(DisplayData.item("allowedLateness", getAllowedLateness()))
          .add(DisplayData.item("stateRetention", getStateRetention()))
          .add(DisplayData.item("keyBuckets", getKeyBuckets()));
    }
  }

  /** The key bucket of a view's user: a hash of the user id, stable across JVMs. */
  static final class UserBucket implements SerializableFunction<PageView, Integer> {
    private final int buckets;

    UserBucket(int buckets) {
      this.buckets = buckets;
    }

    @Override
    public Integer apply(PageView view) {
      return Math.floorMod(view.getUserId().hashCode(), buckets);
    }
  }
}
