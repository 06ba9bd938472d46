package io.tributary.transforms.sentiment;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.is;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.tributary.proto.sentiment.TextItem;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class TextItemJsonTest {
  private static byte[] b(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  private static String error(String payload, boolean csv) {
    return assertThrows(
            TextItemJson.InvalidTextItemException.class,
            () -> {
              if (csv) {
                TextItemJson.parseCsv(b(payload));
              } else {
                TextItemJson.parseJson(b(payload));
              }
            })
        .getMessage();
  }

  @Test
  void parsesAndFormatsJsonRoundTrip() throws Exception {
    TextItem item =
        TextItemJson.parseJson(
            b("{\"id\":\"n-1\",\"source\":\"wire\",\"author\":\"desk\",\"published\":\"2026-11-24T14:30:00Z\","
                + "\"text\":\"Apple beat.\",\"tickers\":[\"aapl\",\"$msft\"]}"));
    assertThat(
        item,
        is(TextItem.newBuilder().setId("n-1").setSource("wire").setAuthor("desk").setPublishedMillis(1795530600000L)
            .setText("Apple beat.").addTickers("AAPL").addTickers("MSFT").build()));
    assertThat(TextItemJson.parseJson(TextItemJson.format(item)), is(item));
    assertThat(TextItemJson.parseJson(b("{\"id\":\"x\",\"published\":5,\"text\":\"t\",\"tickers\":\"A, B\"}")).getTickersList(),
        is(java.util.List.of("A", "B")));
  }

  @Test
  void parsesCsvHeadlines() throws Exception {
    TextItem item = TextItemJson.parseCsv(b("h-7,1700000000000,\"Tesla recalls cars, shares fall\",TSLA;F"));
    assertThat(item, is(TextItem.newBuilder().setId("h-7").setPublishedMillis(1_700_000_000_000L)
        .setText("Tesla recalls cars, shares fall").addTickers("TSLA").addTickers("F").build()));
    assertThat(TextItemJson.isCsvHeader(b("id,published,text")), is(true));
  }

  @Test
  void reportsEachKindOfBadInput() {
    assertThat(error("{\"id\":", false).startsWith("malformed JSON"), is(true));
    assertThat(
        error("{\"id\":\"a\",\"published\":1,\"text\":\"t\"}{\"id\":\"b\",\"published\":1,\"text\":\"u\"}", false),
        is("trailing content after the JSON value at byte 35 (a second record, or junk)"));
    assertThat(
        error("{\"id\":\"a\",\"published\":1,\"text\":\"t\"} 42", false),
        is("trailing content after the JSON value at byte 35 (a second record, or junk)"));
    assertThat(error("[1]", false), is("expected a JSON object, got ARRAY"));
    assertThat(error("{\"published\":1,\"text\":\"t\"}", false), is("missing required field 'id'"));
    assertThat(error("{\"id\":\"a\",\"published\":1,\"text\":\" \"}", false), is("field 'text' is empty"));
    assertThat(error("{\"id\":7,\"published\":1,\"text\":\"t\"}", false), is("field 'id' must be a string, got NUMBER"));
    assertThat(error("{\"id\":\"a\",\"text\":\"t\"}", false), is("missing required field 'published'"));
    assertThat(error("{\"id\":\"a\",\"published\":\"yesterday\",\"text\":\"t\"}", false),
        is("field 'published' is not an ISO-8601 instant or epoch milliseconds: 'yesterday'"));
    assertThat(error("{\"id\":\"a\",\"published\":-5,\"text\":\"t\"}", false), is("field 'published' is out of range: -5 ms since the epoch"));
    assertThat(error("{\"id\":\"a\",\"published\":1,\"text\":\"t\",\"tickers\":[\"TOOLONGX\"]}", false),
        is("field 'tickers' holds an invalid symbol 'TOOLONGX'"));
    assertThat(error("{\"id\":\"a\",\"published\":1,\"text\":\"t\",\"tickers\":{}}", false),
        is("field 'tickers' must be an array of strings, got OBJECT"));
    assertThat(error("only,two", true), is("expected 3 or 4 CSV fields (id,published,text[,tickers]), got 2"));
    assertThat(error("a,1,", true), is("field 'text' is empty"));
  }
}
