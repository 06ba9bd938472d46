package io.tributary.transforms.cdc;

import com.fasterxml.jackson.databind.JsonNode;
import com.google.protobuf.ByteString;
import io.tributary.proto.cdc.ChangeEvent;
import io.tributary.proto.cdc.ConnectRecord;
import io.tributary.proto.cdc.Connector;
import io.tributary.proto.cdc.Source;
import io.tributary.proto.values.Column;
import io.tributary.proto.values.ColumnSchema;
import io.tributary.proto.values.Decimal;
import io.tributary.proto.values.Row;
import io.tributary.proto.values.SourcePosition;
import io.tributary.proto.values.Timestamp;
import io.tributary.proto.values.Value;
import io.tributary.transforms.json.JsonFields;
import io.tributary.transforms.values.Values;
import java.io.IOException;
import java.math.BigInteger;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

/**
 * Reads Debezium change events written by Kafka Connect's {@code JsonConverter}, with {@code
 * schemas.enable} on or off (detected per record: an object of exactly {@code schema} and {@code
 * payload} is the schemas-on envelope).
 *
 * <p><b>With schemas</b>, column values are decoded by their Kafka Connect type and logical name:
 *
 * <table>
 *   <caption>logical types</caption>
 *   <tr><th>Kafka Connect schema</th><th>{@link Value}</th></tr>
 *   <tr><td>int8..int64</td><td>int_value</td></tr>
 *   <tr><td>float32, float64 (also "NaN", "Infinity")</td><td>double_value</td></tr>
 *   <tr><td>boolean</td><td>bool_value</td></tr>
 *   <tr><td>string</td><td>string_value</td></tr>
 *   <tr><td>bytes (base64 in JSON)</td><td>bytes_value</td></tr>
 *   <tr><td>org.apache.kafka.connect.data.Decimal (bytes + parameter scale)</td>
 *       <td>decimal_value unscaled + scale</td></tr>
 *   <tr><td>io.debezium.data.VariableScaleDecimal (struct scale + value)</td>
 *       <td>decimal_value</td></tr>
 *   <tr><td>io.debezium.time.Date, org.apache.kafka.connect.data.Date</td><td>date_days</td></tr>
 *   <tr><td>io.debezium.time.Time, org.apache.kafka.connect.data.Time (millis),
 *       MicroTime, NanoTime</td><td>time_micros</td></tr>
 *   <tr><td>io.debezium.time.Timestamp, org.apache.kafka.connect.data.Timestamp (millis),
 *       MicroTimestamp, NanoTimestamp</td><td>timestamp_value LOCAL (wall clock)</td></tr>
 *   <tr><td>io.debezium.time.ZonedTimestamp (ISO-8601 with offset)</td>
 *       <td>timestamp_value UTC</td></tr>
 *   <tr><td>io.debezium.data.Json</td><td>json_value</td></tr>
 *   <tr><td>io.debezium.data.Uuid</td><td>uuid_value (validated)</td></tr>
 *   <tr><td>other structs, arrays, maps</td><td>json_value</td></tr>
 * </table>
 *
 * <p><b>Without schemas</b> the types are unknown, so values are kept as the JSON carried them:
 * integers as int_value, other numbers as double_value, strings as string_value (so a DECIMAL
 * arrives as its base64 string, a date as an int_value of days, a timestamp as an int_value of
 * micros: configure Debezium's {@code decimal.handling.mode=string} and {@code
 * time.precision.mode} accordingly), booleans as bool_value, objects and arrays as json_value, and
 * {@link ColumnSchema}s carry names only.
 *
 * <p>Any structural problem (malformed JSON, missing or mistyped envelope field, unknown op or
 * connector, a value that does not match its declared type) throws {@link InvalidChangeException}
 * whose message names what was wrong.
 */
public final class DebeziumJson {
  private static final com.fasterxml.jackson.databind.ObjectMapper MAPPER =
      new com.fasterxml.jackson.databind.ObjectMapper();

  private DebeziumJson() {}

  /** Why a record is not a readable Debezium change event. */
  public static final class InvalidChangeException extends Exception {
    private static final long serialVersionUID = 1L;

    InvalidChangeException(String message) {
      super(message);
    }
  }

  /**
   * {@code event} if every text in it is well-formed UTF-16. A JSON escape can produce an unpaired
   * surrogate ({@code "\\ud800"}), which has no UTF-8 encoding and would be replaced by '?' on the
   * way to any sink, so such a change is rejected with the field that holds it.
   */
  private static ChangeEvent wellFormed(ChangeEvent event, boolean mayHoldSurrogates) throws InvalidChangeException {
    if (!mayHoldSurrogates) {
      return event;
    }
    String where = unpairedSurrogate(event, "");
    if (where != null) {
      throw new InvalidChangeException(where);
    }
    return event;
  }

  /**
   * Whether JSON text can decode to a surrogate: it holds a surrogate's escape ({@code \\uD800} to
   * {@code \\uDFFF}, either case) or a surrogate's UTF-8-style encoding (0xED then 0xA0 to 0xBF).
   * Text with neither decodes to no surrogate at all, so the records Debezium writes skip the walk
   * over every field of their change ({@link #unpairedSurrogate(com.google.protobuf.MessageOrBuilder,
   * String)}); text with either (or an escaped backslash before a {@code u}) takes it.
   */
  static boolean mayHoldSurrogates(byte[] json) {
    for (int i = 0; i + 1 < json.length; i++) {
      byte b = json[i];
      if (b == '\\') {
        if (json[i + 1] == 'u' && i + 3 < json.length && (json[i + 2] | 0x20) == 'd' && isHexEightToF(json[i + 3])) {
          return true;
        }
      } else if (b == (byte) 0xED && (json[i + 1] & 0xE0) == 0xA0) {
        return true;
      }
    }
    return false;
  }

  private static boolean isHexEightToF(byte c) {
    int lower = c | 0x20;
    return c == '8' || c == '9' || (lower >= 'a' && lower <= 'f');
  }

  private static String unpairedSurrogate(com.google.protobuf.MessageOrBuilder message, String path) {
    for (Map.Entry<com.google.protobuf.Descriptors.FieldDescriptor, Object> f : message.getAllFields().entrySet()) {
      String name = path + f.getKey().getName();
      List<?> values = f.getKey().isRepeated() ? (List<?>) f.getValue() : List.of(f.getValue());
      for (int i = 0; i < values.size(); i++) {
        Object v = values.get(i);
        String at = f.getKey().isRepeated() ? name + "[" + i + "]" : name;
        if (v instanceof String text) {
          int bad = JsonFields.unpairedSurrogate(text);
          if (bad >= 0) {
            return String.format(java.util.Locale.ROOT, "%s holds an unpaired surrogate \\u%04x at character %d", at, (int) text.charAt(bad), bad);
          }
        } else if (v instanceof com.google.protobuf.MessageOrBuilder m) {
          String inner = unpairedSurrogate(m, at + ".");
          if (inner != null) {
            return inner;
          }
        }
      }
    }
    return null;
  }

  /**
   * Parses one record. A record whose value is absent (or a schemas-on envelope with a null
   * payload) is a tombstone: a DELETE with {@code tombstone = true}, the key, and the table named
   * by the topic ({@code <prefix>.<schema>.<table>} or {@code <prefix>.<db>.<table>}).
   */
  public static ChangeEvent parse(ConnectRecord record) throws InvalidChangeException {
    ChangeEvent.Builder event =
        ChangeEvent.newBuilder()
            .setTopic(record.getTopic())
            .setPartition(record.getPartition())
            .setOffset(record.getOffset());
    byte[] keyBytes = record.hasKey() ? record.getKey().toByteArray() : null;
    byte[] valueBytes = record.hasValue() ? record.getValue().toByteArray() : null;
    boolean mayHoldSurrogates =
        (keyBytes != null && mayHoldSurrogates(keyBytes))
            || (valueBytes != null && mayHoldSurrogates(valueBytes))
            || JsonFields.unpairedSurrogate(record.getTopic()) >= 0;
    Envelope key = keyBytes != null ? unwrap(read(keyBytes, "key"), "key") : null;
    JsonNode value = valueBytes != null ? read(valueBytes, "value") : null;
    Envelope envelope = value == null ? null : unwrap(value, "value");
    if (envelope == null || envelope.payload.isNull()) {
      if (key == null || key.payload.isNull()) {
        throw new InvalidChangeException("record has neither a key nor a value");
      }
      event.setOp(ChangeEvent.Op.DELETE).setTombstone(true);
      event.addAllPrimaryKey(row(key.payload, key.schema, "key").getColumnsList());
      String[] parts = record.getTopic().split("\\.");
      event.setTableId(
          parts.length >= 2
              ? String.join(".", java.util.Arrays.copyOfRange(parts, 1, parts.length))
              : record.getTopic());
      return wellFormed(event.build(), mayHoldSurrogates);
    }
    JsonNode payload = envelope.payload;
    if (!payload.isObject()) {
      throw new InvalidChangeException("value payload must be an object, got " + payload.getNodeType());
    }
    ChangeEvent.Op op = op(payload);
    event.setOp(op);
    Source source = source(payload.get("source"), op);
    event.setSource(source);
    event.setTableId(
        source.getSchema().isEmpty()
            ? source.getDatabase() + "." + source.getTable()
            : source.getDatabase() + "." + source.getSchema() + "." + source.getTable());
    event.setTsMs(optionalLong(payload, "ts_ms", "envelope"));
    JsonNode transaction = payload.get("transaction");
    if (transaction != null && transaction.isObject() && transaction.hasNonNull("id")) {
      event.setTransactionId(transaction.get("id").asText());
    }
    if (key != null && !key.payload.isNull()) {
      event.addAllPrimaryKey(row(key.payload, key.schema, "key").getColumnsList());
    }
    JsonNode beforeSchema = fieldSchema(envelope.schema, "before");
    JsonNode afterSchema = fieldSchema(envelope.schema, "after");
    JsonNode before = payload.get("before");
    JsonNode after = payload.get("after");
    if (before != null && !before.isNull()) {
      event.setBefore(row(before, beforeSchema, "before"));
    }
    if (after != null && !after.isNull()) {
      event.setAfter(row(after, afterSchema, "after"));
    }
    checkImages(op, event);
    if (!event.hasAfter() && !event.hasBefore()) {
      return wellFormed(event.build(), mayHoldSurrogates); // TRUNCATE: no row, no columns
    }
    JsonNode described = afterSchema != null ? afterSchema : beforeSchema;
    List<ColumnSchema> columns =
        described != null
            ? columnSchemas(described)
            : namesOnly(event.hasAfter() ? event.getAfter() : event.getBefore());
    event.addAllColumns(columns);
    event.setSchemaVersion(columns.isEmpty() ? "" : Values.fingerprint(columns));
    return wellFormed(event.build(), mayHoldSurrogates);
  }

  private static void checkImages(ChangeEvent.Op op, ChangeEvent.Builder event)
      throws InvalidChangeException {
    switch (op) {
      case CREATE:
      case READ:
      case UPDATE:
        if (!event.hasAfter()) {
          throw new InvalidChangeException("op '" + letter(op) + "' without an 'after' row");
        }
        break;
      case DELETE:
        if (!event.hasBefore() && event.getPrimaryKeyCount() == 0) {
          throw new InvalidChangeException("op 'd' with neither a 'before' row nor a key");
        }
        break;
      default:
        break;
    }
  }

  /** Debezium's letter for an op. */
  public static String letter(ChangeEvent.Op op) {
    switch (op) {
      case CREATE:
        return "c";
      case UPDATE:
        return "u";
      case DELETE:
        return "d";
      case READ:
        return "r";
      case TRUNCATE:
        return "t";
      default:
        return "?";
    }
  }

  private static ChangeEvent.Op op(JsonNode payload) throws InvalidChangeException {
    JsonNode op = payload.get("op");
    if (op == null || op.isNull()) {
      throw new InvalidChangeException("missing envelope field 'op'");
    }
    switch (op.asText()) {
      case "c":
        return ChangeEvent.Op.CREATE;
      case "u":
        return ChangeEvent.Op.UPDATE;
      case "d":
        return ChangeEvent.Op.DELETE;
      case "r":
        return ChangeEvent.Op.READ;
      case "t":
        return ChangeEvent.Op.TRUNCATE;
      default:
        throw new InvalidChangeException("unsupported op '" + op.asText() + "'");
    }
  }

  private static Source source(JsonNode src, ChangeEvent.Op op) throws InvalidChangeException {
    if (src == null || src.isNull()) {
      throw new InvalidChangeException("missing envelope field 'source'");
    }
    if (!src.isObject()) {
      throw new InvalidChangeException("field 'source' must be an object, got " + src.getNodeType());
    }
    String kind = requiredText(src, "connector", "source");
    Source.Builder source =
        Source.newBuilder()
            .setName(optionalText(src, "name"))
            .setVersion(optionalText(src, "version"))
            .setDatabase(requiredText(src, "db", "source"))
            .setTable(requiredText(src, "table", "source"))
            .setTsMs(requiredLong(src, "ts_ms", "source"));
    JsonNode snapshot = src.get("snapshot");
    String marker = snapshot == null || snapshot.isNull() ? "false" : snapshot.asText();
    source.setSnapshotMarker(marker);
    source.setSnapshot(op == ChangeEvent.Op.READ || (!marker.equals("false") && !marker.isEmpty()));
    switch (kind) {
      case "postgresql":
        source.setConnector(Connector.POSTGRESQL).setSchema(requiredText(src, "schema", "source"));
        source.setPosition(postgresPosition(src));
        break;
      case "mysql":
      case "mariadb":
        source.setConnector(kind.equals("mysql") ? Connector.MYSQL : Connector.MARIADB);
        source.setPosition(binlogPosition(src));
        break;
      default:
        throw new InvalidChangeException("unsupported connector '" + kind + "' in 'source'");
    }
    return source.build();
  }

  private static SourcePosition postgresPosition(JsonNode src) throws InvalidChangeException {
    long lsn = requiredLong(src, "lsn", "source");
    long commitLsn = 0;
    JsonNode sequence = src.get("sequence");
    if (sequence != null && !sequence.isNull()) {
      JsonNode parsed;
      try {
        parsed = MAPPER.readTree(sequence.asText());
      } catch (IOException e) {
        parsed = null;
      }
      if (parsed == null || !parsed.isArray() || parsed.size() != 2) {
        throw new InvalidChangeException(
            "source field 'sequence' is not a JSON array of two LSNs: " + sequence);
      }
      JsonNode last = parsed.get(0);
      if (!last.isNull()) {
        try {
          commitLsn = Long.parseLong(last.asText());
        } catch (NumberFormatException e) {
          throw new InvalidChangeException(
              "source field 'sequence' has a non-numeric commit LSN: " + last);
        }
      }
    }
    return SourcePositions.postgres(lsn, commitLsn, optionalLong(src, "txId", "source"));
  }

  private static SourcePosition binlogPosition(JsonNode src) throws InvalidChangeException {
    String file = requiredText(src, "file", "source");
    long pos = requiredLong(src, "pos", "source");
    long row = optionalLong(src, "row", "source");
    try {
      return SourcePositions.binlog(
          file, pos, (int) row, optionalText(src, "gtid"), optionalLong(src, "server_id", "source"));
    } catch (IllegalArgumentException e) {
      throw new InvalidChangeException("source: " + e.getMessage());
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Envelopes and rows.

  private static final class Envelope {
    final JsonNode schema; // null without schemas
    final JsonNode payload;

    Envelope(JsonNode schema, JsonNode payload) {
      this.schema = schema;
      this.payload = payload;
    }
  }

  private static JsonNode read(byte[] bytes, String what) throws InvalidChangeException {
    JsonNode node;
    try {
      node = JsonFields.readSingle(bytes, what);
    } catch (JsonFields.InvalidRecordException e) {
      throw new InvalidChangeException(e.getMessage());
    }
    if (node == null || node.isMissingNode()) {
      throw new InvalidChangeException("malformed JSON in " + what + ": empty");
    }
    return node;
  }

  private static Envelope unwrap(JsonNode node, String what) throws InvalidChangeException {
    if (node.isNull()) {
      return new Envelope(null, node);
    }
    if (!node.isObject()) {
      throw new InvalidChangeException(what + " must be a JSON object, got " + node.getNodeType());
    }
    if (node.size() == 2 && node.has("schema") && node.has("payload")) {
      JsonNode schema = node.get("schema");
      if (!schema.isNull() && !schema.isObject()) {
        throw new InvalidChangeException(what + " schema must be an object, got " + schema.getNodeType());
      }
      return new Envelope(schema.isNull() ? null : schema, node.get("payload"));
    }
    return new Envelope(null, node);
  }

  /** The schema of a field of a struct schema, or null. */
  private static JsonNode fieldSchema(JsonNode struct, String field) {
    if (struct == null || !struct.path("fields").isArray()) {
      return null;
    }
    for (JsonNode f : struct.get("fields")) {
      if (field.equals(f.path("field").asText())) {
        return f;
      }
    }
    return null;
  }

  private static Row row(JsonNode data, JsonNode schema, String what) throws InvalidChangeException {
    if (!data.isObject()) {
      throw new InvalidChangeException("'" + what + "' must be an object, got " + data.getNodeType());
    }
    Row.Builder row = Row.newBuilder();
    if (schema != null && schema.path("fields").isArray()) {
      Set<String> declared = new HashSet<>();
      for (JsonNode f : schema.get("fields")) {
        String name = f.path("field").asText();
        declared.add(name);
        JsonNode v = data.get(name);
        // A before image may hold only the replica identity's columns (PostgreSQL REPLICA
        // IDENTITY DEFAULT / INDEX), so its other columns may be null whatever their schema says.
        row.addColumns(
            Values.column(name, typed(v, f, what + "." + name, what.equals("before"))));
      }
      var names = data.fieldNames();
      while (names.hasNext()) {
        String name = names.next();
        if (!declared.contains(name)) {
          throw new InvalidChangeException(
              "'" + what + "' has column '" + name + "' that its schema does not declare");
        }
      }
    } else {
      var fields = data.fields();
      while (fields.hasNext()) {
        Map.Entry<String, JsonNode> f = fields.next();
        row.addColumns(Values.column(f.getKey(), raw(f.getValue())));
      }
    }
    return row.build();
  }

  private static Value raw(JsonNode v) {
    if (v == null || v.isNull()) {
      return Values.ofNull();
    }
    if (v.isIntegralNumber() && v.canConvertToLong()) {
      return Values.of(v.asLong());
    }
    if (v.isNumber()) {
      return Values.of(v.asDouble());
    }
    if (v.isBoolean()) {
      return Values.of(v.asBoolean());
    }
    if (v.isTextual()) {
      return Values.of(v.asText());
    }
    return Values.json(v.toString());
  }

  private static Value typed(JsonNode v, JsonNode schema, String where, boolean nullable)
      throws InvalidChangeException {
    if (v == null || v.isNull()) {
      if (!nullable && !schema.path("optional").asBoolean(false) && !schema.has("default")) {
        throw new InvalidChangeException("column '" + where + "' is not optional but null");
      }
      return Values.ofNull();
    }
    String type = schema.path("type").asText();
    String logical = schema.path("name").asText("");
    try {
      switch (type) {
        case "int8":
        case "int16":
        case "int32":
        case "int64":
          return integral(v, longValue(v, type, where), logical, where);
        // Kafka's JsonConverter names FLOAT32 and FLOAT64 "float" and "double".
        case "float":
        case "double":
        case "float32":
        case "float64":
          return Values.of(doubleValue(v, type, where));
        case "boolean":
          if (!v.isBoolean()) {
            throw mismatch(where, type, v);
          }
          return Values.of(v.asBoolean());
        case "string":
          if (!v.isTextual()) {
            throw mismatch(where, type, v);
          }
          return text(v.asText(), logical, where);
        case "bytes":
          if (!v.isTextual()) {
            throw mismatch(where, type, v);
          }
          byte[] bytes = Base64.getDecoder().decode(v.asText());
          if (logical.equals("org.apache.kafka.connect.data.Decimal")) {
            String scale = schema.path("parameters").path("scale").asText("");
            if (scale.isEmpty()) {
              throw new InvalidChangeException("column '" + where + "': Decimal schema without a scale");
            }
            return decimal(bytes, Integer.parseInt(scale));
          }
          return Value.newBuilder().setBytesValue(ByteString.copyFrom(bytes)).build();
        case "struct":
          if (!v.isObject()) {
            throw mismatch(where, type, v);
          }
          if (logical.equals("io.debezium.data.VariableScaleDecimal")) {
            JsonNode scale = v.get("scale");
            JsonNode value = v.get("value");
            if (scale == null || !scale.canConvertToInt() || value == null || !value.isTextual()) {
              throw new InvalidChangeException(
                  "column '" + where + "': VariableScaleDecimal needs an int 'scale' and base64 'value'");
            }
            return decimal(Base64.getDecoder().decode(value.asText()), scale.asInt());
          }
          return Values.json(v.toString());
        case "array":
        case "map":
          return Values.json(v.toString());
        default:
          throw new InvalidChangeException("column '" + where + "' has unknown type '" + type + "'");
      }
    } catch (IllegalArgumentException e) {
      // Base64 and number formats.
      throw new InvalidChangeException(
          "column '" + where + "' of type " + describe(type, logical) + " has an unreadable value "
              + v + ": " + e.getMessage());
    }
  }

  private static Value integral(JsonNode v, long n, String logical, String where)
      throws InvalidChangeException {
    switch (logical) {
      case "io.debezium.time.Date":
      case "org.apache.kafka.connect.data.Date":
        return Value.newBuilder().setDateDays(Math.toIntExact(n)).build();
      case "io.debezium.time.Time":
      case "org.apache.kafka.connect.data.Time":
        return Value.newBuilder().setTimeMicros(n * 1000L).build();
      case "io.debezium.time.MicroTime":
        return Value.newBuilder().setTimeMicros(n).build();
      case "io.debezium.time.NanoTime":
        return Value.newBuilder().setTimeMicros(n / 1000L).build();
      case "io.debezium.time.Timestamp":
      case "org.apache.kafka.connect.data.Timestamp":
        return Values.timestamp(Math.multiplyExact(n, 1000L), 0, Timestamp.Zone.LOCAL);
      case "io.debezium.time.MicroTimestamp":
        return Values.timestamp(n, 0, Timestamp.Zone.LOCAL);
      case "io.debezium.time.NanoTimestamp":
        return Values.timestamp(
            Math.floorDiv(n, 1000L), (int) Math.floorMod(n, 1000L), Timestamp.Zone.LOCAL);
      default:
        return Values.of(n);
    }
  }

  private static Value text(String s, String logical, String where) throws InvalidChangeException {
    switch (logical) {
      case "io.debezium.time.ZonedTimestamp":
        try {
          OffsetDateTime t = OffsetDateTime.parse(s);
          long seconds = t.toEpochSecond();
          int nanos = t.getNano();
          return Values.timestamp(
              Math.addExact(Math.multiplyExact(seconds, 1_000_000L), nanos / 1000),
              nanos % 1000,
              Timestamp.Zone.UTC);
        } catch (DateTimeParseException e) {
          throw new InvalidChangeException(
              "column '" + where + "' of type ZonedTimestamp is not an ISO-8601 date-time with offset: '"
                  + s + "'");
        }
      case "io.debezium.data.Json":
        return Values.json(s);
      case "io.debezium.data.Uuid":
        try {
          return Value.newBuilder()
              .setUuidValue(UUID.fromString(s).toString())
              .build();
        } catch (IllegalArgumentException e) {
          throw new InvalidChangeException("column '" + where + "' of type Uuid is not a UUID: '" + s + "'");
        }
      default:
        return Values.of(s);
    }
  }

  private static Value decimal(byte[] unscaled, int scale) throws InvalidChangeException {
    if (unscaled.length == 0) {
      throw new IllegalArgumentException("empty unscaled bytes");
    }
    // Normalise through BigInteger so equal numbers have equal bytes.
    BigInteger n = new BigInteger(unscaled);
    return Value.newBuilder()
        .setDecimalValue(
            Decimal.newBuilder().setUnscaled(ByteString.copyFrom(n.toByteArray())).setScale(scale))
        .build();
  }

  private static long longValue(JsonNode v, String type, String where) throws InvalidChangeException {
    if (!v.isIntegralNumber() || !v.canConvertToLong()) {
      throw mismatch(where, type, v);
    }
    return v.asLong();
  }

  private static double doubleValue(JsonNode v, String type, String where)
      throws InvalidChangeException {
    if (v.isNumber()) {
      return v.asDouble();
    }
    if (v.isTextual()) {
      switch (v.asText()) {
        case "NaN":
          return Double.NaN;
        case "Infinity":
          return Double.POSITIVE_INFINITY;
        case "-Infinity":
          return Double.NEGATIVE_INFINITY;
        default:
          break;
      }
    }
    throw mismatch(where, type, v);
  }

  private static InvalidChangeException mismatch(String where, String type, JsonNode v) {
    return new InvalidChangeException(
        "column '" + where + "' of type " + type + " has a " + v.getNodeType() + " value: " + v);
  }

  private static String describe(String type, String logical) {
    return logical.isEmpty() ? type : type + " (" + logical + ")";
  }

  private static List<ColumnSchema> columnSchemas(JsonNode struct) {
    List<ColumnSchema> out = new ArrayList<>();
    for (JsonNode f : struct.path("fields")) {
      out.add(
          ColumnSchema.newBuilder()
              .setName(f.path("field").asText())
              .setType(f.path("type").asText())
              .setLogical(f.path("name").asText(""))
              .setOptional(f.path("optional").asBoolean(false))
              .build());
    }
    return out;
  }

  private static List<ColumnSchema> namesOnly(Row row) {
    List<ColumnSchema> out = new ArrayList<>();
    for (Column c : row.getColumnsList()) {
      out.add(ColumnSchema.newBuilder().setName(c.getName()).setOptional(true).build());
    }
    return out;
  }

  // ---------------------------------------------------------------------------------------------
  // Field access with reasons.

  private static String requiredText(JsonNode obj, String field, String where)
      throws InvalidChangeException {
    JsonNode v = obj.get(field);
    if (v == null || v.isNull()) {
      throw new InvalidChangeException("missing " + where + " field '" + field + "'");
    }
    if (!v.isTextual()) {
      throw new InvalidChangeException(
          where + " field '" + field + "' must be a string, got " + v.getNodeType());
    }
    return v.asText();
  }

  private static String optionalText(JsonNode obj, String field) {
    JsonNode v = obj.get(field);
    return v == null || v.isNull() ? "" : v.asText();
  }

  private static long requiredLong(JsonNode obj, String field, String where)
      throws InvalidChangeException {
    JsonNode v = obj.get(field);
    if (v == null || v.isNull()) {
      throw new InvalidChangeException("missing " + where + " field '" + field + "'");
    }
    return asLong(v, field, where);
  }

  private static long optionalLong(JsonNode obj, String field, String where)
      throws InvalidChangeException {
    JsonNode v = obj.get(field);
    return v == null || v.isNull() ? 0L : asLong(v, field, where);
  }

  private static long asLong(JsonNode v, String field, String where) throws InvalidChangeException {
    if (!v.isIntegralNumber() || !v.canConvertToLong()) {
      throw new InvalidChangeException(
          where + " field '" + field + "' must be an integer, got " + v.getNodeType() + " " + v);
    }
    return v.asLong();
  }
}
