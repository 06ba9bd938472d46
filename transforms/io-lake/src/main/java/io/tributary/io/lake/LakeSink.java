package io.tributary.io.lake;

import com.google.auto.value.AutoValue;
import io.tributary.proto.common.Failure;
import io.tributary.proto.sinks.LakeRow;
import io.tributary.proto.values.Column;
import io.tributary.proto.values.ColumnSchema;
import io.tributary.proto.values.Value;
import io.tributary.transforms.coders.MessageCoder;
import io.tributary.transforms.errors.Failures;
import io.tributary.transforms.values.Values;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.WritableByteChannel;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.apache.avro.LogicalTypes;
import org.apache.avro.Schema;
import org.apache.avro.SchemaBuilder;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;
import org.apache.beam.sdk.io.FileIO;
import org.apache.beam.sdk.io.WriteFilesResult;
import org.apache.beam.sdk.io.parquet.ParquetIO;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.metrics.Metrics;
import org.apache.beam.sdk.transforms.Contextful;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.SerializableFunction;
import org.apache.beam.sdk.transforms.WithFailures;
import org.apache.beam.sdk.transforms.display.DisplayData;
import org.apache.beam.sdk.transforms.windowing.AfterPane;
import org.apache.beam.sdk.transforms.windowing.AfterWatermark;
import org.apache.beam.sdk.transforms.windowing.FixedWindows;
import org.apache.beam.sdk.transforms.windowing.IntervalWindow;
import org.apache.beam.sdk.transforms.windowing.Window;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionTuple;
import org.apache.beam.sdk.values.TupleTag;
import org.apache.beam.sdk.values.TupleTagList;
import org.joda.time.Duration;

/**
 * The data lake: an append-only changelog of {@link LakeRow}s in Parquet files (Beam's {@link
 * ParquetIO} sink through {@link FileIO#writeDynamic()}), one dataset per table, partitioned
 * Hive-style by commit time:
 *
 * <pre>{@code
 * <directory>/table=<dataset>/dt=2024-03-01/hr=10/part-<schema version>-<window start>-<pane>-<shard>-of-<n>.parquet
 * }</pre>
 *
 * <pre>{@code
 * PCollection<Failure> unwritable =
 *     routed.lake().apply("Lake", LakeSink.write("/data/lake").withWindow(Duration.standardMinutes(5)))
 *         .failures();
 * }</pre>
 *
 * <p>Each file has the columns {@code _op} (c, u, d, r, t), {@code _position} (the source position
 * order key), {@code _commit_time} (timestamp-millis) and then the
 * row's columns in table order, all nullable. Column types follow the change's schema: integers
 * long, float/double double, boolean, bytes, dates int (date), times long (time-micros), wall-clock
 * timestamps long (local-timestamp-micros), zoned timestamps long (timestamp-micros), and
 * decimals, JSON, UUIDs, strings, structs and columns of unknown type (records read without
 * schemas) as strings ({@link Values#toText}).
 *
 * <p>Schema changes: the Avro schema is derived from each row's declared columns, and rows of
 * different column lists go to different files (the schema version is in the file name), so a
 * column added upstream appears in the files written after it, while earlier files keep their
 * columns; readers that merge schemas by name (Spark, Trino, DuckDB) see the new column as null in
 * old files.
 *
 * <p>Windowing: the input is re-windowed into fixed windows of {@link #withWindow} (default 5
 * minutes) by element timestamp (the commit time, as the CDC parser stamps it) and
 * each window's files are written when it fires (watermark); works bounded and unbounded. Every row
 * is written once per successful bundle; on retries a runner may rewrite a window's files, never
 * append twice to one.
 *
 * <p>Failures: a row the Parquet writer cannot take (no dataset, a value that does not fit its
 * declared type, e.g. text in an int64 column) goes to {@code failures()} with its bytes and the
 * reason, before any file is opened; it never fails a bundle (counter {@code unwritable}).
 */
@AutoValue
public abstract class LakeSink
    extends PTransform<PCollection<LakeRow>, WithFailures.Result<WriteFilesResult<LakeRow>, Failure>> {

  /** The step name in failure records. */
  public static final String STEP = "WriteLake";

  /** Namespace of the sink's counters. */
  public static final String METRICS_NAMESPACE = "tributary.lake";

  /** Writes the changelog under {@code directory} (any Beam filesystem path). */
  public static LakeSink write(String directory) {
    return new AutoValue_LakeSink.Builder()
        .setDirectory(directory)
        .setWindow(Duration.standardMinutes(5))
        .setAllowedLateness(Duration.ZERO)
        .setShards(1)
        .build();
  }

  abstract String getDirectory();

  abstract Duration getWindow();

  abstract Duration getAllowedLateness();

  abstract int getShards();

  abstract Builder toBuilder();

  @AutoValue.Builder
  abstract static class Builder {
    abstract Builder setDirectory(String d);

    abstract Builder setWindow(Duration d);

    abstract Builder setAllowedLateness(Duration d);

    abstract Builder setShards(int n);

    abstract LakeSink build();
  }

  /** How much commit time one file covers (default 5 minutes). */
  public LakeSink withWindow(Duration window) {
    return toBuilder().setWindow(window).build();
  }

  /**
   * How far behind the watermark a row's commit time may be and still be written (default 0):
   * each late row of a window goes to a further file of that window (its pane index in the name),
   * nothing is rewritten. Set it to the source's delay: a row committed before the records read
   * beside it (an outage of the capture, a replay) is late by that much.
   */
  public LakeSink withAllowedLateness(Duration lateness) {
    return toBuilder().setAllowedLateness(lateness).build();
  }

  /** Files per partition, schema version and window (default 1). */
  public LakeSink withShards(int shards) {
    return toBuilder().setShards(shards).build();
  }

  @Override
  public WithFailures.Result<WriteFilesResult<LakeRow>, Failure> expand(PCollection<LakeRow> input) {
    if (!getWindow().isLongerThan(Duration.ZERO)) {
      throw new IllegalArgumentException("LakeSink: window must be positive, got " + getWindow());
    }
    if (getShards() <= 0) {
      throw new IllegalArgumentException("LakeSink: shards must be positive, got " + getShards());
    }
    if (getAllowedLateness().isShorterThan(Duration.ZERO)) {
      throw new IllegalArgumentException("LakeSink: allowed lateness must not be negative, got " + getAllowedLateness());
    }
    PCollectionTuple checked =
        input.apply(
            "CheckRows",
            ParDo.of(new CheckRowFn()).withOutputTags(WRITABLE, TupleTagList.of(UNWRITABLE)));
    PCollection<Failure> failures = checked.get(UNWRITABLE).setCoder(Failures.coder());
    WriteFilesResult<LakeRow> written = checked
        .get(WRITABLE)
        .setCoder(MessageCoder.of(LakeRow.class))
        .apply(
            "Window",
            Window.<LakeRow>into(FixedWindows.of(getWindow()))
                .triggering(AfterWatermark.pastEndOfWindow().withLateFirings(AfterPane.elementCountAtLeast(1)))
                .withAllowedLateness(getAllowedLateness())
                .discardingFiredPanes())
        .apply(
            "WriteParquet",
            FileIO.<LakeRow, LakeRow>writeDynamic()
                .by(new PartitionOf())
                .withDestinationCoder(MessageCoder.of(LakeRow.class))
                .via(Contextful.fn(new SinkFor()))
                .to(getDirectory())
                .withNaming(new NamingFor())
                .withNumShards(getShards()));
    return WithFailures.Result.of(written, failures);
  }

  private static final TupleTag<LakeRow> WRITABLE = new TupleTag<LakeRow>() {};
  private static final TupleTag<Failure> UNWRITABLE = new TupleTag<Failure>() {};

  /**
   * Why a row cannot be written, or null: an empty dataset, or a value that does not fit its
   * declared column type (the same conversion the file writer makes).
   */
  public static String check(LakeRow row) {
    return check(row, r -> avroSchema(r.getDataset(), r.getSchemaList()));
  }

  /** As {@link #check(LakeRow)}, with the Avro schema of a row from {@code schemaOf}. */
  private static String check(LakeRow row, java.util.function.Function<LakeRow, Schema> schemaOf) {
    if (row.getDataset().isEmpty()) {
      return "lake row has no dataset";
    }
    try {
      toRecord(schemaOf.apply(row), row);
      return null;
    } catch (RuntimeException e) {
      return "lake row of dataset '" + row.getDataset() + "' does not fit its schema: " + e.getMessage();
    }
  }

  /**
   * Sends rows the Parquet writer would reject to the failure output with the reason, so that one
   * bad row never fails (and retries forever) a bundle of files.
   */
  static final class CheckRowFn extends DoFn<LakeRow, LakeRow> {
    /** Avro schemas built so far, by dataset and declared columns (few: one per schema version). */
    private static final int MAX_SCHEMAS = 256;

    private final Counter unwritable = Metrics.counter(METRICS_NAMESPACE, "unwritable");
    private transient Map<LakeRow, Schema> schemas;

    @Setup
    public void setup() {
      schemas =
          new java.util.LinkedHashMap<>(16, 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<LakeRow, Schema> eldest) {
              return size() > MAX_SCHEMAS;
            }
          };
    }

    private Schema schemaOf(LakeRow row) {
      LakeRow key = LakeRow.newBuilder().setDataset(row.getDataset()).addAllSchema(row.getSchemaList()).build();
      return schemas.computeIfAbsent(key, k -> avroSchema(k.getDataset(), k.getSchemaList()));
    }

    @ProcessElement
    public void process(@Element LakeRow row, MultiOutputReceiver out) {
      String reason = check(row, this::schemaOf);
      if (reason == null) {
        out.get(WRITABLE).output(row);
      } else {
        unwritable.inc();
        out.get(UNWRITABLE).output(Failures.of(STEP, reason, row.toByteArray(), row.getCommitTimeMillis()));
      }
    }
  }

  @Override
  public void populateDisplayData(DisplayData.Builder builder) {
    super.populateDisplayData(builder);
    builder
        .add(DisplayData.item("directory", getDirectory()))
        .add(DisplayData.item("window", getWindow()))
        .add(DisplayData.item("allowedLateness", getAllowedLateness()))
        .add(DisplayData.item("shards", getShards()));
  }

  // ---------------------------------------------------------------------------------------------

  /** The partition of a row: dataset, declared columns and the commit hour, as a bare LakeRow. */
  static final class PartitionOf implements SerializableFunction<LakeRow, LakeRow> {
    @Override
    public LakeRow apply(LakeRow row) {
      long hour = Math.floorDiv(row.getCommitTimeMillis(), 3_600_000L) * 3_600_000L;
      return LakeRow.newBuilder()
          .setDataset(row.getDataset())
          .addAllSchema(row.getSchemaList())
          .setCommitTimeMillis(hour)
          .build();
    }
  }

  /** The Hive-style directory of a partition: {@code table=<dataset>/dt=<date>/hr=<hour>}. */
  public static String partitionPath(String dataset, long commitTimeMillis) {
    ZonedDateTime t = Instant.ofEpochMilli(commitTimeMillis).atZone(ZoneOffset.UTC);
    return String.format(
        Locale.ROOT, "table=%s/dt=%s/hr=%02d", dataset, t.toLocalDate(), t.getHour());
  }

  /**
   * File names without ':' (Hadoop-based readers reject it): {@code
   * <partition>/part-<schema version>-<window start yyyyMMddTHHmmss>-<pane>-<shard>-of-<n>.parquet}.
   */
  static final class NamingFor implements SerializableFunction<LakeRow, FileIO.Write.FileNaming> {
    @Override
    public FileIO.Write.FileNaming apply(LakeRow partition) {
      String version =
          partition.getSchemaCount() == 0
              ? "0000000000000000"
              : Values.fingerprint(partition.getSchemaList());
      String prefix =
          partitionPath(partition.getDataset(), partition.getCommitTimeMillis()) + "/part-" + version;
      return (window, pane, numShards, shardIndex, compression) -> {
        long start =
            window instanceof IntervalWindow
                ? ((IntervalWindow) window).start().getMillis()
                : partition.getCommitTimeMillis();
        return String.format(
            Locale.ROOT,
            "%s-%s-%d-%05d-of-%05d.parquet",
            prefix,
            FILE_TIME.format(Instant.ofEpochMilli(start)),
            pane.getIndex(),
            shardIndex,
            numShards);
      };
    }
  }

  private static final DateTimeFormatter FILE_TIME =
      DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss", Locale.ROOT).withZone(ZoneOffset.UTC);

  static final class SinkFor implements SerializableFunction<LakeRow, FileIO.Sink<LakeRow>> {
    @Override
    public FileIO.Sink<LakeRow> apply(LakeRow partition) {
      return new RowSink(avroSchema(partition.getDataset(), partition.getSchemaList()).toString());
    }
  }

  /** Writes LakeRows as Avro records through ParquetIO's sink. */
  static final class RowSink implements FileIO.Sink<LakeRow> {
    private final String schemaJson;
    private final ParquetIO.Sink parquet;
    private transient Schema schema;

    RowSink(String schemaJson) {
      this.schemaJson = schemaJson;
      this.parquet = ParquetIO.sink(new Schema.Parser().parse(schemaJson));
    }

    @Override
    public void open(WritableByteChannel channel) throws IOException {
      schema = new Schema.Parser().parse(schemaJson);
      parquet.open(channel);
    }

    @Override
    public void write(LakeRow row) throws IOException {
      parquet.write(toRecord(schema, row));
    }

    @Override
    public void flush() throws IOException {
      parquet.flush();
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Avro schema and records.

  /** Name of the op column. */
  public static final String OP = "_op";
  /** Name of the source position column. */
  public static final String POSITION = "_position";
  /** Name of the commit time column. */
  public static final String COMMIT_TIME = "_commit_time";

  /** The Avro schema of a dataset's files for a column list (see the class comment). */
  public static Schema avroSchema(String dataset, List<ColumnSchema> columns) {
    SchemaBuilder.FieldAssembler<Schema> fields =
        SchemaBuilder.record(avroName(dataset)).namespace("io.tributary.lake").fields();
    fields.requiredString(OP);
    fields.requiredString(POSITION);
    fields
        .name(COMMIT_TIME)
        .type(LogicalTypes.timestampMillis().addToSchema(Schema.create(Schema.Type.LONG)))
        .noDefault();
    Set<String> seen = new HashSet<>(List.of(OP, POSITION, COMMIT_TIME));
    for (ColumnSchema c : columns) {
      if (!seen.add(c.getName())) {
        continue;
      }
      Schema type = Schema.createUnion(Schema.create(Schema.Type.NULL), columnType(c));
      fields.name(avroFieldName(c.getName())).type(type).withDefault(null);
    }
    return fields.endRecord();
  }

  private static Schema columnType(ColumnSchema c) {
    switch (c.getLogical()) {
      case "io.debezium.time.Date":
      case "org.apache.kafka.connect.data.Date":
        return LogicalTypes.date().addToSchema(Schema.create(Schema.Type.INT));
      case "io.debezium.time.Time":
      case "org.apache.kafka.connect.data.Time":
      case "io.debezium.time.MicroTime":
      case "io.debezium.time.NanoTime":
        return LogicalTypes.timeMicros().addToSchema(Schema.create(Schema.Type.LONG));
      case "io.debezium.time.Timestamp":
      case "org.apache.kafka.connect.data.Timestamp":
      case "io.debezium.time.MicroTimestamp":
      case "io.debezium.time.NanoTimestamp":
        return LogicalTypes.localTimestampMicros().addToSchema(Schema.create(Schema.Type.LONG));
      case "io.debezium.time.ZonedTimestamp":
        return LogicalTypes.timestampMicros().addToSchema(Schema.create(Schema.Type.LONG));
      case "org.apache.kafka.connect.data.Decimal":
      case "io.debezium.data.VariableScaleDecimal":
        return Schema.create(Schema.Type.STRING);
      default:
        break;
    }
    switch (c.getType()) {
      case "int8":
      case "int16":
      case "int32":
      case "int64":
        return Schema.create(Schema.Type.LONG);
      case "float32":
      case "float64":
        return Schema.create(Schema.Type.DOUBLE);
      case "boolean":
        return Schema.create(Schema.Type.BOOLEAN);
      case "bytes":
        return Schema.create(Schema.Type.BYTES);
      default:
        return Schema.create(Schema.Type.STRING);
    }
  }

  /** The Avro record of a row under {@code schema} (from {@link #avroSchema}). */
  public static GenericRecord toRecord(Schema schema, LakeRow row) {
    GenericData.Record record = new GenericData.Record(schema);
    record.put(OP, row.getOp());
    record.put(POSITION, row.getPosition());
    record.put(COMMIT_TIME, row.getCommitTimeMillis());
    Map<String, Value> values = new HashMap<>();
    for (Column c : row.getColumnsList()) {
      values.put(avroFieldName(c.getName()), c.getValue());
    }
    for (Schema.Field f : schema.getFields()) {
      if (f.pos() < 3) {
        continue;
      }
      Value v = values.get(f.name());
      record.put(f.pos(), v == null || Values.isNull(v) ? null : avroValue(f.schema().getTypes().get(1), v));
    }
    return record;
  }

  private static Object avroValue(Schema type, Value v) {
    switch (type.getType()) {
      case LONG:
        switch (v.getKindCase()) {
          case INT_VALUE:
            return v.getIntValue();
          case TIME_MICROS:
            return v.getTimeMicros();
          case TIMESTAMP_VALUE:
            return v.getTimestampValue().getMicros();
          default:
            throw new IllegalArgumentException("cannot store " + v.getKindCase() + " as long");
        }
      case INT:
        if (v.getKindCase() == Value.KindCase.DATE_DAYS) {
          return v.getDateDays();
        }
        throw new IllegalArgumentException("cannot store " + v.getKindCase() + " as a date");
      case DOUBLE:
        return v.getKindCase() == Value.KindCase.INT_VALUE ? (double) v.getIntValue() : v.getDoubleValue();
      case BOOLEAN:
        return v.getBoolValue();
      case BYTES:
        return ByteBuffer.wrap(v.getBytesValue().toByteArray());
      default:
        return Values.toText(v);
    }
  }

  private static String avroName(String dataset) {
    String name = dataset.replaceAll("[^A-Za-z0-9_]", "_");
    return Character.isDigit(name.charAt(0)) ? "_" + name : name;
  }

  /** Avro field names allow only letters, digits and '_', not starting with a digit. */
  public static String avroFieldName(String column) {
    String name = column.replaceAll("[^A-Za-z0-9_]", "_");
    return name.isEmpty() || Character.isDigit(name.charAt(0)) ? "_" + name : name;
  }
}
