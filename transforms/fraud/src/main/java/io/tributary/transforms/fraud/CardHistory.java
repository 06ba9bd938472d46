package io.tributary.transforms.fraud;

import io.tributary.proto.fraud.Transaction;
import io.tributary.proto.fraud.WindowStats;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.apache.beam.sdk.coders.AtomicCoder;
import org.apache.beam.sdk.coders.BigEndianLongCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.coders.VarIntCoder;
import org.apache.beam.sdk.coders.VarLongCoder;

/**
 * The scored transactions of one card in one currency that later transactions may still need,
 * oldest first: just the ids, event times and amounts, so that state stays small.
 *
 * <p>Immutable: {@link #append} returns a new history.
 */
final class CardHistory {
  static final CardHistory EMPTY =
      new CardHistory(new long[0], new long[0], new String[0], new long[0]);

  private final long[] times;
  private final long[] amounts;
  private final String[] ids;
  private final long[] fingerprints;

  private CardHistory(long[] times, long[] amounts, String[] ids, long[] fingerprints) {
    this.times = times;
    this.amounts = amounts;
    this.ids = ids;
    this.fingerprints = fingerprints;
  }

  /** A 64-bit FNV-1a hash of the transaction's encoding, to tell a changed redelivery apart. */
  static long fingerprint(Transaction t) {
    long h = 0xcbf29ce484222325L;
    for (byte b : t.toByteArray()) {
      h ^= b & 0xff;
      h *= 0x100000001b3L;
    }
    return h;
  }

  int size() {
    return times.length;
  }

  boolean isEmpty() {
    return times.length == 0;
  }

  long newestTime() {
    return times[times.length - 1];
  }

  /** The index of the transaction with this id, or -1. */
  int indexOf(String id) {
    for (int i = 0; i < ids.length; i++) {
      if (ids[i].equals(id)) {
        return i;
      }
    }
    return -1;
  }

  long fingerprintAt(int index) {
    return fingerprints[index];
  }

  /**
   * The statistics of each of {@code batch} (sorted by event time, none older than this history's
   * newest) over the transactions of this history and of the batch in {@code [t - window, t)}:
   * equal event times do not see each other.
   */
  List<WindowStats> scoreAll(List<Transaction> batch, long window) {
    int n = times.length + batch.size();
    long[] t = Arrays.copyOf(times, n);
    long[] a = Arrays.copyOf(amounts, n);
    for (int j = 0; j < batch.size(); j++) {
      t[times.length + j] = batch.get(j).getEventTimeMillis();
      a[times.length + j] = batch.get(j).getAmountMinor();
    }
    // Two pointers over [lo, hi) and a deque of indices with decreasing amounts for the maximum.
    int[] deque = new int[n];
    int head = 0;
    int tail = 0;
    int lo = 0;
    int hi = 0;
    // The window's sum as a 128-bit number: carry * 2^64 + the unsigned value of sum (amounts are
    // positive), so a sum beyond the 64-bit range is seen, never wrapped.
    long sum = 0;
    long carry = 0;
    List<WindowStats> stats = new ArrayList<>(batch.size());
    for (int k = times.length; k < n; k++) {
      long end = t[k];
      long start = end - window;
      while (hi < n && t[hi] < end) {
        long r = sum + a[hi];
        if (Long.compareUnsigned(r, sum) < 0) {
          carry++;
        }
        sum = r;
        while (tail > head && a[deque[tail - 1]] <= a[hi]) {
          tail--;
        }
        deque[tail++] = hi;
        hi++;
      }
      while (lo < hi && t[lo] < start) {
        if (Long.compareUnsigned(sum, a[lo]) < 0) {
          carry--;
        }
        sum -= a[lo];
        if (deque[head] == lo) {
          head++;
        }
        lo++;
      }
      long count = hi - lo;
      if (carry != 0 || sum < 0) {
        stats.add(null);
        continue;
      }
      stats.add(
          WindowStats.newBuilder()
              .setWindowStartMillis(start)
              .setWindowEndMillis(end)
              .setCount(count)
              .setSumMinor(sum)
              .setMaxMinor(count == 0 ? 0 : a[deque[head]])
              .setMeanMinor(count == 0 ? 0 : (double) sum / count)
              .build());
    }
    return stats;
  }

  /** This history followed by {@code batch} (sorted by event time), less entries before {@code from}. */
  CardHistory append(List<Transaction> batch, long from) {
    int first = 0;
    while (first < times.length && times[first] < from) {
      first++;
    }
    int skipBatch = 0;
    while (skipBatch < batch.size() && batch.get(skipBatch).getEventTimeMillis() < from) {
      skipBatch++;
    }
    int n = times.length - first + batch.size() - skipBatch;
    long[] t = new long[n];
    long[] a = new long[n];
    String[] id = new String[n];
    long[] f = new long[n];
    int i = 0;
    for (int k = first; k < times.length; k++, i++) {
      t[i] = times[k];
      a[i] = amounts[k];
      id[i] = ids[k];
      f[i] = fingerprints[k];
    }
    for (int k = skipBatch; k < batch.size(); k++, i++) {
      Transaction x = batch.get(k);
      t[i] = x.getEventTimeMillis();
      a[i] = x.getAmountMinor();
      id[i] = x.getTransactionId();
      f[i] = fingerprint(x);
    }
    return new CardHistory(t, a, id, f);
  }

  /** The coder of histories in state. */
  static final class Coder extends AtomicCoder<CardHistory> {
    static final Coder INSTANCE = new Coder();
    private static final long serialVersionUID = 1L;

    @Override
    public void encode(CardHistory value, OutputStream out) throws IOException {
      VarIntCoder.of().encode(value.times.length, out);
      long previous = 0;
      for (int i = 0; i < value.times.length; i++) {
        // Times are sorted: deltas keep the varints short.
        VarLongCoder.of().encode(value.times[i] - previous, out);
        previous = value.times[i];
        VarLongCoder.of().encode(value.amounts[i], out);
        StringUtf8Coder.of().encode(value.ids[i], out);
        BigEndianLongCoder.of().encode(value.fingerprints[i], out);
      }
    }

    @Override
    public CardHistory decode(InputStream in) throws IOException {
      int n = VarIntCoder.of().decode(in);
      long[] t = new long[n];
      long[] a = new long[n];
      String[] id = new String[n];
      long[] f = new long[n];
      long previous = 0;
      for (int i = 0; i < n; i++) {
        t[i] = previous + VarLongCoder.of().decode(in);
        previous = t[i];
        a[i] = VarLongCoder.of().decode(in);
        id[i] = StringUtf8Coder.of().decode(in);
        f[i] = BigEndianLongCoder.of().decode(in);
      }
      return new CardHistory(t, a, id, f);
    }

    @Override
    public void verifyDeterministic() {}
  }
}
