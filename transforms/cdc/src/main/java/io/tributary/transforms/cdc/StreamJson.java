package io.tributary.transforms.cdc;

import com.fasterxml.jackson.databind.JsonNode;
import io.tributary.proto.cdc.LogLine;
import io.tributary.proto.cdc.SensorReading;
import io.tributary.transforms.json.JsonFields;
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

  public static LogLine parseLog(byte[] payload) throws JsonFields.InvalidRecordException {
    JsonNode root = JsonFields.readObject(payload);
    String level = JsonFields.requiredText(root, "level").toUpperCase(Locale.ROOT);
    if (level.equals("WARNING")) {
      level = "WARN";
    }
    if (!LEVELS.contains(level)) {
      throw new JsonFields.InvalidRecordException(
          "field 'level' is not a log level: '" + root.get("level").asText() + "'");
    }
    JsonNode message = root.get("message");
    if (message == null || message.isNull()) {
      throw new JsonFields.InvalidRecordException("missing required field 'message'");
    }
    if (!message.isTextual()) {
      throw new JsonFields.InvalidRecordException(
          "field 'message' must be a string, got " + message.getNodeType());
    }
    return LogLine.newBuilder()
        .setLevel(level)
        .setService(JsonFields.requiredText(root, "service"))
        .setMessage(JsonFields.wellFormed(message.asText(), "message"))
        .setTraceId(JsonFields.optionalText(root, "trace_id"))
        .setTimeMillis(JsonFields.eventTime(root, "time"))
        .build();
  }

  public static SensorReading parseReading(byte[] payload) throws JsonFields.InvalidRecordException {
    JsonNode root = JsonFields.readObject(payload);
    JsonNode value = root.get("value");
    if (value == null || value.isNull()) {
      throw new JsonFields.InvalidRecordException("missing required field 'value'");
    }
    if (!value.isNumber() || !Double.isFinite(value.asDouble())) {
      throw new JsonFields.InvalidRecordException("field 'value' must be a finite number, got " + value);
    }
    return SensorReading.newBuilder()
        .setDeviceId(JsonFields.requiredText(root, "device_id"))
        .setMetric(JsonFields.requiredText(root, "metric"))
        .setValue(value.asDouble())
        .setUnit(JsonFields.optionalText(root, "unit"))
        .setTimeMillis(JsonFields.eventTime(root, "time"))
        .build();
  }
}
