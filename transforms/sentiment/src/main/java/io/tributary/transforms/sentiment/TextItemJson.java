package io.tributary.transforms.sentiment;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.csv.CsvMapper;
import com.fasterxml.jackson.dataformat.csv.CsvParser;
import io.tributary.proto.sentiment.TextItem;
import io.tributary.transforms.json.JsonFields;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Locale;
import org.apache.beam.sdk.transforms.windowing.BoundedWindow;

/**
 * The JSON and CSV forms of a {@link TextItem}.
 *
 * <p>JSON, one object per record; {@code id}, {@code text} and {@code published} (ISO-8601 or epoch
 * milliseconds) are required, {@code source} and {@code author} are optional strings and {@code
 * tickers} an optional array of symbols (or one comma-separated string):
 *
 * <pre>{@code
 * {"id": "n-1", "source": "newswire", "author": "desk", "published": "2026-11-24T14:30:00Z",
 *  "text": "Apple beat estimates. Shares rose 4%.", "tickers": ["AAPL"]}
 * }</pre>
 *
 * <p>CSV, one headline per line: {@code id,published,text[,tickers]} (RFC 4180 quoting; tickers
 * separated by spaces or semicolons). A header line starting with {@code id,} is not a record.
 */
public final class TextItemJson {
  /** The JSON field of the publication time. */
  public static final String TIME_FIELD = "published";

  private static final ObjectMapper MAPPER = new ObjectMapper();
  private static final com.fasterxml.jackson.databind.ObjectReader CSV =
      new CsvMapper().readerFor(String[].class).with(CsvParser.Feature.WRAP_AS_ARRAY);

  private TextItemJson() {}

  /** Why a payload is not a text item; the message names the offending field or value. */
  public static final class InvalidTextItemException extends Exception {
    private static final long serialVersionUID = 1L;

    InvalidTextItemException(String message) {
      super(message);
    }
  }

  /** True for a CSV header line, which is skipped rather than reported. */
  public static boolean isCsvHeader(byte[] payload) {
    return new String(payload, StandardCharsets.UTF_8).trim().toLowerCase(Locale.ROOT).startsWith("id,");
  }

  /** Parses one JSON text item. */
  public static TextItem parseJson(byte[] payload) throws InvalidTextItemException {
    JsonNode root;
    try {
      root = JsonFields.readSingle(payload);
    } catch (JsonFields.InvalidRecordException e) {
      throw new InvalidTextItemException(e.getMessage());
    }
    if (root == null || root.isMissingNode()) {
      throw new InvalidTextItemException("malformed JSON: empty payload");
    }
    if (!root.isObject()) {
      throw new InvalidTextItemException("expected a JSON object, got " + root.getNodeType());
    }
    TextItem.Builder item =
        TextItem.newBuilder()
            .setId(requiredText(root, "id"))
            .setText(requiredText(root, "text"))
            .setPublishedMillis(time(root.get(TIME_FIELD)))
            .setSource(optionalText(root, "source"))
            .setAuthor(optionalText(root, "author"));
    JsonNode tickers = root.get("tickers");
    if (tickers != null && !tickers.isNull()) {
      if (tickers.isTextual()) {
        addTickers(item, tickers.asText());
      } else if (tickers.isArray()) {
        for (JsonNode t : tickers) {
          if (!t.isTextual()) {
            throw new InvalidTextItemException("field 'tickers' must hold strings, got " + t.getNodeType());
          }
          addTickers(item, t.asText());
        }
      } else {
        throw new InvalidTextItemException(
            "field 'tickers' must be an array of strings, got " + tickers.getNodeType());
      }
    }
    return item.build();
  }

  /** Parses one CSV line {@code id,published,text[,tickers]}. */
  public static TextItem parseCsv(byte[] payload) throws InvalidTextItemException {
    String[] fields;
    try (com.fasterxml.jackson.databind.MappingIterator<String[]> rows = CSV.readValues(payload)) {
      fields = rows.hasNext() ? rows.next() : new String[0];
      if (rows.hasNext()) {
        throw new InvalidTextItemException("expected one CSV record, got more");
      }
    } catch (IOException | RuntimeException e) {
      throw new InvalidTextItemException("malformed CSV: " + e.getMessage().split("\n", 2)[0]);
    }
    if (fields.length < 3 || fields.length > 4) {
      throw new InvalidTextItemException(
          "expected 3 or 4 CSV fields (id,published,text[,tickers]), got " + fields.length);
    }
    if (fields[0].isBlank()) {
      throw new InvalidTextItemException("field 'id' is empty");
    }
    if (fields[2].isBlank()) {
      throw new InvalidTextItemException("field 'text' is empty");
    }
    TextItem.Builder item =
        TextItem.newBuilder()
            .setId(fields[0].trim())
            .setPublishedMillis(time(MAPPER.getNodeFactory().textNode(fields[1].trim())))
            .setText(fields[2]);
    if (fields.length == 4) {
      addTickers(item, fields[3]);
    }
    return item.build();
  }

  /** Formats an item as the JSON that {@link #parseJson} reads. */
  public static byte[] format(TextItem item) {
    ObjectNode node = MAPPER.createObjectNode();
    node.put("id", item.getId());
    if (!item.getSource().isEmpty()) {
      node.put("source", item.getSource());
    }
    if (!item.getAuthor().isEmpty()) {
      node.put("author", item.getAuthor());
    }
    node.put(TIME_FIELD, Instant.ofEpochMilli(item.getPublishedMillis()).toString());
    node.put("text", item.getText());
    if (item.getTickersCount() > 0) {
      ArrayNode tickers = node.putArray("tickers");
      item.getTickersList().forEach(tickers::add);
    }
    try {
      return MAPPER.writeValueAsString(node).getBytes(StandardCharsets.UTF_8);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot format text item " + item.getId(), e);
    }
  }

  private static void addTickers(TextItem.Builder item, String list) throws InvalidTextItemException {
    for (String t : list.split("[,;\\s]+")) {
      String symbol = t.trim().replaceFirst("^\\$", "").toUpperCase(Locale.ROOT);
      if (symbol.isEmpty()) {
        continue;
      }
      if (!symbol.matches("[A-Z]{1,5}(\\.[A-Z])?")) {
        throw new InvalidTextItemException("field 'tickers' holds an invalid symbol '" + t.trim() + "'");
      }
      item.addTickers(symbol);
    }
  }

  private static String requiredText(JsonNode root, String field) throws InvalidTextItemException {
    String value = optionalText(root, field);
    if (root.get(field) == null || root.get(field).isNull()) {
      throw new InvalidTextItemException("missing required field '" + field + "'");
    }
    if (value.isBlank()) {
      throw new InvalidTextItemException("field '" + field + "' is empty");
    }
    return value;
  }

  private static String optionalText(JsonNode root, String field) throws InvalidTextItemException {
    JsonNode value = root.get(field);
    if (value == null || value.isNull()) {
      return "";
    }
    if (!value.isTextual()) {
      throw new InvalidTextItemException(
          "field '" + field + "' must be a string, got " + value.getNodeType());
    }
    return value.asText();
  }

  private static long time(JsonNode value) throws InvalidTextItemException {
    if (value == null || value.isNull()) {
      throw new InvalidTextItemException("missing required field '" + TIME_FIELD + "'");
    }
    long millis;
    if (value.isIntegralNumber() && value.canConvertToLong()) {
      millis = value.asLong();
    } else if (value.isTextual() && value.asText().matches("\\d{1,15}")) {
      millis = Long.parseLong(value.asText());
    } else if (value.isTextual()) {
      try {
        millis = Instant.parse(value.asText()).toEpochMilli();
      } catch (DateTimeParseException | ArithmeticException e) {
        throw new InvalidTextItemException(
            "field '" + TIME_FIELD + "' is not an ISO-8601 instant or epoch milliseconds: '" + value.asText() + "'");
      }
    } else {
      throw new InvalidTextItemException(
          "field '" + TIME_FIELD + "' is not an ISO-8601 instant or epoch milliseconds: " + value);
    }
    if (millis < 0 || millis > BoundedWindow.TIMESTAMP_MAX_VALUE.getMillis() / 2) {
      throw new InvalidTextItemException(
          "field '" + TIME_FIELD + "' is out of range: " + millis + " ms since the epoch");
    }
    return millis;
  }
}
