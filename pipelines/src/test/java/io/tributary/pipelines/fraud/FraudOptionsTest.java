package io.tributary.pipelines.fraud;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.tributary.pipelines.io.Sources;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class FraudOptionsTest {
  @ParameterizedTest(name = "{0}")
  @CsvSource(
      delimiter = '|',
      value = {
        "--threshold=0|--threshold=0.0: must be a positive number",
        "--minHistory=0|--minHistory=0: must be positive",
        "--windowSize=-5m|--windowSize=-5m: '-5m' is not a duration",
        "--fraudRate=1.5|--fraudRate=1.5: must be in [0, 1)",
        "--allowedLateness=-1s|--allowedLateness=-1s: '-1s' is not a duration",
        "--sink=postgres|--postgresUrl is required with --sink=postgres",
        "--sink=oracle|unknown choice 'oracle', choose from [console, dashboard, files, kafka, none, postgres, redis]",
        "--outputs=alerts,scores|--outputs=alerts,scores: unknown choice 'scores', choose from",
        "--kafkaExactlyOnceShards=0|--kafkaExactlyOnceShards=0: must be positive",
      })
  void rejectsABadOptionByName(String arg, String message) {
    FraudOptions options = PipelineOptionsFactory.fromArgs(arg).as(FraudOptions.class);
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> FraudPipeline.validate(options));
    assertThat(e.getMessage(), containsString(message));
  }

  @Test
  void rejectsATableNameThatWouldNeedQuoting() {
    FraudOptions options =
        PipelineOptionsFactory.fromArgs(
                "--sink=postgres", "--postgresUrl=jdbc:postgresql://127.0.0.1:1/x", "--alertsTable=alerts; DROP")
            .as(FraudOptions.class);
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> FraudPipeline.validate(options));
    assertThat(e.getMessage(), containsString("--alertsTable=alerts; DROP: must be a lower-case SQL identifier"));
  }

  @Test
  void theRedisSinkNamesItsBadOptions() {
    FraudOptions options =
        PipelineOptionsFactory.fromArgs("--sink=console,redis", "--redisPort=0", "--redisBatchSize=0")
            .as(FraudOptions.class);
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> FraudPipeline.validate(options));
    assertThat(e.getMessage(), containsString("--redisPort=0: must be in 1..65535"));
    assertThat(e.getMessage(), containsString("--redisBatchSize=0"));
  }

  @Test
  void defaultsAreValid() {
    FraudOptions options = PipelineOptionsFactory.fromArgs().as(FraudOptions.class);
    assertThat(FraudPipeline.validate(options).source(), containsString(Sources.SYNTHETIC));
  }
}
