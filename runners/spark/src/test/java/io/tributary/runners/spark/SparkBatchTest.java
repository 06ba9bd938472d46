package io.tributary.runners.spark;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.fail;

import io.tributary.pipelines.activity.ActivityOptions;
import io.tributary.pipelines.activity.ActivityPipeline;
import io.tributary.pipelines.fraud.FraudOptions;
import io.tributary.pipelines.fraud.FraudPipeline;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Function;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The pipelines in batch on Spark ({@code local[2]}) write exactly what the Direct runner writes
 * for the same options: the same JSON lines of every kind of result, and the same failures.
 */
class SparkBatchTest {
  /**
   * Enough events for dozens of sliding windows, thousands of sessions and over a hundred alerts;
   * Spark takes seconds. The Direct run takes longer, mostly on per-window timer bookkeeping that
   * hardly shrinks with fewer events.
   */
  private static final long EVENTS = 10_000;

  private static final long SEED = 7;
  private static final long START_MILLIS = 1_700_000_000_000L;

  @Test
  void activityOnSparkWritesWhatDirectWrites(@TempDir Path dir) throws IOException {
    compare(
        "activity",
        dir,
        args -> ActivityPipeline.create(PipelineOptionsFactory.fromArgs(args).withValidation().as(ActivityOptions.class)),
        List.of("snapshots", "sessions", "trend"));
  }

  @Test
  void fraudOnSparkWritesWhatDirectWrites(@TempDir Path dir) throws IOException {
    compare(
        "fraud",
        dir,
        args -> FraudPipeline.create(PipelineOptionsFactory.fromArgs(args).withValidation().as(FraudOptions.class)),
        List.of("alerts", "features"),
        // Fewer cards than the default, so that cards have the history the rule needs.
        "--cards=500");
  }

  /**
   * A result line without its pane: when a runner fires a window, and whether it says the pane is
   * the last, depends on its timing (the Direct runner sometimes fires a window before the
   * watermark passes its allowed lateness; Spark stamps a global combine's output with no timing).
   * The results themselves (windows, counts, rankings) must be equal.
   */
  private static String withoutPane(String line) {
    return line.replaceAll(",\"pane\":\\{[^}]*\\}", "");
  }

  /**
   * Runs the pipeline on both runners with the same bounded synthetic input and compares, per kind
   * of result, the multisets of lines written; each kind must be non-empty. Failures go to files
   * too and must match, but may be empty.
   */
  private static void compare(
      String pipeline,
      Path dir,
      Function<String[], Pipeline> create,
      List<String> kinds,
      String... pipelineArgs)
      throws IOException {
    Path direct = dir.resolve("direct");
    Path spark = dir.resolve("spark");
    run(pipeline, create, direct, pipelineArgs, "--runner=DirectRunner");
    run(pipeline, create, spark, pipelineArgs, "--runner=SparkRunner", "--sparkMaster=local[2]");

    List<String> mismatches = new ArrayList<>();
    for (String kind : kinds) {
      Map<String, Integer> expected = lines(direct.resolve(kind), SparkBatchTest::withoutPane);
      assertFalse(expected.isEmpty(), pipeline + ": the Direct runner wrote no " + kind);
      Map<String, Integer> actual = lines(spark.resolve(kind), SparkBatchTest::withoutPane);
      System.out.printf("%s %s: %d lines from Direct, %d from Spark%n", pipeline, kind, total(expected), total(actual));
      diff(pipeline + " " + kind, expected, actual, mismatches);
    }
    diff(
        pipeline + " failures",
        lines(direct.resolve("failures"), UnaryOperator.identity()),
        lines(spark.resolve("failures"), UnaryOperator.identity()),
        mismatches);
    if (!mismatches.isEmpty()) {
      fail(String.join("\n", mismatches));
    }
  }

  private static void run(
      String pipeline, Function<String[], Pipeline> create, Path out, String[] pipelineArgs, String... runner) {
    List<String> args =
        new ArrayList<>(
            List.of(
                "--maxEvents=" + EVENTS,
                "--seed=" + SEED,
                "--startMillis=" + START_MILLIS,
                "--sink=files",
                "--outputPath=" + out,
                "--deadLetter=files",
                "--deadLetterPath=" + out.resolve("failures")));
    args.addAll(List.of(pipelineArgs));
    args.addAll(List.of(runner));
    long start = System.nanoTime();
    PipelineResult.State state = create.apply(args.toArray(String[]::new)).run().waitUntilFinish();
    System.out.printf(
        "%s with %s: %s in %.1f s%n", pipeline, runner[0], state, (System.nanoTime() - start) / 1e9);
    if (state != PipelineResult.State.DONE) {
      fail(pipeline + " with " + runner[0] + " ended " + state);
    }
  }

  /** Records how the lines Spark wrote differ from the Direct runner's: counts and a few lines. */
  private static void diff(
      String what, Map<String, Integer> direct, Map<String, Integer> spark, List<String> mismatches) {
    if (direct.equals(spark)) {
      return;
    }
    List<String> onlyDirect = surplus(direct, spark);
    List<String> onlySpark = surplus(spark, direct);
    mismatches.add(
        String.format(
            "%s: Direct wrote %d lines, Spark %d; %d only from Direct, %d only from Spark",
            what, total(direct), total(spark), onlyDirect.size(), onlySpark.size()));
    onlyDirect.stream().limit(3).forEach(l -> mismatches.add("  only Direct: " + l));
    onlySpark.stream().limit(3).forEach(l -> mismatches.add("  only Spark:  " + l));
  }

  /** The lines of {@code a} beyond their count in {@code b}, each repeated by its surplus. */
  private static List<String> surplus(Map<String, Integer> a, Map<String, Integer> b) {
    List<String> out = new ArrayList<>();
    a.forEach((line, n) -> {
      for (int i = b.getOrDefault(line, 0); i < n; i++) {
        out.add(line);
      }
    });
    return out;
  }

  private static int total(Map<String, Integer> lines) {
    return lines.values().stream().mapToInt(Integer::intValue).sum();
  }

  /**
   * Every line of every {@code .jsonl} file under the directory, rewritten by {@code rewrite}, with
   * its count (none if the directory is absent).
   */
  private static Map<String, Integer> lines(Path dir, UnaryOperator<String> rewrite) throws IOException {
    Map<String, Integer> counts = new TreeMap<>();
    if (!Files.isDirectory(dir)) {
      return counts;
    }
    try (Stream<Path> files = Files.walk(dir)) {
      for (Path f : files.filter(p -> p.toString().endsWith(".jsonl")).toList()) {
        for (String line : Files.readAllLines(f, UTF_8)) {
          counts.merge(rewrite.apply(line), 1, Integer::sum);
        }
      }
    }
    return counts;
  }
}
