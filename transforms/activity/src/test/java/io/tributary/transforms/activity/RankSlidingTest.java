package io.tributary.transforms.activity;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.tributary.proto.activity.ActivitySnapshot;
import io.tributary.proto.activity.PageView;
import io.tributary.proto.common.RankedCount;
import io.tributary.testing.BeamTest;
import io.tributary.testing.Schedule;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.ListCoder;
import org.apache.beam.sdk.coders.VarLongCoder;
import org.apache.beam.sdk.extensions.protobuf.ProtoCoder;
import org.apache.beam.sdk.testing.PAssert;
import org.apache.beam.sdk.testing.TestPipeline;
import org.apache.beam.sdk.transforms.Count;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.MapElements;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.SerializableFunction;
import org.apache.beam.sdk.transforms.Top;
import org.apache.beam.sdk.transforms.windowing.BoundedWindow;
import org.apache.beam.sdk.transforms.windowing.IntervalWindow;
import org.apache.beam.sdk.transforms.windowing.SlidingWindows;
import org.apache.beam.sdk.transforms.windowing.Window;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.TimestampedValue;
import org.apache.beam.sdk.values.TypeDescriptors;
import org.joda.time.Duration;
import org.joda.time.Instant;
import org.junit.jupiter.api.Test;

@BeamTest
class RankSlidingTest {
  private static final ProtoCoder<PageView> VIEW_CODER = ProtoCoder.of(PageView.class);
  private static final ProtoCoder<RankedCount> RANKED_CODER = ProtoCoder.of(RankedCount.class);

  @Test
  void equalsNaiveSlidingWindowsCountAndTopOnRandomInput(TestPipeline p) {
    // Two shapes: the dashboard default (bucket = period) and a size that is no multiple of the
    // period (bucket = gcd = 10 s).
    long[][] shapes = {{300_000, 10_000}, {50_000, 20_000}};
    for (int shape = 0; shape < shapes.length; shape++) {
      long size = shapes[shape][0];
      long period = shapes[shape][1];
      long seed = 7L + shape;
      Random random = new Random(seed);
      List<PageView> views = RandomViews.uniform(random, 1500, 1_000_000, 15 * 60_000, 40, 12);
      List<TimestampedValue<PageView>> stamped = new ArrayList<>();
      List<Schedule.Arrival<PageView>> arrivals = new ArrayList<>();
      for (PageView v : views) {
        stamped.add(TimestampedValue.of(v, new Instant(v.getEventTimeMillis())));
        arrivals.add(new Schedule.Arrival<>(v, v.getEventTimeMillis(), Long.MIN_VALUE));
      }
      Map<Long, ActivitySnapshot> expected =
          ActivityOracle.snapshots(arrivals, size, period, 0, 5, Set.of());
      String name = "shape" + shape;
      PCollection<PageView> input =
          p.apply(name + "/Create", Create.timestamped(stamped).withCoder(VIEW_CODER));

      PCollection<ActivitySnapshot> ranked =
          input.apply(
              name + "/Rank",
              WebActivity.rankSliding()
                  .withSize(Duration.millis(size))
                  .withPeriod(Duration.millis(period))
                  .withTopN(5));
      PAssert.that(name + "/incremental equals oracle (seed " + seed + ")", ranked)
          .satisfies(new FinalSnapshotsEqual(expected, seed));

      PCollection<KV<Long, List<RankedCount>>> naive =
          input
              .apply(
                  name + "/NaiveWindow",
                  Window.into(
                      SlidingWindows.of(Duration.millis(size)).every(Duration.millis(period))))
              .apply(
                  name + "/NaivePage",
                  MapElements.into(TypeDescriptors.strings())
                      .via((PageView v) -> Traffic.pageKey(v.getPage())))
              .apply(name + "/NaiveCount", Count.perElement())
              .apply(name + "/NaiveTop", Top.of(5, new ByCountThenKey()).withoutDefaults())
              .apply(name + "/NaiveStamp", ParDo.of(new StampNaiveFn()))
              .setCoder(KvCoder.of(VarLongCoder.of(), ListCoder.of(RANKED_CODER)));
      List<KV<Long, List<RankedCount>>> expectedTop = new ArrayList<>();
      expected.forEach((start, s) -> expectedTop.add(KV.of(start, s.getTopPagesList())));
      PAssert.that(name + "/naive equals oracle (seed " + seed + ")", naive)
          .containsInAnyOrder(expectedTop);
    }
    p.run().waitUntilFinish();
  }

  @Test
  void finalPanesEqualOracleWithDisorderLateAndDroppedViews(TestPipeline p) {
    long size = 60_000;
    long period = 20_000;
    long lateness = 30_000;
    for (long seed : new long[] {11, 12, 13}) {
      Random random = new Random(seed);
      List<PageView> views = RandomViews.uniform(random, 300, 5_000_000, 10 * 60_000, 15, 6);
      Schedule<PageView> schedule =
          Schedule.random(
              random,
              views,
              PageView::getEventTimeMillis,
              40_000,
              10_000,
              12,
              (watermark, r) ->
                  RandomViews.at(r, watermark - r.nextLong(140_000), 15, 6, 10_000 + r.nextInt(1000)));
      Map<Long, ActivitySnapshot> expected =
          ActivityOracle.snapshots(schedule.arrivals(), size, period, lateness, 4, Set.of());
      PCollection<ActivitySnapshot> ranked =
          p.apply("seed" + seed + "/Stream", schedule.toTestStream(VIEW_CODER))
              .apply(
                  "seed" + seed + "/Rank",
                  WebActivity.rankSliding()
                      .withSize(Duration.millis(size))
                      .withPeriod(Duration.millis(period))
                      .withAllowedLateness(Duration.millis(lateness))
                      .withTopN(4));
      PAssert.that("final panes equal oracle (seed " + seed + ")", ranked)
          .satisfies(new FinalSnapshotsEqual(expected, seed));
    }
    p.run().waitUntilFinish();
  }

  @Test
  void withoutActiveUsersTheRankingsAreUnchangedAndUsersAreZero(TestPipeline p) {
    long seed = 41;
    Random random = new Random(seed);
    List<PageView> views = RandomViews.uniform(random, 800, 2_000_000, 8 * 60_000, 30, 10);
    List<Schedule.Arrival<PageView>> arrivals = new ArrayList<>();
    views.forEach(v -> arrivals.add(new Schedule.Arrival<>(v, v.getEventTimeMillis(), Long.MIN_VALUE)));
    Map<Long, ActivitySnapshot> expected = new TreeMap<>();
    ActivityOracle.snapshots(arrivals, 120_000, 30_000, 0, 3, Set.of())
        .forEach((start, s) -> expected.put(start, s.toBuilder().setActiveUsers(0).build()));
    PCollection<ActivitySnapshot> ranked =
        p.apply(Create.timestamped(stamp(views)).withCoder(VIEW_CODER))
            .apply(
                WebActivity.rankSliding()
                    .withSize(Duration.standardMinutes(2))
                    .withPeriod(Duration.standardSeconds(30))
                    .withTopN(3)
                    .withActiveUsers(false));
    PAssert.that(ranked).satisfies(new FinalSnapshotsEqual(expected, seed));
    p.run().waitUntilFinish();
  }

  @Test
  void approximateActiveUsersAreWithinTheSketchErrorAndTheRestIsExact(TestPipeline p) {
    long seed = 43;
    Random random = new Random(seed);
    // Many users per window, so that the sketch leaves its exact sparse range.
    List<PageView> views = RandomViews.uniform(random, 20_000, 3_000_000, 10 * 60_000, 8_000, 20);
    List<Schedule.Arrival<PageView>> arrivals = new ArrayList<>();
    views.forEach(v -> arrivals.add(new Schedule.Arrival<>(v, v.getEventTimeMillis(), Long.MIN_VALUE)));
    Map<Long, ActivitySnapshot> expected =
        ActivityOracle.snapshots(arrivals, 120_000, 30_000, 0, 3, Set.of());
    PCollection<ActivitySnapshot> ranked =
        p.apply(Create.timestamped(stamp(views)).withCoder(VIEW_CODER))
            .apply(
                WebActivity.rankSliding()
                    .withSize(Duration.standardMinutes(2))
                    .withPeriod(Duration.standardSeconds(30))
                    .withTopN(3)
                    .withApproximateActiveUsers(12));
    // Precision 12: standard error 1.6%; 5% is three of them.
    PAssert.that(ranked).satisfies(new UsersWithin(expected, 0.05, seed));
    p.run().waitUntilFinish();
  }

  @Test
  void directTrafficIsRankedAndInternalReferralsAreCountedApart(TestPipeline p) {
    long t = 60_000;
    List<PageView> views =
        List.of(
            view("a", "/home", "", t),
            view("b", "/home", "", t + 1),
            view("c", "/pricing", "https://www.Google.com/search?q=tributary", t + 2),
            view("a", "https://shop.example.com/cart?x=1", "https://shop.example.com/home", t + 3),
            view("b", "/docs", "https://docs.example.com/intro", t + 4),
            view("d", "/docs#install", "https://google.com/", t + 5));
    PCollection<ActivitySnapshot> ranked =
        p.apply(Create.timestamped(stamp(views)).withCoder(VIEW_CODER))
            .apply(
                WebActivity.rankSliding()
                    .withSize(Duration.standardMinutes(1))
                    .withPeriod(Duration.standardMinutes(1))
                    .withSiteHosts(Set.of("WWW.docs.example.com")));
    PAssert.that(ranked)
        .containsInAnyOrder(
            ActivitySnapshot.newBuilder()
                .setWindowStartMillis(60_000)
                .setWindowEndMillis(120_000)
                .addTopPages(ranked("/docs", 2))
                .addTopPages(ranked("/home", 2))
                .addTopPages(ranked("/cart", 1))
                .addTopPages(ranked("/pricing", 1))
                .addTopReferrers(ranked(Traffic.DIRECT, 2))
                .addTopReferrers(ranked("google.com", 2))
                .setActivePages(4)
                .setActiveUsers(4)
                .setPageViews(6)
                .setInternalReferrals(2)
                .setPane(
                    io.tributary.proto.common.Pane.newBuilder()
                        .setTiming(io.tributary.proto.common.Pane.Timing.ON_TIME)
                        .setLast(true))
                .build());
    p.run().waitUntilFinish();
  }

  @Test
  void rejectsNonPositiveTopN(TestPipeline p) {
    PCollection<PageView> views = p.apply(Create.empty(VIEW_CODER));
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> views.apply(WebActivity.rankSliding().withTopN(0)));
    assertThat(e.getMessage(), containsString("topN must be positive, got 0"));
    p.enableAbandonedNodeEnforcement(false);
  }

  @Test
  void rejectsPeriodLongerThanSize(TestPipeline p) {
    PCollection<PageView> views = p.apply(Create.empty(VIEW_CODER));
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                views.apply(
                    WebActivity.rankSliding()
                        .withSize(Duration.standardSeconds(10))
                        .withPeriod(Duration.standardMinutes(1))));
    assertThat(e.getMessage(), containsString("size PT10S must be at least the period PT60S"));
    p.enableAbandonedNodeEnforcement(false);
  }

  static PageView view(String user, String page, String referrer, long time) {
    return PageView.newBuilder()
        .setUserId(user)
        .setPage(page)
        .setReferrer(referrer)
        .setEventTimeMillis(time)
        .build();
  }

  static List<TimestampedValue<PageView>> stamp(List<PageView> views) {
    List<TimestampedValue<PageView>> out = new ArrayList<>();
    views.forEach(v -> out.add(TimestampedValue.of(v, new Instant(v.getEventTimeMillis()))));
    return out;
  }

  private static RankedCount ranked(String item, long count) {
    return RankedCount.newBuilder().setItem(item).setCount(count).build();
  }

  /** Larger means a higher count, then a smaller key: Top's view of the dashboard order. */
  static final class ByCountThenKey implements Comparator<KV<String, Long>>, Serializable {
    @Override
    public int compare(KV<String, Long> a, KV<String, Long> b) {
      int byCount = Long.compare(a.getValue(), b.getValue());
      return byCount != 0 ? byCount : b.getKey().compareTo(a.getKey());
    }
  }

  static final class StampNaiveFn extends DoFn<List<KV<String, Long>>, KV<Long, List<RankedCount>>> {
    @ProcessElement
    public void process(
        @Element List<KV<String, Long>> top,
        BoundedWindow window,
        OutputReceiver<KV<Long, List<RankedCount>>> out) {
      List<RankedCount> ranked = new ArrayList<>();
      top.forEach(kv -> ranked.add(ranked(kv.getKey(), kv.getValue())));
      out.output(KV.of(((IntervalWindow) window).start().getMillis(), ranked));
    }
  }

  /** The last pane of every window equals the oracle's snapshot of that window, and no more. */
  /** Every window's snapshot equals the oracle's but for active users, which are within a relative error. */
  static final class UsersWithin implements SerializableFunction<Iterable<ActivitySnapshot>, Void> {
    private final Map<Long, ActivitySnapshot> expected;
    private final double error;
    private final long seed;

    UsersWithin(Map<Long, ActivitySnapshot> expected, double error, long seed) {
      this.expected = new TreeMap<>(expected);
      this.error = error;
      this.seed = seed;
    }

    @Override
    public Void apply(Iterable<ActivitySnapshot> actual) {
      Map<Long, ActivitySnapshot> withoutUsers = new TreeMap<>();
      List<ActivitySnapshot> got = new ArrayList<>();
      for (ActivitySnapshot s : actual) {
        ActivitySnapshot want = expected.get(s.getWindowStartMillis());
        if (want != null) {
          double relative = Math.abs(s.getActiveUsers() - want.getActiveUsers()) / (double) want.getActiveUsers();
          if (relative > error) {
            throw new AssertionError(
                "seed " + seed + ", window " + s.getWindowStartMillis() + ": " + s.getActiveUsers()
                    + " active users, exactly " + want.getActiveUsers() + " (" + relative + " off, more than " + error + ")");
          }
        }
        got.add(s.toBuilder().setActiveUsers(want == null ? s.getActiveUsers() : want.getActiveUsers()).build());
      }
      expected.forEach((start, s) -> withoutUsers.put(start, s));
      return new FinalSnapshotsEqual(withoutUsers, seed).apply(got);
    }
  }

  static final class FinalSnapshotsEqual
      implements SerializableFunction<Iterable<ActivitySnapshot>, Void> {
    private final Map<Long, ActivitySnapshot> expected;
    private final long seed;

    FinalSnapshotsEqual(Map<Long, ActivitySnapshot> expected, long seed) {
      this.expected = new TreeMap<>(expected);
      this.seed = seed;
    }

    @Override
    public Void apply(Iterable<ActivitySnapshot> actual) {
      Map<Long, ActivitySnapshot> last = new TreeMap<>();
      for (ActivitySnapshot s : actual) {
        last.merge(
            s.getWindowStartMillis(),
            s,
            (a, b) -> a.getPane().getIndex() >= b.getPane().getIndex() ? a : b);
      }
      List<String> diffs = new ArrayList<>();
      for (Long start : new java.util.TreeSet<>(concat(expected.keySet(), last.keySet()))) {
        ActivitySnapshot want = expected.get(start);
        ActivitySnapshot got = last.get(start);
        ActivitySnapshot gotCore = got == null ? null : got.toBuilder().clearPane().build();
        if (want == null || !want.equals(gotCore)) {
          diffs.add("window " + start + ":\n expected " + want + "\n actual   " + gotCore);
        }
      }
      if (!diffs.isEmpty()) {
        throw new AssertionError(
            "seed "
                + seed
                + ": "
                + diffs.size()
                + " of "
                + expected.size()
                + " windows differ; first:\n"
                + diffs.get(0));
      }
      return null;
    }

    private static <T> List<T> concat(java.util.Collection<T> a, java.util.Collection<T> b) {
      List<T> out = new ArrayList<>(a);
      out.addAll(b);
      return out;
    }
  }
}
