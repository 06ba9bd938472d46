package io.tributary.pipelines.activity;

import io.tributary.proto.activity.PageView;
import io.tributary.proto.activity.ViewCount;
import io.tributary.transforms.coders.MessageCoder;
import io.tributary.transforms.window.Panes;
import org.apache.beam.sdk.transforms.Combine;
import org.apache.beam.sdk.transforms.Count;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.windowing.BoundedWindow;
import org.apache.beam.sdk.transforms.windowing.FixedWindows;
import org.apache.beam.sdk.transforms.windowing.IntervalWindow;
import org.apache.beam.sdk.transforms.windowing.PaneInfo;
import org.apache.beam.sdk.transforms.windowing.Window;
import org.apache.beam.sdk.values.PCollection;
import org.joda.time.Duration;

/**
 * Page views per fixed period (the dashboard's trend): one {@link ViewCount} per period that has
 * views, when the watermark passes its end (ON_TIME), and a corrected count for each late view
 * within the allowed lateness (LATE panes carry the whole count, not a delta).
 */
final class ViewTrend extends PTransform<PCollection<PageView>, PCollection<ViewCount>> {
  private final Duration period;
  private final Duration allowedLateness;

  ViewTrend(Duration period, Duration allowedLateness) {
    this.period = period;
    this.allowedLateness = allowedLateness;
  }

  @Override
  public PCollection<ViewCount> expand(PCollection<PageView> views) {
    return views
        .apply(
            "Periods",
            Window.<PageView>into(FixedWindows.of(period))
                .withAllowedLateness(allowedLateness)
                .accumulatingFiredPanes())
        .apply("Count", Combine.globally(Count.<PageView>combineFn()).withoutDefaults())
        .apply("Stamp", ParDo.of(new StampFn()))
        .setCoder(MessageCoder.of(ViewCount.class));
  }

  static final class StampFn extends DoFn<Long, ViewCount> {
    @ProcessElement
    public void process(
        @Element Long count, BoundedWindow window, PaneInfo pane, OutputReceiver<ViewCount> out) {
      IntervalWindow w = (IntervalWindow) window;
      out.output(
          ViewCount.newBuilder()
              .setWindowStartMillis(w.start().getMillis())
              .setWindowEndMillis(w.end().getMillis())
              .setPageViews(count)
              .setPane(Panes.of(pane))
              .build());
    }
  }
}
