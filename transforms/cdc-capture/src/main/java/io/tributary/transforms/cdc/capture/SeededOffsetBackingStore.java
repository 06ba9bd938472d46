package io.tributary.transforms.cdc.capture;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.connect.json.JsonConverter;
import org.apache.kafka.connect.runtime.WorkerConfig;
import org.apache.kafka.connect.storage.MemoryOffsetBackingStore;

/**
 * The offset store the embedded engine of {@link DebeziumCapture} reads its starting offsets from:
 * it starts with the entries given in the engine property {@value #SEED} (the finalized offsets,
 * or those of the checkpoint a reader resumes from) and keeps what the engine writes in memory
 * only. Offsets reach the offset file when Beam finalizes a checkpoint, never from the engine.
 */
public final class SeededOffsetBackingStore extends MemoryOffsetBackingStore {
  /** Engine property with the starting entries, a JSON object as in the offset file. */
  public static final String SEED = "tributary.capture.offsets.seed";

  private Map<String, String> seed = Map.of();

  @Override
  public void configure(WorkerConfig config) {
    super.configure(config);
    Object json = config.originals().get(SEED);
    seed = json == null ? Map.of() : CaptureOffsets.fromJson(json.toString());
  }

  @Override
  public void start() {
    super.start();
    for (Map.Entry<String, String> e : seed.entrySet()) {
      data.put(bytes(e.getKey()), bytes(e.getValue()));
    }
  }

  @Override
  public Set<Map<String, Object>> connectorPartitions(String connectorName) {
    JsonConverter converter = new JsonConverter();
    converter.configure(Map.of("schemas.enable", "false"), true);
    Set<Map<String, Object>> partitions = new HashSet<>();
    for (ByteBuffer key : data.keySet()) {
      byte[] b = new byte[key.remaining()];
      key.duplicate().get(b);
      Object parsed = converter.toConnectData("", b).value();
      if (parsed instanceof List<?> l && l.size() == 2 && connectorName.equals(l.get(0))) {
        @SuppressWarnings("unchecked")
        Map<String, Object> partition = (Map<String, Object>) l.get(1);
        partitions.add(partition);
      }
    }
    return partitions;
  }

  private static ByteBuffer bytes(String s) {
    return ByteBuffer.wrap(s.getBytes(StandardCharsets.UTF_8));
  }
}
