package io.tributary.transforms.json;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import org.apache.beam.sdk.transforms.windowing.BoundedWindow;

/**
 * Reads the fields of one JSON record with errors that name the field and the bad value, for the
 * JSON parsers of every capability. Absent and {@code null} fields are treated alike.
 */
public final class JsonFields {
  private static final ObjectMapper MAPPER = new ObjectMapper();

  private JsonFields() {}

  /** Why a payload is not the expected record; the message names the offending field or value. */
  public static final class InvalidRecordException extends Exception {
    private static final long serialVersionUID = 1L;

    public InvalidRecordException(String message) {
      super(message);
    }
  }

  /**
   * Parses a payload that must hold exactly one JSON value, or nothing (null). Anything after the
   * value, a second record ({@code {...}{...}}) or junk ({@code {...} xyz}), is an error naming the
   * byte where it starts: one payload is one record, and nothing after it is dropped silently.
   */
  public static JsonNode readSingle(byte[] payload) throws InvalidRecordException {
    return readSingle(payload, null);
  }

  /**
   * As {@link #readSingle(byte[])}, for a payload that is one part of a record ({@code what}, e.g.
   * "key"), which the error messages name: "malformed JSON in key: ...".
   */
  public static JsonNode readSingle(byte[] payload, String what) throws InvalidRecordException {
    try (JsonParser parser = MAPPER.createParser(payload)) {
      JsonNode root = MAPPER.readTree(parser);
      if (root == null || root.isMissingNode()) {
        return null;
      }
      long end = parser.currentLocation().getByteOffset();
      boolean trailing;
      try {
        trailing = parser.nextToken() != null;
      } catch (IOException e) {
        trailing = true;
      }
      if (trailing) {
        throw new InvalidRecordException(
            "trailing content after the JSON " + (what == null ? "value" : what) + " at byte " + end
                + " (a second record, or junk)");
      }
      return root;
    } catch (IOException e) {
      String detail = e.getMessage() == null ? e.toString() : e.getMessage().split("\n", 2)[0];
      throw new InvalidRecordException("malformed JSON" + (what == null ? "" : " in " + what) + ": " + detail);
    }
  }

  /** Parses a payload that must hold one JSON object (see {@link #readSingle}). */
  public static JsonNode readObject(byte[] payload) throws InvalidRecordException {
    JsonNode root = readSingle(payload);
    if (root == null || root.isMissingNode()) {
      throw new InvalidRecordException("malformed JSON: empty payload");
    }
    if (!root.isObject()) {
      throw new InvalidRecordException("expected a JSON object, got " + root.getNodeType());
    }
    return root;
  }

  /** A new empty object to format a record into. */
  public static ObjectNode newObject() {
    return MAPPER.createObjectNode();
  }

  /** The UTF-8 bytes of {@code node}. */
  public static byte[] bytes(ObjectNode node) {
    try {
      return MAPPER.writeValueAsString(node).getBytes(StandardCharsets.UTF_8);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot format " + node, e);
    }
  }

  /** A string field that must be present and not blank. */
  public static String requiredText(JsonNode root, String field) throws InvalidRecordException {
    JsonNode value = root.get(field);
    if (value == null || value.isNull()) {
      throw new InvalidRecordException("missing required field '" + field + "'");
    }
    if (!value.isTextual()) {
      throw new InvalidRecordException(
          "field '" + field + "' must be a string, got " + value.getNodeType());
    }
    if (value.asText().isBlank()) {
      throw new InvalidRecordException("field '" + field + "' is empty");
    }
    return wellFormed(value.asText(), field);
  }

  /** A string field that may be absent ({@code ""} then). */
  public static String optionalText(JsonNode root, String field) throws InvalidRecordException {
    JsonNode value = root.get(field);
    if (value == null || value.isNull()) {
      return "";
    }
    if (!value.isTextual()) {
      throw new InvalidRecordException(
          "field '" + field + "' must be a string, got " + value.getNodeType());
    }
    return wellFormed(value.asText(), field);
  }

  /**
   * {@code text} if it is well-formed UTF-16. A JSON escape can produce an unpaired surrogate
   * ({@code "\ud800"}), which has no UTF-8 encoding: as a key it would turn into '?' and merge
   * with other keys, so it is an error naming the field and the position.
   */
  public static String wellFormed(String text, String field) throws InvalidRecordException {
    int i = unpairedSurrogate(text);
    if (i >= 0) {
      throw new InvalidRecordException(
          String.format(
              java.util.Locale.ROOT,
              "field '%s' holds an unpaired surrogate \\u%04x at character %d",
              field,
              (int) text.charAt(i),
              i));
    }
    return text;
  }

  /** The index of the first unpaired surrogate of {@code text} (no UTF-8 encoding), or -1. */
  public static int unpairedSurrogate(String text) {
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (Character.isHighSurrogate(c) && i + 1 < text.length() && Character.isLowSurrogate(text.charAt(i + 1))) {
        i++;
      } else if (Character.isSurrogate(c)) {
        return i;
      }
    }
    return -1;
  }

  /** An integer field that must be present and fit in a long. */
  public static long requiredLong(JsonNode root, String field) throws InvalidRecordException {
    JsonNode value = root.get(field);
    if (value == null || value.isNull()) {
      throw new InvalidRecordException("missing required field '" + field + "'");
    }
    if (!value.isIntegralNumber() || !value.canConvertToLong()) {
      throw new InvalidRecordException(
          "field '" + field + "' must be an integer, got " + value);
    }
    return value.asLong();
  }

  /**
   * A required event time: an ISO-8601 instant or a number of milliseconds since the epoch, within
   * the range Beam timestamps can hold.
   */
  public static long eventTime(JsonNode root, String field) throws InvalidRecordException {
    JsonNode value = root.get(field);
    if (value == null || value.isNull()) {
      throw new InvalidRecordException("missing required field '" + field + "'");
    }
    long millis;
    if (value.isIntegralNumber() && value.canConvertToLong()) {
      millis = value.asLong();
    } else if (value.isTextual()) {
      try {
        millis = Instant.parse(value.asText()).toEpochMilli();
      } catch (DateTimeParseException | ArithmeticException e) {
        throw new InvalidRecordException(
            "field '"
                + field
                + "' is not an ISO-8601 instant or epoch milliseconds: '"
                + value.asText()
                + "'");
      }
    } else {
      throw new InvalidRecordException(
          "field '" + field + "' is not an ISO-8601 instant or epoch milliseconds: " + value);
    }
    if (millis < 0 || millis > BoundedWindow.TIMESTAMP_MAX_VALUE.getMillis() / 2) {
      throw new InvalidRecordException(
          "field '" + field + "' is out of range: " + millis + " ms since the epoch");
    }
    return millis;
  }

  /** Sets {@code field} unless {@code value} is empty, the form optional fields are read back in. */
  public static void putIfPresent(ObjectNode node, String field, String value) {
    if (!value.isEmpty()) {
      node.put(field, value);
    }
  }

  /** Formats an event time as an ISO-8601 instant. */
  public static String formatTime(long millis) {
    return Instant.ofEpochMilli(millis).toString();
  }
}
