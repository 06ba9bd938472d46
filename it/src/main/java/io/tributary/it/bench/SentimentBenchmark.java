package io.tributary.it.bench;

import io.tributary.pipelines.sentiment.HeadlineGenerator;
import io.tributary.proto.sentiment.TextItem;
import io.tributary.transforms.sentiment.CoreNlpPipelines;
import io.tributary.transforms.sentiment.FinanceScorer;
import io.tributary.transforms.sentiment.Sentiment;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.extensions.protobuf.ProtoCoder;
import org.apache.beam.sdk.io.GenerateSequence;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.Reshuffle;

/**
 * Sentences per second of sentiment scoring, three ways on the same generated headlines (one
 * sentence each) in one JVM: a plain loop over the CoreNLP pipeline (one thread, and one thread
 * per core), and {@code Sentiment.score()} in a Beam pipeline on the Direct runner and on embedded
 * Flink with one worker per core. The CoreNLP pipeline is the same shared instance throughout and
 * is loaded before any timing; each variant first runs once on a small input to warm up. Prints
 * seconds, sentences/s, the ratio to the plain loop on all cores, and the peak heap of each run
 * and the heap in use after it (after a full GC: the models and what the runner keeps).
 *
 * <p>{@code it/bin/benchmark sentiment [--sentences=300] [--runners=direct,flink] [--parser=sr|pcfg]}
 */
public final class SentimentBenchmark {
  static final AtomicLong SCORED = new AtomicLong();

  private SentimentBenchmark() {}

  public static void main(String[] args) throws Exception {
    int sentences = 300;
    String runners = "direct,flink";
    String parser = "sr";
    for (String arg : args) {
      if (arg.startsWith("--sentences=")) {
        sentences = Integer.parseInt(arg.substring(12));
      } else if (arg.startsWith("--runners=")) {
        runners = arg.substring(10);
      } else if (arg.startsWith("--parser=")) {
        parser = arg.substring(9);
      } else {
        throw new IllegalArgumentException("unknown argument " + arg + "; use --sentences=N --runners=direct,flink --parser=sr|pcfg");
      }
    }
    int cores = Runtime.getRuntime().availableProcessors();
    CoreNlpPipelines.Config config =
        new CoreNlpPipelines.Config(
            CoreNlpPipelines.DEFAULT_ANNOTATORS,
            parser.equals("pcfg") ? CoreNlpPipelines.PCFG_PARSER : CoreNlpPipelines.SHIFT_REDUCE_PARSER,
            80);
    HeadlineGenerator generator = new HeadlineGenerator(7, 1_700_000_000_000L, 10);
    long load = System.nanoTime();
    CoreNlpPipelines.get(config);
    System.out.printf("sentiment benchmark: %,d headlines (one sentence each), CoreNLP %s, parser %s, %d cores, loaded in %.1f s%n",
        sentences, config.annotators(), parser, cores, (System.nanoTime() - load) / 1e9);
    System.out.printf("%-7s %-40s %9s %9s %12s %8s %13s %13s%n", "runner", "variant", "sentences", "seconds", "sentences/s", "ratio", "peak heap MB", "heap after GC");

    int n = sentences;
    int warm = Math.min(n, 40);
    loop(generator, config, warm, 1);
    Run single = measure(() -> loop(generator, config, n, 1));
    loop(generator, config, warm, cores);
    Run parallel = measure(() -> loop(generator, config, n, cores));
    print("-", "plain loop, 1 thread", n, single, parallel);
    print("-", "plain loop, " + cores + " threads", n, parallel, parallel);
    for (String runner : runners.split(",")) {
      pipeline(runner, generator, config, warm, cores);
      Run run = measure(() -> pipeline(runner, generator, config, n, cores));
      print(runner, "Sentiment.score() pipeline, " + cores + " workers", n, run, parallel);
    }
  }

  /** Seconds, peak heap and heap in use after a full GC, of one run. */
  record Run(double seconds, long peakHeapMb, long liveHeapMb) {}

  interface Body {
    void run() throws Exception;
  }

  static Run measure(Body body) throws Exception {
    System.gc();
    List<MemoryPoolMXBean> heap = new ArrayList<>();
    for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
      if (pool.getType() == MemoryType.HEAP) {
        pool.resetPeakUsage();
        heap.add(pool);
      }
    }
    long start = System.nanoTime();
    body.run();
    double seconds = (System.nanoTime() - start) / 1e9;
    long peak = 0;
    for (MemoryPoolMXBean pool : heap) {
      peak += pool.getPeakUsage().getUsed();
    }
    System.gc();
    Runtime rt = Runtime.getRuntime();
    return new Run(seconds, peak >> 20, (rt.totalMemory() - rt.freeMemory()) >> 20);
  }

  static void print(String runner, String variant, int sentences, Run run, Run baseline) {
    System.out.printf("%-7s %-40s %,9d %9.1f %12.1f %7.2fx %13d %13d%n",
        runner, variant, sentences, run.seconds(), sentences / run.seconds(), baseline.seconds() / run.seconds(), run.peakHeapMb(), run.liveHeapMb());
  }

  /** The same work as the pipeline's scoring step, in a plain loop over {@code threads} threads. */
  static void loop(HeadlineGenerator generator, CoreNlpPipelines.Config config, int sentences, int threads) throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    try {
      List<Future<Long>> parts = new ArrayList<>();
      for (int t = 0; t < threads; t++) {
        int first = t;
        parts.add(pool.submit(() -> {
          long n = 0;
          for (int i = first; i < sentences; i += threads) {
            for (CoreNlpPipelines.Sentence s : CoreNlpPipelines.annotate(config, generator.itemAt(i).getText())) {
              Sentiment.scoreSentence(FinanceScorer.Method.COMBINED, s.text(), s.probabilities()).build();
              n++;
            }
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

  static void pipeline(String runner, HeadlineGenerator generator, CoreNlpPipelines.Config config, int sentences, int cores) {
    PipelineOptions options =
        PipelineOptionsFactory.fromArgs(
                runner.equals("flink")
                    ? new String[] {"--runner=FlinkRunner", "--flinkMaster=[local]", "--parallelism=" + cores}
                    : new String[] {"--runner=DirectRunner", "--targetParallelism=" + cores,
                        "--enforceImmutability=false", "--enforceEncodability=false"})
            .create();
    Pipeline p = Pipeline.create(options);
    SCORED.set(0);
    p.apply("Indexes", GenerateSequence.from(0).to(sentences))
        .apply("Headlines", ParDo.of(new HeadlineFn(generator)))
        .setCoder(ProtoCoder.of(TextItem.class))
        // Spread the texts over the workers, as a partitioned source (Kafka) would.
        .apply("Spread", Reshuffle.viaRandomKey())
        .apply("Score", Sentiment.score().withCoreNlp(config))
        .output()
        .apply("Count", ParDo.of(new CountFn()));
    p.run().waitUntilFinish();
    if (SCORED.get() != sentences) {
      throw new IllegalStateException(runner + ": scored " + SCORED.get() + " mentions, expected " + sentences);
    }
  }

  static final class HeadlineFn extends DoFn<Long, TextItem> {
    private final HeadlineGenerator generator;

    HeadlineFn(HeadlineGenerator generator) {
      this.generator = generator;
    }

    @ProcessElement
    public void process(@Element Long i, OutputReceiver<TextItem> out) {
      out.output(generator.itemAt(i));
    }
  }

  static final class CountFn extends DoFn<io.tributary.proto.sentiment.ScoredMention, Void> {
    @ProcessElement
    public void process() {
      SCORED.incrementAndGet();
    }
  }
}
