package io.tributary.pipelines.activity;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

class ActivityOptionsTest {
  private static ActivityOptions options(String... args) {
    return PipelineOptionsFactory.fromArgs(args).as(ActivityOptions.class);
  }

  @Test
  void defaultsAreValid() {
    assertDoesNotThrow(() -> ActivityPipeline.validate(options()));
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(
      delimiter = '|',
      value = {
        "--source=db|--source=db: unknown choice 'db', choose from",
        "--source=kafka,files|--source=kafka,files: choose exactly one source",
        "--source=kafka --inputTopic=views|--kafkaBootstrapServers is required with --source=kafka",
        "--source=kafka --kafkaBootstrapServers=k:9092|--inputTopic is required with --source=kafka",
        "--source=files|--inputFiles is required with --source=files",
        "--source=kafka --kafkaBootstrapServers=k:9092 --inputTopic=v --inputOffsetReset=oldest|--inputOffsetReset=oldest: unknown choice 'oldest'",
        "--sink=console,screen|--sink=console,screen: unknown choice 'screen'",
        "--sink=kafka --kafkaBootstrapServers=k:9092|--outputTopic is required with --sink=kafka",
        "--sink=files|--outputPath is required with --sink=files",
        "--deadLetter=files|--deadLetterPath is required with --deadLetter=files",
        "--deadLetter=kafka --kafkaBootstrapServers=k:9092|--deadLetterTopic is required with --deadLetter=kafka",
        "--windowSizeSeconds=0|--windowSizeSeconds=0: must be positive",
        "--windowPeriodSeconds=-1|--windowPeriodSeconds=-1: must be positive",
        "--windowSizeSeconds=10 --windowPeriodSeconds=60|--windowPeriodSeconds=60: must not exceed --windowSizeSeconds=10",
        "--topN=0|--topN=0: must be positive",
        "--allowedLatenessSeconds=-5|--allowedLatenessSeconds=-5: must not be negative",
        "--sessionGapMinutes=0|--sessionGapMinutes=0: must be positive",
        "--eventsPerSecond=0|--eventsPerSecond=0: must be positive",
        "--maxDisorderMillis=-1|--maxDisorderMillis=-1: must not be negative",
        "--fileWindowSeconds=0|--fileWindowSeconds=0: must be positive",
      })
  void eachBadOptionIsNamedWithItsValue(String args, String expected) {
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> ActivityPipeline.validate(options(args.split(" "))));
    assertThat(e.getMessage(), containsString(expected));
  }

  @Test
  void everyProblemIsReportedAtOnce() {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> ActivityPipeline.validate(options("--topN=0", "--sessionGapMinutes=0", "--sink=files")));
    assertThat(e.getMessage(), containsString("--topN=0"));
    assertThat(e.getMessage(), containsString("--sessionGapMinutes=0"));
    assertThat(e.getMessage(), containsString("--outputPath is required"));
  }
}
