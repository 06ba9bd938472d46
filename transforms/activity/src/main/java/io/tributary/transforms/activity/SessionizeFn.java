package io.tributary.transforms.activity;

import io.tributary.proto.activity.PageView;
import io.tributary.proto.activity.SessionSummary;
import io.tributary.proto.common.Failure;
import io.tributary.proto.common.Pane;
import io.tributary.transforms.coders.MessageCoder;
import io.tributary.transforms.errors.Failures;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import org.apache.beam.sdk.coders.ListCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.coders.VarLongCoder;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.metrics.Metrics;
import org.apache.beam.sdk.state.MapState;
import org.apache.beam.sdk.state.StateSpec;
import org.apache.beam.sdk.state.StateSpecs;
import org.apache.beam.sdk.state.TimeDomain;
import org.apache.beam.sdk.state.Timer;
import org.apache.beam.sdk.state.TimerSpec;
import org.apache.beam.sdk.state.TimerSpecs;
import org.apache.beam.sdk.state.ValueState;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.TupleTag;
import org.joda.time.Instant;

/**
 * Per-user sessionization with event-time timers (see {@link WebActivity.Sessionize} for the
 * contract).
 *
 * <p>Input is keyed by a bucket of users (a hash of the user id), not by user: a runner then
 * tracks a bounded number of keys and timers however many users there are (the Direct runner
 * scans every pending timer on each watermark update). Within a bucket, state is per user (map
 * state keyed by user id).
 *
 * <p>State per user: the open sessions (a session's pane index is -1 until it is first emitted),
 * the end of the last final session (the horizon: earlier views are beyond lateness), and the
 * user's next deadline. One timer per bucket serves all deadlines: it is set to the earliest
 * deadline of the bucket's users, moved only earlier when a new deadline comes before it (which
 * keeps its output timestamp at or after the element's), and when it fires at {@code t} every user
 * whose deadline is {@code t} is handled exactly as a timer of that user's own would be, then it
 * is set to the bucket's next deadline.
 */
final class SessionizeFn extends DoFn<KV<Integer, PageView>, SessionSummary> {
  private static final Comparator<SessionSummary> BY_START =
      Comparator.comparingLong(SessionSummary::getStartMillis);

  private final long gap;
  private final long lateness;
  private final long retention;
  private final TupleTag<SessionSummary> mainTag;
  private final TupleTag<Failure> lateTag;

  private final Counter emitted = Metrics.counter(WebActivity.METRICS_NAMESPACE, "sessionsEmitted");
  private final Counter revised = Metrics.counter(WebActivity.METRICS_NAMESPACE, "sessionsRevised");
  private final Counter lateDropped = Metrics.counter(WebActivity.METRICS_NAMESPACE, "lateDropped");

  @StateId("sessions")
  private final StateSpec<MapState<String, List<SessionSummary>>> sessionsSpec =
      StateSpecs.map(StringUtf8Coder.of(), ListCoder.of(MessageCoder.of(SessionSummary.class)));

  @StateId("horizon")
  private final StateSpec<MapState<String, Long>> horizonSpec =
      StateSpecs.map(StringUtf8Coder.of(), VarLongCoder.of());

  /** Each user's next deadline. */
  @StateId("dueAt")
  private final StateSpec<MapState<String, Long>> dueAtSpec =
      StateSpecs.map(StringUtf8Coder.of(), VarLongCoder.of());

  /** When the bucket's timer is set for: the earliest deadline of its users. */
  @StateId("timerAt")
  private final StateSpec<ValueState<Long>> timerAtSpec = StateSpecs.value(VarLongCoder.of());

  @TimerId("tick")
  private final TimerSpec tickSpec = TimerSpecs.timer(TimeDomain.EVENT_TIME);

  SessionizeFn(
      long gap,
      long lateness,
      long retention,
      TupleTag<SessionSummary> mainTag,
      TupleTag<Failure> lateTag) {
    this.gap = gap;
    this.lateness = lateness;
    this.retention = retention;
    this.mainTag = mainTag;
    this.lateTag = lateTag;
  }

  @ProcessElement
  public void process(
      @Element KV<Integer, PageView> element,
      @StateId("sessions") MapState<String, List<SessionSummary>> sessionsState,
      @StateId("horizon") MapState<String, Long> horizonState,
      @StateId("dueAt") MapState<String, Long> dueAtState,
      @StateId("timerAt") ValueState<Long> timerAtState,
      @TimerId("tick") Timer tick,
      MultiOutputReceiver out) {
    PageView view = element.getValue();
    String user = view.getUserId();
    long ts = view.getEventTimeMillis();
    Long horizon = horizonState.get(user).read();
    if (horizon != null && ts < horizon) {
      lateDropped.inc();
      out.get(lateTag)
          .output(
              Failures.of(
                  WebActivity.Sessionize.STEP,
                  "view at "
                      + Instant.ofEpochMilli(ts)
                      + " of user '"
                      + view.getUserId()
                      + "' falls into or before a session that is final (ended before "
                      + Instant.ofEpochMilli(horizon)
                      + "): beyond the allowed lateness",
                  PageViewJson.format(view),
                  ts));
      return;
    }

    SessionSummary merged = single(view);
    List<SessionSummary> kept = new ArrayList<>();
    List<SessionSummary> open = sessionsState.get(user).read();
    if (open != null) {
      for (SessionSummary s : open) {
        if (overlaps(s, merged)) {
          merged = merge(merged, s);
        } else {
          kept.add(s);
        }
      }
    }
    long deadline;
    if (merged.getPane().getIndex() >= 0) {
      // The view revises a session that was already emitted: show the revision now.
      Pane pane =
          Pane.newBuilder()
              .setTiming(Pane.Timing.LATE)
              .setIndex(merged.getPane().getIndex() + 1)
              .build();
      merged = merged.toBuilder().setPane(pane).build();
      out.get(mainTag).output(finish(merged));
      revised.inc();
      deadline = gcDeadline(merged);
    } else {
      deadline = endDeadline(merged);
    }
    kept.add(merged);
    kept.sort(BY_START);
    sessionsState.put(user, kept);
    Long dueAt = dueAtState.get(user).read();
    if (dueAt == null || deadline < dueAt) {
      dueAtState.put(user, deadline);
    }
    Long timerAt = timerAtState.read();
    if (timerAt == null || deadline < timerAt) {
      tick.set(Instant.ofEpochMilli(deadline));
      timerAtState.write(deadline);
    }
  }

  @OnTimer("tick")
  public void onTick(
      OnTimerContext context,
      @StateId("sessions") MapState<String, List<SessionSummary>> sessionsState,
      @StateId("horizon") MapState<String, Long> horizonState,
      @StateId("dueAt") MapState<String, Long> dueAtState,
      @StateId("timerAt") ValueState<Long> timerAtState,
      @TimerId("tick") Timer tick,
      MultiOutputReceiver out) {
    long now = context.fireTimestamp().getMillis();
    List<String> due = new ArrayList<>();
    long next = Long.MAX_VALUE;
    for (Map.Entry<String, Long> e : dueAtState.entries().read()) {
      if (e.getValue() <= now) {
        due.add(e.getKey());
      } else {
        next = Math.min(next, e.getValue());
      }
    }
    for (String user : due) {
      Long userNext = fire(user, now, sessionsState, horizonState, out);
      if (userNext == null) {
        dueAtState.remove(user);
      } else {
        dueAtState.put(user, userNext);
        next = Math.min(next, userNext);
      }
    }
    if (next == Long.MAX_VALUE) {
      timerAtState.clear();
    } else {
      tick.set(Instant.ofEpochMilli(next));
      timerAtState.write(next);
    }
  }

  /**
   * Handles one user's deadline at {@code now}: emits the sessions that are complete, finalizes
   * those past lateness, clears the user's state once retention has passed. Returns the user's
   * next deadline, or null if none.
   */
  private Long fire(
      String user,
      long now,
      MapState<String, List<SessionSummary>> sessionsState,
      MapState<String, Long> horizonState,
      MultiOutputReceiver out) {
    List<SessionSummary> open = sessionsState.get(user).read();
    Long horizon = horizonState.get(user).read();
    List<SessionSummary> kept = new ArrayList<>();
    long next = Long.MAX_VALUE;
    if (open != null) {
      for (SessionSummary s : open) {
        if (s.getPane().getIndex() < 0 && endDeadline(s) <= now) {
          s =
              s.toBuilder()
                  .setPane(Pane.newBuilder().setTiming(Pane.Timing.ON_TIME).setIndex(0))
                  .build();
          out.get(mainTag).output(finish(s));
          emitted.inc();
        }
        if (s.getPane().getIndex() >= 0 && gcDeadline(s) <= now) {
          long end = s.getEndMillis() + gap;
          horizon = horizon == null ? end : Math.max(horizon, end);
          continue;
        }
        kept.add(s);
        next = Math.min(next, s.getPane().getIndex() < 0 ? endDeadline(s) : gcDeadline(s));
      }
    }
    if (horizon != null) {
      horizonState.put(user, horizon);
    }
    if (kept.isEmpty()) {
      sessionsState.remove(user);
      if (horizon != null) {
        long cleanup = horizon - 1 + lateness + retention;
        if (cleanup <= now) {
          horizonState.remove(user);
          return null;
        }
        next = cleanup;
      }
    } else {
      sessionsState.put(user, kept);
    }
    return next == Long.MAX_VALUE ? null : next;
  }

  /** When the watermark passes this, the session is complete as far as on-time data goes. */
  private long endDeadline(SessionSummary s) {
    return s.getEndMillis() + gap - 1;
  }

  /** When the watermark passes this, the session can no longer be revised. */
  private long gcDeadline(SessionSummary s) {
    return endDeadline(s) + lateness;
  }

  /** Whether two sessions' windows [start, end + gap) intersect. */
  private boolean overlaps(SessionSummary a, SessionSummary b) {
    return a.getStartMillis() < b.getEndMillis() + gap
        && b.getStartMillis() < a.getEndMillis() + gap;
  }

  private static SessionSummary single(PageView view) {
    long ts = view.getEventTimeMillis();
    return SessionSummary.newBuilder()
        .setUserId(view.getUserId())
        .setStartMillis(ts)
        .setEndMillis(ts)
        .setPageViews(1)
        .setLandingPage(view.getPage())
        .setExitPage(view.getPage())
        .setEntryReferrer(view.getReferrer())
        .setPane(Pane.newBuilder().setIndex(-1))
        .build();
  }

  /** Merges two sessions; order-independent (see the tie rules of {@link WebActivity.Sessionize}). */
  static SessionSummary merge(SessionSummary a, SessionSummary b) {
    SessionSummary first = landsFirst(a, b) ? a : b;
    SessionSummary last = exitsLast(a, b) ? a : b;
    return SessionSummary.newBuilder()
        .setUserId(a.getUserId())
        .setStartMillis(first.getStartMillis())
        .setLandingPage(first.getLandingPage())
        .setEntryReferrer(first.getEntryReferrer())
        .setEndMillis(last.getEndMillis())
        .setExitPage(last.getExitPage())
        .setPageViews(a.getPageViews() + b.getPageViews())
        .setPane(
            Pane.newBuilder().setIndex(Math.max(a.getPane().getIndex(), b.getPane().getIndex())))
        .build();
  }

  private static boolean landsFirst(SessionSummary a, SessionSummary b) {
    if (a.getStartMillis() != b.getStartMillis()) {
      return a.getStartMillis() < b.getStartMillis();
    }
    int byPage = a.getLandingPage().compareTo(b.getLandingPage());
    if (byPage != 0) {
      return byPage < 0;
    }
    return a.getEntryReferrer().compareTo(b.getEntryReferrer()) <= 0;
  }

  private static boolean exitsLast(SessionSummary a, SessionSummary b) {
    if (a.getEndMillis() != b.getEndMillis()) {
      return a.getEndMillis() > b.getEndMillis();
    }
    return a.getExitPage().compareTo(b.getExitPage()) >= 0;
  }

  /** Fills the derived fields of an emitted summary. */
  private static SessionSummary finish(SessionSummary s) {
    return s.toBuilder()
        .setDurationMillis(s.getEndMillis() - s.getStartMillis())
        .setBounce(s.getPageViews() == 1)
        .build();
  }
}
