package io.tributary.transforms.activity;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.tributary.proto.activity.PageView;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import org.apache.beam.sdk.transforms.windowing.BoundedWindow;

/**
 * The JSON form of a page view, one object per record:
 *
 * <pre>{@code
 * {"event_id": "v-1", "user_id": "u-42", "page": "/pricing", "referrer": "https://www.google.com/",
 *  "user_agent": "Mozilla/5.0 ...", "event_time": "2026-11-24T10:15:30.250Z", "country": "DE"}
 * }</pre>
 *
 * <p>{@code user_id}, {@code page} and {@code event_time} are required; {@code event_time} is an
 * ISO-8601 instant or a number of milliseconds since the epoch. The other fields are optional
 * strings. Unknown fields are ignored.
 */
public final class PageViewJson {
  private static final ObjectMapper MAPPER = new ObjectMapper();

  private PageViewJson() {}

  /** Why a payload is not a page view; the message names the offending field or value. */
  public static final class InvalidPageViewException extends Exception {
    private static final long serialVersionUID = 1L;

    InvalidPageViewException(String message) {
      super(message);
    }
  }

  /** Parses one JSON page view. */
  public static PageView parse(byte[] payload) throws InvalidPageViewException {
    JsonNode root;
    try {
      root = MAPPER.readTree(payload);
    } catch (java.io.IOException e) {
      String detail = e.getMessage() == null ? e.toString() : e.getMessage().split("\n", 2)[0];
      throw new InvalidPageViewException("malformed JSON: " + detail);
    }
    if (root == null || root.isMissingNode()) {
      throw new InvalidPageViewException("malformed JSON: empty payload");
    }
    if (!root.isObject()) {
      throw new InvalidPageViewException("expected a JSON object, got " + root.getNodeType());
    }
    return PageView.newBuilder()
        .setEventId(optionalText(root, "event_id"))
        .setUserId(requiredText(root, "user_id"))
        .setPage(requiredText(root, "page"))
        .setReferrer(optionalText(root, "referrer"))
        .setUserAgent(optionalText(root, "user_agent"))
        .setEventTimeMillis(eventTime(root))
        .setCountry(optionalText(root, "country"))
        .build();
  }

  /** Formats a page view as the JSON that {@link #parse} reads. */
  public static byte[] format(PageView view) {
    ObjectNode node = MAPPER.createObjectNode();
    if (!view.getEventId().isEmpty()) {
      node.put("event_id", view.getEventId());
    }
    node.put("user_id", view.getUserId());
    node.put("page", view.getPage());
    if (!view.getReferrer().isEmpty()) {
      node.put("referrer", view.getReferrer());
    }
    if (!view.getUserAgent().isEmpty()) {
      node.put("user_agent", view.getUserAgent());
    }
    node.put("event_time", Instant.ofEpochMilli(view.getEventTimeMillis()).toString());
    if (!view.getCountry().isEmpty()) {
      node.put("country", view.getCountry());
    }
    try {
      return MAPPER.writeValueAsString(node).getBytes(StandardCharsets.UTF_8);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot format page view " + view, e);
    }
  }

  private static String requiredText(JsonNode root, String field) throws InvalidPageViewException {
    JsonNode value = root.get(field);
    if (value == null || value.isNull()) {
      throw new InvalidPageViewException("missing required field '" + field + "'");
    }
    if (!value.isTextual()) {
      throw new InvalidPageViewException(
          "field '" + field + "' must be a string, got " + value.getNodeType());
    }
    if (value.asText().isBlank()) {
      throw new InvalidPageViewException("field '" + field + "' is empty");
    }
    return value.asText();
  }

  private static String optionalText(JsonNode root, String field) throws InvalidPageViewException {
    JsonNode value = root.get(field);
    if (value == null || value.isNull()) {
      return "";
    }
    if (!value.isTextual()) {
      throw new InvalidPageViewException(
          "field '" + field + "' must be a string, got " + value.getNodeType());
    }
    return value.asText();
  }

  private static long eventTime(JsonNode root) throws InvalidPageViewException {
    JsonNode value = root.get("event_time");
    if (value == null || value.isNull()) {
      throw new InvalidPageViewException("missing required field 'event_time'");
    }
    long millis;
    if (value.isIntegralNumber() && value.canConvertToLong()) {
      millis = value.asLong();
    } else if (value.isTextual()) {
      try {
        millis = Instant.parse(value.asText()).toEpochMilli();
      } catch (DateTimeParseException | ArithmeticException e) {
        throw new InvalidPageViewException(
            "field 'event_time' is not an ISO-8601 instant or epoch milliseconds: '"
                + value.asText()
                + "'");
      }
    } else {
      throw new InvalidPageViewException(
          "field 'event_time' is not an ISO-8601 instant or epoch milliseconds: " + value);
    }
    if (millis < 0 || millis > BoundedWindow.TIMESTAMP_MAX_VALUE.getMillis() / 2) {
      throw new InvalidPageViewException(
          "field 'event_time' is out of range: " + millis + " ms since the epoch");
    }
    return millis;
  }
}
