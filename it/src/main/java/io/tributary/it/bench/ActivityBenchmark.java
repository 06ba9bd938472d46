package io.tributary.it.bench;

import io.tributary.pipelines.activity.PageViewGenerator;
import io.tributary.pipelines.io.Synthetic;
import io.tributary.proto.activity.ActivitySnapshot;
import io.tributary.proto.activity.PageView;
import io.tributary.proto.common.RankedCount;
import io.tributary.transforms.activity.Traffic;
import io.tributary.transforms.activity.WebActivity;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.transforms.Count;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.MapElements;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.Top;
import org.apache.beam.sdk.transforms.windowing.BoundedWindow;
import org.apache.beam.sdk.transforms.windowing.IntervalWindow;
import org.apache.beam.sdk.transforms.windowing.SlidingWindows;
import org.apache.beam.sdk.transforms.windowing.Window;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.TypeDescriptors;
import org.joda.time.Duration;

/**
 * Top pages over 5-minute windows every 10 seconds, two ways, on the same generated input: the
 * naive {@code SlidingWindows + Count.perElement + Top} and Tributary's incremental {@code
 * WebActivity.rankSliding()}, which also ranks referrers, with and without its exact count of
 * distinct users. Prints events
 * per second and the ratio per runner, and checks that both give the same top pages for every
 * window.
 *
 * <p>{@code it/bin/benchmark activity [--events=1000000] [--runners=direct,flink] [--topN=10]}
 */
public final class ActivityBenchmark {
  private static final Map<String, Map<Long, String>> RESULTS = new ConcurrentHashMap<>();
  private static final Duration SIZE = Duration.standardMinutes(5);
  private static final Duration PERIOD = Duration.standardSeconds(10);

  private ActivityBenchmark() {}

  public static void main(String[] args) {
    long events = 1_000_000;
    String runners = "direct,flink";
    int topN = 10;
    for (String arg : args) {
      if (arg.startsWith("--events=")) {
        events = Long.parseLong(arg.substring(9));
      } else if (arg.startsWith("--runners=")) {
        runners = arg.substring(10);
      } else if (arg.startsWith("--topN=")) {
        topN = Integer.parseInt(arg.substring(7));
      } else {
        throw new IllegalArgumentException("unknown argument " + arg + "; use --events=N --runners=direct,flink --topN=N");
      }
    }
    // 1,000 views per second of event time over 1,000 pages and 50,000 users.
    PageViewGenerator generator = new PageViewGenerator(7, 1_700_000_000_000L, 1000, 1000, 5000, 1_800_000);
    System.out.printf("activity benchmark: %,d views, %s windows every %s, top %d, %d cores%n",
        events, SIZE, PERIOD, topN, Runtime.getRuntime().availableProcessors());
    System.out.printf("%-7s %-44s %10s %9s %12s %9s  %s%n", "runner", "variant", "events", "seconds", "events/s", "speedup", "top pages");
    boolean allEqual = true;
    for (String runner : runners.split(",")) {
      // Warm up the JIT and the runner on a small input first.
      run(runner, generator, Math.min(events, 20_000), topN, Variant.NAIVE, "warm-naive");
      run(runner, generator, Math.min(events, 20_000), topN, Variant.RANKINGS, "warm-rankings");
      run(runner, generator, Math.min(events, 20_000), topN, Variant.FULL, "warm-full");
      double source = runSourceOnly(runner, generator, events);
      double naive = run(runner, generator, events, topN, Variant.NAIVE, runner + "-naive");
      double rankings = run(runner, generator, events, topN, Variant.RANKINGS, runner + "-rankings");
      double incremental = run(runner, generator, events, topN, Variant.FULL, runner + "-incremental");
      Map<Long, String> a = RESULTS.get(runner + "-naive");
      boolean rankingsEqual = a != null && a.equals(RESULTS.get(runner + "-rankings"));
      Map<Long, String> b = RESULTS.get(runner + "-incremental");
      boolean equal = a != null && a.equals(b);
      allEqual &= equal && rankingsEqual;
      System.out.printf("%-7s %-44s %,10d %9.1f %,12.0f %9s%n", runner, "(floor: generate and count the views only)", events, source, events / source, "-");
      System.out.printf("%-7s %-44s %,10d %9.1f %,12.0f %9s%n", runner, "naive SlidingWindows + Count.perElement + Top", events, naive, events / naive, "1.0x");
      System.out.printf("%-7s %-44s %,10d %9.1f %,12.0f %8.1fx  %s%n", runner, "incremental rankSliding, rankings only", events, rankings, events / rankings, naive / rankings,
          rankingsEqual ? "equal in all " + a.size() + " windows" : "DIFFER");
      System.out.printf("%-7s %-44s %,10d %9.1f %,12.0f %8.1fx  %s%n", runner, "incremental rankSliding, + exact active users", events, incremental, events / incremental, naive / incremental,
          equal ? "equal in all " + a.size() + " windows" : "DIFFER (" + (a == null ? 0 : a.size()) + " vs " + (b == null ? 0 : b.size()) + " windows)");
    }
    if (!allEqual) {
      System.exit(1);
    }
  }

  private static PipelineOptions options(String runner) {
    return PipelineOptionsFactory.fromArgs(
            runner.equals("flink")
                ? new String[] {"--runner=FlinkRunner", "--flinkMaster=[local]", "--parallelism=" + Runtime.getRuntime().availableProcessors()}
                : new String[] {"--runner=DirectRunner", "--targetParallelism=" + Runtime.getRuntime().availableProcessors(),
                    // The Direct runner's debugging checks re-encode every element; both variants run without them.
                    "--enforceImmutability=false", "--enforceEncodability=false"})
        .create();
  }

  /** The cost shared by both variants: generating the views, counted so nothing is skipped. */
  private static double runSourceOnly(String runner, PageViewGenerator generator, long events) {
    Pipeline p = Pipeline.create(options(runner));
    p.apply("Views", Synthetic.bounded(generator, events))
        .apply("Count", Count.globally());
    long start = System.nanoTime();
    p.run().waitUntilFinish();
    return (System.nanoTime() - start) / 1e9;
  }

  /** What a run computes. */
  enum Variant {
    NAIVE,
    RANKINGS,
    FULL
  }

  private static double run(String runner, PageViewGenerator generator, long events, int topN, Variant variant, String label) {
    Pipeline p = Pipeline.create(options(runner));
    RESULTS.put(label, new ConcurrentHashMap<>());
    PCollection<PageView> views = p.apply("Views", Synthetic.bounded(generator, events));
    if (variant != Variant.NAIVE) {
      views
          .apply(
              "Rank",
              WebActivity.rankSliding()
                  .withSize(SIZE)
                  .withPeriod(PERIOD)
                  .withTopN(topN)
                  .withActiveUsers(variant == Variant.FULL))
          .apply("Collect", ParDo.of(new CollectSnapshotFn(label)));
    } else {
      views
          .apply("Window", Window.into(SlidingWindows.of(SIZE).every(PERIOD)))
          .apply("Page", MapElements.into(TypeDescriptors.strings()).via((PageView v) -> Traffic.pageKey(v.getPage())))
          .apply("Count", Count.perElement())
          .apply("Top", Top.of(topN, new ByCountThenKey()).withoutDefaults())
          .apply("Collect", ParDo.of(new CollectTopFn(label)));
    }
    long start = System.nanoTime();
    p.run().waitUntilFinish();
    return (System.nanoTime() - start) / 1e9;
  }

  static String render(List<RankedCount> top) {
    StringBuilder b = new StringBuilder();
    top.forEach(r -> b.append(r.getItem()).append('=').append(r.getCount()).append(' '));
    return b.toString();
  }

  static final class CollectSnapshotFn extends DoFn<ActivitySnapshot, Void> {
    private final String label;

    CollectSnapshotFn(String label) {
      this.label = label;
    }

    @ProcessElement
    public void process(@Element ActivitySnapshot s) {
      RESULTS.get(label).put(s.getWindowStartMillis(), render(s.getTopPagesList()));
    }
  }

  static final class CollectTopFn extends DoFn<List<KV<String, Long>>, Void> {
    private final String label;

    CollectTopFn(String label) {
      this.label = label;
    }

    @ProcessElement
    public void process(@Element List<KV<String, Long>> top, BoundedWindow window) {
      List<RankedCount> ranked = new ArrayList<>();
      top.forEach(kv -> ranked.add(RankedCount.newBuilder().setItem(kv.getKey()).setCount(kv.getValue()).build()));
      RESULTS.get(label).put(((IntervalWindow) window).start().getMillis(), render(ranked));
    }
  }

  /** Larger means a higher count, then a smaller page: the dashboard order. */
  static final class ByCountThenKey implements Comparator<KV<String, Long>>, Serializable {
    @Override
    public int compare(KV<String, Long> a, KV<String, Long> b) {
      int byCount = Long.compare(a.getValue(), b.getValue());
      return byCount != 0 ? byCount : b.getKey().compareTo(a.getKey());
    }
  }

}
