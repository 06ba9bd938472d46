package io.tributary.pipelines.sentiment;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class SentimentOptionsTest {
  private static SentimentOptions options(String... args) {
    return PipelineOptionsFactory.fromArgs(args).as(SentimentOptions.class);
  }

  @Test
  void defaultsAreValid() {
    assertDoesNotThrow(() -> SentimentPipeline.validate(options()));
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(
      delimiter = '|',
      value = {
        "--inputFormat=xml|--inputFormat=xml: unknown choice 'xml'",
        "--method=vader|--method=vader: unknown choice 'vader'",
        "--parser=rnn|--parser=rnn: unknown choice 'rnn'",
        "--maxTextChars=0|--maxTextChars=0: must be positive",
        "--windowSize=0|--windowSize=0: must be longer than zero",
        "--windowSize=5m --windowPeriod=10m|--windowPeriod=10m: must not exceed --windowSize=5m",
        "--baseline=62m|--baseline=62m: must be a multiple of --windowPeriod=5m",
        "--allowedLateness=-1s|--allowedLateness=-1s: '-1s' is not a duration",
        "--shiftZScore=0|--shiftZScore=0.0: must be positive",
        "--minMentions=0|--minMentions=0: must be positive",
        "--minBaselineMentions=0|--minBaselineMentions=0: must be positive",
        "--minStddev=0|--minStddev=0.0: must be positive",
        "--eventsPerSecond=0|--eventsPerSecond=0: must be positive",
        "--tickerDictionary=/no/such/file.tsv|--tickerDictionary=/no/such/file.tsv: is not a readable file",
        "--financeModel=/no/such/model.tsv|--financeModel=/no/such/model.tsv: is not a readable file",
        "--sink=redis --redisPort=0|--redisPort=0: must be in 1..65535",
        "--sink=files|--outputPath is required with --sink=files",
      })
  void reportsEachBadOption(String args, String message) {
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> SentimentPipeline.validate(options(args.split(" "))));
    assertThat(e.getMessage(), containsString(message));
  }

  @Test
  void reportsEveryProblemAtOnce() {
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> SentimentPipeline.validate(options("--method=x", "--minMentions=0")));
    assertThat(e.getMessage(), containsString("--method=x"));
    assertThat(e.getMessage(), containsString("--minMentions=0"));
  }
}
