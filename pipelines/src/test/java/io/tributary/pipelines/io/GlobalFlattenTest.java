package io.tributary.pipelines.io;

import io.tributary.proto.common.Failure;
import io.tributary.testing.BeamTest;
import io.tributary.transforms.errors.Failures;
import java.nio.charset.StandardCharsets;
import org.apache.beam.sdk.testing.PAssert;
import org.apache.beam.sdk.testing.TestPipeline;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.windowing.AfterPane;
import org.apache.beam.sdk.transforms.windowing.AfterWatermark;
import org.apache.beam.sdk.transforms.windowing.SlidingWindows;
import org.apache.beam.sdk.transforms.windowing.Window;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionList;
import org.apache.beam.sdk.values.TimestampedValue;
import org.joda.time.Duration;
import org.joda.time.Instant;
import org.junit.jupiter.api.Test;

@BeamTest
class GlobalFlattenTest {
  private static Failure failure(String reason) {
    return Failures.of("Step", reason, reason.getBytes(StandardCharsets.UTF_8));
  }

  @Test
  void failuresOfWindowedAndTriggeredStepsFlattenWithUnwindowedOnes(TestPipeline p) {
    PCollection<Failure> plain =
        p.apply("Plain", Create.of(failure("parse")).withCoder(Failures.coder()));
    PCollection<Failure> windowed =
        p.apply("Timed", Create.timestamped(TimestampedValue.of(failure("redis"), new Instant(5_000))).withCoder(Failures.coder()))
            .apply(
                "Sliding",
                Window.<Failure>into(SlidingWindows.of(Duration.standardMinutes(1)).every(Duration.standardSeconds(30)))
                    .triggering(AfterWatermark.pastEndOfWindow().withLateFirings(AfterPane.elementCountAtLeast(1)))
                    .withAllowedLateness(Duration.standardMinutes(1))
                    .accumulatingFiredPanes());
    PCollection<Failure> all = GlobalFlatten.of("AllFailures", PCollectionList.of(plain).and(windowed));
    // The windowed failure is in two sliding windows, so it arrives twice; none is lost.
    PAssert.that(all).containsInAnyOrder(failure("parse"), failure("redis"), failure("redis"));
    p.run().waitUntilFinish();
  }
}
