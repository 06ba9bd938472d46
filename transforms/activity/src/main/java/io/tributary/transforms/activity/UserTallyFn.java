package io.tributary.transforms.activity;

import io.tributary.proto.activity.PageView;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.Arrays;
import org.apache.beam.sdk.coders.AtomicCoder;
import org.apache.beam.sdk.coders.VarIntCoder;
import org.apache.beam.sdk.coders.VarLongCoder;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.metrics.Metrics;
import org.apache.beam.sdk.state.StateSpec;
import org.apache.beam.sdk.state.StateSpecs;
import org.apache.beam.sdk.state.TimeDomain;
import org.apache.beam.sdk.state.Timer;
import org.apache.beam.sdk.state.TimerSpec;
import org.apache.beam.sdk.state.TimerSpecs;
import org.apache.beam.sdk.state.ValueState;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.values.KV;
import org.joda.time.Instant;

/**
 * Per user, the buckets the user was active in; turns each view of the user into a {@link Tally}
 * that says how the view changes the {@link Coverage} of its bucket.
 *
 * <p>A view in a bucket the user already has changes nothing. A view in a new bucket {@code b},
 * between the user's active buckets {@code p < b < n}, enters at {@code max(p, b - k) + 1}; if
 * {@code n} is within a window of {@code b}, the count of {@code n} at {@code max(p, n - k) + 1}
 * leaves (from {@code b}'s bucket: only windows that contain {@code b} see the change, and in each
 * of them the user now counts through {@code b}). Results do not depend on the order views arrive.
 *
 * <p>Lateness is decided here, once for the view and the users it counts: a view whose bucket
 * the watermark has passed by more than the last window that contains it plus the allowed lateness
 * is dropped and counted ({@code lateViewsDropped}), as the window step would drop it. Later steps
 * see a watermark no further than this one, so they never drop what passed here. A user's buckets
 * are kept while a view that can still pass could need them, then cleared by one event-time timer
 * per user that is moved only when it fires.
 */
final class UserTallyFn extends DoFn<KV<String, PageView>, Tally> {
  private final long bucket;
  private final long bucketsPerWindow;
  /** How long after a bucket's end a view in it may still pass: the last window, plus lateness. */
  private final long bucketLateness;
  /** How long after a bucket's end a passing view may still need it. */
  private final long retention;

  private final Counter dropped = Metrics.counter(WebActivity.METRICS_NAMESPACE, "lateViewsDropped");

  @StateId("buckets")
  private final StateSpec<ValueState<ActiveBuckets>> bucketsSpec = StateSpecs.value(ActiveBuckets.Coder.INSTANCE);

  @TimerId("expire")
  private final TimerSpec expireSpec = TimerSpecs.timer(TimeDomain.EVENT_TIME);

  UserTallyFn(long bucket, long size, long lateness) {
    this.bucket = bucket;
    this.bucketsPerWindow = size / bucket;
    this.bucketLateness = lateness + size - bucket;
    this.retention = bucketLateness + size;
  }

  @ProcessElement
  public void process(
      @Element KV<String, PageView> element,
      @Timestamp Instant timestamp,
      @AlwaysFetched @StateId("buckets") ValueState<ActiveBuckets> state,
      @TimerId("expire") Timer expire,
      OutputReceiver<Tally> out) {
    PageView view = element.getValue();
    long b = Math.floorDiv(timestamp.getMillis(), bucket);
    long end = (b + 1) * bucket;
    long watermark = expire.getCurrentRelativeTime().getMillis();
    if (end - 1 + bucketLateness < watermark) {
      dropped.inc();
      return;
    }
    ActiveBuckets active = state.read();
    if (active == null) {
      active = new ActiveBuckets(new long[0], Long.MIN_VALUE);
    }
    int insert = active.insertionPoint(b);
    if (insert < 0) {
      out.output(Tally.of(view));
      return;
    }
    out.output(active.tally(view, insert, b, bucketsPerWindow));
    ActiveBuckets updated = active.with(insert, b, Math.floorDiv(watermark - retention, bucket) - 1);
    if (updated.expireAt == Long.MIN_VALUE) {
      updated.expireAt = updated.newestEnd(bucket) + retention;
      expire.set(Instant.ofEpochMilli(updated.expireAt));
    }
    state.write(updated);
  }

  @OnTimer("expire")
  public void onExpire(
      OnTimerContext context,
      @AlwaysFetched @StateId("buckets") ValueState<ActiveBuckets> state,
      @TimerId("expire") Timer expire) {
    ActiveBuckets active = state.read();
    long now = context.fireTimestamp().getMillis();
    if (active == null || active.newestEnd(bucket) + retention <= now) {
      state.clear();
      return;
    }
    ActiveBuckets kept = active.with(-1, 0, Math.floorDiv(now - retention, bucket) - 1);
    kept.expireAt = kept.newestEnd(bucket) + retention;
    expire.set(Instant.ofEpochMilli(kept.expireAt));
    state.write(kept);
  }

  /** A user's active buckets, ascending, and when the user's timer is set. */
  static final class ActiveBuckets {
    final long[] buckets;
    long expireAt;

    ActiveBuckets(long[] buckets, long expireAt) {
      this.buckets = buckets;
      this.expireAt = expireAt;
    }

    /** Where {@code b} goes among the buckets, or -1 when it is one of them. */
    int insertionPoint(long b) {
      int at = Arrays.binarySearch(buckets, b);
      return at >= 0 ? -1 : -at - 1;
    }

    /**
     * The tally of a view in the new bucket {@code b} (at {@code insert}), with windows of {@code
     * k} buckets: it enters at {@code max(p, b - k) + 1} for the previous bucket {@code p}; the
     * next bucket {@code n}, if within a window, leaves its old position {@code max(p, n - k) + 1}.
     */
    Tally tally(PageView view, int insert, long b, long k) {
      long previous = insert > 0 ? buckets[insert - 1] : Long.MIN_VALUE;
      long enter = Math.max(previous, b - k) + 1;
      long leave = Tally.NONE;
      if (insert < buckets.length && buckets[insert] - k < b) {
        leave = Math.max(previous, buckets[insert] - k) + 1;
      }
      return new Tally(view, enter, leave);
    }

    long newestEnd(long bucket) {
      return (buckets[buckets.length - 1] + 1) * bucket;
    }

    /** These buckets with {@code b} inserted at {@code insert} (none if negative), less those before {@code from}. */
    ActiveBuckets with(int insert, long b, long from) {
      int first = 0;
      while (first < buckets.length && buckets[first] < from && first != insert) {
        first++;
      }
      int n = buckets.length - first + (insert >= 0 ? 1 : 0);
      long[] out = new long[n];
      int j = 0;
      for (int i = first; i < buckets.length; i++) {
        if (i == insert) {
          out[j++] = b;
        }
        out[j++] = buckets[i];
      }
      if (insert == buckets.length) {
        out[j] = b;
      }
      return new ActiveBuckets(out, expireAt);
    }

    /** Delta-coded buckets, then the timer's time. */
    static final class Coder extends AtomicCoder<ActiveBuckets> {
      static final Coder INSTANCE = new Coder();
      private static final long serialVersionUID = 1L;

      @Override
      public void encode(ActiveBuckets value, OutputStream out) throws IOException {
        VarIntCoder.of().encode(value.buckets.length, out);
        long previous = 0;
        for (long b : value.buckets) {
          VarLongCoder.of().encode(b - previous, out);
          previous = b;
        }
        VarLongCoder.of().encode(value.expireAt, out);
      }

      @Override
      public ActiveBuckets decode(InputStream in) throws IOException {
        int n = VarIntCoder.of().decode(in);
        long[] buckets = new long[n];
        long previous = 0;
        for (int i = 0; i < n; i++) {
          buckets[i] = previous + VarLongCoder.of().decode(in);
          previous = buckets[i];
        }
        return new ActiveBuckets(buckets, VarLongCoder.of().decode(in));
      }

      @Override
      public void verifyDeterministic() {}
    }
  }
}
