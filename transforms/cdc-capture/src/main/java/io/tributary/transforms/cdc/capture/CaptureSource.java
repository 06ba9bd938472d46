package io.tributary.transforms.cdc.capture;

import io.tributary.proto.cdc.ConnectRecord;
import io.tributary.transforms.coders.MessageCoder;
import java.util.List;
import java.util.Map;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.coders.SerializableCoder;
import org.apache.beam.sdk.io.UnboundedSource;
import org.apache.beam.sdk.options.PipelineOptions;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * One Debezium connector as an unbounded source. Debezium connectors for PostgreSQL and MySQL
 * family databases run a single task (one replication stream), so the source does not split.
 */
final class CaptureSource extends UnboundedSource<ConnectRecord, CaptureCheckpoint> {
  private static final long serialVersionUID = 1L;

  private final Map<String, String> connector;
  private final String offsetFile;
  private final boolean schemas;
  private final boolean dropSlotOnClose;

  CaptureSource(
      Map<String, String> connector, String offsetFile, boolean schemas, boolean dropSlotOnClose) {
    this.connector = connector;
    this.offsetFile = offsetFile;
    this.schemas = schemas;
    this.dropSlotOnClose = dropSlotOnClose;
  }

  Map<String, String> connector() {
    return connector;
  }

  String offsetFile() {
    return offsetFile;
  }

  boolean schemas() {
    return schemas;
  }

  boolean dropSlotOnClose() {
    return dropSlotOnClose;
  }

  @Override
  public List<CaptureSource> split(int desiredNumSplits, PipelineOptions options) {
    return List.of(this);
  }

  @Override
  public CaptureReader createReader(
      PipelineOptions options, @Nullable CaptureCheckpoint checkpointMark) {
    return new CaptureReader(this, checkpointMark);
  }

  @Override
  public Coder<CaptureCheckpoint> getCheckpointMarkCoder() {
    return SerializableCoder.of(CaptureCheckpoint.class);
  }

  @Override
  public Coder<ConnectRecord> getOutputCoder() {
    return MessageCoder.of(ConnectRecord.class);
  }
}
