package io.tributary.transforms.activity;

import io.tributary.proto.activity.ActivitySnapshot;
import io.tributary.proto.activity.PageView;
import com.clearspring.analytics.stream.cardinality.CardinalityMergeException;
import com.clearspring.analytics.stream.cardinality.HyperLogLogPlus;
import io.tributary.proto.common.RankedCount;
import io.tributary.transforms.coders.MessageCoder;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.Set;
import org.apache.beam.sdk.coders.AtomicCoder;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.coders.CoderRegistry;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.coders.VarIntCoder;
import org.apache.beam.sdk.coders.VarLongCoder;
import org.apache.beam.sdk.transforms.Combine.CombineFn;

/**
 * Folds page views into page and referrer counts and the {@link Coverage} of their users, and
 * extracts the top N of each (count descending, then key ascending, so ties are ranked
 * deterministically).
 *
 * <p>Exact: counts are kept per key; memory grows with the distinct pages and referrers of a
 * window, not with its users. The number of active users depends on the window's start, which a
 * combine does not see: the output carries the coverage, and {@link WebActivity.RankSliding} reads
 * the count for the window it fired in.
 */
final class ActivityCombineFn
    extends CombineFn<Tally, ActivityCombineFn.Accumulator, ActivityCombineFn.Result> {
  /** A window's snapshot without its active users, and the coverage that counts them. */
  record Result(ActivitySnapshot snapshot, Coverage users) {}

  /** Count descending, then key ascending. */
  static final Comparator<Map.Entry<String, Long>> RANKING =
      Comparator.<Map.Entry<String, Long>>comparingLong(Map.Entry::getValue)
          .reversed()
          .thenComparing(Map.Entry::getKey);

  private final int topN;
  private final Set<String> siteHosts;
  /** The precision of the HyperLogLog++ sketch of users, or 0 for none. */
  private final int sketchPrecision;

  ActivityCombineFn(int topN, Set<String> siteHosts, int sketchPrecision) {
    this.topN = topN;
    this.siteHosts = Set.copyOf(siteHosts);
    this.sketchPrecision = sketchPrecision;
  }

  /** Mutable aggregation state; never leaves the combine. */
  static final class Accumulator {
    final Map<String, Long> pages;
    final Map<String, Long> referrers;
    final Coverage users;
    /** The sketch of the users, when they are counted approximately; else null. */
    final HyperLogLogPlus sketch;
    long views;
    long internal;

    Accumulator(int sketchPrecision) {
      this(
          new HashMap<>(),
          new HashMap<>(),
          new Coverage(),
          sketchPrecision > 0 ? new HyperLogLogPlus(sketchPrecision) : null,
          0,
          0);
    }

    Accumulator(
        Map<String, Long> pages,
        Map<String, Long> referrers,
        Coverage users,
        HyperLogLogPlus sketch,
        long views,
        long internal) {
      this.pages = pages;
      this.referrers = referrers;
      this.users = users;
      this.sketch = sketch;
      this.views = views;
      this.internal = internal;
    }
  }

  @Override
  public Accumulator createAccumulator() {
    return new Accumulator(sketchPrecision);
  }

  @Override
  public Accumulator addInput(Accumulator acc, Tally tally) {
    PageView view = tally.view();
    String page = Traffic.pageKey(view.getPage());
    String referrer = Traffic.referrerKey(view.getReferrer());
    acc.pages.merge(page, 1L, Long::sum);
    if (Traffic.isInternal(view.getPage(), referrer, siteHosts)) {
      acc.internal++;
    } else {
      acc.referrers.merge(referrer, 1L, Long::sum);
    }
    if (tally.enter() != Tally.NONE) {
      acc.users.add(tally.enter(), 1);
    }
    if (tally.leave() != Tally.NONE) {
      acc.users.add(tally.leave(), -1);
    }
    if (acc.sketch != null) {
      acc.sketch.offer(view.getUserId());
    }
    acc.views++;
    return acc;
  }

  @Override
  public Accumulator mergeAccumulators(Iterable<Accumulator> accumulators) {
    Iterator<Accumulator> it = accumulators.iterator();
    Accumulator merged = it.next();
    while (it.hasNext()) {
      Accumulator other = it.next();
      other.pages.forEach((k, v) -> merged.pages.merge(k, v, Long::sum));
      other.referrers.forEach((k, v) -> merged.referrers.merge(k, v, Long::sum));
      merged.users.addAll(other.users);
      if (merged.sketch != null) {
        try {
          merged.sketch.addAll(other.sketch);
        } catch (CardinalityMergeException e) {
          throw new IllegalStateException("sketches of one precision do not merge", e);
        }
      }
      merged.views += other.views;
      merged.internal += other.internal;
    }
    return merged;
  }

  @Override
  public Result extractOutput(Accumulator acc) {
    ActivitySnapshot snapshot =
        ActivitySnapshot.newBuilder()
            .addAllTopPages(top(acc.pages, topN))
            .addAllTopReferrers(top(acc.referrers, topN))
            .setActivePages(acc.pages.size())
            .setActiveUsers(acc.sketch == null ? 0 : acc.sketch.cardinality())
            .setPageViews(acc.views)
            .setInternalReferrals(acc.internal)
            .build();
    // A copy: with accumulating panes the accumulator goes on changing after this output.
    return new Result(snapshot, acc.users.copy());
  }

  /** The n highest counts in {@link #RANKING} order, in O(size log n). */
  static List<RankedCount> top(Map<String, Long> counts, int n) {
    PriorityQueue<Map.Entry<String, Long>> heap = new PriorityQueue<>(n + 1, RANKING.reversed());
    for (Map.Entry<String, Long> e : counts.entrySet()) {
      if (heap.size() < n) {
        heap.add(e);
      } else if (RANKING.compare(e, heap.peek()) < 0) {
        heap.poll();
        heap.add(e);
      }
    }
    List<Map.Entry<String, Long>> sorted = new ArrayList<>(heap);
    sorted.sort(RANKING);
    List<RankedCount> out = new ArrayList<>(sorted.size());
    for (Map.Entry<String, Long> e : sorted) {
      out.add(RankedCount.newBuilder().setItem(e.getKey()).setCount(e.getValue()).build());
    }
    return out;
  }

  @Override
  public Coder<Accumulator> getAccumulatorCoder(CoderRegistry registry, Coder<Tally> input) {
    return AccumulatorCoder.INSTANCE;
  }

  @Override
  public Coder<Result> getDefaultOutputCoder(CoderRegistry registry, Coder<Tally> input) {
    return ResultCoder.INSTANCE;
  }

  /** The snapshot as its protocol buffer, then the coverage. */
  static final class ResultCoder extends AtomicCoder<Result> {
    static final ResultCoder INSTANCE = new ResultCoder();
    private static final MessageCoder<ActivitySnapshot> SNAPSHOT = MessageCoder.of(ActivitySnapshot.class);

    @Override
    public void encode(Result value, OutputStream out) throws IOException {
      SNAPSHOT.encode(value.snapshot(), out);
      Coverage.Coder.INSTANCE.encode(value.users(), out);
    }

    @Override
    public Result decode(InputStream in) throws IOException {
      return new Result(SNAPSHOT.decode(in), Coverage.Coder.INSTANCE.decode(in));
    }
  }

  /** Encodes counts and users as length-prefixed lists. */
  static final class AccumulatorCoder extends AtomicCoder<Accumulator> {
    static final AccumulatorCoder INSTANCE = new AccumulatorCoder();
    private static final StringUtf8Coder STRING = StringUtf8Coder.of();
    private static final VarLongCoder LONG = VarLongCoder.of();
    private static final VarIntCoder INT = VarIntCoder.of();

    @Override
    public void encode(Accumulator acc, OutputStream out) throws IOException {
      encodeCounts(acc.pages, out);
      encodeCounts(acc.referrers, out);
      Coverage.Coder.INSTANCE.encode(acc.users, out);
      if (acc.sketch == null) {
        INT.encode(0, out);
      } else {
        byte[] sketch = acc.sketch.getBytes();
        INT.encode(sketch.length, out);
        out.write(sketch);
      }
      LONG.encode(acc.views, out);
      LONG.encode(acc.internal, out);
    }

    @Override
    public Accumulator decode(InputStream in) throws IOException {
      Map<String, Long> pages = decodeCounts(in);
      Map<String, Long> referrers = decodeCounts(in);
      Coverage users = Coverage.Coder.INSTANCE.decode(in);
      int length = INT.decode(in);
      HyperLogLogPlus sketch = null;
      if (length > 0) {
        byte[] bytes = in.readNBytes(length);
        if (bytes.length != length) {
          throw new java.io.EOFException("a user sketch of " + length + " bytes ends after " + bytes.length);
        }
        sketch = HyperLogLogPlus.Builder.build(bytes);
      }
      return new Accumulator(pages, referrers, users, sketch, LONG.decode(in), LONG.decode(in));
    }

    private static void encodeCounts(Map<String, Long> counts, OutputStream out)
        throws IOException {
      INT.encode(counts.size(), out);
      for (Map.Entry<String, Long> e : counts.entrySet()) {
        STRING.encode(e.getKey(), out);
        LONG.encode(e.getValue(), out);
      }
    }

    private static Map<String, Long> decodeCounts(InputStream in) throws IOException {
      int size = INT.decode(in);
      Map<String, Long> counts = new HashMap<>(Math.max(16, size * 2));
      for (int i = 0; i < size; i++) {
        counts.put(STRING.decode(in), LONG.decode(in));
      }
      return counts;
    }
  }
}
