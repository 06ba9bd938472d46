package io.tributary.transforms.activity;

import static io.tributary.transforms.activity.RankSlidingTest.view;

import com.google.protobuf.ByteString;
import io.tributary.proto.activity.PageView;
import io.tributary.proto.activity.SessionSummary;
import io.tributary.proto.common.Failure;
import io.tributary.proto.common.Pane;
import io.tributary.testing.BeamTest;
import io.tributary.testing.Diff;
import io.tributary.testing.Schedule;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.apache.beam.sdk.extensions.protobuf.ProtoCoder;
import org.apache.beam.sdk.testing.PAssert;
import org.apache.beam.sdk.testing.TestPipeline;
import org.apache.beam.sdk.testing.TestStream;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.Flatten;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.SerializableFunction;
import org.apache.beam.sdk.transforms.WithFailures;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionList;
import org.apache.beam.sdk.values.TimestampedValue;
import org.joda.time.Duration;
import org.joda.time.Instant;
import org.junit.jupiter.api.Test;

@BeamTest
class SessionizeTest {
  private static final ProtoCoder<PageView> VIEW_CODER = ProtoCoder.of(PageView.class);
  private static final long MIN = 60_000;

  @Test
  void emitsOneOnTimeSummaryPerSession(TestPipeline p) {
    TestStream<PageView> stream =
        TestStream.create(VIEW_CODER)
            .addElements(
                at(view("a", "/home", "https://google.com/", 0)),
                at(view("a", "/pricing", "", 10 * MIN)),
                at(view("b", "/blog", "", 5 * MIN)))
            .addElements(at(view("a", "/signup", "", 20 * MIN)))
            .advanceWatermarkTo(new Instant(60 * MIN))
            .advanceWatermarkToInfinity();
    WithFailures.Result<PCollection<SessionSummary>, Failure> result =
        p.apply(stream).apply(WebActivity.sessionize());
    PAssert.that(result.output())
        .containsInAnyOrder(
            summary("a", 0, 20 * MIN, 3, "/home", "/signup", "https://google.com/", onTime()),
            summary("b", 5 * MIN, 5 * MIN, 1, "/blog", "/blog", "", onTime()));
    PAssert.that(result.failures()).empty();
    p.run().waitUntilFinish();
  }

  @Test
  void lateViewWithinLatenessMergesTwoSessionsIntoALatePane(TestPipeline p) {
    TestStream<PageView> stream =
        TestStream.create(VIEW_CODER)
            .addElements(at(view("a", "/home", "", 0)), at(view("a", "/docs", "", 40 * MIN)))
            .advanceWatermarkTo(new Instant(75 * MIN))
            .addElements(at(view("a", "/pricing", "", 20 * MIN)))
            .advanceWatermarkToInfinity();
    WithFailures.Result<PCollection<SessionSummary>, Failure> result =
        p.apply(stream).apply(WebActivity.sessionize().withAllowedLateness(Duration.standardHours(1)));
    PAssert.that(result.output())
        .containsInAnyOrder(
            summary("a", 0, 0, 1, "/home", "/home", "", onTime()),
            summary("a", 40 * MIN, 40 * MIN, 1, "/docs", "/docs", "", onTime()),
            summary(
                "a",
                0,
                40 * MIN,
                3,
                "/home",
                "/docs",
                "",
                Pane.newBuilder().setTiming(Pane.Timing.LATE).setIndex(1).build()));
    PAssert.that(result.failures()).empty();
    p.run().waitUntilFinish();
  }

  @Test
  void viewBehindAFinalSessionGoesToTheFailureOutputWithItsPayload(TestPipeline p) {
    PageView straggler = view("a", "/late", "", 10 * MIN);
    TestStream<PageView> stream =
        TestStream.create(VIEW_CODER)
            .addElements(at(view("a", "/home", "", 0)))
            .advanceWatermarkTo(new Instant(60 * MIN))
            .addElements(at(straggler))
            .advanceWatermarkToInfinity();
    WithFailures.Result<PCollection<SessionSummary>, Failure> result =
        p.apply(stream)
            .apply(WebActivity.sessionize().withAllowedLateness(Duration.standardMinutes(5)));
    PAssert.that(result.output())
        .containsInAnyOrder(summary("a", 0, 0, 1, "/home", "/home", "", onTime()));
    PAssert.that(result.failures())
        .containsInAnyOrder(
            Failure.newBuilder()
                .setStep("Sessionize")
                .setReason(
                    "view at 1970-01-01T00:10:00.000Z of user 'a' falls into or before a session"
                        + " that is final (ended before 1970-01-01T00:30:00.000Z): beyond the"
                        + " allowed lateness")
                .setPayload(ByteString.copyFrom(PageViewJson.format(straggler)))
                .setEventTimeMillis(10 * MIN)
                .build());
    p.run().waitUntilFinish();
  }

  @Test
  void finalSessionsEqualOracleOverAcceptedViewsOnRandomStreams(TestPipeline p) {
    // Seeds 22 and 23 share keys between users: per-user state and timers within a key.
    long gap = 5 * MIN;
    long lateness = 3 * MIN;
    for (long seed : new long[] {21, 22, 23}) {
      Random random = new Random(seed);
      List<PageView> views = RandomViews.uniform(random, 250, 0, 120 * MIN, 8, 5);
      Schedule<PageView> schedule =
          Schedule.random(
              random,
              views,
              PageView::getEventTimeMillis,
              4 * MIN,
              MIN,
              15,
              (watermark, r) -> RandomViews.at(r, watermark - r.nextLong(15 * MIN), 8, 5, 5000 + r.nextInt(1000)));
      WithFailures.Result<PCollection<SessionSummary>, Failure> result =
          p.apply("seed" + seed + "/Stream", schedule.toTestStream(VIEW_CODER))
              .apply(
                  "seed" + seed + "/Sessionize",
                  WebActivity.sessionize()
                      .withGap(Duration.millis(gap))
                      .withAllowedLateness(Duration.millis(lateness))
                      .withStateRetention(Duration.standardDays(1))
                      // Users alone on their key, three buckets, and every user on one key.
                      .withKeyBuckets(seed == 21 ? WebActivity.Sessionize.DEFAULT_KEY_BUCKETS : seed == 22 ? 3 : 1));
      PCollection<KV<String, byte[]>> tagged =
          PCollectionList.of(
                  result
                      .output()
                      .apply("seed" + seed + "/TagSessions", ParDo.of(new TagFn<>("session"))))
              .and(
                  result
                      .failures()
                      .apply("seed" + seed + "/TagLate", ParDo.of(new TagFn<>("late"))))
              .apply("seed" + seed + "/Flatten", Flatten.pCollections());
      PAssert.that("seed " + seed, tagged)
          .satisfies(new SessionsAndLateViewsMatchOracle(schedule.arrivals(), gap, lateness, seed));
    }
    p.run().waitUntilFinish();
  }

  /** Tags a session summary or a failure's payload for one combined check. */
  static final class TagFn<T extends com.google.protobuf.Message> extends DoFn<T, KV<String, byte[]>> {
    private final String tag;

    TagFn(String tag) {
      this.tag = tag;
    }

    @ProcessElement
    public void process(@Element T element, OutputReceiver<KV<String, byte[]>> out) {
      byte[] bytes =
          element instanceof Failure f ? f.getPayload().toByteArray() : element.toByteArray();
      out.output(KV.of(tag, bytes));
    }
  }

  /**
   * The final revision of every session equals the oracle's sessions over the accepted views, and
   * the late views are exactly those that arrived behind a session of their user that was already
   * final (watermark past its end + gap - 1 + lateness) and that they are not part of.
   */
  static final class SessionsAndLateViewsMatchOracle
      implements SerializableFunction<Iterable<KV<String, byte[]>>, Void> {
    private final List<Schedule.Arrival<PageView>> arrivals;
    private final long gap;
    private final long lateness;
    private final long seed;

    SessionsAndLateViewsMatchOracle(
        List<Schedule.Arrival<PageView>> arrivals, long gap, long lateness, long seed) {
      this.arrivals = new ArrayList<>(arrivals);
      this.gap = gap;
      this.lateness = lateness;
      this.seed = seed;
    }

    @Override
    public Void apply(Iterable<KV<String, byte[]>> tagged) {
      List<SessionSummary> emitted = new ArrayList<>();
      List<PageView> late = new ArrayList<>();
      try {
        for (KV<String, byte[]> kv : tagged) {
          if (kv.getKey().equals("session")) {
            emitted.add(SessionSummary.parseFrom(kv.getValue()));
          } else {
            late.add(PageViewJson.parse(kv.getValue()));
          }
        }
      } catch (Exception e) {
        throw new AssertionError("seed " + seed + ": unreadable output", e);
      }
      // Which arrivals were accepted (a multiset difference: equal views may arrive twice).
      List<PageView> unmatchedLate = new ArrayList<>(late);
      List<Schedule.Arrival<PageView>> accepted = new ArrayList<>();
      for (Schedule.Arrival<PageView> a : arrivals) {
        if (!unmatchedLate.remove(a.value())) {
          accepted.add(a);
        }
      }
      if (!unmatchedLate.isEmpty()) {
        throw new AssertionError("seed " + seed + ": late output holds views never sent: " + unmatchedLate);
      }
      List<PageView> acceptedViews = new ArrayList<>();
      accepted.forEach(a -> acceptedViews.add(a.value()));
      List<SessionSummary> expected = ActivityOracle.sessions(acceptedViews, gap);
      assertSameSessions(expected, finals(emitted));

      List<Schedule.Arrival<PageView>> expectedLate = new ArrayList<>();
      for (Schedule.Arrival<PageView> a : arrivals) {
        boolean isAccepted = accepted.contains(a);
        for (SessionSummary s : expected) {
          boolean member =
              isAccepted
                  && s.getUserId().equals(a.value().getUserId())
                  && s.getStartMillis() <= a.eventTime()
                  && a.eventTime() <= s.getEndMillis();
          if (!member
              && s.getUserId().equals(a.value().getUserId())
              && s.getEndMillis() + gap - 1 + lateness < a.watermark()
              && a.eventTime() < s.getEndMillis() + gap) {
            expectedLate.add(a);
            break;
          }
        }
      }
      List<PageView> wantLate = new ArrayList<>();
      expectedLate.forEach(a -> wantLate.add(a.value()));
      Diff<PageView> lateDiff = Diff.of(wantLate, late);
      if (!lateDiff.isEmpty()) {
        throw new AssertionError(
            "seed " + seed + ": late views differ; expected " + wantLate.size() + ", got "
                + late.size() + "\nmissing: " + lateDiff.missing() + "\nunexpected: " + lateDiff.unexpected());
      }
      return null;
    }

    private void assertSameSessions(List<SessionSummary> expected, List<SessionSummary> actual) {
      Diff<SessionSummary> diff = Diff.of(expected, actual);
      if (!diff.isEmpty()) {
        List<SessionSummary> missing = diff.missing();
        List<SessionSummary> extra = diff.unexpected();
        throw new AssertionError(
            "seed " + seed + ": sessions differ from the oracle; missing " + missing.size()
                + ", unexpected " + extra.size()
                + "\nfirst missing: " + (missing.isEmpty() ? "-" : missing.get(0))
                + "\nfirst unexpected: " + (extra.isEmpty() ? "-" : extra.get(0)));
      }
    }
  }

  /** The last revision of every session: summaries not superseded by a larger one. */
  static List<SessionSummary> finals(List<SessionSummary> all) {
    List<SessionSummary> out = new ArrayList<>();
    for (SessionSummary s : all) {
      boolean superseded = false;
      for (SessionSummary o : all) {
        if (o != s
            && o.getUserId().equals(s.getUserId())
            && o.getStartMillis() <= s.getStartMillis()
            && o.getEndMillis() >= s.getEndMillis()
            && o.getPageViews() > s.getPageViews()) {
          superseded = true;
          break;
        }
      }
      if (!superseded) {
        out.add(s.toBuilder().clearPane().build());
      }
    }
    return out;
  }

  private static TimestampedValue<PageView> at(PageView v) {
    return TimestampedValue.of(v, new Instant(v.getEventTimeMillis()));
  }

  private static Pane onTime() {
    return Pane.newBuilder().setTiming(Pane.Timing.ON_TIME).setIndex(0).build();
  }

  private static SessionSummary summary(
      String user, long start, long end, long views, String landing, String exit, String referrer, Pane pane) {
    return SessionSummary.newBuilder()
        .setUserId(user)
        .setStartMillis(start)
        .setEndMillis(end)
        .setDurationMillis(end - start)
        .setPageViews(views)
        .setLandingPage(landing)
        .setExitPage(exit)
        .setEntryReferrer(referrer)
        .setBounce(views == 1)
        .setPane(pane)
        .build();
  }
}
