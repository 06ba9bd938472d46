package io.tributary.pipelines.fraud;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.greaterThan;
import static org.hamcrest.Matchers.hasSize;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.protobuf.util.JsonFormat;
import io.tributary.proto.fraud.FraudAlert;
import io.tributary.proto.fraud.ScoredTransaction;
import io.tributary.proto.fraud.Transaction;
import io.tributary.testing.Diff;
import io.tributary.transforms.fraud.Fraud;
import io.tributary.transforms.fraud.FraudOracle;
import io.tributary.transforms.fraud.TransactionJson;
import io.tributary.transforms.metrics.Counters;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The whole fraud pipeline as a user runs it: JSON lines in, alerts and features as JSON lines
 * out, bad lines in the dead-letter files with their reasons (Direct runner).
 */
class FraudFilesEndToEndTest {
  @Test
  void filesInAlertsAndFeaturesOutWithDeadLetters(@TempDir Path dir) throws IOException {
    TransactionGenerator generator = new TransactionGenerator(5, 1_700_000_000_000L, 2, 40, 0.02, 2000);
    List<String> lines = new ArrayList<>();
    List<Transaction> transactions = new ArrayList<>();
    for (long i = 0; i < 6000; i++) {
      Transaction t = generator.at(i);
      transactions.add(t);
      lines.add(new String(TransactionJson.format(t), UTF_8));
    }
    lines.add(100, "{\"transaction_id\":\"x\",\"card_id\":\"c\",\"amount_minor\":-3,\"currency\":\"USD\",\"event_time\":0}");
    lines.add(2000, "not json");
    Files.write(dir.resolve("transactions.jsonl"), lines, UTF_8);

    FraudOptions options =
        PipelineOptionsFactory.fromArgs(
                "--source=files",
                "--inputFiles=" + dir.resolve("transactions.jsonl"),
                "--sink=files",
                "--outputPath=" + dir.resolve("out"),
                "--deadLetter=files",
                "--deadLetterPath=" + dir.resolve("dead"))
            .as(FraudOptions.class);
    PipelineResult result = FraudPipeline.create(options).run();
    result.waitUntilFinish();
    assertEquals(6000, Counters.attempted(result, Fraud.METRICS_NAMESPACE, "parsed"), "parsed counter");
    assertEquals(2, Counters.attempted(result, Fraud.METRICS_NAMESPACE, "parseFailed"), "parseFailed counter");

    FraudOracle oracle =
        FraudOracle.inOrder(transactions, 3_600_000, 3.0, 3, FraudPipeline.score(options).rule());
    List<FraudAlert> alerts = new ArrayList<>();
    for (String json : readLines(dir.resolve("out/alerts"))) {
      FraudAlert.Builder b = FraudAlert.newBuilder();
      JsonFormat.parser().merge(json, b);
      alerts.add(b.build());
    }
    Diff<FraudAlert> alertDiff = Diff.of(oracle.alerts, alerts);
    assertEquals(List.of(), alertDiff.missing(), "alerts missing from the files sink");
    assertEquals(List.of(), alertDiff.unexpected(), "unexpected alerts in the files sink");
    assertThat("the input exercises the rule", oracle.alerts.size(), greaterThan(10));

    List<ScoredTransaction> features = new ArrayList<>();
    for (String json : readLines(dir.resolve("out/features"))) {
      ScoredTransaction.Builder b = ScoredTransaction.newBuilder();
      JsonFormat.parser().merge(json, b);
      features.add(b.build());
    }
    assertEquals(List.of(), Diff.of(oracle.scored, features).missing(), "features missing");
    assertEquals(oracle.scored.size(), features.size(), "one feature row per transaction");

    List<String> failures = readLines(dir.resolve("dead"));
    assertThat(failures, hasSize(2));
    ObjectMapper mapper = new ObjectMapper();
    Map<String, String> reasonByPayload = new TreeMap<>();
    for (String f : failures) {
      JsonNode node = mapper.readTree(f);
      reasonByPayload.put(node.get("payload").asText(), node.get("reason").asText());
    }
    assertThat(reasonByPayload.get(lines.get(100)), containsString("'amount_minor' must be positive"));
    assertThat(reasonByPayload.get("not json"), containsString("malformed JSON"));
  }

  static List<String> readLines(Path dir) throws IOException {
    List<String> out = new ArrayList<>();
    try (Stream<Path> files = Files.walk(dir)) {
      for (Path f : files.filter(Files::isRegularFile).filter(p -> p.toString().endsWith(".jsonl")).toList()) {
        out.addAll(Files.readAllLines(f, UTF_8));
      }
    }
    return out;
  }
}
