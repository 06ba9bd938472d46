package io.tributary.it.bench;

import io.tributary.it.bench.BenchRunner.Mode;
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
 * Top pages over 5-minute windows every 10 seconds, on the same generated input: the naive {@code
 * SlidingWindows + Count.perElement + Top} and Tributary's incremental {@code
 * WebActivity.rankSliding()}, which also ranks referrers, with and without its exact count of
 * distinct users. Each runs in batch mode (bounded input) and in streaming mode ({@link
 * Synthetic#streamed}: the same views as an unbounded stream whose watermark advances with them).
 * Prints seconds, events per second, the speedup over the naive variant in the same mode, the peak
 * heap of each run (the fastest of {@code --repeats} runs counts), and whether each variant's output equals a brute-force oracle computed here in
 * plain Java: the top pages of every window, and for the full variant its exact number of distinct
 * users (exit status 1 if any differs).
 *
 * <p>{@code it/bin/benchmark activity [--events=1000000] [--runners=direct,flink] [--topN=10]
 * [--modes=batch,streaming] [--repeats=2] [--variants=floor,naive,rankings,full,approximate]
 * [--fanout=0]}: {@code --variants} runs only the variants named (for a profile of one); a speedup
 * needs the naive variant in the same run; {@code --fanout} is {@code rankSliding().withFanout}.
 */
public final class ActivityBenchmark {
  private static final Map<String, Map<Long, String>> RESULTS = new ConcurrentHashMap<>();
  private static final Duration SIZE = Duration.standardMinutes(5);
  private static final Duration PERIOD = Duration.standardSeconds(10);
  private static final int SKETCH_PRECISION = 14;

  private ActivityBenchmark() {}

  public static void main(String[] args) throws Exception {
    long events = 1_000_000;
    String runners = "direct,flink";
    String modes = "batch,streaming";
    int topN = 10;
    java.util.EnumSet<Variant> variants = java.util.EnumSet.allOf(Variant.class);
    for (String arg : args) {
      if (arg.startsWith("--events=")) {
        events = Long.parseLong(arg.substring(9));
      } else if (arg.startsWith("--repeats=")) {
        repeats = Integer.parseInt(arg.substring(10));
      } else if (arg.startsWith("--runners=")) {
        runners = arg.substring(10);
      } else if (arg.startsWith("--modes=")) {
        modes = arg.substring(8);
      } else if (arg.startsWith("--topN=")) {
        topN = Integer.parseInt(arg.substring(7));
      } else if (arg.startsWith("--fanout=")) {
        fanout = Integer.parseInt(arg.substring(9));
      } else if (arg.startsWith("--variants=")) {
        variants = java.util.EnumSet.noneOf(Variant.class);
        for (String name : arg.substring(11).split(",")) {
          variants.add(Variant.named(name));
        }
      } else {
        throw new IllegalArgumentException(
            "unknown argument " + arg
                + "; use --events=N --runners=direct,flink --modes=batch,streaming --topN=N --repeats=N"
                + " --variants=floor,naive,rankings,full,approximate --fanout=N");
      }
    }
    // 1,000 views per second of event time over 1,000 pages and 50,000 users.
    PageViewGenerator generator = new PageViewGenerator(7, 1_700_000_000_000L, 1000, 1000, 5000, 1_800_000);
    long oracleStart = System.nanoTime();
    Oracle oracle = Oracle.of(generator, events, topN);
    System.out.printf(
        "activity benchmark: %,d views, %s windows every %s, top %d, %d cores; oracle: %,d windows, %.1f s%n",
        events, SIZE, PERIOD, topN, Runtime.getRuntime().availableProcessors(), oracle.pages.size(),
        (System.nanoTime() - oracleStart) / 1e9);
    System.out.printf(
        "%-7s %-9s %-46s %10s %9s %12s %9s %8s  %s%n",
        "runner", "mode", "variant", "events", "seconds", "events/s", "speedup", "heap MB", "vs oracle");
    boolean allEqual = true;
    for (String runner : runners.split(",")) {
      for (String modeName : modes.split(",")) {
        Mode mode = Mode.valueOf(modeName.toUpperCase(java.util.Locale.ROOT));
        long warm = Math.min(events, 20_000);
        for (Variant v : variants) {
          run(runner, mode, generator, warm, topN, v, "warm");
        }
        String at = runner + "-" + mode + "-";
        Map<Variant, Measure.Run> runs = new java.util.EnumMap<>(Variant.class);
        for (Variant v : variants) {
          runs.put(v, run(runner, mode, generator, events, topN, v, at + v.key()));
        }
        Measure.Run naive = runs.get(Variant.NAIVE);
        for (Variant v : variants) {
          Measure.Run r = runs.get(v);
          String check =
              switch (v) {
                case FLOOR -> "";
                case NAIVE, RANKINGS -> oracle.check(RESULTS.get(at + v.key()), false);
                case FULL -> oracle.check(RESULTS.get(at + v.key()), true);
                case APPROXIMATE -> oracle.checkApproximate(RESULTS.get(at + v.key()));
              };
          allEqual &= v == Variant.FLOOR || check.startsWith("equal");
          String speedup =
              v == Variant.FLOOR || naive == null ? "-" : String.format("%.1fx", naive.seconds() / r.seconds());
          row(runner, mode, v.label, events, r, speedup, check);
        }
        if (naive != null && runs.containsKey(Variant.FULL)) {
          System.out.printf(
              "%-7s %-9s rankings + exact active users at %.1fx the naive top pages (target 10x)%n",
              runner, mode.label(), naive.seconds() / runs.get(Variant.FULL).seconds());
        }
      }
    }
    System.out.println(allEqual ? "every variant equals the oracle" : "A VARIANT DIFFERS FROM THE ORACLE");
    if (!allEqual) {
      System.exit(1);
    }
  }

  private static void row(
      String runner, Mode mode, String variant, long events, Measure.Run run, String speedup, String check) {
    System.out.printf(
        "%-7s %-9s %-46s %,10d %9.1f %,12.0f %9s %8d  %s%n",
        runner, mode.label(), variant, events, run.seconds(),
        events / run.seconds(), speedup, run.peakHeapMb(), check);
  }

  /** Runs of each variant; the fastest counts. */
  static int repeats = 2;

  /** {@code rankSliding().withFanout}: intermediate keys per bucket (0, the default: none). */
  static int fanout = 0;

  /** What a run computes. */
  enum Variant {
    FLOOR("(floor: generate and count the views only)"),
    NAIVE("naive SlidingWindows + Count.perElement + Top"),
    RANKINGS("incremental rankSliding, rankings only"),
    FULL("incremental rankSliding, + exact active users"),
    APPROXIMATE("incremental rankSliding, + HLL++ active users");

    final String label;

    Variant(String label) {
      this.label = label;
    }

    /** The variant's name on the command line. */
    String key() {
      return name().toLowerCase(java.util.Locale.ROOT);
    }

    static Variant named(String key) {
      for (Variant v : values()) {
        if (v.key().equals(key)) {
          return v;
        }
      }
      throw new IllegalArgumentException(
          "unknown variant '" + key + "'; variants: floor, naive, rankings, full, approximate");
    }
  }

  private static Measure.Run run(
      String runner, Mode mode, PageViewGenerator generator, long events, int topN, Variant variant, String label)
      throws Exception {
    RESULTS.put(label, new ConcurrentHashMap<>());
    // A new pipeline per run, each from scratch.
    return Measure.best(
        repeats, () -> pipeline(runner, mode, generator, events, topN, variant, label).run().waitUntilFinish());
  }

  private static Pipeline pipeline(
      String runner, Mode mode, PageViewGenerator generator, long events, int topN, Variant variant, String label) {
    Pipeline p = Pipeline.create(BenchRunner.options(runner, mode));
    PCollection<PageView> views = BenchRunner.source(p.begin(), "Views", generator, events, mode);
    switch (variant) {
      case FLOOR -> views.apply("Count", ParDo.of(new CountFn()));
      case NAIVE ->
          views
              .apply("Window", Window.into(SlidingWindows.of(SIZE).every(PERIOD)))
              .apply("Page", MapElements.into(TypeDescriptors.strings()).via((PageView v) -> Traffic.pageKey(v.getPage())))
              .apply("Count", Count.perElement())
              .apply("Top", Top.of(topN, new ByCountThenKey()).withoutDefaults())
              .apply("Collect", ParDo.of(new CollectTopFn(label)));
      case RANKINGS, FULL, APPROXIMATE -> {
        WebActivity.RankSliding rank =
            WebActivity.rankSliding().withSize(SIZE).withPeriod(PERIOD).withTopN(topN).withFanout(fanout);
        rank =
            variant == Variant.RANKINGS
                ? rank.withActiveUsers(false)
                : variant == Variant.APPROXIMATE ? rank.withApproximateActiveUsers(SKETCH_PRECISION) : rank;
        views
            .apply("Rank", rank)
            .apply("Collect", ParDo.of(new CollectSnapshotFn(label, variant != Variant.RANKINGS)));
      }
    }
    return p;
  }

  /** Counts what it reads, so that nothing is skipped; works in either mode. */
  static final class CountFn extends DoFn<PageView, Void> {
    static final java.util.concurrent.atomic.AtomicLong COUNT = new java.util.concurrent.atomic.AtomicLong();

    @ProcessElement
    public void process(@Element PageView v) {
      COUNT.incrementAndGet();
    }
  }

  /**
   * The expected top pages and distinct users of every window, by brute force: each window's views
   * are counted directly (users as a set of ids), from the generated views held in arrays.
   */
  static final class Oracle {
    final Map<Long, String> pages = new java.util.TreeMap<>();
    final Map<Long, Integer> users = new java.util.TreeMap<>();

    static Oracle of(PageViewGenerator generator, long events, int topN) {
      int n = Math.toIntExact(events);
      long[] times = new long[n];
      int[] userIds = new int[n];
      int[] pageIds = new int[n];
      Map<String, Integer> userIndex = new java.util.HashMap<>();
      Map<String, Integer> pageIndex = new java.util.HashMap<>();
      List<String> pageNames = new ArrayList<>();
      long first = Long.MAX_VALUE;
      long last = Long.MIN_VALUE;
      for (int i = 0; i < n; i++) {
        PageView v = generator.at(i);
        times[i] = v.getEventTimeMillis();
        userIds[i] = userIndex.computeIfAbsent(v.getUserId(), u -> userIndex.size());
        String page = Traffic.pageKey(v.getPage());
        Integer id = pageIndex.get(page);
        if (id == null) {
          id = pageNames.size();
          pageIndex.put(page, id);
          pageNames.add(page);
        }
        pageIds[i] = id;
        first = Math.min(first, times[i]);
        last = Math.max(last, times[i]);
      }
      // Views in index order are in time order up to the generator's disorder bound.
      Integer[] order = new Integer[n];
      for (int i = 0; i < n; i++) {
        order[i] = i;
      }
      java.util.Arrays.sort(order, java.util.Comparator.comparingLong(i -> times[i]));
      Oracle oracle = new Oracle();
      long size = SIZE.getMillis();
      long period = PERIOD.getMillis();
      int from = 0;
      for (long start = Math.floorDiv(first, period) * period - size + period; start <= last; start += period) {
        while (from < n && times[order[from]] < start) {
          from++;
        }
        long[] counts = new long[pageNames.size()];
        java.util.BitSet seen = new java.util.BitSet(userIndex.size());
        int views = 0;
        for (int k = from; k < n && times[order[k]] < start + size; k++) {
          counts[pageIds[order[k]]]++;
          seen.set(userIds[order[k]]);
          views++;
        }
        if (views == 0) {
          continue;
        }
        List<RankedCount> ranked = new ArrayList<>();
        for (int page = 0; page < counts.length; page++) {
          if (counts[page] > 0) {
            ranked.add(RankedCount.newBuilder().setItem(pageNames.get(page)).setCount(counts[page]).build());
          }
        }
        ranked.sort(java.util.Comparator.comparingLong(RankedCount::getCount).reversed().thenComparing(RankedCount::getItem));
        oracle.pages.put(start, render(ranked.subList(0, Math.min(topN, ranked.size()))));
        oracle.users.put(start, seen.cardinality());
      }
      return oracle;
    }

    /**
     * "equal ..." with the relative error of the active users (mean, largest) when {@code actual}
     * has every window's top pages right, else what differs.
     */
    String checkApproximate(Map<Long, String> actual) {
      if (actual == null) {
        return "no output";
      }
      Map<Long, String> pagesOnly = new java.util.TreeMap<>();
      double sum = 0;
      double max = 0;
      for (Map.Entry<Long, String> e : actual.entrySet()) {
        int at = e.getValue().lastIndexOf(" users=");
        pagesOnly.put(e.getKey(), e.getValue().substring(0, at));
        Integer exact = users.get(e.getKey());
        if (exact != null) {
          double error = Math.abs(Long.parseLong(e.getValue().substring(at + 7)) - exact) / (double) exact;
          sum += error;
          max = Math.max(max, error);
        }
      }
      String pagesCheck = check(pagesOnly, false);
      return pagesCheck.startsWith("equal")
          ? String.format("%s; users off by %.2f%% on average, %.2f%% at most", pagesCheck, 100 * sum / actual.size(), 100 * max)
          : pagesCheck;
    }

    /** "equal ..." when {@code actual} has every window's top pages (and users) right, else what differs. */
    String check(Map<Long, String> actual, boolean withUsers) {
      if (actual == null) {
        return "no output";
      }
      int wrong = 0;
      Long example = null;
      for (Map.Entry<Long, String> e : pages.entrySet()) {
        String expected = e.getValue() + (withUsers ? " users=" + users.get(e.getKey()) : "");
        if (!expected.equals(actual.get(e.getKey()))) {
          wrong++;
          example = example == null ? e.getKey() : example;
        }
      }
      int extra = (int) actual.keySet().stream().filter(k -> !pages.containsKey(k)).count();
      if (wrong == 0 && extra == 0) {
        return "equal in all " + pages.size() + " windows" + (withUsers ? ", active users included" : "");
      }
      return String.format(
          "DIFFERS in %d of %d windows (%d extra); first at %d: expected [%s] got [%s]",
          wrong, pages.size(), extra, example, pages.get(example) + (withUsers ? " users=" + users.get(example) : ""),
          example == null ? "" : actual.get(example));
    }
  }

  static String render(List<RankedCount> top) {
    StringBuilder b = new StringBuilder();
    top.forEach(r -> b.append(r.getItem()).append('=').append(r.getCount()).append(' '));
    return b.toString();
  }

  static final class CollectSnapshotFn extends DoFn<ActivitySnapshot, Void> {
    private final String label;
    private final boolean withUsers;

    CollectSnapshotFn(String label, boolean withUsers) {
      this.label = label;
      this.withUsers = withUsers;
    }

    @ProcessElement
    public void process(@Element ActivitySnapshot s) {
      RESULTS.get(label).put(
          s.getWindowStartMillis(),
          render(s.getTopPagesList()) + (withUsers ? " users=" + s.getActiveUsers() : ""));
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
