package io.tributary.pipelines.sentiment;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.tributary.pipelines.dashboard.Board;
import io.tributary.pipelines.dashboard.Meter;
import io.tributary.pipelines.dashboard.Operated;
import io.tributary.pipelines.dashboard.PageJson;
import io.tributary.proto.sentiment.ScoredMention;
import io.tributary.proto.sentiment.ShiftAlert;
import io.tributary.proto.sentiment.TickerWindow;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.TreeMap;
import org.apache.beam.sdk.transforms.DoFn;

/**
 * The model of the sentiment page: per ticker, its newest window (mentions, mean and weighted
 * score, label counts) and a sparkline of the weighted score over its last {@value #SPARK}
 * windows; the newest {@value #FEED} shift alerts; counts of texts, mentions and alerts. A later
 * pane of a window replaces the earlier one.
 */
public final class SentimentBoard implements Operated {
  static final int SPARK = 30;
  static final int FEED = 30;
  /** The board of this JVM, fed by the in-process pipeline's steps. */
  public static final Board<SentimentBoard> BOARD = new Board<>("sentiment", new SentimentBoard());

  public static final Meter METER = Meter.named("sentiment");

  private final Map<String, NavigableMap<Long, TickerWindow>> tickers = new TreeMap<>();
  private final Deque<ShiftAlert> shifts = new ArrayDeque<>();
  private long mentions;
  private long alerts;
  private Meter.Reading ops;

  public void mention(ScoredMention m) {
    mentions++;
  }

  public void window(TickerWindow w) {
    NavigableMap<Long, TickerWindow> windows = tickers.computeIfAbsent(w.getTicker(), t -> new TreeMap<>());
    windows.put(w.getWindowEndMillis(), w);
    while (windows.size() > SPARK) {
      windows.pollFirstEntry();
    }
  }

  public void shift(ShiftAlert a) {
    alerts++;
    shifts.addFirst(a);
    while (shifts.size() > FEED) {
      shifts.removeLast();
    }
  }

  public void clear() {
    tickers.clear();
    shifts.clear();
    mentions = alerts = 0;
    ops = null;
  }

  @Override
  public void operations(Meter.Reading reading) {
    ops = reading;
  }

  @Override
  public ObjectNode toJson(ObjectMapper mapper) {
    ObjectNode root = mapper.createObjectNode();
    root.put("title", "Market sentiment");
    root.put("subtitle", "weighted score per ticker in [-1, 1]; shifts are z-scores against the baseline");
    PageJson.card(root, "mentions", "Mentions scored", mentions, "integer");
    PageJson.card(root, "tickers", "Tickers", tickers.size(), "integer");
    PageJson.card(root, "alerts", "Shift alerts", alerts, "integer");
    List<NavigableMap<Long, TickerWindow>> ordered = new ArrayList<>(tickers.values());
    ordered.sort(
        Comparator.<NavigableMap<Long, TickerWindow>>comparingLong(w -> -w.lastEntry().getValue().getMentions())
            .thenComparing(w -> w.lastEntry().getValue().getTicker()));
    ArrayNode rows =
        PageJson.table(
            root, "tickers", "Tickers, newest window", "ticker", "window end (UTC)", "mentions", "mean",
            "weighted", "positive", "neutral", "negative", "weighted score, last windows");
    for (NavigableMap<Long, TickerWindow> windows : ordered) {
      TickerWindow w = windows.lastEntry().getValue();
      ArrayNode row = rows.addArray();
      row.add(w.getTicker());
      row.add(Instant.ofEpochMilli(w.getWindowEndMillis()).toString());
      row.add(w.getMentions());
      row.add(w.getMeanScore());
      row.add(w.getWeightedScore());
      row.add(w.getPositive());
      row.add(w.getNeutral());
      row.add(w.getNegative());
      PageJson.spark(row, windows.values().stream().map(TickerWindow::getWeightedScore).toList());
    }
    ArrayNode feed =
        PageJson.table(
            root, "shifts", "Latest shift alerts", "window end (UTC)", "ticker", "z-score", "mean now",
            "baseline mean", "mentions", "text that moved it most");
    for (ShiftAlert a : shifts) {
      ArrayNode row = feed.addArray();
      row.add(Instant.ofEpochMilli(a.getWindowEndMillis()).toString());
      row.add(a.getTicker());
      row.add(a.getZScore());
      row.add(a.getCurrentMean());
      row.add(a.getBaselineMean());
      row.add(a.getCurrentMentions());
      row.add(a.getTopItemsCount() == 0 ? "" : a.getTopItems(0).getSentence());
    }
    PageJson.ops(root, ops, 0);
    return root;
  }

  static final class MentionFn extends DoFn<ScoredMention, Void> {
    @ProcessElement
    public void process(@Element ScoredMention m) {
      BOARD.quietly(b -> b.mention(m));
    }
  }

  static final class WindowFn extends DoFn<TickerWindow, Void> {
    @ProcessElement
    public void process(@Element TickerWindow w) {
      BOARD.quietly(b -> b.window(w));
    }
  }

  static final class ShiftFn extends DoFn<ShiftAlert, Void> {
    @ProcessElement
    public void process(@Element ShiftAlert a) {
      BOARD.update(b -> b.shift(a));
    }
  }
}
