package io.tributary.pipelines.sentiment;

import io.tributary.proto.sentiment.ShiftAlert;
import io.tributary.proto.sentiment.TickerWindow;
import java.io.PrintStream;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.beam.sdk.transforms.DoFn;

/**
 * A terminal table for a single-JVM run: the newest window of every ticker (mentions, mean and
 * weighted score, label counts), most mentioned first, and the latest shift alerts. Redrawn when a
 * newer window closes; on a terminal the screen is cleared first, otherwise tables are appended.
 */
final class SentimentConsole {
  private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("MM-dd HH:mm").withZone(ZoneOffset.UTC);
  private static final Object LOCK = new Object();
  private static final Map<String, TickerWindow> LATEST = new TreeMap<>();
  private static final Deque<ShiftAlert> ALERTS = new ArrayDeque<>();
  private static long shownWindowEnd = Long.MIN_VALUE;

  private SentimentConsole() {}

  /** Keeps the newest window of each ticker; redraws when a newer window end arrives. */
  static final class DrawFn extends DoFn<TickerWindow, Void> {
    @ProcessElement
    public void process(@Element TickerWindow w) {
      synchronized (LOCK) {
        TickerWindow old = LATEST.get(w.getTicker());
        if (old != null && old.getWindowEndMillis() > w.getWindowEndMillis()) {
          return;
        }
        LATEST.put(w.getTicker(), w);
        if (w.getWindowEndMillis() > shownWindowEnd) {
          shownWindowEnd = w.getWindowEndMillis();
          PrintStream out = System.out;
          out.print(render(new ArrayList<>(LATEST.values()), new ArrayList<>(ALERTS), shownWindowEnd, System.console() != null));
          out.flush();
        }
      }
    }
  }

  /** Remembers the five latest alerts for the table. */
  static final class AlertFn extends DoFn<ShiftAlert, Void> {
    @ProcessElement
    public void process(@Element ShiftAlert alert) {
      synchronized (LOCK) {
        ALERTS.addFirst(alert);
        while (ALERTS.size() > 5) {
          ALERTS.removeLast();
        }
      }
    }
  }

  /** The table: tickers whose newest window ends at {@code windowEnd}, most mentions first. */
  static String render(List<TickerWindow> windows, List<ShiftAlert> alerts, long windowEnd, boolean clear) {
    StringBuilder b = new StringBuilder();
    if (clear) {
      b.append("\033[H\033[2J");
    }
    b.append(String.format("Tributary market sentiment  windows ending %s UTC%n%n", TIME.format(Instant.ofEpochMilli(windowEnd))));
    b.append(String.format("%-8s %9s %8s %9s %6s %6s %6s  %s%n", "ticker", "mentions", "mean", "weighted", "pos", "neu", "neg", "window"));
    windows.sort(Comparator.comparingLong(TickerWindow::getMentions).reversed().thenComparing(TickerWindow::getTicker));
    for (TickerWindow w : windows) {
      b.append(String.format("%-8s %,9d %+8.3f %+9.3f %6d %6d %6d  %s - %s%s%n",
          w.getTicker(), w.getMentions(), w.getMeanScore(), w.getWeightedScore(), w.getPositive(), w.getNeutral(), w.getNegative(),
          TIME.format(Instant.ofEpochMilli(w.getWindowStartMillis())), TIME.format(Instant.ofEpochMilli(w.getWindowEndMillis())),
          w.getWindowEndMillis() < windowEnd ? "  (no newer mentions)" : ""));
    }
    if (!alerts.isEmpty()) {
      b.append(String.format("%nlatest shift alerts%n"));
      for (ShiftAlert a : alerts) {
        b.append(String.format("  %-8s %s  z %+6.1f  mean %+.3f over %d mentions vs baseline %+.3f over %d%s%n",
            a.getTicker(), TIME.format(Instant.ofEpochMilli(a.getWindowEndMillis())), a.getZScore(), a.getCurrentMean(),
            a.getCurrentMentions(), a.getBaselineMean(), a.getBaselineMentions(),
            a.getTopItemsCount() == 0 ? "" : "  e.g. \"" + clip(a.getTopItems(0).getSentence(), 60) + "\""));
      }
    }
    b.append(System.lineSeparator());
    return b.toString();
  }

  private static String clip(String s, int width) {
    return s.length() <= width ? s : s.substring(0, width - 1) + "…";
  }
}
