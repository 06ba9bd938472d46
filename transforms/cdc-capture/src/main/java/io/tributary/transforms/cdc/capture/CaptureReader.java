package io.tributary.transforms.cdc.capture;

import com.google.protobuf.ByteString;
import io.debezium.embedded.Connect;
import io.debezium.engine.DebeziumEngine;
import io.debezium.engine.RecordChangeEvent;
import io.debezium.engine.format.ChangeEventFormat;
import io.tributary.proto.cdc.ConnectRecord;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Properties;
import java.util.TreeMap;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.beam.sdk.io.UnboundedSource;
import org.apache.beam.sdk.transforms.windowing.BoundedWindow;
import org.apache.kafka.connect.data.Field;
import org.apache.kafka.connect.data.Struct;
import org.apache.kafka.connect.json.JsonConverter;
import org.apache.kafka.connect.source.SourceRecord;
import org.checkerframework.checker.nullness.qual.Nullable;
import org.joda.time.Instant;

/**
 * Runs one Debezium embedded engine for its whole life and hands its records to Beam.
 *
 * <p>The engine starts from the offsets of the checkpoint the reader resumes from, else from the
 * offset file (a new pipeline), else takes a snapshot. The engine is never told that a record is
 * processed until Beam finalizes a checkpoint that covers it, so that neither the offset file nor
 * a PostgreSQL slot moves past records that Beam has not durably taken over.
 */
final class CaptureReader extends UnboundedSource.UnboundedReader<ConnectRecord> {
  private static final String DEFAULT_ENGINE_NAME = "tributary-capture";
  private static final int QUEUE_CAPACITY = 10_000;
  // With nothing to read for this long, the watermark follows the clock (less this much), so
  // that windows close on an idle database.
  private static final long IDLE_MILLIS = 1_000;

  /** A record with the committer of its batch, which marks it processed. */
  private record Pending(
      RecordChangeEvent<SourceRecord> event,
      DebeziumEngine.RecordCommitter<RecordChangeEvent<SourceRecord>> committer) {}

  private final CaptureSource source;
  private final String engineName;
  private final CaptureOffsets offsetCodec;
  private final JsonConverter keys;
  private final JsonConverter values;
  private final TreeMap<String, String> offsets;
  private final BlockingQueue<Pending> queue = new ArrayBlockingQueue<>(QUEUE_CAPACITY);
  private final AtomicReference<Throwable> failure = new AtomicReference<>();
  private final Object commitLock = new Object();

  private @Nullable DebeziumEngine<RecordChangeEvent<SourceRecord>> engine;
  private @Nullable ExecutorService executor;
  private @Nullable ConnectRecord current;
  /** Offset of the next record: its sequence number in this reader. */
  private long sequence;
  private @Nullable Pending last;
  private Instant currentTimestamp = BoundedWindow.TIMESTAMP_MIN_VALUE;
  private Instant watermark = BoundedWindow.TIMESTAMP_MIN_VALUE;
  private long lastRecordNanos = System.nanoTime();
  private volatile boolean closed;

  CaptureReader(CaptureSource source, @Nullable CaptureCheckpoint resumeFrom) {
    this.source = source;
    this.engineName = source.connector().getOrDefault("name", DEFAULT_ENGINE_NAME);
    this.offsetCodec = new CaptureOffsets(engineName);
    this.keys = converter(true, source.schemas());
    this.values = converter(false, source.schemas());
    this.offsets = CaptureOffsets.read(Path.of(source.offsetFile()));
    if (resumeFrom != null) {
      offsets.putAll(resumeFrom.offsets());
    }
  }

  @Override
  public boolean start() throws IOException {
    Properties props = new Properties();
    props.putAll(source.connector());
    props.put("name", engineName);
    props.put("offset.storage", SeededOffsetBackingStore.class.getName());
    props.put(SeededOffsetBackingStore.SEED, CaptureOffsets.toJson(offsets));
    // Offsets are flushed (and a PostgreSQL slot confirmed) only when a checkpoint is finalized.
    props.put("offset.flush.interval.ms", "0");
    if (source.dropSlotOnClose()) {
      props.put("slot.drop.on.stop", "true");
    }
    engine =
        DebeziumEngine.create(ChangeEventFormat.of(Connect.class))
            .using(props)
            .notifying(this::enqueue)
            .using(
                (success, message, error) -> {
                  if (!success && !closed) {
                    failure.compareAndSet(
                        null, error != null ? error : new IllegalStateException(message));
                  }
                })
            .build();
    executor =
        Executors.newSingleThreadExecutor(
            r -> {
              Thread t = new Thread(r, "debezium-capture-" + engineName);
              t.setDaemon(true);
              return t;
            });
    executor.execute(engine);
    return advance();
  }

  // Called on the engine's thread. Records are not marked processed here: see the class doc.
  private void enqueue(
      List<RecordChangeEvent<SourceRecord>> records,
      DebeziumEngine.RecordCommitter<RecordChangeEvent<SourceRecord>> committer)
      throws InterruptedException {
    for (RecordChangeEvent<SourceRecord> r : records) {
      queue.put(new Pending(r, committer));
    }
  }

  @Override
  public boolean advance() throws IOException {
    Throwable t = failure.get();
    if (t != null) {
      throw new IOException("the Debezium engine of " + engineName + " failed", t);
    }
    Pending next;
    try {
      next = queue.poll(10, TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException(e);
    }
    if (next == null) {
      if (System.nanoTime() - lastRecordNanos > TimeUnit.MILLISECONDS.toNanos(IDLE_MILLIS)) {
        Instant idle = Instant.now().minus(IDLE_MILLIS);
        if (idle.isAfter(watermark)) {
          watermark = idle;
        }
      }
      return false;
    }
    lastRecordNanos = System.nanoTime();
    SourceRecord r = next.event().record();
    byte[] key = keys.fromConnectData(r.topic(), r.keySchema(), r.key());
    byte[] value = values.fromConnectData(r.topic(), r.valueSchema(), r.value());
    long millis = commitMillis(r);
    currentTimestamp = new Instant(millis);
    if (currentTimestamp.isAfter(watermark)) {
      watermark = currentTimestamp;
    }
    ConnectRecord.Builder record =
        ConnectRecord.newBuilder().setTopic(r.topic()).setOffset(sequence++).setTimestampMillis(millis);
    if (key != null) {
      record.setKey(ByteString.copyFrom(key));
    }
    if (r.value() != null && value != null) {
      record.setValue(ByteString.copyFrom(value));
    }
    current = record.build();
    if (r.sourcePartition() != null && r.sourceOffset() != null) {
      offsets.put(offsetCodec.key(r.sourcePartition()), offsetCodec.value(r.sourceOffset()));
    }
    last = next;
    return true;
  }

  /** The source's commit time ({@code source.ts_ms}); the previous record's for a tombstone. */
  private long commitMillis(SourceRecord r) {
    if (r.value() instanceof Struct v) {
      Field source = v.schema().field("source");
      if (source != null && v.get(source) instanceof Struct s && s.get("ts_ms") instanceof Long ms) {
        return ms;
      }
      Field ts = v.schema().field("ts_ms");
      if (ts != null && v.get(ts) instanceof Long ms) {
        return ms;
      }
    }
    if (r.value() == null && current != null) {
      return current.getTimestampMillis();
    }
    return r.timestamp() != null ? r.timestamp() : System.currentTimeMillis();
  }

  @Override
  public ConnectRecord getCurrent() {
    if (current == null) {
      throw new NoSuchElementException();
    }
    return current;
  }

  @Override
  public Instant getCurrentTimestamp() {
    if (current == null) {
      throw new NoSuchElementException();
    }
    return currentTimestamp;
  }

  @Override
  public Instant getWatermark() {
    return watermark;
  }

  @Override
  public CaptureCheckpoint getCheckpointMark() {
    Pending upTo = last;
    return new CaptureCheckpoint(
        source.offsetFile(), offsets, upTo == null ? null : () -> markProcessed(upTo));
  }

  // The engine's committer is not thread-safe; finalizations may come from any thread.
  private void markProcessed(Pending upTo) {
    synchronized (commitLock) {
      if (closed) {
        return;
      }
      try {
        upTo.committer().markProcessed(upTo.event());
        upTo.committer().markBatchFinished();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  @Override
  public CaptureSource getCurrentSource() {
    return source;
  }

  @Override
  public void close() throws IOException {
    synchronized (commitLock) {
      closed = true;
    }
    try {
      if (engine != null) {
        engine.close();
      }
    } finally {
      if (executor != null) {
        executor.shutdown();
        try {
          if (!executor.awaitTermination(60, TimeUnit.SECONDS)) {
            executor.shutdownNow();
          }
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
      queue.clear();
    }
  }

  private static JsonConverter converter(boolean isKey, boolean schemas) {
    JsonConverter c = new JsonConverter();
    c.configure(Map.of("schemas.enable", Boolean.toString(schemas)), isKey);
    return c;
  }
}
