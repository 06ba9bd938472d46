package io.tributary.pipelines;

import io.tributary.pipelines.activity.ActivityOptions;
import io.tributary.pipelines.activity.ActivityPipeline;
import io.tributary.pipelines.cdc.CdcOptions;
import io.tributary.pipelines.cdc.CdcPipeline;
import io.tributary.pipelines.fraud.FraudOptions;
import io.tributary.pipelines.fraud.FraudPipeline;
import io.tributary.pipelines.sentiment.EvaluateSentiment;
import io.tributary.pipelines.sentiment.SentimentOptions;
import io.tributary.pipelines.sentiment.SentimentPipeline;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.options.PipelineOptionsFactory;

/**
 * Command line entry point: {@code Tributary <pipeline> [--option=value ...]}. Each pipeline
 * documents its options; {@code --help} lists them (Beam's standard help).
 */
public final class Tributary {
  /** A runnable pipeline: its options interface and how to run it from arguments. */
  private record Entry(Class<? extends PipelineOptions> options, Consumer<String[]> run) {}

  private static final Map<String, Entry> PIPELINES = new LinkedHashMap<>();

  static {
    PIPELINES.put("activity", new Entry(ActivityOptions.class, ActivityPipeline::run));
    PIPELINES.put("fraud", new Entry(FraudOptions.class, FraudPipeline::run));
    PIPELINES.put("sentiment", new Entry(SentimentOptions.class, SentimentPipeline::run));
    PIPELINES.put("sentiment-eval", new Entry(EvaluateSentiment.Options.class, EvaluateSentiment::run));
    PIPELINES.put("cdc", new Entry(CdcOptions.class, CdcPipeline::run));
    PIPELINES.put(
        "dashboard",
        new Entry(io.tributary.pipelines.dashboard.DashboardCommand.Options.class, io.tributary.pipelines.dashboard.DashboardCommand::run));
  }

  /**
   * Kafka Connect's JSON converter (embedded change capture) brings Jackson's Afterburner, which
   * Beam's option and display-data serialization then loads and which logs a harmless warning
   * for every AutoValue class it cannot optimize. Held here so the level sticks.
   */
  private static final java.util.logging.Logger AFTERBURNER =
      java.util.logging.Logger.getLogger("com.fasterxml.jackson.module.afterburner");

  private Tributary() {}

  /** Beam's options for the Direct runner's checks of every element. */
  private static final List<String> DIRECT_CHECKS = List.of("--enforceImmutability", "--enforceEncodability");

  /**
   * The arguments with the launcher's runner defaults, the runner decided once:
   *
   * <ul>
   *   <li>{@code --runner=FlinkRunner} when they name no runner and Beam's default, the Direct
   *       runner, is absent but Flink's runner is present: the job jar for a Flink cluster, run by
   *       {@code flink run} or the REST API;
   *   <li>on the Direct runner, its element checks ({@code --enforceImmutability}, {@code
   *       --enforceEncodability}) turned off unless the arguments set them. Those checks encode
   *       every element a step takes or gives, once more after its bundle, to catch a step that
   *       changes its input: a development aid for new steps (Beam's test pipelines keep them on,
   *       as do this project's tests) that took a third to half of the time of the pipelines'
   *       bounded runs (README, "Choosing the runner").
   * </ul>
   */
  public static String[] withRunnerDefaults(String[] args) {
    List<String> result = new ArrayList<>(Arrays.asList(args));
    Optional<String> runner = runner(args);
    boolean directPresent = onClasspath("org.apache.beam.runners.direct.DirectRunner");
    if (runner.isEmpty() && !directPresent && onClasspath("org.apache.beam.runners.flink.FlinkRunner")) {
      result.add("--runner=FlinkRunner");
    } else if (runner.map(r -> namesRunner(r, "Direct")).orElse(directPresent)) {
      for (String check : DIRECT_CHECKS) {
        if (!given(args, check)) {
          result.add(check + "=false");
        }
      }
    }
    return result.toArray(new String[0]);
  }

  /** The runner the arguments name: the last {@code --runner=} value, as Beam reads them. */
  public static Optional<String> runner(String[] args) {
    return Arrays.stream(args)
        .filter(a -> a.startsWith("--runner="))
        .map(a -> a.substring("--runner=".length()))
        .reduce((first, last) -> last);
  }

  /**
   * Whether a {@code --runner} value names the runner {@code name} (e.g. "Flink"), as Beam reads
   * it: any case, the package and the "Runner" suffix optional.
   */
  public static boolean namesRunner(String runner, String name) {
    String simple = runner.substring(runner.lastIndexOf('.') + 1).toLowerCase(Locale.ROOT);
    String wanted = name.toLowerCase(Locale.ROOT);
    return simple.equals(wanted) || simple.equals(wanted + "runner");
  }

  /** Whether the arguments set {@code option} ({@code --name} or {@code --name=value}). */
  public static boolean given(String[] args, String option) {
    return Arrays.stream(args).anyMatch(a -> a.equals(option) || a.startsWith(option + "="));
  }

  private static boolean onClasspath(String className) {
    try {
      Class.forName(className, false, Tributary.class.getClassLoader());
      return true;
    } catch (ClassNotFoundException e) {
      return false;
    }
  }

  public static void main(String[] args) {
    AFTERBURNER.setLevel(java.util.logging.Level.SEVERE);
    String names = String.join(", ", PIPELINES.keySet());
    if (args.length == 0 || args[0].startsWith("--")) {
      System.err.println("usage: tributary <pipeline> [--option=value ...]\npipelines: " + names);
      System.exit(2);
    }
    Entry entry = PIPELINES.get(args[0]);
    if (entry == null) {
      System.err.println("unknown pipeline '" + args[0] + "'; pipelines: " + names);
      System.exit(2);
    }
    String[] rest = withRunnerDefaults(Arrays.copyOfRange(args, 1, args.length));
    try {
      if (Arrays.asList(rest).contains("--help")) {
        PipelineOptionsFactory.register(entry.options());
        PipelineOptionsFactory.fromArgs("--help=" + entry.options().getName()).create();
        return;
      }
      entry.run().accept(rest);
    } catch (IllegalArgumentException e) {
      System.err.println(e.getMessage());
      System.exit(2);
    }
  }
}
