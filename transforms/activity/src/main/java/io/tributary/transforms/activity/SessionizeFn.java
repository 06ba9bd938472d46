package io.tributary.transforms.activity;

import io.tributary.proto.activity.PageView;
import io.tributary.proto.activity.SessionSummary;
import io.tributary.proto.common.Failure;
import io.tributary.proto.common.Pane;
import io.tributary.transforms.errors.Failures;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import org.apache.beam.sdk.coders.ListCoder;
import org.apache.beam.sdk.coders.VarLongCoder;
import org.apache.beam.sdk.extensions.protobuf.ProtoCoder;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.metrics.Metrics;
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
 * <p>State per user: the open sessions (a session's pane index is -1 until it is first emitted),
 * the end of the last final session (the horizon: earlier views are beyond lateness), and the time
 * the single timer is set for. One timer serves all deadlines: it is moved earlier when a new
 * deadline comes before it and, when it fires, every due deadline is handled and it is set to the
 * next one. Moving a timer only earlier keeps its output timestamp at or after the element's.
 */
final class SessionizeFn extends DoFn<KV<String, PageView>, SessionSummary> {
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
  private final StateSpec<ValueState<List<SessionSummary>>> sessionsSpec =
      StateSpecs.value(ListCoder.of(ProtoCoder.of(SessionSummary.class)));

  @StateId("horizon")
  private final StateSpec<ValueState<Long>> horizonSpec = StateSpecs.value(VarLongCoder.of());

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
      @Element KV<String, PageView> element,
      @StateId("sessions") ValueState<List<SessionSummary>> sessionsState,
      @StateId("horizon") ValueState<Long> horizonState,
      @StateId("timerAt") ValueState<Long> timerAtState,
      @TimerId("tick") Timer tick,
      MultiOutputReceiver out) {
    PageView view = element.getValue();
    long ts = view.getEventTimeMillis();
    Long horizon = horizonState.read();
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
    List<SessionSummary> open = sessionsState.read();
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
    sessionsState.write(kept);
    Long timerAt = timerAtState.read();
    if (timerAt == null || deadline < timerAt) {
      tick.set(Instant.ofEpochMilli(deadline));
      timerAtState.write(deadline);
    }
  }

  @OnTimer("tick")
  public void onTick(
      OnTimerContext context,
      @StateId("sessions") ValueState<List<SessionSummary>> sessionsState,
      @StateId("horizon") ValueState<Long> horizonState,
      @StateId("timerAt") ValueState<Long> timerAtState,
      @TimerId("tick") Timer tick,
      MultiOutputReceiver out) {
    long now = context.fireTimestamp().getMillis();
    List<SessionSummary> open = sessionsState.read();
    Long horizon = horizonState.read();
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
      horizonState.write(horizon);
    }
    if (kept.isEmpty()) {
      sessionsState.clear();
      if (horizon != null) {
        long cleanup = horizon - 1 + lateness + retention;
        if (cleanup <= now) {
          horizonState.clear();
          timerAtState.clear();
          return;
        }
        next = cleanup;
      }
    } else {
      sessionsState.write(kept);
    }
    if (next == Long.MAX_VALUE) {
      timerAtState.clear();
    } else {
      tick.set(Instant.ofEpochMilli(next));
      timerAtState.write(next);
    }
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
