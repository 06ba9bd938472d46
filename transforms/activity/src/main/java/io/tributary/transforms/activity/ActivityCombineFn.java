package io.tributary.transforms.activity;

import com.clearspring.analytics.stream.cardinality.CardinalityMergeException;
import com.clearspring.analytics.stream.cardinality.HyperLogLogPlus;
import io.tributary.proto.activity.ActivitySnapshot;
import io.tributary.proto.activity.PageView;
import io.tributary.proto.common.RankedCount;
import io.tributary.transforms.window.SlidingCombine;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
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
 * Folds page views into page and referrer counts and the set of users, and extracts the top N of
 * each (count descending, then key ascending, so ties are ranked deterministically).
 *
 * <p>Exact: counts are kept per key and users per id; memory grows with the distinct pages,
 * referrers and users of a window. A bucket's users are gathered in a hash set, which {@link
 * #compact} turns into an immutable {@link UserIds}; merging buckets into a window then keeps
 * references to their {@code UserIds}, and their union is counted once per extracted result rather
 * than built by copying each bucket's ids into every window that contains it; a window extracted
 * right after the one before it is counted from that one's union ({@link UserIds.SlidingCount}).
 * Merging modifies only the first accumulator ({@link SlidingCombine.MergesIntoFirst}). Counting
 * users can still be turned off, or done with a fixed-size sketch.
 */
final class ActivityCombineFn
    extends CombineFn<PageView, ActivityCombineFn.Accumulator, ActivitySnapshot>
    implements SlidingCombine.MergesIntoFirst {
  /** Count descending, then key ascending. */
  static final Comparator<Map.Entry<String, Long>> RANKING =
      Comparator.<Map.Entry<String, Long>>comparingLong(Map.Entry::getValue)
          .reversed()
          .thenComparing(Map.Entry::getKey);

  private final int topN;
  private final Set<String> siteHosts;
  private final boolean countUsers;
  /** The precision of the HyperLogLog++ sketch of users, or 0 to keep their ids. */
  private final int sketchPrecision;

  ActivityCombineFn(int topN, Set<String> siteHosts, boolean countUsers, int sketchPrecision) {
    this.topN = topN;
    this.siteHosts = Set.copyOf(siteHosts);
    this.countUsers = countUsers;
    this.sketchPrecision = countUsers ? sketchPrecision : 0;
  }

  /**
   * The sparse precision of the HyperLogLog++ sketches (the value of the HyperLogLog++ paper): a
   * sketch of few users is a short sorted list of their hashes, which turns into the {@code
   * 2^precision} registers only once it would be larger than them. A bucket's partial accumulators,
   * one per bundle that read its views, hold few users each; with registers from the start each
   * would carry a sketch of about {@code 2^precision} bytes through every encoding and copy (the
   * Direct runner copies a bucket's buffered partials once per bundle).
   */
  static final int SPARSE_PRECISION = 25;

  /** Mutable aggregation state; never leaves the combine. */
  static final class Accumulator {
    final Map<String, Long> pages;
    final Map<String, Long> referrers;
    /** Users added one by one (a bucket's views), not yet in {@link #userParts}. */
    Set<String> users;
    /**
     * Immutable sets of users merged in (the buckets of a window), shared with every other
     * accumulator they were merged into; the users are the union of these and {@link #users}.
     */
    final List<UserIds> userParts;
    /** The sketch of the users when they are counted approximately (then {@code users} is empty). */
    final HyperLogLogPlus sketch;
    long views;
    long internal;

    Accumulator(int sketchPrecision) {
      this(
          new HashMap<>(),
          new HashMap<>(),
          new HashSet<>(),
          new ArrayList<>(),
          sketchPrecision > 0 ? new HyperLogLogPlus(sketchPrecision, SPARSE_PRECISION) : null,
          0,
          0);
    }

    Accumulator(
        Map<String, Long> pages,
        Map<String, Long> referrers,
        Set<String> users,
        List<UserIds> userParts,
        HyperLogLogPlus sketch,
        long views,
        long internal) {
      this.pages = pages;
      this.referrers = referrers;
      this.users = users;
      this.userParts = userParts;
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
  public Accumulator addInput(Accumulator acc, PageView view) {
    String page = Traffic.pageKey(view.getPage());
    String referrer = Traffic.referrerKey(view.getReferrer());
    acc.pages.merge(page, 1L, Long::sum);
    if (Traffic.isInternal(view.getPage(), referrer, siteHosts)) {
      acc.internal++;
    } else {
      acc.referrers.merge(referrer, 1L, Long::sum);
    }
    if (acc.sketch != null) {
      acc.sketch.offer(view.getUserId());
    } else if (countUsers) {
      acc.users.add(view.getUserId());
    }
    acc.views++;
    return acc;
  }

  /** Merges into the first accumulator; the others are left as they were. */
  @Override
  public Accumulator mergeAccumulators(Iterable<Accumulator> accumulators) {
    Iterator<Accumulator> it = accumulators.iterator();
    Accumulator merged = it.next();
    while (it.hasNext()) {
      Accumulator other = it.next();
      other.pages.forEach((k, v) -> merged.pages.merge(k, v, Long::sum));
      other.referrers.forEach((k, v) -> merged.referrers.merge(k, v, Long::sum));
      merged.users.addAll(other.users);
      merged.userParts.addAll(other.userParts);
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
    if (merged.userParts.size() > MAX_USER_PARTS) {
      // A window merged with many late panes: bound its parts whether or not the runner compacts.
      foldUsers(merged);
    }
    return merged;
  }

  @Override
  public ActivitySnapshot extractOutput(Accumulator acc) {
    return ActivitySnapshot.newBuilder()
        .addAllTopPages(top(acc.pages, topN))
        .addAllTopReferrers(top(acc.referrers, topN))
        .setActivePages(acc.pages.size())
        .setActiveUsers(
            acc.sketch != null ? acc.sketch.cardinality() : countUsers(acc))
        .setPageViews(acc.views)
        .setInternalReferrals(acc.internal)
        .build();
  }

  /**
   * The distinct users of {@code acc}. A window of several buckets and no users of its own is
   * counted by {@link UserIds.SlidingCount}, which finds the next window of a slide mostly counted
   * already ({@link io.tributary.transforms.window.SlidingCombine} extracts a key's windows in
   * order for bounded input).
   */
  private int countUsers(Accumulator acc) {
    if (!acc.users.isEmpty() || acc.userParts.size() < 2) {
      return UserIds.countUnion(acc.userParts, acc.users);
    }
    synchronized (this) {
      if (slidingCount == null) {
        slidingCount = new UserIds.SlidingCount(UserIds::fingerprint);
      }
      return slidingCount.count(acc.userParts);
    }
  }

  /** Counts consecutive windows' users; made on first use, in each deserialized copy of the fn. */
  private transient UserIds.SlidingCount slidingCount;

  /**
   * Seals the users into one immutable {@link UserIds}: those added one by one and the parts merged
   * in (a bucket's partial accumulators, one per bundle that read its views, share users), so that
   * the accumulators this one is merged into share one set of distinct ids instead of copying it.
   */
  @Override
  public Accumulator compact(Accumulator acc) {
    if (!acc.users.isEmpty() || acc.userParts.size() > 1) {
      foldUsers(acc);
    }
    return acc;
  }

  /** Replaces the users of {@code acc}, parts and added ones, by one part: their union. */
  private static void foldUsers(Accumulator acc) {
    UserIds all = UserIds.union(acc.userParts, acc.users);
    acc.userParts.clear();
    acc.userParts.add(all);
    acc.users = new HashSet<>();
  }

  /**
   * More parts than this are folded into one when merged (a window has one per bucket and late
   * pane).
   */
  static final int MAX_USER_PARTS = 64;

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
  public Coder<Accumulator> getAccumulatorCoder(CoderRegistry registry, Coder<PageView> input) {
    return AccumulatorCoder.INSTANCE;
  }

  /**
   * Encodes counts as length-prefixed lists and the users as a count of parts followed by each part
   * (a {@link UserIds}; users added one by one form one more part). A window's parts are written as
   * they are, not as their union: writing a part is a copy of its bytes, while a union would hash
   * every id each time a runner encodes a window (Flink's batch combine encodes each window's
   * partial accumulator before its shuffle), which is the cost sharing the parts avoids. Parts
   * overlap, so the encoding is larger than the union; their number is bounded by {@link
   * #MAX_USER_PARTS} plus one. Decoding copies each part's bytes.
   */
  static final class AccumulatorCoder extends AtomicCoder<Accumulator> {
    static final AccumulatorCoder INSTANCE = new AccumulatorCoder();
    private static final StringUtf8Coder STRING = StringUtf8Coder.of();
    private static final VarLongCoder LONG = VarLongCoder.of();
    private static final VarIntCoder INT = VarIntCoder.of();

    @Override
    public void encode(Accumulator acc, OutputStream out) throws IOException {
      encodeCounts(acc.pages, out);
      encodeCounts(acc.referrers, out);
      INT.encode(acc.userParts.size() + (acc.users.isEmpty() ? 0 : 1), out);
      for (UserIds part : acc.userParts) {
        part.encode(out);
      }
      if (!acc.users.isEmpty()) {
        UserIds.ofDistinct(acc.users).encode(out);
      }
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
      int parts = INT.decode(in);
      if (parts < 0 || parts > MAX_USER_PARTS + 1) {
        throw new IOException("an accumulator of " + parts + " user parts (at most " + (MAX_USER_PARTS + 1) + ")");
      }
      List<UserIds> userParts = new ArrayList<>(parts);
      for (int i = 0; i < parts; i++) {
        UserIds part = UserIds.decode(in);
        if (part.size() > 0) {
          userParts.add(part);
        }
      }
      int length = INT.decode(in);
      HyperLogLogPlus sketch = null;
      if (length > 0) {
        byte[] bytes = in.readNBytes(length);
        if (bytes.length != length) {
          throw new java.io.EOFException("a user sketch of " + length + " bytes ends after " + bytes.length);
        }
        sketch = HyperLogLogPlus.Builder.build(bytes);
      }
      return new Accumulator(
          pages, referrers, new HashSet<>(), userParts, sketch, LONG.decode(in), LONG.decode(in));
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
