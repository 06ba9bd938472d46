package io.tributary.pipelines;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tributary.pipelines.activity.ActivityOptions;
import io.tributary.pipelines.cdc.CdcOptions;
import io.tributary.pipelines.dashboard.DashboardCommand;
import io.tributary.pipelines.fraud.FraudOptions;
import io.tributary.pipelines.sentiment.EvaluateSentiment;
import io.tributary.pipelines.sentiment.SentimentOptions;
import java.util.List;
import org.apache.beam.runners.direct.DirectOptions;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.junit.jupiter.api.Test;

class TributaryTest {
  private static List<String> direct(String... args) {
    return List.of(Tributary.withRunnerDefaults(args));
  }

  @Test
  void theDirectRunnersElementChecksAreOffUnlessTheArgumentsSetThem() {
    assertEquals(List.of("--maxEvents=5", "--enforceImmutability=false", "--enforceEncodability=false"), direct("--maxEvents=5"));
    assertEquals(
        List.of("--runner=DirectRunner", "--enforceImmutability=false", "--enforceEncodability=false"),
        direct("--runner=DirectRunner"));
    assertEquals(
        List.of("--runner=org.apache.beam.runners.direct.DirectRunner", "--enforceImmutability=false", "--enforceEncodability=false"),
        direct("--runner=org.apache.beam.runners.direct.DirectRunner"));
    assertEquals(List.of("--runner=direct", "--enforceImmutability=false", "--enforceEncodability=false"), direct("--runner=direct"));
    assertEquals(List.of("--enforceImmutability=true", "--enforceEncodability"), direct("--enforceImmutability=true", "--enforceEncodability"));
    assertEquals(
        List.of("--enforceEncodability=true", "--enforceImmutability=false"), direct("--enforceEncodability=true"));
  }

  @Test
  void otherRunnersKeepTheirArguments() {
    assertEquals(List.of("--runner=FlinkRunner"), direct("--runner=FlinkRunner"));
    assertEquals(List.of("--runner=SparkRunner", "--maxEvents=5"), direct("--runner=SparkRunner", "--maxEvents=5"));
    assertEquals(List.of("--runner=DataflowRunner"), direct("--runner=DataflowRunner"));
  }

  @Test
  void everyCommandTakesTheDefaultsAndTheDirectRunnerGetsThem() {
    for (Class<? extends PipelineOptions> type :
        List.of(
            ActivityOptions.class,
            FraudOptions.class,
            SentimentOptions.class,
            CdcOptions.class,
            EvaluateSentiment.Options.class,
            DashboardCommand.Options.class)) {
      DirectOptions options = PipelineOptionsFactory.fromArgs(Tributary.withRunnerDefaults(new String[0])).as(type).as(DirectOptions.class);
      assertFalse(options.isEnforceImmutability(), type.getSimpleName() + ": enforceImmutability");
      assertFalse(options.isEnforceEncodability(), type.getSimpleName() + ": enforceEncodability");
    }
    DirectOptions asked =
        PipelineOptionsFactory.fromArgs(Tributary.withRunnerDefaults(new String[] {"--enforceImmutability"}))
            .as(DirectOptions.class);
    assertTrue(asked.isEnforceImmutability(), "--enforceImmutability alone turns the check on");
    assertFalse(asked.isEnforceEncodability());
  }
}
