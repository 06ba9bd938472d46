package io.tributary.transforms.cdc;

import com.google.auto.value.AutoValue;
import io.tributary.proto.cdc.ChangeEvent;
import io.tributary.proto.cdc.ConnectRecord;
import io.tributary.proto.common.Failure;
import io.tributary.transforms.coders.MessageCoder;
import io.tributary.transforms.errors.Failures;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.metrics.Metrics;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.WithFailures;
import org.apache.beam.sdk.transforms.display.DisplayData;
import org.apache.beam.sdk.transforms.windowing.BoundedWindow;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionTuple;
import org.apache.beam.sdk.values.TupleTag;
import org.apache.beam.sdk.values.TupleTagList;
import org.joda.time.Duration;
import org.joda.time.Instant;

/**
 * Debezium change events: parse Kafka Connect JSON records into {@link ChangeEvent}s.
 *
 * <p>Input is a {@link ConnectRecord}: topic, partition, offset and the key and value bytes as the
 * JSON converter wrote them. A Kafka source maps each {@code KafkaRecord<byte[], byte[]>} to one;
 * an embedded Debezium engine maps each serialized {@code SourceRecord} to one (offset = the
 * engine's sequence number). Both feed the same transforms.
 *
 * <pre>{@code
 * WithFailures.Result<PCollection<ChangeEvent>, Failure> changes =
 *     records.apply("ParseChanges", DebeziumChanges.parse());
 * }</pre>
 */
public final class DebeziumChanges {
  /** Namespace of the CDC counters. */
  public static final String METRICS_NAMESPACE = "tributary.cdc";

  private DebeziumChanges() {}

  /** Parses Debezium JSON records; tombstones are counted and not emitted. */
  public static Parse parse() {
    return new AutoValue_DebeziumChanges_Parse.Builder()
        .setMaxPayloadBytes(4 * 1024 * 1024)
        .setEmitTombstones(false)
        .build();
  }

  /**
   * Parses {@link ConnectRecord}s written by Debezium's connectors through Kafka Connect's JSON
   * converter (schemas on or off, see {@link DebeziumJson}) into {@link ChangeEvent}s, element-wise
   * and in any windowing; works on bounded and unbounded input.
   *
   * <p>Each change is re-stamped with its commit time ({@code source.ts_ms}), which may be earlier
   * than the record's timestamp in the input. Tombstones (a null value after a delete) carry no
   * commit time and keep their input timestamp; they are counted ({@code tombstones}) and dropped
   * unless {@link #withTombstones} asks for them.
   *
   * <p>Every record that cannot be read becomes a {@link Failure} of step {@value #STEP} whose
   * payload is the record's value bytes (its key bytes when the value is absent) and whose reason
   * names the topic, partition and offset and what was wrong. Counters: {@code changes.<op
   * letter>}, {@code tombstones}, {@code parseFailed}.
   */
  @AutoValue
  public abstract static class Parse
      extends PTransform<
          PCollection<ConnectRecord>, WithFailures.Result<PCollection<ChangeEvent>, Failure>> {
    /** The step name in failure records. */
    public static final String STEP = "ParseDebeziumChanges";

    abstract int getMaxPayloadBytes();

    abstract boolean getEmitTombstones();

    abstract Builder toBuilder();

    @AutoValue.Builder
    abstract static class Builder {
      abstract Builder setMaxPayloadBytes(int bytes);

      abstract Builder setEmitTombstones(boolean emit);

      abstract Parse build();
    }

    /** Records whose key plus value exceed this many bytes are failures, unread (default 4 MiB). */
    public Parse withMaxPayloadBytes(int bytes) {
      return toBuilder().setMaxPayloadBytes(bytes).build();
    }

    /**
     * Whether tombstones are emitted as {@code ChangeEvent}s with {@code tombstone = true} (for a
     * compacting sink that wants them); by default they are counted and dropped, since the delete
     * event before each tombstone already carries the change.
     */
    public Parse withTombstones(boolean emit) {
      return toBuilder().setEmitTombstones(emit).build();
    }

    @Override
    public WithFailures.Result<PCollection<ChangeEvent>, Failure> expand(
        PCollection<ConnectRecord> input) {
      if (getMaxPayloadBytes() <= 0) {
        throw new IllegalArgumentException(
            "DebeziumChanges.parse: maxPayloadBytes must be positive, got " + getMaxPayloadBytes());
      }
      TupleTag<ChangeEvent> parsed = new TupleTag<ChangeEvent>() {};
      TupleTag<Failure> failed = Failures.tag();
      PCollectionTuple results =
          input.apply(
              "Parse",
              ParDo.of(new ParseFn(getMaxPayloadBytes(), getEmitTombstones(), parsed, failed))
                  .withOutputTags(parsed, TupleTagList.of(failed)));
      results.get(parsed).setCoder(MessageCoder.of(ChangeEvent.class));
      results.get(failed).setCoder(Failures.coder());
      return WithFailures.Result.of(results, parsed, failed);
    }

    @Override
    public void populateDisplayData(DisplayData.Builder builder) {
      super.populateDisplayData(builder);
      builder
          .add(DisplayData.item("maxPayloadBytes", getMaxPayloadBytes()))
          .add(DisplayData.item("emitTombstones", getEmitTombstones()));
    }
  }

  /** One record to a change event at its commit time, or a failure. */
  static final class ParseFn extends DoFn<ConnectRecord, ChangeEvent> {
    private final int maxPayloadBytes;
    private final boolean emitTombstones;
    private final TupleTag<ChangeEvent> parsed;
    private final TupleTag<Failure> failed;
    private final Counter created = Metrics.counter(METRICS_NAMESPACE, "changes.c");
    private final Counter updated = Metrics.counter(METRICS_NAMESPACE, "changes.u");
    private final Counter deleted = Metrics.counter(METRICS_NAMESPACE, "changes.d");
    private final Counter read = Metrics.counter(METRICS_NAMESPACE, "changes.r");
    private final Counter truncated = Metrics.counter(METRICS_NAMESPACE, "changes.t");
    private final Counter tombstones = Metrics.counter(METRICS_NAMESPACE, "tombstones");
    private final Counter failedCount = Metrics.counter(METRICS_NAMESPACE, "parseFailed");

    ParseFn(
        int maxPayloadBytes,
        boolean emitTombstones,
        TupleTag<ChangeEvent> parsed,
        TupleTag<Failure> failed) {
      this.maxPayloadBytes = maxPayloadBytes;
      this.emitTombstones = emitTombstones;
      this.parsed = parsed;
      this.failed = failed;
    }

    @ProcessElement
    public void process(@Element ConnectRecord record, MultiOutputReceiver out) {
      long size = (long) record.getKey().size() + record.getValue().size();
      if (size > maxPayloadBytes) {
        fail(out, record, "record of " + size + " bytes exceeds the limit of " + maxPayloadBytes);
        return;
      }
      ChangeEvent event;
      try {
        event = DebeziumJson.parse(record);
      } catch (DebeziumJson.InvalidChangeException e) {
        fail(out, record, e.getMessage());
        return;
      }
      if (event.getTombstone()) {
        tombstones.inc();
        if (emitTombstones) {
          out.get(parsed).output(event);
        }
        return;
      }
      long commitMillis = event.getSource().getTsMs();
      if (commitMillis < BoundedWindow.TIMESTAMP_MIN_VALUE.getMillis() || commitMillis > BoundedWindow.TIMESTAMP_MAX_VALUE.getMillis()) {
        fail(out, record, "source.ts_ms " + commitMillis + " is outside the timestamps a pipeline can carry");
        return;
      }
      count(event.getOp());
      out.get(parsed).outputWithTimestamp(event, Instant.ofEpochMilli(commitMillis));
    }

    private void count(ChangeEvent.Op op) {
      switch (op) {
        case CREATE:
          created.inc();
          break;
        case UPDATE:
          updated.inc();
          break;
        case DELETE:
          deleted.inc();
          break;
        case READ:
          read.inc();
          break;
        default:
          truncated.inc();
          break;
      }
    }

    private void fail(MultiOutputReceiver out, ConnectRecord record, String reason) {
      failedCount.inc();
      byte[] payload =
          record.hasValue() ? record.getValue().toByteArray() : record.getKey().toByteArray();
      out.get(failed)
          .output(
              Failures.of(
                  Parse.STEP,
                  record.getTopic() + "/" + record.getPartition() + "@" + record.getOffset() + ": "
                      + reason,
                  payload,
                  record.getTimestampMillis()));
    }

    // Commit times precede the timestamps a source assigns (Kafka append time, engine time).
    @SuppressWarnings("deprecation")
    @Override
    public Duration getAllowedTimestampSkew() {
      return Duration.millis(Long.MAX_VALUE);
    }
  }
}
