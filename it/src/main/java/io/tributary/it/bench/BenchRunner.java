package io.tributary.it.bench;

import io.tributary.pipelines.io.Synthetic;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.values.PBegin;
import org.apache.beam.sdk.values.PCollection;

/** The runners and modes the benchmarks run their pipelines in, the same for every benchmark. */
final class BenchRunner {
  private BenchRunner() {}

  /** Batch: the bounded source. Streaming: {@link Synthetic#streamed}, whose watermark advances. */
  enum Mode {
    BATCH,
    STREAMING;

    String label() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  /**
   * Options for {@code runner} ("flink": the embedded mini cluster, in streaming mode when asked;
   * else the Direct runner without its debugging checks, which re-encode every element) with one
   * worker per core. The system properties {@code bench.flinkArgs} and {@code bench.directArgs}
   * add options of the Flink and of the Direct runner, separated by spaces, to measure them; {@code
   * it/bin/benchmark} sets them from the environment variables {@code BENCH_FLINK_ARGS} (for example
   * {@code BENCH_FLINK_ARGS="--objectReuse=true --disableMetrics=true"}) and {@code
   * BENCH_DIRECT_ARGS} (for example {@code
   * BENCH_DIRECT_ARGS="--experiments=use_unbounded_sdf_wrapper"}).
   */
  static PipelineOptions options(String runner, Mode mode) {
    int cores = Runtime.getRuntime().availableProcessors();
    List<String> args = new ArrayList<>();
    if (runner.equals("flink")) {
      args.addAll(List.of("--runner=FlinkRunner", "--flinkMaster=[local]", "--parallelism=" + cores));
      if (mode == Mode.STREAMING) {
        args.add("--streaming=true");
      }
      args.addAll(extraArgs("bench.flinkArgs"));
    } else {
      args.addAll(
          List.of(
              "--runner=DirectRunner",
              "--targetParallelism=" + cores,
              "--enforceImmutability=false",
              "--enforceEncodability=false"));
      args.addAll(extraArgs("bench.directArgs"));
    }
    return PipelineOptionsFactory.fromArgs(args.toArray(String[]::new)).create();
  }

  /** The options in the system property {@code name}, separated by spaces (none when unset). */
  private static List<String> extraArgs(String name) {
    String extra = System.getProperty(name, "");
    return extra.isBlank() ? List.of() : List.of(extra.trim().split("\\s+"));
  }

  /** The first {@code events} records of the generator, bounded or streamed. */
  static <T> PCollection<T> source(PBegin begin, String name, Synthetic.Generator<T> generator, long events, Mode mode) {
    return mode == Mode.BATCH
        ? begin.apply(name, Synthetic.bounded(generator, events))
        : begin.apply(name, Synthetic.streamed(generator, events, Runtime.getRuntime().availableProcessors()));
  }
}
