package io.tributary.transforms.cdc.capture;

import com.google.auto.value.AutoValue;
import io.tributary.proto.cdc.ConnectRecord;
import java.util.Map;
import java.util.TreeMap;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.display.DisplayData;
import org.apache.beam.sdk.values.PBegin;
import org.apache.beam.sdk.values.PCollection;
import org.checkerframework.checker.nullness.qual.Nullable;
import org.joda.time.Duration;

/**
 * Change capture straight from a database with Debezium's embedded engine, without Kafka.
 *
 * <pre>{@code
 * PCollection<ConnectRecord> changes =
 *     pipeline.apply("Capture", DebeziumCapture.read()
 *         .withConnectorProperties(Map.of(
 *             "connector.class", "io.debezium.connector.postgresql.PostgresConnector",
 *             "database.hostname", "db", "database.port", "5432", "database.user", "cdc",
 *             "database.password", "...", "database.dbname", "orders",
 *             "topic.prefix", "orders", "plugin.name", "pgoutput", "slot.name", "orders_beam"))
 *         .withOffsetStore("/var/lib/pipeline/orders-offsets.json"));
 * }</pre>
 *
 * <p>Each element is one Debezium record as a {@link ConnectRecord}, the input of {@code
 * DebeziumChanges.parse()}: its Kafka topic name, partition 0, its sequence number in the reader
 * as offset, the commit time, and key and value serialized exactly as Kafka Connect's {@code
 * JsonConverter} would write them to Kafka (with schemas unless {@link Read#withoutSchemas()});
 * a tombstone has no value and a keyless record (a PostgreSQL truncate) no key. So the same
 * parser reads records from Kafka and from this source:
 *
 * <pre>{@code
 * changes.apply("Parse", DebeziumChanges.parse());
 * }</pre>
 *
 *  The connector's own properties apply unchanged (Debezium's connector documentation
 * lists them); add the connector's jar ({@code io.debezium:debezium-connector-postgres} or {@code
 * -mariadb}) to the application.
 *
 * <p>Guarantees:
 *
 * <ul>
 *   <li>One engine per reader, running for the reader's whole life (the source does not split:
 *       these connectors run one task).
 *   <li>At least once: offsets go to the offset store only when Beam finalizes a checkpoint that
 *       covers the records, and only then does the engine learn they are processed (so a
 *       PostgreSQL slot is confirmed no further). A new run of the pipeline with the same offset
 *       store resumes after the last finalized records without a new snapshot; records after
 *       them may be delivered again.
 *   <li>Element timestamps are the source's commit times ({@code source.ts_ms}); the watermark is
 *       the latest commit time read, and follows the clock (less one second) while the database
 *       is idle. Records in one transaction share a timestamp.
 *   <li>The engine is closed when the reader closes; with {@link Read#withDropSlotOnClose} the
 *       PostgreSQL connector then drops its replication slot (for runs that end, such as bounded
 *       reads; a later run then starts a new slot and misses changes made in between).
 * </ul>
 *
 * <p>Unbounded unless {@link Read#withMaxRecords} or {@link Read#withMaxReadTime} bounds it.
 */
public final class DebeziumCapture {
  private DebeziumCapture() {}

  /** A capture with no connector yet: set {@link Read#withConnectorProperties} and the store. */
  public static Read read() {
    return new AutoValue_DebeziumCapture_Read.Builder()
        .setConnectorProperties(Map.of())
        .setSchemas(true)
        .setDropSlotOnClose(false)
        .build();
  }

  /** Reads one Debezium connector's records; see {@link DebeziumCapture}. */
  @AutoValue
  public abstract static class Read extends PTransform<PBegin, PCollection<ConnectRecord>> {
    abstract Map<String, String> getConnectorProperties();

    abstract @Nullable String getOffsetStore();

    abstract boolean getSchemas();

    abstract boolean getDropSlotOnClose();

    abstract @Nullable Long getMaxRecords();

    abstract @Nullable Duration getMaxReadTime();

    abstract Builder toBuilder();

    @AutoValue.Builder
    abstract static class Builder {
      abstract Builder setConnectorProperties(Map<String, String> properties);

      abstract Builder setOffsetStore(String path);

      abstract Builder setSchemas(boolean schemas);

      abstract Builder setDropSlotOnClose(boolean drop);

      abstract Builder setMaxRecords(Long max);

      abstract Builder setMaxReadTime(Duration max);

      abstract Read build();
    }

    /**
     * The Debezium connector's properties ({@code connector.class}, {@code database.*}, {@code
     * topic.prefix}, ...); {@code name} names the engine and keys its offsets. {@code
     * offset.storage} and {@code offset.flush.interval.ms} are set by this transform.
     */
    public Read withConnectorProperties(Map<String, String> properties) {
      return toBuilder().setConnectorProperties(Map.copyOf(properties)).build();
    }

    /**
     * The file holding the finalized offsets (a JSON object of Connect offset-store entries),
     * created on the first finalized checkpoint. Required. Runs that share it resume one another.
     */
    public Read withOffsetStore(String path) {
      return toBuilder().setOffsetStore(path).build();
    }

    /** Keys and values without the JSON converter's schemas ({@code schemas.enable=false}). */
    public Read withoutSchemas() {
      return toBuilder().setSchemas(false).build();
    }

    /** Drops the PostgreSQL replication slot when the reader closes ({@code slot.drop.on.stop}). */
    public Read withDropSlotOnClose(boolean drop) {
      return toBuilder().setDropSlotOnClose(drop).build();
    }

    /** Stops after this many records (a bounded read). */
    public Read withMaxRecords(long max) {
      return toBuilder().setMaxRecords(max).build();
    }

    /** Stops after reading for this long (a bounded read). */
    public Read withMaxReadTime(Duration max) {
      return toBuilder().setMaxReadTime(max).build();
    }

    @Override
    public PCollection<ConnectRecord> expand(PBegin input) {
      Map<String, String> props = getConnectorProperties();
      if (!props.containsKey("connector.class")) {
        throw new IllegalArgumentException(
            "DebeziumCapture.read(): connector properties need connector.class, got " + props.keySet());
      }
      String store = getOffsetStore();
      if (store == null || store.isEmpty()) {
        throw new IllegalArgumentException("DebeziumCapture.read(): withOffsetStore(path) is required");
      }
      if (getMaxRecords() != null && getMaxRecords() <= 0) {
        throw new IllegalArgumentException(
            "DebeziumCapture.read(): maxRecords must be positive, got " + getMaxRecords());
      }
      CaptureSource source =
          new CaptureSource(new TreeMap<>(props), store, getSchemas(), getDropSlotOnClose());
      org.apache.beam.sdk.io.Read.Unbounded<ConnectRecord> unbounded =
          org.apache.beam.sdk.io.Read.from(source);
      if (getMaxRecords() == null && getMaxReadTime() == null) {
        return input.apply("ReadChanges", unbounded);
      }
      org.apache.beam.sdk.io.BoundedReadFromUnboundedSource<ConnectRecord> bounded =
          getMaxRecords() != null
              ? unbounded.withMaxNumRecords(getMaxRecords())
              : unbounded.withMaxReadTime(getMaxReadTime());
      if (getMaxRecords() != null && getMaxReadTime() != null) {
        bounded = bounded.withMaxReadTime(getMaxReadTime());
      }
      return input.apply("ReadChanges", bounded);
    }

    @Override
    public void populateDisplayData(DisplayData.Builder builder) {
      super.populateDisplayData(builder);
      builder
          .add(DisplayData.item("connectorClass", getConnectorProperties().get("connector.class")))
          .addIfNotNull(DisplayData.item("offsetStore", getOffsetStore()))
          .add(DisplayData.item("schemas", getSchemas()))
          .add(DisplayData.item("dropSlotOnClose", getDropSlotOnClose()))
          .addIfNotNull(DisplayData.item("maxRecords", getMaxRecords()))
          .addIfNotNull(DisplayData.item("maxReadTime", getMaxReadTime()));
    }
  }
}
