package io.tributary.transforms.activity;

import io.tributary.proto.activity.ActivitySnapshot;
import io.tributary.proto.activity.PageView;
import io.tributary.proto.activity.SessionSummary;
import io.tributary.proto.common.RankedCount;
import io.tributary.testing.Schedule;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/** Brute-force answers for the activity transforms, written for clarity, not speed. */
public final class ActivityOracle {
  private ActivityOracle() {}

  /**
   * The final snapshot of every sliding window, by window start: every view that was not dropped
   * is counted in every window that contains it, by direct enumeration of windows. A view is
   * dropped when it arrived after the watermark passed the end of the last window containing its
   * bucket plus the allowed lateness.
   */
  public static Map<Long, ActivitySnapshot> snapshots(
      List<Schedule.Arrival<PageView>> arrivals,
      long size,
      long period,
      long lateness,
      int topN,
      Set<String> siteHosts) {
    long bucket = java.math.BigInteger.valueOf(size).gcd(java.math.BigInteger.valueOf(period)).longValue();
    Map<Long, List<PageView>> byWindow = new TreeMap<>();
    for (Schedule.Arrival<PageView> a : arrivals) {
      long ts = a.eventTime();
      long bucketEnd = Math.floorDiv(ts, bucket) * bucket + bucket;
      long lastWindowMaxTs = bucketEnd - 1 + size - bucket;
      if (lastWindowMaxTs + lateness < a.watermark()) {
        continue;
      }
      for (long start = Math.floorDiv(ts, period) * period; start > ts - size; start -= period) {
        byWindow.computeIfAbsent(start, s -> new ArrayList<>()).add(a.value());
      }
    }
    Map<Long, ActivitySnapshot> out = new TreeMap<>();
    byWindow.forEach((start, views) -> out.put(start, snapshot(start, start + size, views, topN, siteHosts)));
    return out;
  }

  static ActivitySnapshot snapshot(
      long start, long end, List<PageView> views, int topN, Set<String> siteHosts) {
    Map<String, Long> pages = new HashMap<>();
    Map<String, Long> referrers = new HashMap<>();
    Set<String> users = new HashSet<>();
    long internal = 0;
    for (PageView v : views) {
      pages.merge(Traffic.pageKey(v.getPage()), 1L, Long::sum);
      String r = Traffic.referrerKey(v.getReferrer());
      if (Traffic.isInternal(v.getPage(), r, siteHosts)) {
        internal++;
      } else {
        referrers.merge(r, 1L, Long::sum);
      }
      users.add(v.getUserId());
    }
    return ActivitySnapshot.newBuilder()
        .setWindowStartMillis(start)
        .setWindowEndMillis(end)
        .addAllTopPages(sortAll(pages, topN))
        .addAllTopReferrers(sortAll(referrers, topN))
        .setActivePages(pages.size())
        .setActiveUsers(users.size())
        .setPageViews(views.size())
        .setInternalReferrals(internal)
        .build();
  }

  /** Sorts every entry (count descending, key ascending) and keeps the first n. */
  public static List<RankedCount> sortAll(Map<String, Long> counts, int n) {
    List<Map.Entry<String, Long>> all = new ArrayList<>(counts.entrySet());
    all.sort(
        Comparator.<Map.Entry<String, Long>>comparingLong(e -> -e.getValue())
            .thenComparing(Map.Entry::getKey));
    List<RankedCount> out = new ArrayList<>();
    for (Map.Entry<String, Long> e : all.subList(0, Math.min(n, all.size()))) {
      out.add(RankedCount.newBuilder().setItem(e.getKey()).setCount(e.getValue()).build());
    }
    return out;
  }

  /**
   * Sessions of the given views by sorting each user's views and splitting where two consecutive
   * views are {@code gap} or more apart. Pane fields are left unset.
   */
  public static List<SessionSummary> sessions(List<PageView> views, long gap) {
    Map<String, List<PageView>> byUser = new TreeMap<>();
    for (PageView v : views) {
      byUser.computeIfAbsent(v.getUserId(), u -> new ArrayList<>()).add(v);
    }
    List<SessionSummary> out = new ArrayList<>();
    for (List<PageView> user : byUser.values()) {
      user.sort(
          Comparator.comparingLong(PageView::getEventTimeMillis)
              .thenComparing(PageView::getPage)
              .thenComparing(PageView::getReferrer));
      int from = 0;
      for (int i = 1; i <= user.size(); i++) {
        if (i == user.size()
            || user.get(i).getEventTimeMillis() - user.get(i - 1).getEventTimeMillis() >= gap) {
          out.add(session(user.subList(from, i)));
          from = i;
        }
      }
    }
    return out;
  }

  private static SessionSummary session(List<PageView> views) {
    PageView first = views.get(0);
    long end = views.get(views.size() - 1).getEventTimeMillis();
    String exit = "";
    for (PageView v : views) {
      if (v.getEventTimeMillis() == end && v.getPage().compareTo(exit) >= 0) {
        exit = v.getPage();
      }
    }
    return SessionSummary.newBuilder()
        .setUserId(first.getUserId())
        .setStartMillis(first.getEventTimeMillis())
        .setEndMillis(end)
        .setDurationMillis(end - first.getEventTimeMillis())
        .setPageViews(views.size())
        .setLandingPage(first.getPage())
        .setExitPage(exit)
        .setEntryReferrer(first.getReferrer())
        .setBounce(views.size() == 1)
        .build();
  }
}
