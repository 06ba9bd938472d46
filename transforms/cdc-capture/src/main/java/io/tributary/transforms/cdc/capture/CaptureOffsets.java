package io.tributary.transforms.cdc.capture;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.kafka.connect.json.JsonConverter;

/**
 * Debezium source offsets as Kafka Connect's offset stores hold them: entries from the JSON of
 * {@code [engineName, sourcePartition]} to the JSON of the source offset, both written by a {@link
 * JsonConverter} without schemas (what Connect's {@code OffsetStorageWriter} stores). The offset
 * file is a pretty-printed JSON object of these entries, replaced atomically on every write.
 */
final class CaptureOffsets {
  private static final ObjectMapper JSON =
      new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
  private static final TypeReference<TreeMap<String, String>> ENTRIES = new TypeReference<>() {};
  // One writer per file at a time within this JVM (finalizations may run on several threads).
  private static final Map<Path, Object> LOCKS = new ConcurrentHashMap<>();

  private final String engineName;
  private final JsonConverter converter = new JsonConverter();

  CaptureOffsets(String engineName) {
    this.engineName = engineName;
    converter.configure(Map.of("schemas.enable", "false"), true);
  }

  /** The store key of a source partition. */
  String key(Map<String, ?> partition) {
    return new String(
        converter.fromConnectData(engineName, null, List.of(engineName, partition)),
        StandardCharsets.UTF_8);
  }

  /** The store value of a source offset. */
  String value(Map<String, ?> offset) {
    return new String(converter.fromConnectData(engineName, null, offset), StandardCharsets.UTF_8);
  }

  /** The entries of an offset file; empty when it does not exist. */
  static TreeMap<String, String> read(Path file) {
    synchronized (lock(file)) {
      if (!Files.exists(file)) {
        return new TreeMap<>();
      }
      try {
        return JSON.readValue(file.toFile(), ENTRIES);
      } catch (IOException e) {
        throw new UncheckedIOException("reading the capture offsets in " + file, e);
      }
    }
  }

  /** Adds or replaces {@code entries} in an offset file. */
  static void merge(Path file, Map<String, String> entries) {
    synchronized (lock(file)) {
      TreeMap<String, String> all = read(file);
      all.putAll(entries);
      try {
        Path parent = file.toAbsolutePath().getParent();
        Files.createDirectories(parent);
        Path tmp = Files.createTempFile(parent, file.getFileName().toString(), ".tmp");
        JSON.writeValue(tmp.toFile(), all);
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
      } catch (IOException e) {
        throw new UncheckedIOException("writing the capture offsets to " + file, e);
      }
    }
  }

  static String toJson(Map<String, String> entries) {
    try {
      return JSON.writeValueAsString(entries);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static TreeMap<String, String> fromJson(String json) {
    try {
      return JSON.readValue(json, ENTRIES);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static Object lock(Path file) {
    return LOCKS.computeIfAbsent(file.toAbsolutePath().normalize(), p -> new Object());
  }
}
