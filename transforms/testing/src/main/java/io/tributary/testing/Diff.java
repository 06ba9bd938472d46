package io.tributary.testing;

import java.util.ArrayList;
import java.util.List;

/** The multiset difference of an expected and an actual collection, for failure messages. */
public record Diff<T>(List<T> missing, List<T> unexpected) {
  /** Elements of {@code expected} not matched in {@code actual}, and the other way round. */
  public static <T> Diff<T> of(Iterable<T> expected, Iterable<T> actual) {
    List<T> unexpected = new ArrayList<>();
    actual.forEach(unexpected::add);
    List<T> missing = new ArrayList<>();
    for (T e : expected) {
      if (!unexpected.remove(e)) {
        missing.add(e);
      }
    }
    return new Diff<>(missing, unexpected);
  }

  public boolean isEmpty() {
    return missing.isEmpty() && unexpected.isEmpty();
  }
}
