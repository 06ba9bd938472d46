package io.tributary.transforms.sentiment;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.is;

import io.tributary.proto.sentiment.Label;
import io.tributary.proto.sentiment.ScoredMention;
import io.tributary.proto.sentiment.TextItem;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/** Several tickers in one sentence: each scored on its own side of a contrast, the same otherwise. */
class ClausesTest {
  private static final TickerDictionary US = TickerDictionary.usLargeCaps();

  private static Map<String, Label> labels(String text) {
    TextItem item = TextItem.newBuilder().setId("t").setText(text).setPublishedMillis(1).setSource("wire").build();
    Map<String, Label> out = new TreeMap<>();
    for (ScoredMention m : SentimentOracle.scored(Sentiment.score(), item)) {
      assertThat("the mention keeps the whole sentence", m.getSentence(), is(text));
      out.put(m.getTicker(), m.getLabel());
    }
    return out;
  }

  @Test
  void tickersOnBothSidesOfAContrastGetTheirOwnSentiment() {
    assertThat(labels("Apple beat estimates while Microsoft missed estimates."),
        is(Map.of("AAPL", Label.POSITIVE, "MSFT", Label.NEGATIVE)));
    assertThat(labels("Microsoft was upgraded to Buy; Alphabet was downgraded to Sell."),
        is(Map.of("MSFT", Label.POSITIVE, "GOOGL", Label.NEGATIVE)));
    assertThat(labels("Nvidia shares plunged 12%, but Amazon raised its outlook."),
        is(Map.of("NVDA", Label.NEGATIVE, "AMZN", Label.POSITIVE)));
  }

  @Test
  void tickersInOneClauseShareTheSentencesSentiment() {
    assertThat(labels("Apple and Microsoft beat estimates."), is(Map.of("AAPL", Label.POSITIVE, "MSFT", Label.POSITIVE)));
    String oneSide = "Apple and Microsoft beat estimates while costs rose.";
    assertThat(Clauses.ofTickers(oneSide, US.mentions(oneSide)), is(Map.of()));
  }

  @Test
  void clausesSplitOnlyAtContrasts() {
    String s = "Apple rose, and Microsoft fell; Amazon was flat whereas Nvidia jumped.";
    assertThat(Clauses.ofTickers(s, US.mentions(s)),
        is(Map.of("AAPL", "Apple rose, and Microsoft fell", "MSFT", "Apple rose, and Microsoft fell",
            "AMZN", "Amazon was flat", "NVDA", "Nvidia jumped.")));
    assertThat(Clauses.ofTickers("Apple rose while costs fell.", US.mentions("Apple rose while costs fell.")), is(Map.of()));
  }
}
