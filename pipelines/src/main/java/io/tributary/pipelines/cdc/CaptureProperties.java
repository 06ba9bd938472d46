package io.tributary.pipelines.cdc;

import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;

/**
 * The Debezium connector properties of {@code --source=capture}, read from a Java properties file.
 * A file without {@code name} is named after itself (the engine's name keys its offsets).
 */
final class CaptureProperties {
  private CaptureProperties() {}

  /** The properties in {@code file}; throws {@link IllegalArgumentException} saying what is wrong. */
  static Map<String, String> read(Path file) {
    Properties p = new Properties();
    try (Reader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
      p.load(in);
    } catch (IOException e) {
      throw new IllegalArgumentException("cannot read " + file + ": " + e.getMessage(), e);
    }
    Map<String, String> map = new TreeMap<>();
    for (String key : p.stringPropertyNames()) {
      map.put(key, p.getProperty(key).trim());
    }
    for (String required : new String[] {"connector.class", "topic.prefix"}) {
      if (map.getOrDefault(required, "").isEmpty()) {
        throw new IllegalArgumentException("has no '" + required + "' (the connector's own properties are needed)");
      }
    }
    map.putIfAbsent("name", file.getFileName().toString().replaceAll("\\.properties$", ""));
    return map;
  }
}
