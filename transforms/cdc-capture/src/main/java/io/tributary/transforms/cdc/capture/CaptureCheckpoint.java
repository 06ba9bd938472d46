package io.tributary.transforms.cdc.capture;

import java.io.Serializable;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import org.apache.beam.sdk.io.UnboundedSource;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * The source offsets of every record a {@link CaptureReader} had emitted when Beam took the
 * checkpoint. Finalizing it writes them to the offset file (so that a new pipeline resumes after
 * them) and, while the reader that took it still runs, tells its engine they are processed (the
 * PostgreSQL connector then confirms the position to its replication slot, letting the server
 * discard WAL before it). A reader created from an unfinalized checkpoint resumes from its offsets.
 */
final class CaptureCheckpoint implements UnboundedSource.CheckpointMark, Serializable {
  private static final long serialVersionUID = 1L;

  private final String offsetFile;
  private final TreeMap<String, String> offsets;
  private final transient @Nullable Runnable onFinalize;

  CaptureCheckpoint(String offsetFile, Map<String, String> offsets, @Nullable Runnable onFinalize) {
    this.offsetFile = offsetFile;
    this.offsets = new TreeMap<>(offsets);
    this.onFinalize = onFinalize;
  }

  Map<String, String> offsets() {
    return offsets;
  }

  @Override
  public void finalizeCheckpoint() {
    if (!offsets.isEmpty()) {
      CaptureOffsets.merge(Path.of(offsetFile), offsets);
    }
    if (onFinalize != null) {
      onFinalize.run();
    }
  }

  @Override
  public boolean equals(@Nullable Object o) {
    return o instanceof CaptureCheckpoint c
        && offsetFile.equals(c.offsetFile)
        && offsets.equals(c.offsets);
  }

  @Override
  public int hashCode() {
    return offsetFile.hashCode() * 31 + offsets.hashCode();
  }
}
