package io.tributary.pipelines.activity;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tributary.proto.activity.PageView;
import io.tributary.proto.activity.SessionSummary;
import io.tributary.transforms.activity.ActivityOracle;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

class PageViewGeneratorTest {
  @Test
  void viewsKeepTheWatermarkPromiseAndTheDisorderBound() {
    PageViewGenerator g = new PageViewGenerator(5, 1_000_000, 1000, 50, 2000, 1_800_000);
    long minFutureTime = Long.MAX_VALUE;
    // Walk backwards: the watermark at i must not exceed any event time from i on.
    for (long i = 19_999; i >= 0; i--) {
      PageView v = g.at(i);
      assertTrue(v.getEventTimeMillis() <= g.slotMillis(i), "view " + i + " after its slot");
      assertTrue(v.getEventTimeMillis() >= g.slotMillis(i) - 2000, "view " + i + " beyond the disorder bound");
      minFutureTime = Math.min(minFutureTime, v.getEventTimeMillis());
      assertTrue(g.watermarkMillis(i) <= minFutureTime, "watermark at " + i + " passes a later view");
    }
  }

  @Test
  void sameSeedSameViewsAndPopularityIsSkewed() {
    PageViewGenerator a = new PageViewGenerator(9, 0, 100, 200, 0, 1_800_000);
    PageViewGenerator b = new PageViewGenerator(9, 0, 100, 200, 0, 1_800_000);
    Map<String, Integer> counts = new HashMap<>();
    for (long i = 0; i < 10_000; i++) {
      assertEquals(a.at(i), b.at(i));
      counts.merge(a.at(i).getPage(), 1, Integer::sum);
    }
    int home = counts.get("https://shop.example.com/");
    // Zipf(1.1) over 200 pages: the top page takes far more than a uniform share (50 of 10,000).
    assertTrue(home > 1000, "top page has " + home + " views");
  }

  /**
   * The generator's truth: every visit it plans (a view whose referrer is not the site) is exactly
   * one session of the sessionizer's rule, later views follow internal links, and the figures are
   * those the class documents. Printed for the README.
   */
  @Test
  void visitsAreSessionsWithRealisticFigures() {
    long gap = 1_800_000;
    for (long seed : new long[] {1, 2, 3}) {
      PageViewGenerator g = new PageViewGenerator(seed, 0, 20, 200, 0, gap);
      List<PageView> views = new ArrayList<>();
      long visits = 0;
      long internal = 0;
      for (long i = 0; i < 120_000; i++) {
        PageView v = g.at(i);
        views.add(v);
        if (v.getReferrer().startsWith(PageViewGenerator.SITE)) {
          internal++;
        } else {
          visits++;
        }
      }
      List<SessionSummary> sessions = ActivityOracle.sessions(views, gap);
      assertEquals(visits, sessions.size(), "seed " + seed + ": planned visits vs oracle sessions");
      for (SessionSummary s : sessions) {
        assertTrue(
            !s.getEntryReferrer().startsWith(PageViewGenerator.SITE),
            "seed " + seed + ": a session starts with an internal referrer: " + s);
      }
      long bounces = sessions.stream().filter(SessionSummary::getBounce).count();
      double bounceRate = (double) bounces / sessions.size();
      double viewsPerSession = (double) views.size() / sessions.size();
      double meanDurationSeconds =
          sessions.stream().filter(s -> !s.getBounce()).mapToLong(SessionSummary::getDurationMillis).average().orElse(0) / 1000;
      long longest = sessions.stream().mapToLong(SessionSummary::getPageViews).max().orElse(0);
      Map<String, Long> perUser =
          sessions.stream().collect(Collectors.groupingBy(SessionSummary::getUserId, Collectors.counting()));
      double returning = (double) perUser.values().stream().filter(n -> n > 1).count() / perUser.size();
      System.out.printf(
          "generator seed %d: %,d views, %,d sessions, bounce rate %.1f%%, %.2f views per session,"
              + " longest %d, mean duration of non-bounce sessions %.0f s, internal referrals %.1f%%,"
              + " returning visitors %.1f%%%n",
          seed, views.size(), sessions.size(), 100 * bounceRate, viewsPerSession, longest,
          meanDurationSeconds, 100.0 * internal / views.size(), 100 * returning);
      assertTrue(bounceRate >= 0.40 && bounceRate <= 0.60, "seed " + seed + ": bounce rate " + bounceRate);
      assertTrue(viewsPerSession >= 2 && viewsPerSession <= 4.5, "seed " + seed + ": views per session " + viewsPerSession);
      assertTrue(longest >= 20, "seed " + seed + ": no long session (heavy tail), longest " + longest);
      assertTrue(
          meanDurationSeconds >= 30 && meanDurationSeconds <= 300,
          "seed " + seed + ": mean duration " + meanDurationSeconds + " s");
      assertTrue(returning > 0.05, "seed " + seed + ": returning visitors " + returning);
    }
  }

  /** Disorder moves views within a few seconds only: visits are still exactly the sessions. */
  @Test
  void disorderKeepsVisitsApart() {
    PageViewGenerator g = new PageViewGenerator(4, 1_000_000, 500, 200, 3000, 600_000);
    List<PageView> views = new ArrayList<>();
    long visits = 0;
    for (long i = 0; i < 200_000; i++) {
      PageView v = g.at(i);
      views.add(v);
      visits += v.getReferrer().startsWith(PageViewGenerator.SITE) ? 0 : 1;
    }
    assertEquals(visits, ActivityOracle.sessions(views, 600_000).size(), "planned visits vs oracle sessions");
  }
}
