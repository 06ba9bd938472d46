package io.tributary.transforms.sentiment;

import static java.nio.charset.StandardCharsets.UTF_8;

import io.tributary.testing.BeamTest;
import io.tributary.testing.Fuzz;
import java.util.List;
import org.apache.beam.sdk.testing.TestPipeline;
import org.junit.jupiter.api.Test;

/**
 * 10,000 seeded mutants (2,000 in the Flink run: {@link io.tributary.testing.Fuzz#MUTANTS}) of
 * good JSON and CSV text items each: every one parsed or rejected with its bytes.
 */
@BeamTest
class ParseFuzzTest {
  @Test
  void everyMutantIsParsedOrRejected(TestPipeline p) {
    List<byte[]> json = List.of(
        ("{\"id\":\"n-1\",\"source\":\"newswire\",\"author\":\"desk\",\"published\":\"2026-11-24T14:30:00Z\","
            + "\"text\":\"Apple beat estimates. Shares rose 4% after hours.\",\"tickers\":[\"AAPL\"]}").getBytes(UTF_8),
        "{\"id\":\"n-2\",\"published\":1764000000000,\"text\":\"$TSLA cut to Sell\"}".getBytes(UTF_8));
    Fuzz.parser(p, "JSON text items", json, 20261203L, Sentiment.parseJson(), f -> f.getPayload().toByteArray());
    List<byte[]> csv = List.of(
        "h-7,1700000000000,\"Tesla recalls cars, shares fall\",TSLA;F".getBytes(UTF_8),
        "h-8,2026-11-24T14:30:00Z,Nvidia tops estimates".getBytes(UTF_8));
    Fuzz.parser(p, "CSV text items", csv, 20261204L, Sentiment.parseCsv(), f -> f.getPayload().toByteArray());
    p.run().waitUntilFinish();
  }
}
