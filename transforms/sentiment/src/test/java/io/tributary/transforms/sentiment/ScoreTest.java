package io.tributary.transforms.sentiment;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.is;

import io.tributary.proto.common.Failure;
import io.tributary.proto.sentiment.Label;
import io.tributary.proto.sentiment.ScoredMention;
import io.tributary.proto.sentiment.TextItem;
import io.tributary.testing.BeamTest;
import io.tributary.transforms.metrics.Counters;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.coders.ByteArrayCoder;
import org.apache.beam.sdk.extensions.protobuf.ProtoCoder;
import org.apache.beam.sdk.testing.PAssert;
import org.apache.beam.sdk.testing.TestPipeline;
import org.apache.beam.sdk.transforms.Count;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.WithFailures;
import org.apache.beam.sdk.values.PCollection;
import org.junit.jupiter.api.Test;

/** The few tests that run CoreNLP itself (the COMBINED method, default shift-reduce configuration). */
@BeamTest
class ScoreTest {
  private static final ProtoCoder<TextItem> ITEM = ProtoCoder.of(TextItem.class);

  private static TextItem item(String id, String text, String... tickers) {
    return TextItem.newBuilder().setId(id).setText(text).setPublishedMillis(1_000_000).setSource("wire").addAllTickers(List.of(tickers)).build();
  }

  /** What scoring gives, computed outside any pipeline through CoreNLP directly. */
  private static ScoredMention expected(String text, int sentence, String itemId, String ticker) {
    CoreNlpPipelines.Sentence s = CoreNlpPipelines.annotate(CoreNlpPipelines.Config.defaults(), text).get(sentence);
    return Sentiment.scoreSentence(FinanceScorer.Method.COMBINED, s.text(), s.probabilities())
        .setItemId(itemId)
        .setTicker(ticker)
        .setSentenceIndex(sentence)
        .setPublishedMillis(1_000_000)
        .setSource("wire")
        .build();
  }

  @Test
  void scoresDeterministicallyAndAttributesSentencesToTickers(TestPipeline p) {
    String news = "Apple beat estimates and raised guidance. Shares surged 12% after record quarterly revenue. Microsoft fell after a downgrade.";
    String tagged = "Deliveries disappointed again. Tesla said demand is weak.";
    List<TextItem> items = List.of(item("n1", news), item("n2", tagged, "TSLA"), item("n3", "Markets were calm today."));
    List<ScoredMention> want =
        List.of(
            expected(news, 0, "n1", "AAPL"),
            // No ticker in the sentence: it belongs to the preceding sentence's.
            expected(news, 1, "n1", "AAPL"),
            expected(news, 2, "n1", "MSFT"),
            // No ticker before it: the text's given ticker.
            expected(tagged, 0, "n2", "TSLA"),
            expected(tagged, 1, "n2", "TSLA"));
    assertThat("the finance model reads the stock model's blind spot as positive", want.get(1).getLabel(), is(Label.POSITIVE));
    // Scored twice in one pipeline (other instances, threads, and on Flink another JVM part).
    for (String run : List.of("first", "second")) {
      WithFailures.Result<PCollection<ScoredMention>, Failure> scored =
          p.apply(run + "/Items", Create.of(items).withCoder(ITEM)).apply(run + "/Score", Sentiment.score().withMethod(FinanceScorer.Method.COMBINED));
      PAssert.that(run + " mentions", scored.output()).containsInAnyOrder(want);
      PAssert.that(run + " failures", scored.failures()).empty();
    }
    PipelineResult result = p.run();
    result.waitUntilFinish();
    assertThat(Counters.attempted(result, Sentiment.METRICS_NAMESPACE, "itemsWithoutTicker"), is(2L));
    assertThat(Counters.attempted(result, Sentiment.METRICS_NAMESPACE, "unattributedSentences"), is(2L));
    assertThat(Counters.attempted(result, Sentiment.METRICS_NAMESPACE, "mentions"), is(10L));
  }

  @Test
  void truncatesAHugeTextAndCountsIt(TestPipeline p) {
    // 1.2 MB of text; scored up to the last whitespace before 300 characters: 25 sentences.
    String huge = "Apple rose. ".repeat(100_000);
    PCollection<ScoredMention> mentions =
        p.apply(Create.of(List.of(item("big", huge))).withCoder(ITEM))
            .apply(Sentiment.score().withMaxTextChars(300))
            .output();
    PAssert.that(mentions.apply(Count.globally())).containsInAnyOrder(25L);
    PipelineResult result = p.run();
    result.waitUntilFinish();
    assertThat(Counters.attempted(result, Sentiment.METRICS_NAMESPACE, "truncated"), is(1L));
  }

  @Test
  void malformedRecordsGoToTheFailureOutputWithTheirPayload(TestPipeline p) {
    List<byte[]> records = new ArrayList<>();
    String good = "{\"id\":\"g\",\"published\":1000000,\"text\":\"Nvidia soared.\",\"source\":\"wire\"}";
    for (String r : List.of(good, "{\"id\":\"x\",\"published\":1", "{\"id\":\"y\",\"text\":\"no time\"}")) {
      records.add(r.getBytes(StandardCharsets.UTF_8));
    }
    records.add(new byte[] {(byte) 0xff, 0x00, 0x7b});
    WithFailures.Result<PCollection<TextItem>, Failure> parsed =
        p.apply(Create.of(records).withCoder(ByteArrayCoder.of())).apply(Sentiment.parseJson());
    WithFailures.Result<PCollection<ScoredMention>, Failure> scored =
        parsed.output().apply(Sentiment.score().withMethod(FinanceScorer.Method.COMBINED));
    PAssert.that(scored.output()).containsInAnyOrder(expected("Nvidia soared.", 0, "g", "NVDA"));
    PAssert.that(parsed.failures())
        .satisfies(
            failures -> {
              List<String> seen = new ArrayList<>();
              for (Failure f : failures) {
                assertThat(f.getStep(), is(Sentiment.Parse.STEP));
                seen.add(f.getPayload().toStringUtf8().replace('\ufffd', '?') + " => " + f.getReason().split(":")[0]);
              }
              seen.sort(null);
              assertThat(
                  seen,
                  is(List.of(
                      "?\u0000{ => malformed JSON",
                      "{\"id\":\"x\",\"published\":1 => malformed JSON",
                      "{\"id\":\"y\",\"text\":\"no time\"} => missing required field 'published'")));
              return null;
            });
    PAssert.that(scored.failures()).empty();
    p.run().waitUntilFinish();
  }
}
