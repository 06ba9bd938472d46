package io.tributary.transforms.cdc;

import com.fasterxml.jackson.databind.JsonNode;
import io.tributary.proto.cdc.LogLine;
import io.tributary.proto.cdc.SensorReading;
import java.io.IOException;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Locale;
import java.util.Set;

/**
 * The JSON forms of application log lines and sensor readings, one object per record; unknown
 * fields are ignored, {@code time} is an ISO-8601 instant or epoch milliseconds.
 *
 * <pre>{@code
 * {"level": "error", "service": "payments", "message": "card declined", "trace_id": "4bf92f35",
 *  "time": "2024-03-01T10:15:30.250Z"}
 * {"device_id": "pump-7", "metric": "temperature", "value": 21.5, "unit": "celsius",
 *  "time": 1709288130250}
 * }</pre>
 *
 * <p>Logs: {@code level} (TRACE, DEBUG, INFO, WARN or WARNING, ERROR, FATAL, any case; stored
 * upper-case, WARNING as WARN), {@code service}, {@code message} and {@code time} are required,
 * {@code trace_id} optional. Readings: {@code device_id}, {@code metric}, a finite numeric {@code
 * value} and {@code time} are required, {@code unit} optional.
 */
public final class StreamJson {
  private static final Set<String> LEVELS = Set.of("TRACE", "DEBUG", "INFO", "WARN", "ERROR", "FATAL");

  private StreamJson() {}

  /** Why a payload is not a log line or reading; the message names the field or value. */
  public static final class InvalidRecordException extends Exception {
    private static final long serialVersionUID = 1L;

    InvalidRecordException(String message) {
      super(message);
    }
  }

  public static LogLine parseLog(byte[] payload) throws InvalidRecordException {
    JsonNode root = object(payload);
    String level = requiredText(root, "level").toUpperCase(Locale.ROOT);
    if (level.equals("WARNING")) {
      level = "WARN";
    }
    if (!LEVELS.contains(level)) {
      throw new InvalidRecordException("field 'level' is not a log level: '" + root.get("level").asText() + "'");
    }
    JsonNode message = root.get("message");
    if (message == null || message.isNull()) {
      throw new InvalidRecordException("missing required field 'message'");
    }
    if (!message.isTextual()) {
      throw new InvalidRecordException("field 'message' must be a string, got " + message.getNodeType());
    }
    return LogLine.newBuilder()
        .setLevel(level)
        .setService(requiredText(root, "service"))
        .setMessage(message.asText())
        .setTraceId(optionalText(root, "trace_id"))
        .setTimeMillis(time(root))
        .build();
  }

  public static SensorReading parseReading(byte[] payload) throws InvalidRecordException {
    JsonNode root = object(payload);
    JsonNode value = root.get("value");
    if (value == null || value.isNull()) {
      throw new InvalidRecordException("missing required field 'value'");
    }
    if (!value.isNumber() || !Double.isFinite(value.asDouble())) {
      throw new InvalidRecordException("field 'value' must be a finite number, got " + value);
    }
    return SensorReading.newBuilder()
        .setDeviceId(requiredText(root, "device_id"))
        .setMetric(requiredText(root, "metric"))
        .setValue(value.asDouble())
        .setUnit(optionalText(root, "unit"))
        .setTimeMillis(time(root))
        .build();
  }

  private static JsonNode object(byte[] payload) throws InvalidRecordException {
    JsonNode root;
    try {
      root = Values.MAPPER.readTree(payload);
    } catch (IOException e) {
      String detail = e.getMessage() == null ? e.toString() : e.getMessage().split("\n", 2)[0];
      throw new InvalidRecordException("malformed JSON: " + detail);
    }
    if (root == null || root.isMissingNode()) {
      throw new InvalidRecordException("malformed JSON: empty payload");
    }
    if (!root.isObject()) {
      throw new InvalidRecordException("expected a JSON object, got " + root.getNodeType());
    }
    return root;
  }

  private static String requiredText(JsonNode root, String field) throws InvalidRecordException {
    JsonNode v = root.get(field);
    if (v == null || v.isNull()) {
      throw new InvalidRecordException("missing required field '" + field + "'");
    }
    if (!v.isTextual()) {
      throw new InvalidRecordException("field '" + field + "' must be a string, got " + v.getNodeType());
    }
    if (v.asText().isBlank()) {
      throw new InvalidRecordException("field '" + field + "' is empty");
    }
    return v.asText();
  }

  private static String optionalText(JsonNode root, String field) throws InvalidRecordException {
    JsonNode v = root.get(field);
    if (v == null || v.isNull()) {
      return "";
    }
    if (!v.isTextual()) {
      throw new InvalidRecordException("field '" + field + "' must be a string, got " + v.getNodeType());
    }
    return v.asText();
  }

  private static long time(JsonNode root) throws InvalidRecordException {
    JsonNode v = root.get("time");
    if (v == null || v.isNull()) {
      throw new InvalidRecordException("missing required field 'time'");
    }
    long millis;
    if (v.isIntegralNumber() && v.canConvertToLong()) {
      millis = v.asLong();
    } else if (v.isTextual()) {
      try {
        millis = Instant.parse(v.asText()).toEpochMilli();
      } catch (DateTimeParseException | ArithmeticException e) {
        throw new InvalidRecordException(
            "field 'time' is not an ISO-8601 instant or epoch milliseconds: '" + v.asText() + "'");
      }
    } else {
      throw new InvalidRecordException(
          "field 'time' is not an ISO-8601 instant or epoch milliseconds: " + v);
    }
    // Beam timestamps end near year 294247; keep well inside.
    if (millis < 0 || millis > 253402300799999L) {
      throw new InvalidRecordException("field 'time' is out of range: " + millis + " ms since the epoch");
    }
    return millis;
  }
}
