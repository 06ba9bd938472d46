package io.tributary.transforms.fraud;

import static java.nio.charset.StandardCharsets.UTF_8;

import io.tributary.testing.BeamTest;
import io.tributary.testing.Fuzz;
import java.util.List;
import org.apache.beam.sdk.testing.TestPipeline;
import org.junit.jupiter.api.Test;

/**
 * 10,000 seeded mutants (2,000 in the Flink run: {@link io.tributary.testing.Fuzz#MUTANTS}) of
 * good transactions: each one parsed or rejected with its bytes, none lost.
 */
@BeamTest
class ParseFuzzTest {
  @Test
  void everyMutantIsParsedOrRejected(TestPipeline p) {
    List<byte[]> seeds = List.of(
        ("{\"transaction_id\":\"t-1\",\"card_id\":\"c-1\",\"amount_minor\":1250,\"currency\":\"USD\","
            + "\"merchant\":\"Grocer\",\"merchant_category\":\"5411\",\"country\":\"US\","
            + "\"event_time\":\"2026-11-24T10:15:30.250Z\"}").getBytes(UTF_8),
        "{\"transaction_id\":\"t-2\",\"card_id\":\"c-9\",\"amount_minor\":4000000000000000000,\"currency\":\"JPY\",\"event_time\":1764000000000}"
            .getBytes(UTF_8));
    Fuzz.parser(p, "transactions", seeds, 20261202L, Fraud.parseJson(), f -> f.getPayload().toByteArray());
    p.run().waitUntilFinish();
  }
}
