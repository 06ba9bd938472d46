package io.tributary.it;

import static org.junit.jupiter.api.Assertions.fail;

import io.tributary.features.FeatureStore;
import io.tributary.proto.sinks.FeatureRow;
import io.tributary.proto.values.Column;
import io.tributary.transforms.values.Values;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.params.ScanParams;
import redis.clients.jedis.resps.ScanResult;

/**
 * The online feature store in the test Redis: what {@link FeatureStore#writeOnline} must hold after
 * writing feature rows in any order and any number of times, and what it does hold.
 */
final class OnlineFeatures {
  private OnlineFeatures() {}

  /**
   * Per entity hash, per feature: the value of the row with the newest version ({@link
   * FeatureStore#newer}) holding that feature (absent when null), and that version in {@code
   * <name>:__t}.
   */
  static Map<String, Map<String, String>> expected(Iterable<FeatureRow> rows, String prefix) {
    Map<String, Map<String, String>> hashes = new TreeMap<>();
    for (FeatureRow row : rows) {
      String version = FeatureStore.version(row);
      Map<String, String> hash =
          hashes.computeIfAbsent(FeatureStore.entityKey(prefix, row.getEntityType(), row.getEntityId()), k -> new TreeMap<>());
      for (Column f : row.getFeaturesList()) {
        String versionField = f.getName() + FeatureStore.VERSION_SUFFIX;
        String stored = hash.get(versionField);
        if (stored != null && !FeatureStore.newer(version, stored)) {
          continue;
        }
        hash.put(versionField, version);
        if (Values.isNull(f.getValue())) {
          hash.remove(f.getName());
        } else {
          hash.put(f.getName(), Values.toText(f.getValue()));
        }
      }
    }
    return hashes;
  }

  /** Every hash under the prefix. */
  static Map<String, Map<String, String>> read(String prefix) {
    Map<String, Map<String, String>> hashes = new TreeMap<>();
    try (Jedis jedis = new Jedis(Services.redisHost(), Services.redisPort())) {
      ScanParams match = new ScanParams().match(prefix + "*").count(1000);
      String cursor = ScanParams.SCAN_POINTER_START;
      do {
        ScanResult<String> page = jedis.scan(cursor, match);
        for (String key : page.getResult()) {
          hashes.put(key, new TreeMap<>(jedis.hgetAll(key)));
        }
        cursor = page.getCursor();
      } while (!cursor.equals(ScanParams.SCAN_POINTER_START));
    }
    return hashes;
  }

  /**
   * Fails naming the keys missing, unexpected and different (the first 10 of each, expected vs
   * actual).
   */
  static void assertEqual(Map<String, Map<String, String>> expected, Map<String, Map<String, String>> actual, String what) {
    if (expected.isEmpty()) {
      fail(what + ": the oracle expects no hash, so the comparison would prove nothing");
    }
    Set<String> missing = new TreeSet<>(expected.keySet());
    missing.removeAll(actual.keySet());
    Set<String> unexpected = new TreeSet<>(actual.keySet());
    unexpected.removeAll(expected.keySet());
    List<String> different = new ArrayList<>();
    for (Map.Entry<String, Map<String, String>> e : expected.entrySet()) {
      Map<String, String> stored = actual.get(e.getKey());
      if (stored != null && !stored.equals(e.getValue())) {
        different.add(e.getKey() + ": expected " + e.getValue() + " but was " + stored);
      }
    }
    if (!missing.isEmpty() || !unexpected.isEmpty() || !different.isEmpty()) {
      fail(String.format(
          "%s: %d hashes expected, %d in Redis; missing %d %s; unexpected %d %s; different %d %s",
          what, expected.size(), actual.size(),
          missing.size(), missing.stream().limit(10).toList(),
          unexpected.size(), unexpected.stream().limit(10).toList(),
          different.size(), different.stream().limit(10).toList()));
    }
  }
}
