package io.tributary.transforms.sentiment;

import io.tributary.proto.sentiment.Contribution;
import io.tributary.proto.sentiment.ShiftAlert;
import io.tributary.transforms.window.Panes;
import java.util.ArrayList;
import java.util.List;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.metrics.Metrics;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.windowing.BoundedWindow;
import org.apache.beam.sdk.transforms.windowing.IntervalWindow;
import org.apache.beam.sdk.transforms.windowing.PaneInfo;
import org.apache.beam.sdk.values.KV;

/** Splits a baseline-plus-current window into its parts and alerts on a shift. */
final class ShiftFn extends DoFn<KV<String, MentionStats.Buckets>, ShiftAlert> {
  private final long size;
  private final double zThreshold;
  private final int minMentions;
  private final int minBaselineMentions;
  private final double minStddev;
  private final int topK;
  private final Counter alerts = Metrics.counter(Sentiment.METRICS_NAMESPACE, "alerts");
  private final Counter evaluated = Metrics.counter(Sentiment.METRICS_NAMESPACE, "windowsEvaluated");

  ShiftFn(long size, Sentiment.DetectShifts spec) {
    this.size = size;
    this.zThreshold = spec.getZThreshold();
    this.minMentions = spec.getMinMentions();
    this.minBaselineMentions = spec.getMinBaselineMentions();
    this.minStddev = spec.getMinStddev();
    this.topK = spec.getTopK();
  }

  @ProcessElement
  public void process(
      @Element KV<String, MentionStats.Buckets> kv, BoundedWindow window, PaneInfo pane, OutputReceiver<ShiftAlert> out) {
    IntervalWindow w = (IntervalWindow) window;
    long currentStart = w.end().getMillis() - size;
    evaluated.inc();
    ShiftAlert alert =
        evaluate(
            kv.getKey(),
            w.start().getMillis(),
            currentStart,
            w.end().getMillis(),
            kv.getValue().between(Long.MIN_VALUE, currentStart, topK),
            kv.getValue().between(currentStart, Long.MAX_VALUE, topK));
    if (alert != null) {
      alerts.inc();
      out.output(alert.toBuilder().setPane(Panes.of(pane)).build());
    }
  }

  ShiftAlert evaluate(String ticker, long baselineStart, long start, long end, MentionStats baseline, MentionStats current) {
    if (current.mentions < minMentions || baseline.mentions < minBaselineMentions) {
      return null;
    }
    double sd = Math.max(baseline.stddev(), minStddev);
    double z = (current.mean() - baseline.mean()) / (sd / Math.sqrt(current.mentions));
    if (Math.abs(z) < zThreshold) {
      return null;
    }
    List<Contribution> top = new ArrayList<>(z > 0 ? current.mostPositive : current.mostNegative);
    return ShiftAlert.newBuilder()
        .setTicker(ticker)
        .setWindowStartMillis(start)
        .setWindowEndMillis(end)
        .setBaselineStartMillis(baselineStart)
        .setCurrentMentions(current.mentions)
        .setCurrentMean(current.mean())
        .setBaselineMentions(baseline.mentions)
        .setBaselineMean(baseline.mean())
        .setBaselineStddev(baseline.stddev())
        .setZScore(z)
        .addAllTopItems(top.subList(0, Math.min(topK, top.size())))
        .build();
  }
}
