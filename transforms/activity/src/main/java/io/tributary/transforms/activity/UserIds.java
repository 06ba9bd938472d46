package io.tributary.transforms.activity;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;
import org.apache.beam.sdk.coders.VarIntCoder;

/**
 * An immutable set of distinct user ids, held as one byte array of entries (a length, the id's
 * UTF-8 bytes) that many windows can share and that a coder copies whole.
 *
 * <p>A sliding window's users are the union of its buckets' users. Rather than copy each bucket's
 * ids into a hash set of every window that contains it (30 copies at 5 minutes every 10 s, with a
 * node allocated per id and window), a window keeps its buckets' {@code UserIds} and counts their
 * union once, when its result is extracted ({@link #countUnion}), in an open-addressing table of
 * 64-bit fingerprints of the ids' bytes. A runner that sends a bucket to each of its windows apart (Flink's
 * streaming runner does) pays one array copy per window, not one string per id.
 *
 * <p>Exact: two entries are the same user only if their fingerprints and their bytes are equal,
 * so a fingerprint collision costs a byte comparison, never a miscount.
 */
final class UserIds {
  private static final VarIntCoder INT = VarIntCoder.of();

  private final int count;
  /** {@code count} entries, each: varint length, UTF-8 bytes. */
  private final byte[] entries;

  private UserIds(int count, byte[] entries) {
    this.count = count;
    this.entries = entries;
  }

  /** The ids of {@code distinct}, which must hold no id twice (a {@code Set}, for example). */
  static UserIds ofDistinct(Collection<String> distinct) {
    Entries out = new Entries(distinct.size() * 24);
    for (String id : distinct) {
      byte[] bytes = id.getBytes(StandardCharsets.UTF_8);
      out.add(bytes, 0, bytes.length);
    }
    return new UserIds(distinct.size(), out.toByteArray());
  }

  /** The distinct ids of all {@code parts} and {@code more}, as one set. */
  static UserIds union(List<UserIds> parts, Collection<String> more) {
    if (more.isEmpty() && parts.size() == 1) {
      return parts.get(0);
    }
    if (parts.isEmpty()) {
      return ofDistinct(more);
    }
    return Union.of(parts, more, UserIds::fingerprint).toUserIds();
  }

  /** How many distinct ids {@code parts} and {@code more} hold together. */
  static int countUnion(List<UserIds> parts, Collection<String> more) {
    if (parts.isEmpty()) {
      return more.size();
    }
    if (more.isEmpty() && parts.size() == 1) {
      return parts.get(0).size();
    }
    return Union.of(parts, more, UserIds::fingerprint).size;
  }

  int size() {
    return count;
  }

  /** The ids, in no particular order. */
  List<String> ids() {
    List<String> ids = new ArrayList<>(count);
    int at = 0;
    for (int i = 0; i < count; i++) {
      int length = lengthAt(entries, at);
      int start = at + varIntSize(length);
      ids.add(new String(entries, start, length, StandardCharsets.UTF_8));
      at = start + length;
    }
    return ids;
  }

  /** Writes the count, the length of the entries and the entries. */
  void encode(OutputStream out) throws IOException {
    INT.encode(count, out);
    INT.encode(entries.length, out);
    out.write(entries);
  }

  /** Reads what {@link #encode} wrote, checking that every entry lies within the bytes read. */
  static UserIds decode(InputStream in) throws IOException {
    int count = INT.decode(in);
    int length = INT.decode(in);
    byte[] entries = in.readNBytes(length);
    if (entries.length != length) {
      throw new EOFException("user ids of " + length + " bytes end after " + entries.length);
    }
    long at = 0;
    for (int i = 0; i < count; i++) {
      int idLength;
      try {
        idLength = lengthAt(entries, (int) at);
      } catch (IndexOutOfBoundsException | IllegalStateException e) {
        throw new IOException("user id " + i + " of " + count + " has no length within the entries", e);
      }
      if (idLength < 0) {
        throw new IOException("user id " + i + " of " + count + " has a negative length");
      }
      at += varIntSize(idLength) + (long) idLength;
    }
    if (at != length) {
      throw new IOException(count + " user ids take " + at + " of their " + length + " bytes");
    }
    return new UserIds(count, entries);
  }

  /**
   * A 64-bit hash of UTF-8 bytes (FNV-1a, then MurmurHash3's finalizer so that the low bits, which
   * index the table, depend on every byte).
   */
  static long fingerprint(byte[] bytes, int from, int to) {
    long h = 0xcbf29ce484222325L;
    for (int i = from; i < to; i++) {
      h = (h ^ (bytes[i] & 0xff)) * 0x100000001b3L;
    }
    h ^= h >>> 33;
    h *= 0xff51afd7ed558ccdL;
    h ^= h >>> 33;
    h *= 0xc4ceb9fe1a85ec53L;
    return h ^ (h >>> 33);
  }

  /** How a {@link Union} fingerprints an id's bytes (tests force collisions with their own). */
  interface Fingerprint {
    long of(byte[] bytes, int from, int to);
  }

  private static int lengthAt(byte[] entries, int at) {
    int value = 0;
    for (int shift = 0; shift < 32; shift += 7) {
      byte b = entries[at++];
      value |= (b & 0x7f) << shift;
      if (b >= 0) {
        return value;
      }
    }
    throw new IllegalStateException("a user id's length is not a varint");
  }

  private static int varIntSize(int value) {
    return value < 0x80 ? 1 : value < 0x4000 ? 2 : value < 0x200000 ? 3 : value < 0x10000000 ? 4 : 5;
  }

  /** A growing byte array of entries. */
  private static final class Entries {
    private byte[] bytes;
    private int size;

    Entries(int expected) {
      bytes = new byte[Math.max(32, expected)];
    }

    private void ensure(int more) {
      if (size + more > bytes.length) {
        bytes = Arrays.copyOf(bytes, Math.max(bytes.length * 2, size + more));
      }
    }

    void add(byte[] source, int from, int length) {
      ensure(5 + length);
      int value = length;
      while ((value & ~0x7f) != 0) {
        bytes[size++] = (byte) ((value & 0x7f) | 0x80);
        value >>>= 7;
      }
      bytes[size++] = (byte) value;
      System.arraycopy(source, from, bytes, size, length);
      size += length;
    }

    /** Copies the whole entry at {@code at} of {@code source}. */
    void copy(byte[] source, int at) {
      int length = lengthAt(source, at);
      int entryLength = varIntSize(length) + length;
      ensure(entryLength);
      System.arraycopy(source, at, bytes, size, entryLength);
      size += entryLength;
    }

    byte[] toByteArray() {
      return size == bytes.length ? bytes : Arrays.copyOf(bytes, size);
    }
  }

  /**
   * An open-addressing set of entries, each kept as a reference into the byte array that holds it,
   * grown at half load, with the number of times each entry was added: removing an entry as often
   * as it was added takes it out ({@link SlidingCount} removes the parts that leave a window).
   * Removal shifts the rest of the probe chain back, so no tombstones accumulate.
   */
  static final class Union {
    private final Fingerprint fingerprint;
    private long[] fingerprints;
    private byte[][] sources;
    private int[] offsets;
    private int[] counts;
    private int mask;
    /** The number of distinct entries. */
    int size;

    Union(int expected, Fingerprint fingerprint) {
      this.fingerprint = fingerprint;
      int capacity = Integer.highestOneBit(Math.max(16, expected) * 2 - 1) << 1;
      allocate(capacity);
    }

    private void allocate(int capacity) {
      fingerprints = new long[capacity];
      sources = new byte[capacity][];
      offsets = new int[capacity];
      counts = new int[capacity];
      mask = capacity - 1;
    }

    static Union of(List<UserIds> parts, Collection<String> more, Fingerprint fingerprint) {
      int largest = more.size();
      for (UserIds part : parts) {
        largest = Math.max(largest, part.size());
      }
      // Sized for a few times the largest part: a window's buckets share most of their users.
      Union union = new Union(largest * 4, fingerprint);
      for (UserIds part : parts) {
        union.addAll(part);
      }
      if (!more.isEmpty()) {
        union.addAll(ofDistinct(more));
      }
      return union;
    }

    void addAll(UserIds part) {
      forEachEntry(part, this::add);
    }

    /** Removes each id of {@code part} once; each must have been added. */
    void removeAll(UserIds part) {
      forEachEntry(part, this::remove);
    }

    /** What is done with each entry of a part: its bytes, its offset in them, its fingerprint. */
    private interface EntryAction {
      void apply(byte[] source, int at, long fingerprint);
    }

    private void forEachEntry(UserIds part, EntryAction action) {
      byte[] entries = part.entries;
      int at = 0;
      for (int i = 0; i < part.count; i++) {
        int length = lengthAt(entries, at);
        int from = at + varIntSize(length);
        action.apply(entries, at, fingerprint.of(entries, from, from + length));
        at = from + length;
      }
    }

    /** The slot of the entry equal to the one at {@code at}, or of the empty slot it would take. */
    private int slotOf(byte[] source, int at, long fingerprint) {
      int i = (int) fingerprint & mask;
      while (sources[i] != null
          && !(fingerprints[i] == fingerprint && sameId(sources[i], offsets[i], source, at))) {
        i = (i + 1) & mask;
      }
      return i;
    }

    /** Adds the entry at {@code at}: a new one, or once more an equal one already in. */
    private void add(byte[] source, int at, long fingerprint) {
      int i = slotOf(source, at, fingerprint);
      if (sources[i] != null) {
        counts[i]++;
        return;
      }
      fingerprints[i] = fingerprint;
      sources[i] = source;
      offsets[i] = at;
      counts[i] = 1;
      if (++size * 2 > fingerprints.length) {
        grow();
      }
    }

    private void remove(byte[] source, int at, long fingerprint) {
      int i = slotOf(source, at, fingerprint);
      if (sources[i] == null) {
        throw new IllegalStateException("a user id leaving the window was never counted in it");
      }
      if (--counts[i] == 0) {
        delete(i);
      }
    }

    /** Empties slot {@code i} and moves back the entries after it that probed past it. */
    private void delete(int i) {
      size--;
      int j = i;
      while (true) {
        j = (j + 1) & mask;
        if (sources[j] == null) {
          break;
        }
        int home = (int) fingerprints[j] & mask;
        if (((j - home) & mask) >= ((j - i) & mask)) {
          move(j, i);
          i = j;
        }
      }
      sources[i] = null;
    }

    private void move(int from, int to) {
      fingerprints[to] = fingerprints[from];
      sources[to] = sources[from];
      offsets[to] = offsets[from];
      counts[to] = counts[from];
    }

    private static boolean sameId(byte[] a, int atA, byte[] b, int atB) {
      int lengthA = lengthAt(a, atA);
      int lengthB = lengthAt(b, atB);
      int fromA = atA + varIntSize(lengthA);
      int fromB = atB + varIntSize(lengthB);
      return Arrays.equals(a, fromA, fromA + lengthA, b, fromB, fromB + lengthB);
    }

    private void grow() {
      long[] oldFingerprints = fingerprints;
      byte[][] oldSources = sources;
      int[] oldOffsets = offsets;
      int[] oldCounts = counts;
      allocate(oldFingerprints.length * 2);
      for (int j = 0; j < oldSources.length; j++) {
        if (oldSources[j] != null) {
          int i = (int) oldFingerprints[j] & mask;
          while (sources[i] != null) {
            i = (i + 1) & mask;
          }
          fingerprints[i] = oldFingerprints[j];
          sources[i] = oldSources[j];
          offsets[i] = oldOffsets[j];
          counts[i] = oldCounts[j];
        }
      }
    }

    UserIds toUserIds() {
      Entries out = new Entries(size * 24);
      for (int j = 0; j < sources.length; j++) {
        if (sources[j] != null) {
          out.copy(sources[j], offsets[j]);
        }
      }
      return new UserIds(size, out.toByteArray());
    }
  }

  /**
   * Counts the union of the parts of consecutive windows by what changed: a window that shares
   * parts with the previous one (a sliding window's next position shares all but its first and
   * last buckets) removes the ids of the parts that left and adds those of the parts that entered,
   * in a table that counts how many parts hold each id. Parts are matched by their bytes, so a
   * part decoded again for each window still matches. When more changed than the window holds (the
   * windows come out of order, or jump), it counts from scratch. Exact either way; not thread-safe.
   */
  static final class SlidingCount {
    private final Fingerprint fingerprint;
    private Union union;
    /** The parts counted in {@link #union}. */
    private List<UserIds> counted = List.of();

    SlidingCount(Fingerprint fingerprint) {
      this.fingerprint = fingerprint;
      this.union = new Union(16, fingerprint);
    }

    /** How many distinct ids {@code parts} hold together. */
    int count(List<UserIds> parts) {
      java.util.Map<Part, Integer> left = new java.util.HashMap<>();
      for (UserIds part : counted) {
        left.merge(new Part(part), 1, Integer::sum);
      }
      List<UserIds> entered = new ArrayList<>();
      long total = 0;
      for (UserIds part : parts) {
        total += part.count;
        Part key = new Part(part);
        Integer n = left.get(key);
        if (n == null) {
          entered.add(part);
        } else if (n == 1) {
          left.remove(key);
        } else {
          left.put(key, n - 1);
        }
      }
      long changed = 0;
      for (UserIds part : entered) {
        changed += part.count;
      }
      for (java.util.Map.Entry<Part, Integer> e : left.entrySet()) {
        changed += (long) e.getKey().ids.count * e.getValue();
      }
      if (changed > total) {
        union = new Union((int) Math.min(total, 1 << 28), fingerprint);
        for (UserIds part : parts) {
          union.addAll(part);
        }
      } else {
        for (java.util.Map.Entry<Part, Integer> e : left.entrySet()) {
          for (int i = 0; i < e.getValue(); i++) {
            union.removeAll(e.getKey().ids);
          }
        }
        for (UserIds part : entered) {
          union.addAll(part);
        }
      }
      counted = List.copyOf(parts);
      return union.size;
    }

    /** A part compared by its bytes. */
    private static final class Part {
      final UserIds ids;
      private final int hash;

      Part(UserIds ids) {
        this.ids = ids;
        byte[] e = ids.entries;
        // The bytes are compared in full by equals; the hash samples both ends of them.
        int h = 31 * ids.count + e.length;
        for (int i = 0; i < Math.min(16, e.length); i++) {
          h = 31 * h + e[i];
          h = 31 * h + e[e.length - 1 - i];
        }
        this.hash = h;
      }

      @Override
      public boolean equals(Object other) {
        return other instanceof Part p && p.ids.count == ids.count && Arrays.equals(p.ids.entries, ids.entries);
      }

      @Override
      public int hashCode() {
        return hash;
      }
    }
  }
}
