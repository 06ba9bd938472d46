package io.tributary.transforms.values;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.google.protobuf.ByteString;
import io.tributary.proto.values.Column;
import io.tributary.proto.values.ColumnSchema;
import io.tributary.proto.values.Decimal;
import io.tributary.proto.values.NullValue;
import io.tributary.proto.values.Timestamp;
import io.tributary.proto.values.Value;
import java.io.IOException;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.LocalTime;
import java.time.ZoneOffset;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * Builds {@link Value}s and renders them as text or JSON, the one place where the typed values of
 * change events become strings (cache keys and fields, feature values, lake columns).
 *
 * <p>Text forms: integers and doubles as Java prints them, decimals as plain decimal strings
 * ({@code 12.50}), dates {@code 2024-03-01}, times {@code 10:15:30.000250}, local timestamps
 * {@code 2024-03-01T10:15:30.000250}, UTC timestamps {@code 2024-03-01T10:15:30.000250Z}, bytes as
 * base64, JSON and UUIDs as sent, null as the empty string.
 */
public final class Values {
  static final ObjectMapper MAPPER = new ObjectMapper();
  private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

  private Values() {}

  public static Value ofNull() {
    return Value.newBuilder().setNullValue(NullValue.NULL_VALUE).build();
  }

  public static Value of(String s) {
    return Value.newBuilder().setStringValue(s).build();
  }

  public static Value of(long v) {
    return Value.newBuilder().setIntValue(v).build();
  }

  public static Value of(double v) {
    return Value.newBuilder().setDoubleValue(v).build();
  }

  public static Value of(boolean v) {
    return Value.newBuilder().setBoolValue(v).build();
  }

  public static Value json(String json) {
    return Value.newBuilder().setJsonValue(json).build();
  }

  /** A decimal as unscaled value and scale. */
  public static Value decimal(BigDecimal d) {
    return Value.newBuilder()
        .setDecimalValue(
            Decimal.newBuilder()
                .setUnscaled(ByteString.copyFrom(d.unscaledValue().toByteArray()))
                .setScale(d.scale()))
        .build();
  }

  /** A timestamp from micros since the epoch (of a wall clock when {@code zone} is LOCAL). */
  public static Value timestamp(long micros, int nanosOfMicro, Timestamp.Zone zone) {
    return Value.newBuilder()
        .setTimestampValue(
            Timestamp.newBuilder().setMicros(micros).setNanosOfMicro(nanosOfMicro).setZone(zone))
        .build();
  }

  public static Column column(String name, Value value) {
    return Column.newBuilder().setName(name).setValue(value).build();
  }

  /** Whether a value is absent or SQL NULL. */
  public static boolean isNull(Value v) {
    return v.getKindCase() == Value.KindCase.KIND_NOT_SET
        || v.getKindCase() == Value.KindCase.NULL_VALUE;
  }

  /** The named column of a list, if present. */
  public static Optional<Value> find(List<Column> columns, String name) {
    for (Column c : columns) {
      if (c.getName().equals(name)) {
        return Optional.of(c.getValue());
      }
    }
    return Optional.empty();
  }

  /** The decimal a Decimal value holds (text or unscaled + scale). */
  public static BigDecimal toBigDecimal(Decimal d) {
    if (!d.getText().isEmpty()) {
      return new BigDecimal(d.getText());
    }
    return new BigDecimal(new BigInteger(d.getUnscaled().toByteArray()), d.getScale());
  }

  /** A value's text form (see the class comment); null is the empty string. */
  public static String toText(Value v) {
    switch (v.getKindCase()) {
      case BOOL_VALUE:
        return Boolean.toString(v.getBoolValue());
      case INT_VALUE:
        return Long.toString(v.getIntValue());
      case DOUBLE_VALUE:
        return Double.toString(v.getDoubleValue());
      case STRING_VALUE:
        return v.getStringValue();
      case BYTES_VALUE:
        return Base64.getEncoder().encodeToString(v.getBytesValue().toByteArray());
      case DECIMAL_VALUE:
        Decimal d = v.getDecimalValue();
        return d.getText().isEmpty() ? toBigDecimal(d).toPlainString() : d.getText();
      case DATE_DAYS:
        return LocalDate.ofEpochDay(v.getDateDays()).toString();
      case TIME_MICROS:
        return LocalTime.ofNanoOfDay(v.getTimeMicros() * 1000L).toString();
      case TIMESTAMP_VALUE:
        return timestampText(v.getTimestampValue());
      case JSON_VALUE:
        return v.getJsonValue();
      case UUID_VALUE:
        return v.getUuidValue();
      default:
        return "";
    }
  }

  /** A value as JSON: numbers and booleans natively, JSON documents embedded, the rest as text. */
  public static JsonNode toJson(Value v) {
    switch (v.getKindCase()) {
      case BOOL_VALUE:
        return NODES.booleanNode(v.getBoolValue());
      case INT_VALUE:
        return NODES.numberNode(v.getIntValue());
      case DOUBLE_VALUE:
        return NODES.numberNode(v.getDoubleValue());
      case DECIMAL_VALUE:
        return v.getDecimalValue().getText().isEmpty()
            ? NODES.numberNode(toBigDecimal(v.getDecimalValue()))
            : NODES.textNode(v.getDecimalValue().getText());
      case JSON_VALUE:
        try {
          return MAPPER.readTree(v.getJsonValue());
        } catch (IOException e) {
          return NODES.textNode(v.getJsonValue());
        }
      case KIND_NOT_SET:
      case NULL_VALUE:
        return NODES.nullNode();
      default:
        return NODES.textNode(toText(v));
    }
  }

  /** Columns as one JSON object, in column order. */
  public static String toJsonObject(List<Column> columns) {
    com.fasterxml.jackson.databind.node.ObjectNode node = NODES.objectNode();
    for (Column c : columns) {
      node.set(c.getName(), toJson(c.getValue()));
    }
    return node.toString();
  }

  /** Milliseconds since the epoch of a timestamp (a LOCAL one read as if at UTC). */
  public static long timestampMillis(Timestamp t) {
    return Math.floorDiv(t.getMicros(), 1000L);
  }

  private static String timestampText(Timestamp t) {
    long seconds = Math.floorDiv(t.getMicros(), 1_000_000L);
    int nanos = (int) Math.floorMod(t.getMicros(), 1_000_000L) * 1000 + t.getNanosOfMicro();
    if (t.getZone() == Timestamp.Zone.UTC) {
      return Instant.ofEpochSecond(seconds, nanos).toString();
    }
    return LocalDateTime.ofEpochSecond(seconds, nanos, ZoneOffset.UTC).toString();
  }

  /** 16 hex digits of SHA-256 over the column declarations. */
  public static String fingerprint(List<ColumnSchema> columns) {
    StringBuilder s = new StringBuilder();
    for (ColumnSchema c : columns) {
      s.append(c.getName()).append('\u0000').append(c.getType()).append('\u0000')
          .append(c.getLogical()).append('\u0000').append(c.getOptional()).append('\u0001');
    }
    try {
      byte[] digest =
          MessageDigest.getInstance("SHA-256").digest(s.toString().getBytes(StandardCharsets.UTF_8));
      StringBuilder hex = new StringBuilder();
      for (int i = 0; i < 8; i++) {
        hex.append(String.format(Locale.ROOT, "%02x", digest[i]));
      }
      return hex.toString();
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
