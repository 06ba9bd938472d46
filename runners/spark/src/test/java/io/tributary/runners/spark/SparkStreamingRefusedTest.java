package io.tributary.runners.spark;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tributary.pipelines.fraud.FraudPipeline;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.apache.spark.SparkContext$;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A streaming run on Spark is refused before anything starts: Spark's streaming mode has no
 * event-time timers, which the pipelines' stateful steps need.
 */
class SparkStreamingRefusedTest {
  @Test
  void unboundedInputIsRefused(@TempDir Path dir) {
    // No --maxEvents: the synthetic source is unbounded.
    assertRefused(dir, "--runner=SparkRunner", "--sparkMaster=local[2]", "--sink=files", "--outputPath=" + dir.resolve("out"));
  }

  @Test
  void streamingOptionIsRefused(@TempDir Path dir) {
    assertRefused(
        dir,
        "--runner=SparkRunner",
        "--sparkMaster=local[2]",
        "--streaming=true",
        "--maxEvents=1000",
        "--sink=files",
        "--outputPath=" + dir.resolve("out"));
  }

  private static void assertRefused(Path dir, String... args) {
    // Preemptive: were the run started, the unbounded source would never end.
    IllegalArgumentException e =
        assertTimeoutPreemptively(
            Duration.ofSeconds(60),
            () -> assertThrows(IllegalArgumentException.class, () -> FraudPipeline.run(args)));
    assertThat(e.getMessage(), containsString("--runner=SparkRunner"));
    assertThat(e.getMessage(), containsString("batch only"));
    assertFalse(Files.exists(dir.resolve("out")), "nothing was written");
    assertTrue(SparkContext$.MODULE$.getActive().isEmpty(), "no Spark context was started");
  }
}
