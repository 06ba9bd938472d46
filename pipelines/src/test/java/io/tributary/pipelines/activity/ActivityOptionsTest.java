package io.tributary.pipelines.activity;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

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
        "--sink=none,console|--sink=none,console: 'none' cannot be combined with other sinks",
        "--sink=kafka --kafkaBootstrapServers=k:9092|--outputTopic is required with --sink=kafka",
        "--sink=files|--outputPath is required with --sink=files",
        "--deadLetter=files|--deadLetterPath is required with --deadLetter=files",
        "--deadLetter=kafka --kafkaBootstrapServers=k:9092|--deadLetterTopic is required with --deadLetter=kafka",
        "--windowSize=0|--windowSize=0: must be longer than zero",
        "--windowPeriod=-1s|--windowPeriod=-1s: '-1s' is not a duration",
        "--windowSize=10s --windowPeriod=1m|--windowPeriod=1m: must not exceed --windowSize=10s",
        "--topN=0|--topN=0: must be positive",
        "--allowedLateness=5min|--allowedLateness=5min: '5min' is not a duration",
        "--sessionGap=0|--sessionGap=0: must be longer than zero",
        "--eventsPerSecond=0|--eventsPerSecond=0: must be positive",
        "--maxDisorder=soon|--maxDisorder=soon: 'soon' is not a duration",
        "--fileWindow=0|--fileWindow=0: must be longer than zero",
        "--dashboardPort=70000|--dashboardPort=70000: must be a TCP port",
        "--source=kafka --kafkaBootstrapServers=k:9092 --inputTopic=v --consumerProperties=group.id=g|set group.id with --consumerGroup",
        "--source=kafka --kafkaBootstrapServers=k:9092 --inputTopic=v --consumerProperties=a=1,novalue|'novalue' is not key=value",
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
            () -> ActivityPipeline.validate(options("--topN=0", "--sessionGap=0", "--sink=files")));
    assertThat(e.getMessage(), containsString("--topN=0"));
    assertThat(e.getMessage(), containsString("--sessionGap=0"));
    assertThat(e.getMessage(), containsString("--outputPath is required"));
  }

  /** A runner whose steps run elsewhere (as Dataflow's or a remote Flink cluster's do). */
  static final class RemoteRunner extends org.apache.beam.sdk.PipelineRunner<org.apache.beam.sdk.PipelineResult> {
    public static RemoteRunner fromOptions(org.apache.beam.sdk.options.PipelineOptions options) {
      return new RemoteRunner();
    }

    @Override
    public org.apache.beam.sdk.PipelineResult run(org.apache.beam.sdk.Pipeline pipeline) {
      throw new UnsupportedOperationException();
    }
  }

  @Test
  void theDashboardNeedsARunnerInThisProcess() {
    ActivityOptions options = options();
    options.setRunner(RemoteRunner.class);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ActivityPipeline.validate(options));
    assertThat(e.getMessage(), containsString("--runner=RemoteRunner does not run here"));
    assertThat(e.getMessage(), containsString("'tributary dashboard'"));
    options.setSink("kafka");
    options.setKafkaBootstrapServers("k:9092");
    options.setOutputTopic("activity");
    assertDoesNotThrow(() -> ActivityPipeline.validate(options));
  }
}
