package io.tributary.pipelines.activity;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.tributary.pipelines.dashboard.Board;
import io.tributary.pipelines.dashboard.Meter;
import io.tributary.pipelines.dashboard.Operated;
import io.tributary.pipelines.dashboard.PageJson;
import io.tributary.proto.activity.ActivitySnapshot;
import io.tributary.proto.activity.SessionSummary;
import io.tributary.proto.activity.ViewCount;
import io.tributary.proto.common.Pane;
import io.tributary.proto.common.RankedCount;
import java.util.List;
import java.util.NavigableMap;
import java.util.TreeMap;
import org.apache.beam.sdk.transforms.DoFn;

/**
 * The model of the web activity page: the newest window's snapshot, the trend of views per period
 * over the last {@value #TREND_MINUTES} minutes, closed-session figures and the operations strip.
 *
 * <ul>
 *   <li>A snapshot replaces the one shown if its window ends at or after it (a LATE pane of the
 *       shown window replaces it too); older windows are counted as late but not shown.
 *   <li>Session figures count each session once, at its first pane (index 0); revisions by late
 *       views are counted as late.
 *   <li>Operations: in-process, views in per second and the lag of the newest event time behind
 *       the wall clock come from {@link Meter} (updated by the pipeline's {@link Meter.RecordFn}); fed
 *       from Kafka, from the newest trend period and window instead. Dead letters come from the
 *       pipeline's failure output ({@link Meter#deadLetters()}).
 * </ul>
 */
public final class ActivityBoard implements Operated {
  static final int TREND_MINUTES = 30;
  /** The board of this JVM, fed by the in-process pipeline's steps. */
  public static final Board<ActivityBoard> BOARD = new Board<>("activity", new ActivityBoard());
  /** The in-process pipeline's meter. */
  public static final Meter METER = Meter.named("activity");

  private ActivitySnapshot snapshot;
  private long snapshotReceivedMillis;
  private final NavigableMap<Long, ViewCount> trend = new TreeMap<>();
  private long sessionsClosed;
  private long bounces;
  private long sessionViews;
  private long sessionMillis;
  private long late;
  private long unreadable;
  private boolean fromResults;
  private Meter.Reading ops;

  /** Takes a snapshot received at {@code nowMillis}. */
  public void add(ActivitySnapshot s, long nowMillis) {
    if (s.getPane().getTiming() == Pane.Timing.LATE) {
      late++;
    }
    if (snapshot == null || s.getWindowEndMillis() >= snapshot.getWindowEndMillis()) {
      snapshot = s;
      snapshotReceivedMillis = nowMillis;
    }
  }

  public void add(SessionSummary s) {
    if (s.getPane().getIndex() > 0) {
      late++;
      return;
    }
    sessionsClosed++;
    bounces += s.getBounce() ? 1 : 0;
    sessionViews += s.getPageViews();
    sessionMillis += s.getDurationMillis();
  }

  public void add(ViewCount c) {
    if (c.getPane().getTiming() == Pane.Timing.LATE) {
      late++;
    }
    trend.put(c.getWindowStartMillis(), c);
    long horizon = trend.lastKey() - TREND_MINUTES * 60_000L;
    trend.headMap(horizon, false).clear();
  }

  /** A record of a result topic that is not a result (the Kafka-fed dashboard). */
  public void unreadable() {
    unreadable++;
  }

  /** Fed from the pipeline's results in Kafka: operations figures come from them. */
  public void fromResults() {
    fromResults = true;
  }

  /** The operations strip's figures. */
  @Override
  public void operations(Meter.Reading reading) {
    this.ops = reading;
  }

  /** Forgets everything (a new run in the same JVM). */
  public void clear() {
    snapshot = null;
    trend.clear();
    sessionsClosed = bounces = sessionViews = sessionMillis = late = unreadable = 0;
    fromResults = false;
    ops = null;
  }

  @Override
  public ObjectNode toJson(ObjectMapper mapper) {
    ObjectNode root = mapper.createObjectNode();
    if (snapshot != null) {
      ObjectNode window = root.putObject("window");
      window.put("start", snapshot.getWindowStartMillis());
      window.put("end", snapshot.getWindowEndMillis());
      window.put("timing", snapshot.getPane().getTiming().name());
      window.put("index", snapshot.getPane().getIndex());
      root.put("receivedAtMillis", snapshotReceivedMillis);
      ObjectNode cards = root.putObject("cards");
      cards.put("views", snapshot.getPageViews());
      cards.put("activeUsers", snapshot.getActiveUsers());
      cards.put("activePages", snapshot.getActivePages());
      cards.put("internalReferrals", snapshot.getInternalReferrals());
      ranking(root.putArray("topPages"), snapshot.getTopPagesList());
      ranking(root.putArray("topReferrers"), snapshot.getTopReferrersList());
    }
    ArrayNode points = root.putObject("trend").putArray("points");
    for (ViewCount c : trend.values()) {
      points.addArray().add(c.getWindowStartMillis()).add(c.getWindowEndMillis()).add(c.getPageViews());
    }
    ObjectNode sessions = root.putObject("sessions");
    sessions.put("closed", sessionsClosed);
    if (sessionsClosed > 0) {
      sessions.put("bounceRate", (double) bounces / sessionsClosed);
      sessions.put("meanDurationMillis", (double) sessionMillis / sessionsClosed);
      sessions.put("viewsPerSession", (double) sessionViews / sessionsClosed);
    }
    if (!fromResults) {
      PageJson.ops(root, ops, late);
    } else {
      ObjectNode o = root.putObject("ops");
      o.put("late", late);
      o.put("source", "results");
      o.put("unreadable", unreadable);
      if (!trend.isEmpty()) {
        ViewCount newest = trend.lastEntry().getValue();
        o.put("eventsPerSecond", newest.getPageViews() * 1000.0 / (newest.getWindowEndMillis() - newest.getWindowStartMillis()));
      }
      if (snapshot != null) {
        o.put("lagMillis", Math.max(0, snapshotReceivedMillis - snapshot.getWindowEndMillis()));
      }
    }
    return root;
  }

  private static void ranking(ArrayNode out, List<RankedCount> ranked) {
    for (RankedCount r : ranked) {
      out.addObject().put("item", r.getItem()).put("count", r.getCount());
    }
  }

  static final class SnapshotFn extends DoFn<ActivitySnapshot, Void> {
    @ProcessElement
    public void process(@Element ActivitySnapshot snapshot) {
      long now = System.currentTimeMillis();
      BOARD.update(m -> m.add(snapshot, now));
    }
  }

  static final class SessionFn extends DoFn<SessionSummary, Void> {
    @ProcessElement
    public void process(@Element SessionSummary session) {
      BOARD.quietly(m -> m.add(session));
    }
  }

  static final class TrendFn extends DoFn<ViewCount, Void> {
    @ProcessElement
    public void process(@Element ViewCount count) {
      BOARD.update(m -> m.add(count));
    }
  }
}
