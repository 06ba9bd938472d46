package io.tributary.transforms.json;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.time.Instant;
import java.time.format.DateTimeParseException;

/**
 * Reading flat JSON records field by field with reasons that name the field: the shared checks of
 * Tributary's JSON parsers (page views, log lines, sensor readings).
 */
public final class JsonFields {
  private static final ObjectMapper MAPPER = new ObjectMapper();

  private JsonFields() {}

  /** Why a record is unreadable; the message names the offending field or value. */
  public static final class InvalidJsonException extends Exception {
    private static final long serialVersionUID = 1L;

    public InvalidJsonException(String message) {
      super(message);
    }
  }

  /** The payload as a JSON object. */
  public static JsonNode object(byte[] payload) throws InvalidJsonException {
    JsonNode root;
    try {
      root = MAPPER.readTree(payload);
    } catch (IOException e) {
      String detail = e.getMessage() == null ? e.toString() : e.getMessage().split("\n", 2)[0];
      throw new InvalidJsonException("malformed JSON: " + detail);
    }
    if (root == null || root.isMissingNode()) {
      throw new InvalidJsonException("malformed JSON: empty payload");
    }
    if (!root.isObject()) {
      throw new InvalidJsonException("expected a JSON object, got " + root.getNodeType());
    }
    return root;
  }

  /** A present, non-blank string field. */
  public static String requiredText(JsonNode root, String field) throws InvalidJsonException {
    JsonNode value = root.get(field);
    if (value == null || value.isNull()) {
      throw new InvalidJsonException("missing required field '" + field + "'");
    }
    if (!value.isTextual()) {
      throw new InvalidJsonException(
          "field '" + field + "' must be a string, got " + value.getNodeType());
    }
    if (value.asText().isBlank()) {
      throw new InvalidJsonException("field '" + field + "' is empty");
    }
    return value.asText();
  }

  /** A string field, or "" when absent or null. */
  public static String optionalText(JsonNode root, String field) throws InvalidJsonException {
    JsonNode value = root.get(field);
    if (value == null || value.isNull()) {
      return "";
    }
    if (!value.isTextual()) {
      throw new InvalidJsonException(
          "field '" + field + "' must be a string, got " + value.getNodeType());
    }
    return value.asText();
  }

  /**
   * A required time: an ISO-8601 instant or epoch milliseconds, between 0 and {@code maxMillis}.
   */
  public static long epochMillis(JsonNode root, String field, long maxMillis)
      throws InvalidJsonException {
    JsonNode value = root.get(field);
    if (value == null || value.isNull()) {
      throw new InvalidJsonException("missing required field '" + field + "'");
    }
    long millis;
    if (value.isIntegralNumber() && value.canConvertToLong()) {
      millis = value.asLong();
    } else if (value.isTextual()) {
      try {
        millis = Instant.parse(value.asText()).toEpochMilli();
      } catch (DateTimeParseException | ArithmeticException e) {
        throw new InvalidJsonException(
            "field '" + field + "' is not an ISO-8601 instant or epoch milliseconds: '"
                + value.asText() + "'");
      }
    } else {
      throw new InvalidJsonException(
          "field '" + field + "' is not an ISO-8601 instant or epoch milliseconds: " + value);
    }
    if (millis < 0 || millis > maxMillis) {
      throw new InvalidJsonException(
          "field '" + field + "' is out of range: " + millis + " ms since the epoch");
    }
    return millis;
  }
}
