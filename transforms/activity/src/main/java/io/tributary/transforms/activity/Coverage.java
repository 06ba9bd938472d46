package io.tributary.transforms.activity;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.Arrays;
import org.apache.beam.sdk.coders.AtomicCoder;
import org.apache.beam.sdk.coders.VarIntCoder;
import org.apache.beam.sdk.coders.VarLongCoder;

/**
 * The exact number of distinct users of a sliding window, kept without the users' ids.
 *
 * <p>Windows and buckets are numbered by their start in buckets; a window of {@code k} buckets
 * starting at {@code w} holds buckets {@code w .. w + k - 1}. For each user and each bucket {@code
 * b} the user was active in, with {@code p} the user's previous active bucket, the user's first
 * active bucket inside window {@code w} is {@code b} exactly when {@code p < w <= b}, so
 *
 * <pre>active users of window w = #{(user, b) : b in window w, max(p, b - k) + 1 <= w}</pre>
 *
 * <p>Each bucket therefore holds, per position {@code e = max(p, b - k) + 1} (always in {@code
 * (b - k, b]}), the number of its (user, b) pairs with that position, and a window sums the counts
 * of its buckets at positions {@code <= w}: a few dozen additions per window, however many users.
 * A view that arrives between two active buckets of its user also takes the later one's count down
 * at its old position (see {@link Tally}); that correction lands in the earlier bucket, which every
 * window it changes contains.
 *
 * <p>Counts per position, as a dense array over the positions seen; mutable.
 */
final class Coverage {
  private long base;
  private long[] counts;

  Coverage() {
    this(0, new long[0]);
  }

  private Coverage(long base, long[] counts) {
    this.base = base;
    this.counts = counts;
  }

  boolean isEmpty() {
    for (long c : counts) {
      if (c != 0) {
        return false;
      }
    }
    return true;
  }

  /** Adds {@code delta} at {@code position}. */
  void add(long position, long delta) {
    if (counts.length == 0) {
      base = position;
      counts = new long[4];
    } else if (position < base) {
      int shift = Math.toIntExact(base - position);
      long[] grown = new long[Math.max(counts.length + shift, counts.length * 2)];
      System.arraycopy(counts, 0, grown, shift, counts.length);
      counts = grown;
      base = position;
    } else if (position - base >= counts.length) {
      counts = Arrays.copyOf(counts, Math.max(Math.toIntExact(position - base + 1), counts.length * 2));
    }
    counts[(int) (position - base)] += delta;
  }

  /** Adds every count of {@code other}. */
  void addAll(Coverage other) {
    for (int i = 0; i < other.counts.length; i++) {
      if (other.counts[i] != 0) {
        add(other.base + i, other.counts[i]);
      }
    }
  }

  /** The sum of the counts at positions {@code <= position}: the active users of that window. */
  long countUpTo(long position) {
    long sum = 0;
    for (int i = 0; i < counts.length && base + i <= position; i++) {
      sum += counts[i];
    }
    return sum;
  }

  Coverage copy() {
    return new Coverage(base, counts.clone());
  }

  /** The non-zero counts as (position delta, count) pairs. */
  static final class Coder extends AtomicCoder<Coverage> {
    static final Coder INSTANCE = new Coder();
    private static final long serialVersionUID = 1L;
    private static final VarIntCoder INT = VarIntCoder.of();
    private static final VarLongCoder LONG = VarLongCoder.of();

    @Override
    public void encode(Coverage value, OutputStream out) throws IOException {
      int n = 0;
      for (long c : value.counts) {
        n += c != 0 ? 1 : 0;
      }
      INT.encode(n, out);
      long previous = value.base;
      LONG.encode(value.base, out);
      for (int i = 0; i < value.counts.length; i++) {
        if (value.counts[i] != 0) {
          LONG.encode(value.base + i - previous, out);
          previous = value.base + i;
          LONG.encode(value.counts[i], out);
        }
      }
    }

    @Override
    public Coverage decode(InputStream in) throws IOException {
      int n = INT.decode(in);
      long position = LONG.decode(in);
      Coverage coverage = new Coverage();
      for (int i = 0; i < n; i++) {
        position += LONG.decode(in);
        coverage.add(position, LONG.decode(in));
      }
      return coverage;
    }

    @Override
    public void verifyDeterministic() {}
  }
}
