package io.tributary.transforms.sentiment;

import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.Message;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import org.apache.beam.sdk.transforms.SerializableFunction;

/**
 * Checks that the last pane of each key equals the oracle's answer, and no other key is present;
 * doubles may differ by 1e-9 (sums are exact, but a mean may be divided in another order).
 */
public final class WindowsMatch<T extends Message> implements SerializableFunction<Iterable<T>, Void> {
  private final TreeMap<SentimentOracle.Key, T> expected;
  private final long seed;
  private final SerializableFunction<T, SentimentOracle.Key> key;
  private final SerializableFunction<T, Long> paneIndex;
  private final SerializableFunction<T, T> core;

  public WindowsMatch(
      Map<SentimentOracle.Key, T> expected,
      long seed,
      SerializableFunction<T, SentimentOracle.Key> key,
      SerializableFunction<T, Long> paneIndex,
      SerializableFunction<T, T> core) {
    this.expected = new TreeMap<>(expected);
    this.seed = seed;
    this.key = key;
    this.paneIndex = paneIndex;
    this.core = core;
  }

  @Override
  public Void apply(Iterable<T> actual) {
    Map<SentimentOracle.Key, T> last = new TreeMap<>();
    for (T t : actual) {
      last.merge(key.apply(t), t, (a, b) -> paneIndex.apply(a) >= paneIndex.apply(b) ? a : b);
    }
    List<String> diffs = new ArrayList<>();
    TreeSet<SentimentOracle.Key> keys = new TreeSet<>(expected.keySet());
    keys.addAll(last.keySet());
    for (SentimentOracle.Key k : keys) {
      T want = expected.get(k);
      T got = last.containsKey(k) ? core.apply(last.get(k)) : null;
      if (want == null || got == null || !close(want, got)) {
        diffs.add(k + ":\n expected " + want + "\n actual   " + got);
      }
    }
    if (!diffs.isEmpty()) {
      throw new AssertionError(
          "seed " + seed + ": " + diffs.size() + " of " + expected.size() + " windows differ; first:\n" + diffs.get(0));
    }
    return null;
  }

  /** Equal, except that doubles (at any depth) may differ by 1e-9. */
  static boolean close(Message a, Message b) {
    if (!a.getDescriptorForType().equals(b.getDescriptorForType())) {
      return false;
    }
    for (FieldDescriptor f : a.getDescriptorForType().getFields()) {
      if (f.isRepeated()) {
        if (a.getRepeatedFieldCount(f) != b.getRepeatedFieldCount(f)) {
          return false;
        }
        for (int i = 0; i < a.getRepeatedFieldCount(f); i++) {
          if (!closeValue(a.getRepeatedField(f, i), b.getRepeatedField(f, i))) {
            return false;
          }
        }
      } else if (!closeValue(a.getField(f), b.getField(f))) {
        return false;
      }
    }
    return true;
  }

  private static boolean closeValue(Object x, Object y) {
    if (x instanceof Double dx && y instanceof Double dy) {
      return Math.abs(dx - dy) <= 1e-9;
    }
    if (x instanceof Message mx && y instanceof Message my) {
      return close(mx, my);
    }
    return x.equals(y);
  }
}
