package io.tributary.pipelines.sentiment;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.greaterThan;
import static org.hamcrest.Matchers.greaterThanOrEqualTo;
import static org.hamcrest.Matchers.hasSize;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.protobuf.util.JsonFormat;
import io.tributary.proto.sentiment.Label;
import io.tributary.proto.sentiment.ScoredMention;
import io.tributary.proto.sentiment.TextItem;
import io.tributary.proto.sentiment.TickerWindow;
import io.tributary.transforms.metrics.Counters;
import io.tributary.transforms.sentiment.Sentiment;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The whole sentiment pipeline as a user runs it, on the Direct runner with the finance model (no
 * CoreNLP model, to stay fast): CSV headlines in, JSON lines out, bad lines in the dead-letter
 * files with their reasons.
 */
class SentimentFilesEndToEndTest {
  @Test
  void csvInJsonOutWithDeadLetters(@TempDir Path dir) throws IOException {
    HeadlineGenerator generator = new HeadlineGenerator(9, 1_700_000_000_000L, 1);
    List<String> lines = new ArrayList<>();
    lines.add("id,published,text,tickers");
    Map<String, TextItem> items = new HashMap<>();
    int n = 600;
    for (long i = 0; i < n; i++) {
      TextItem item = generator.itemAt(i);
      items.put(item.getId(), item);
      lines.add(item.getId() + "," + item.getPublishedMillis() + ",\"" + item.getText().replace("\"", "\"\"") + "\"");
    }
    lines.add(100, "broken,line");
    lines.add(300, "x,yesterday,\"Apple rose.\"");
    Files.write(dir.resolve("headlines.csv"), lines, UTF_8);

    SentimentOptions options =
        PipelineOptionsFactory.fromArgs(
                "--source=files",
                "--inputFormat=csv",
                "--inputFiles=" + dir.resolve("headlines.csv"),
                "--sink=files",
                "--outputPath=" + dir.resolve("out"),
                "--deadLetter=files",
                "--deadLetterPath=" + dir.resolve("dead"),
                "--method=finance",
                "--windowSize=4m",
                "--windowPeriod=2m",
                "--baseline=4m")
            .as(SentimentOptions.class);
    PipelineResult result = SentimentPipeline.create(options).run();
    result.waitUntilFinish();
    assertEquals(n, Counters.attempted(result, Sentiment.METRICS_NAMESPACE, "parsed"), "parsed counter");
    assertEquals(2, Counters.attempted(result, Sentiment.METRICS_NAMESPACE, "parseFailed"), "parseFailed counter");
    assertEquals(1, Counters.attempted(result, Sentiment.METRICS_NAMESPACE, "csvHeaders"), "csvHeaders counter");

    // Every headline is one mention of the generator's ticker; the finance model gets its label right.
    List<ScoredMention> mentions = new ArrayList<>();
    for (String json : readLines(dir.resolve("out/mentions"))) {
      ScoredMention.Builder b = ScoredMention.newBuilder();
      JsonFormat.parser().merge(json, b);
      mentions.add(b.build());
    }
    assertThat(mentions, hasSize(n));
    int right = 0;
    for (ScoredMention m : mentions) {
      long i = Long.parseLong(m.getItemId().substring(2));
      assertEquals(generator.tickerAt(i), m.getTicker(), "ticker of " + m.getItemId());
      right += m.getLabel() == generator.labelAt(i) ? 1 : 0;
    }
    assertThat("labels right of " + n, right, greaterThanOrEqualTo(n * 9 / 10));

    // Windows hold exactly the mentions published in them.
    Map<String, Long> expected = new HashMap<>();
    for (ScoredMention m : mentions) {
      long t = m.getPublishedMillis();
      for (long start = Math.floorDiv(t, 120_000) * 120_000; start > t - 240_000; start -= 120_000) {
        expected.merge(m.getTicker() + "@" + start, 1L, Long::sum);
      }
    }
    Map<String, Long> actual = new HashMap<>();
    for (String json : readLines(dir.resolve("out/windows"))) {
      TickerWindow.Builder b = TickerWindow.newBuilder();
      JsonFormat.parser().merge(json, b);
      actual.put(b.getTicker() + "@" + b.getWindowStartMillis(), b.getMentions());
      assertEquals(b.getMentions(), b.getPositive() + b.getNeutral() + b.getNegative(), "label counts of " + json);
    }
    assertEquals(expected, actual, "mentions per ticker and window");

    List<String> dead = readLines(dir.resolve("dead"));
    assertThat(dead, hasSize(2));
    ObjectMapper mapper = new ObjectMapper();
    List<String> reasons = new ArrayList<>();
    for (String line : dead) {
      JsonNode node = mapper.readTree(line);
      assertEquals(Sentiment.Parse.STEP, node.get("step").asText());
      reasons.add(node.get("payload").asText() + " => " + node.get("reason").asText());
    }
    reasons.sort(null);
    assertThat(reasons.get(0), containsString("broken,line => expected 3 or 4 CSV fields"));
    assertThat(reasons.get(1), containsString("x,yesterday,\"Apple rose.\" => field 'published' is not an ISO-8601 instant"));
    assertThat("label mix", mentions.stream().filter(m -> m.getLabel() == Label.NEUTRAL).count(), greaterThan(50L));
  }

  private static List<String> readLines(Path dir) throws IOException {
    List<String> out = new ArrayList<>();
    try (Stream<Path> files = Files.walk(dir)) {
      for (Path f : files.filter(Files::isRegularFile).filter(p -> p.toString().endsWith(".jsonl")).toList()) {
        out.addAll(Files.readAllLines(f, UTF_8));
      }
    }
    return out;
  }
}
