package io.tributary.pipelines.activity;

import io.tributary.proto.activity.ActivitySnapshot;
import io.tributary.proto.activity.SessionSummary;
import io.tributary.proto.common.RankedCount;
import java.io.PrintStream;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.beam.sdk.transforms.DoFn;

/**
 * A terminal dashboard for a single-JVM run (Direct runner): redraws the top pages and referrers
 * of the newest window each time one fires, with session statistics. On a terminal the screen is
 * cleared before each redraw; otherwise tables are appended.
 */
final class ConsoleDashboard {
  private static final DateTimeFormatter TIME =
      DateTimeFormatter.ofPattern("HH:mm:ss").withZone(ZoneOffset.UTC);
  private static final Object LOCK = new Object();
  private static final AtomicLong SESSIONS = new AtomicLong();
  private static final AtomicLong BOUNCES = new AtomicLong();
  private static final AtomicLong SESSION_VIEWS = new AtomicLong();
  private static long shownWindowEnd = Long.MIN_VALUE;

  private ConsoleDashboard() {}

  /** Draws a snapshot if its window is at least as new as the one on screen. */
  static final class DrawFn extends DoFn<ActivitySnapshot, Void> {
    @ProcessElement
    public void process(@Element ActivitySnapshot snapshot) {
      synchronized (LOCK) {
        if (snapshot.getWindowEndMillis() < shownWindowEnd) {
          return;
        }
        shownWindowEnd = snapshot.getWindowEndMillis();
        PrintStream out = System.out;
        out.print(render(snapshot, System.console() != null));
        out.flush();
      }
    }
  }

  /** Counts closed sessions for the dashboard's session line. */
  static final class CountSessionsFn extends DoFn<SessionSummary, Void> {
    @ProcessElement
    public void process(@Element SessionSummary session) {
      if (session.getPane().getIndex() == 0) {
        SESSIONS.incrementAndGet();
        SESSION_VIEWS.addAndGet(session.getPageViews());
        if (session.getBounce()) {
          BOUNCES.incrementAndGet();
        }
      }
    }
  }

  static String render(ActivitySnapshot s, boolean clear) {
    StringBuilder b = new StringBuilder();
    if (clear) {
      b.append("\033[H\033[2J");
    }
    b.append(String.format(
        "Tributary web activity  window %s - %s UTC  (%s)%n",
        TIME.format(Instant.ofEpochMilli(s.getWindowStartMillis())),
        TIME.format(Instant.ofEpochMilli(s.getWindowEndMillis())),
        s.getPane().getTiming()));
    b.append(String.format(
        "views %,d   active users %,d   active pages %,d   internal referrals %,d%n",
        s.getPageViews(), s.getActiveUsers(), s.getActivePages(), s.getInternalReferrals()));
    long sessions = SESSIONS.get();
    b.append(String.format(
        "sessions closed %,d   bounce rate %s   views per session %s%n%n",
        sessions,
        sessions == 0 ? "-" : String.format("%.1f%%", 100.0 * BOUNCES.get() / sessions),
        sessions == 0 ? "-" : String.format("%.2f", (double) SESSION_VIEWS.get() / sessions)));
    List<RankedCount> pages = s.getTopPagesList();
    List<RankedCount> referrers = s.getTopReferrersList();
    b.append(String.format("%3s  %-32s %8s   %-28s %8s%n", "#", "top pages", "views", "top referrers", "views"));
    for (int i = 0; i < Math.max(pages.size(), referrers.size()); i++) {
      b.append(String.format(
          "%3d  %-32s %8s   %-28s %8s%n",
          i + 1,
          i < pages.size() ? clip(pages.get(i).getItem(), 32) : "",
          i < pages.size() ? String.format("%,d", pages.get(i).getCount()) : "",
          i < referrers.size() ? clip(referrers.get(i).getItem(), 28) : "",
          i < referrers.size() ? String.format("%,d", referrers.get(i).getCount()) : ""));
    }
    b.append(System.lineSeparator());
    return b.toString();
  }

  private static String clip(String s, int width) {
    return s.length() <= width ? s : s.substring(0, width - 1) + "…";
  }
}
