package io.tributary.transforms.sentiment;

import io.tributary.proto.common.Failure;
import io.tributary.proto.sentiment.ScoredMention;
import io.tributary.proto.sentiment.TextItem;
import io.tributary.transforms.errors.Failures;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.metrics.Metrics;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.values.TupleTag;
import org.checkerframework.checker.nullness.qual.Nullable;

/** Scores the sentences of a text and attributes them to tickers. */
final class ScoreFn extends DoFn<TextItem, ScoredMention> {
  private final TickerDictionary dictionary;
  private final FinanceScorer.Method method;
  private final @Nullable FinanceModel configuredModel;
  private transient FinanceModel model;
  private final CoreNlpPipelines.Config coreNlp;
  private final int maxTextChars;
  private final TupleTag<ScoredMention> scored;
  private final TupleTag<Failure> failed;
  private final Counter items = Metrics.counter(Sentiment.METRICS_NAMESPACE, "itemsScored");
  private final Counter sentences = Metrics.counter(Sentiment.METRICS_NAMESPACE, "sentences");
  private final Counter mentions = Metrics.counter(Sentiment.METRICS_NAMESPACE, "mentions");
  private final Counter truncated = Metrics.counter(Sentiment.METRICS_NAMESPACE, "truncated");
  private final Counter unparsed = Metrics.counter(Sentiment.METRICS_NAMESPACE, "unparsedSentences");
  private final Counter unattributed = Metrics.counter(Sentiment.METRICS_NAMESPACE, "unattributedSentences");
  private final Counter withoutTicker = Metrics.counter(Sentiment.METRICS_NAMESPACE, "itemsWithoutTicker");
  private final Counter failedCount = Metrics.counter(Sentiment.METRICS_NAMESPACE, "scoreFailed");

  ScoreFn(
      TickerDictionary dictionary,
      FinanceScorer.Method method,
      @Nullable FinanceModel model,
      CoreNlpPipelines.Config coreNlp,
      int maxTextChars,
      TupleTag<ScoredMention> scored,
      TupleTag<Failure> failed) {
    this.dictionary = dictionary;
    this.method = method;
    this.configuredModel = model;
    this.coreNlp = coreNlp;
    this.maxTextChars = maxTextChars;
    this.scored = scored;
    this.failed = failed;
  }

  @Setup
  public void setup() {
    // Loads the models once per JVM (seconds), before the first element rather than during it.
    CoreNlpPipelines.get(coreNlp);
    model = configuredModel == null ? FinanceModel.shipped() : configuredModel;
  }

  @ProcessElement
  public void process(@Element TextItem item, MultiOutputReceiver out) {
    String text = item.getText();
    if (text.length() > maxTextChars) {
      text = Sentiment.truncate(text, maxTextChars);
      truncated.inc();
    }
    List<ScoredMention> result;
    try {
      result = score(item, text);
    } catch (RuntimeException e) {
      failedCount.inc();
      out.get(failed)
          .output(Failures.of(Sentiment.Score.STEP, "CoreNLP failed: " + e, TextItemJson.format(item), item.getPublishedMillis()));
      return;
    }
    items.inc();
    if (result.isEmpty()) {
      withoutTicker.inc();
    }
    mentions.inc(result.size());
    result.forEach(out.get(scored)::output);
  }

  /** The mentions of one text; counts sentences as it goes. */
  List<ScoredMention> score(TextItem item, String text) {
    List<ScoredMention> out = new ArrayList<>();
    List<String> carried = item.getTickersList();
    for (CoreNlpPipelines.Sentence sentence : CoreNlpPipelines.annotate(coreNlp, text)) {
      sentences.inc();
      Map<String, Integer> named = dictionary.mentions(sentence.text());
      List<String> tickers = new ArrayList<>(named.keySet());
      if (tickers.isEmpty()) {
        tickers = carried;
      } else {
        carried = tickers;
      }
      if (tickers.isEmpty()) {
        unattributed.inc();
        continue;
      }
      if (method.usesCoreNlp() && !sentence.scored()) {
        unparsed.inc();
      }
      // Tickers on both sides of a contrast are scored on their own clauses (not with CoreNLP alone,
      // whose probabilities are the sentence's).
      Map<String, String> clauses = method == FinanceScorer.Method.CORENLP ? Map.of() : Clauses.ofTickers(sentence.text(), named);
      ScoredMention.Builder whole = null;
      for (String ticker : tickers) {
        String clause = clauses.get(ticker);
        ScoredMention.Builder mention;
        if (clause == null) {
          if (whole == null) {
            whole = Sentiment.scoreSentence(method, model, sentence.text(), sentence.probabilities());
          }
          mention = whole;
        } else {
          mention = Sentiment.scoreSentence(method, model, clause, sentence.probabilities()).setSentence(sentence.text());
        }
        out.add(
            mention
                .setItemId(item.getId())
                .setSentenceIndex(sentence.index())
                .setPublishedMillis(item.getPublishedMillis())
                .setSource(item.getSource())
                .setTicker(ticker)
                .build());
      }
    }
    return out;
  }
}
