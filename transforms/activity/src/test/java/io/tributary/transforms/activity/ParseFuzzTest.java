package io.tributary.transforms.activity;

import static java.nio.charset.StandardCharsets.UTF_8;

import io.tributary.testing.BeamTest;
import io.tributary.testing.Fuzz;
import java.util.List;
import org.apache.beam.sdk.testing.TestPipeline;
import org.junit.jupiter.api.Test;

/**
 * 10,000 seeded mutants (2,000 in the Flink run: {@link io.tributary.testing.Fuzz#MUTANTS}) of
 * good page views: each one parsed or rejected with its bytes, none lost.
 */
@BeamTest
class ParseFuzzTest {
  @Test
  void everyMutantIsParsedOrRejected(TestPipeline p) {
    List<byte[]> seeds = List.of(
        ("{\"event_id\":\"v-1\",\"user_id\":\"u-1\",\"page\":\"/home\",\"referrer\":\"https://[2001:db8::1]:8080/x\","
            + "\"user_agent\":\"curl\",\"event_time\":\"2026-11-24T10:00:00.250Z\",\"country\":\"DE\"}").getBytes(UTF_8),
        "{\"user_id\":\"u-2\",\"page\":\"/a\",\"event_time\":1764000000000}".getBytes(UTF_8));
    Fuzz.parser(p, "page views", seeds, 20261201L, WebActivity.parseJson(), f -> f.getPayload().toByteArray());
    p.run().waitUntilFinish();
  }
}
