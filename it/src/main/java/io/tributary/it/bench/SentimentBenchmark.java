package io.tributary.it.bench;

import io.tributary.it.bench.Measure.Body;
import io.tributary.it.bench.Measure.Run;
import io.tributary.pipelines.io.Synthetic;
import io.tributary.pipelines.sentiment.HeadlineGenerator;
import io.tributary.proto.sentiment.ScoredMention;
import io.tributary.proto.sentiment.TextItem;
import io.tributary.transforms.coders.MessageCoder;
import io.tributary.transforms.sentiment.CoreNlpPipelines;
import io.tributary.transforms.sentiment.FinanceScorer;
import io.tributary.transforms.sentiment.Sentiment;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.Reshuffle;
import org.apache.beam.sdk.util.CoderUtils;
import org.apache.beam.sdk.values.PCollection;

/**
 * Sentences per second of sentiment scoring on the same generated headlines (one sentence each)
 * in one JVM, taken apart: plain loops over the raw scorer (sentence splitting and scoring, the
 * baseline of every ratio), plus tickers, attribution and the mention records (what the scoring
 * DoFn does), plus the coders a runner applies; then {@code Sentiment.score()} in a Beam pipeline
 * on the Direct runner and on embedded Flink with one worker per core, straight from the source
 * and after a {@code Reshuffle}. The loops use one thread per core. Models are loaded before any
 * timing; each variant first runs on a fifth of the input to warm up, then the loops {@code
 * --repeats} times (3) of which the fastest counts. Each pipeline runs in {@code --repeats}
 * rounds of three runs back to back: the baseline, the pipeline, and the pipeline on no input
 * (its start-up and shutdown; the pipeline's time less that gives the steady rate). Ratios are
 * taken within a round, since the machine's speed drifts over minutes, and the round with the
 * median steady ratio is printed. Prints seconds, sentences/s, the ratio to the baseline, the peak
 * heap of the runs and the heap in use after them (after a full GC: the models and what the
 * runner keeps), and per round the collectors' pauses during each run.
 *
 * <p>{@code it/bin/benchmark sentiment [--method=finance|combined|corenlp] [--sentences=N]
 * [--runners=direct,flink] [--parser=sr|pcfg] [--repeats=3]} (N defaults to 200,000 for the
 * finance method and 300 for the CoreNLP ones).
 */
public final class SentimentBenchmark {

  static final AtomicLong SCORED = new AtomicLong();
  static final AtomicLong BUNDLES = new AtomicLong();

  private SentimentBenchmark() {}

  public static void main(String[] args) throws Exception {
    int sentences = 0;
    String runners = "direct,flink";
    String parser = "sr";
    String methodName = "finance";
    for (String arg : args) {
      if (arg.startsWith("--sentences=")) {
        sentences = Integer.parseInt(arg.substring(12));
      } else if (arg.startsWith("--runners=")) {
        runners = arg.substring(10);
      } else if (arg.startsWith("--parser=")) {
        parser = arg.substring(9);
      } else if (arg.startsWith("--repeats=")) {
        repeats = Integer.parseInt(arg.substring(10));
      } else if (arg.startsWith("--method=")) {
        methodName = arg.substring(9);
      } else {
        throw new IllegalArgumentException(
            "unknown argument " + arg + "; use --sentences=N --runners=direct,flink --parser=sr|pcfg --method=finance|combined|corenlp --repeats=N");
      }
    }
    FinanceScorer.Method method = FinanceScorer.Method.valueOf(methodName.toUpperCase(java.util.Locale.ROOT));
    if (sentences == 0) {
      // The parser runs at tens of sentences/s, the finance model alone at thousands.
      sentences = method.usesCoreNlp() ? 300 : 200_000;
    }
    int cores = Runtime.getRuntime().availableProcessors();
    Sentiment.Score score =
        Sentiment.score()
            .withMethod(method)
            .withCoreNlp(
                new CoreNlpPipelines.Config(
                    CoreNlpPipelines.DEFAULT_ANNOTATORS,
                    parser.equals("pcfg") ? CoreNlpPipelines.PCFG_PARSER : CoreNlpPipelines.SHIFT_REDUCE_PARSER,
                    80));
    // What the scoring step really runs: sentence splitting only for the finance model.
    CoreNlpPipelines.Config config = score.effectiveCoreNlp();
    HeadlineGenerator generator = new HeadlineGenerator(7, 1_700_000_000_000L, 10);
    long load = System.nanoTime();
    CoreNlpPipelines.get(config);
    java.util.function.Function<TextItem, List<ScoredMention>> inProcess = score.inProcess();
    System.out.printf("sentiment benchmark: %,d headlines (one sentence each), method %s, CoreNLP %s%s, %d cores, collector %s, loaded in %.1f s%n",
        sentences, method, config.annotators(), method.usesCoreNlp() ? ", parser " + parser : "", cores, Measure.collectors(),
        (System.nanoTime() - load) / 1e9);
    System.out.printf("%-7s %-52s %9s %9s %12s %8s %13s %13s%n", "runner", "variant", "sentences", "seconds", "sentences/s", "ratio", "peak heap MB", "heap after GC");

    int n = sentences;
    int warm = Math.max(Math.min(n, 40), n / 5);
    // The raw scorer: split into sentences and score each, nothing else; the baseline of every ratio.
    Work raw = i -> {
      long k = 0;
      for (CoreNlpPipelines.Sentence s : CoreNlpPipelines.annotate(config, generator.itemAt(i).getText())) {
        Sentiment.scoreSentence(method, s.text(), s.probabilities()).build();
        k++;
      }
      return k;
    };
    // What the scoring DoFn does: the raw scorer plus tickers, attribution and the mention records.
    Work step = i -> inProcess.apply(generator.itemAt(i)).size();
    // The same with the coders the pipeline applies between its steps (text in, mentions out).
    MessageCoder<TextItem> itemCoder = MessageCoder.of(TextItem.class);
    MessageCoder<ScoredMention> mentionCoder = MessageCoder.of(ScoredMention.class);
    Work coded = i -> {
      TextItem item = CoderUtils.decodeFromByteArray(itemCoder, CoderUtils.encodeToByteArray(itemCoder, generator.itemAt(i)));
      long k = 0;
      for (ScoredMention m : inProcess.apply(item)) {
        CoderUtils.decodeFromByteArray(mentionCoder, CoderUtils.encodeToByteArray(mentionCoder, m));
        k++;
      }
      return k;
    };
    // The first loop warms the scorer up on the whole input: after a fifth of it the JIT was
    // still compiling, and the first baseline came out 10-20% slower than later ones.
    loop(raw, n, cores);
    Run baseline = measure(() -> loop(raw, n, cores));
    double baselineRate = n / baseline.seconds();
    loop(raw, warm, 1);
    print("-", "plain loop: raw scorer, 1 thread", n, measure(() -> loop(raw, n, 1)), baselineRate);
    print("-", "plain loop: raw scorer, " + cores + " threads (baseline)", n, baseline, baselineRate);
    loop(step, warm, cores);
    print("-", "plain loop: + tickers, attribution, records", n, measure(() -> loop(step, n, cores)), baselineRate);
    loop(coded, warm, cores);
    print("-", "plain loop: + coders (text in, mentions out)", n, measure(() -> loop(coded, n, cores)), baselineRate);
    for (String runner : runners.split(",")) {
      for (boolean spread : new boolean[] {false, true}) {
        if (spread && runner.equals("direct") && n > 20_000) {
          // The Direct runner groups a Reshuffle's random keys one bundle each: far too slow at this size.
          continue;
        }
        pipeline(runner, generator, score, warm, cores, spread);
        // The machine's speed drifts over minutes (10-20%, at times more): each round runs the
        // baseline, the pipeline and the same pipeline on no input back to back, and compares
        // them within the round; the median round counts.
        String name = "Sentiment.score() pipeline" + (spread ? " after Reshuffle" : "") + ", " + cores + " workers";
        List<Run> baselines = new ArrayList<>();
        List<Run> runs = new ArrayList<>();
        List<Run> empties = new ArrayList<>();
        for (int r = 0; r < repeats; r++) {
          Run again = measureOnce(() -> loop(raw, n, cores));
          Run run = measureOnce(() -> pipeline(runner, generator, score, n, cores, spread));
          long bundles = BUNDLES.get();
          Run empty = measureOnce(() -> pipeline(runner, generator, score, 0, cores, spread));
          baselines.add(again);
          runs.add(run);
          empties.add(empty);
          System.out.printf(
              "        (round %d: baseline %.1f s (GC pauses %.2f s), pipeline %.1f s in %,d bundles at the last step (GC pauses %.2f s),"
                  + " on no input %.1f s: %.2fx end to end, %.2fx steady)%n",
              r + 1, again.seconds(), again.gcPauseSeconds(), run.seconds(), bundles, run.gcPauseSeconds(), empty.seconds(),
              again.seconds() / run.seconds(), again.seconds() / (run.seconds() - empty.seconds()));
        }
        int median = medianRound(baselines, runs, empties);
        Run again = baselines.get(median);
        double againRate = n / again.seconds();
        print(runner, "  plain loop baseline (median round's)", n, again, againRate);
        print(runner, name, n, runs.get(median), againRate);
        // Start-up and shutdown cost what the run on no input took: the rest is the steady rate.
        Run run = runs.get(median);
        Run steady = new Run(run.seconds() - empties.get(median).seconds(), run.peakHeapMb(), run.liveHeapMb(), run.gcPauseSeconds());
        print(runner, "  steady rate: less the run on no input (" + String.format("%.1f s", empties.get(median).seconds()) + ")", n, steady, againRate);
      }
    }
  }

  /** The round whose steady ratio is the median of the rounds'. */
  static int medianRound(List<Run> baselines, List<Run> runs, List<Run> empties) {
    List<Integer> rounds = new ArrayList<>();
    for (int r = 0; r < runs.size(); r++) {
      rounds.add(r);
    }
    rounds.sort(java.util.Comparator.comparingDouble(
        r -> baselines.get(r).seconds() / (runs.get(r).seconds() - empties.get(r).seconds())));
    return rounds.get(rounds.size() / 2);
  }

  /** Scores text {@code i}; returns the mentions (or sentences) it gave. */
  interface Work {
    long apply(long i) throws Exception;
  }

  static int repeats = 3;

  /** The fastest of {@link #repeats} runs (and the largest peak heap). */
  static Run measure(Body body) throws Exception {
    return Measure.best(repeats, body);
  }

  static Run measureOnce(Body body) throws Exception {
    return Measure.once(body);
  }

  /** Prints a row, with the ratio of its sentences/s to {@code baselineRate}. */
  static void print(String runner, String variant, int sentences, Run run, double baselineRate) {
    double rate = sentences / run.seconds();
    System.out.printf("%-7s %-52s %,9d %9.1f %12.1f %7.2fx %13d %13d%n",
        runner, variant, sentences, run.seconds(), rate, rate / baselineRate, run.peakHeapMb(), run.liveHeapMb());
  }

  /** {@code work} over texts 0..n-1 spread over {@code threads} threads; every text must give one. */
  static void loop(Work work, int sentences, int threads) throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    try {
      List<Future<Long>> parts = new ArrayList<>();
      for (int t = 0; t < threads; t++) {
        int first = t;
        parts.add(pool.submit(() -> {
          long n = 0;
          for (int i = first; i < sentences; i += threads) {
            n += work.apply(i);
          }
          return n;
        }));
      }
      long n = 0;
      for (Future<Long> part : parts) {
        n += part.get();
      }
      if (n != sentences) {
        throw new IllegalStateException("scored " + n + " sentences, expected " + sentences);
      }
    } finally {
      pool.shutdown();
    }
  }

  static void pipeline(String runner, HeadlineGenerator generator, Sentiment.Score score, int sentences, int cores, boolean spread) {
    PipelineOptions options =
        PipelineOptionsFactory.fromArgs(
                runner.equals("flink")
                    ? new String[] {"--runner=FlinkRunner", "--flinkMaster=[local]", "--parallelism=" + cores}
                    : new String[] {"--runner=DirectRunner", "--targetParallelism=" + cores,
                        "--enforceImmutability=false", "--enforceEncodability=false"})
            .create();
    Pipeline p = Pipeline.create(options);
    SCORED.set(0);
    BUNDLES.set(0);
    PCollection<TextItem> items =
        p.apply("Headlines", Synthetic.bounded(generator, sentences));
    if (spread) {
      // Spread the texts over the workers, as a partitioned source (Kafka) would.
      items = items.apply("Spread", Reshuffle.viaRandomKey());
    }
    items.apply("Score", score).output().apply("Count", ParDo.of(new CountFn()));
    p.run().waitUntilFinish();
    if (SCORED.get() != sentences) {
      throw new IllegalStateException(runner + ": scored " + SCORED.get() + " mentions, expected " + sentences);
    }
  }

  static final class CountFn extends DoFn<ScoredMention, Void> {
    @StartBundle
    public void startBundle() {
      BUNDLES.incrementAndGet();
    }

    @ProcessElement
    public void process() {
      SCORED.incrementAndGet();
    }
  }
}
