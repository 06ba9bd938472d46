package io.tributary.transforms.window;

import com.google.auto.value.AutoValue;
import java.math.BigInteger;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import javax.annotation.Nullable;
import org.apache.beam.sdk.coders.ByteArrayCoder;
import org.apache.beam.sdk.coders.CannotProvideCoderException;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.coders.CoderException;
import org.apache.beam.sdk.coders.CoderRegistry;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.VoidCoder;
import org.apache.beam.sdk.transforms.Combine.CombineFn;
import org.apache.beam.sdk.transforms.Combine;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.display.DisplayData;
import org.apache.beam.sdk.transforms.windowing.AfterPane;
import org.apache.beam.sdk.transforms.windowing.AfterWatermark;
import org.apache.beam.sdk.transforms.windowing.BoundedWindow;
import org.apache.beam.sdk.transforms.windowing.FixedWindows;
import org.apache.beam.sdk.transforms.windowing.SlidingWindows;
import org.apache.beam.sdk.transforms.windowing.TimestampCombiner;
import org.apache.beam.sdk.transforms.windowing.Window;
import org.apache.beam.sdk.util.CoderUtils;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.joda.time.Duration;
import org.joda.time.Instant;

/**
 * Sliding-window aggregation that reads each element once.
 *
 * <p>{@code SlidingCombine.perKey(fn).withSize(size).withPeriod(period)} yields exactly what {@code
 * Window.into(SlidingWindows.of(size).every(period))} followed by {@code Combine.perKey(fn)} yields
 * for on-time data: one output per key and sliding window, in that same {@link
 * org.apache.beam.sdk.transforms.windowing.IntervalWindow}. It does not copy each element into the
 * {@code size / period} windows that contain it (30 copies at 5 min every 10 s). Instead:
 *
 * <ol>
 *   <li>each element is added once to the accumulator of its <em>bucket</em>, a fixed window of
 *       {@code gcd(size, period)}, per key: first within the bundle that reads it (one partial
 *       accumulator per key, bucket and bundle), then the partials are merged per key and bucket,
 *       and the bucket's accumulator is {@linkplain CombineFn#compact compacted} and encoded
 *       once (runners copy it between steps and into each of its windows: bytes copy cheaply);
 *   <li>only the bucket accumulators are assigned to the sliding windows that contain them, merged
 *       with {@link CombineFn#mergeAccumulators} and extracted.
 * </ol>
 *
 * <p>The cost of the second step grows with the number of distinct keys per bucket, not with the
 * number of elements. With {@link #globally} there is one key, so a window costs {@code size /
 * bucket} merges of one accumulator each.
 *
 * <p><b>Bounded input.</b> For a bounded collection the second step does not assign buckets to
 * sliding windows: each key's buckets are grouped by blocks of consecutive windows (a bucket goes to
 * at most two blocks), and each block's windows are merged and extracted in time order (see {@code
 * MergeInOrder}). The output is the same: one ON_TIME pane per key and window holding data, in that
 * window, stamped with its end. A fn that is {@link MergesIntoFirst} has each bucket decoded once
 * per block rather than once per window, and a fn that keeps state between extractions finds each
 * window right after the one before it.
 *
 * <p><b>Triggering and lateness.</b> Each window fires when the watermark passes its end; late data
 * within the allowed lateness fires an updated pane that accumulates everything seen so far for
 * the window (each pane is complete, never a delta). An element is counted in <em>all</em> windows
 * that contain it, or, when the watermark has passed the end of the last of them plus the allowed
 * lateness, in none: it is then dropped by the runner and counted in its {@code
 * droppedDueToLateness} counter, which counts the partial accumulators it drops (each the elements
 * of one key and bucket within a bundle, all equally late). (Plain {@code SlidingWindows} may count
 * such an element in some of its windows and not others.)
 *
 * <p><b>Hot keys.</b> The bucket step combines within each bundle before any grouping, and both
 * steps use combiner lifting where the runner has it, so a key with most of the traffic is
 * pre-aggregated where it is read; {@link PerKey#withHotKeyFanout} adds an intermediate level for a
 * key too hot even for that.
 *
 * <pre>{@code
 * PCollection<KV<String, Long>> perPage =
 *     views.apply(SlidingCombine.perKey(Count.<String>combineFn())
 *         .withSize(Duration.standardMinutes(5)).withPeriod(Duration.standardSeconds(10)));
 * }</pre>
 */
public final class SlidingCombine {
  private SlidingCombine() {}

  /** Combines the values of each key in every sliding window with {@code fn}. */
  public static <K, InputT, AccumT, OutputT> PerKey<K, InputT, AccumT, OutputT> perKey(
      CombineFn<InputT, AccumT, OutputT> fn) {
    return new AutoValue_SlidingCombine_PerKey.Builder<K, InputT, AccumT, OutputT>()
        .setFn(fn)
        .setSize(Duration.standardMinutes(5))
        .setPeriod(Duration.standardSeconds(10))
        .setAllowedLateness(Duration.ZERO)
        .setHotKeyFanout(0)
        .build();
  }

  /**
   * Combines all elements of every sliding window with {@code fn}: one output per window that holds
   * data (no default value for empty windows).
   */
  public static <InputT, AccumT, OutputT> Globally<InputT, AccumT, OutputT> globally(
      CombineFn<InputT, AccumT, OutputT> fn) {
    return new Globally<>(SlidingCombine.<Void, InputT, AccumT, OutputT>perKey(fn));
  }

  private static void checkArgument(boolean ok, String format, Object... args) {
    if (!ok) {
      throw new IllegalArgumentException(String.format(format, args));
    }
  }

  /**
   * The bucket length of windows of {@code size} every {@code period}: the largest duration that
   * divides both. Throws {@link IllegalArgumentException} when the period is not positive or longer
   * than the size.
   */
  public static Duration bucketOf(Duration size, Duration period) {
    checkArgument(
        period.getMillis() > 0, "SlidingCombine: period must be positive, got %s", period);
    checkArgument(
        size.isLongerThan(period) || size.equals(period),
        "SlidingCombine: size %s must be at least the period %s",
        size,
        period);
    return Duration.millis(
        BigInteger.valueOf(size.getMillis())
            .gcd(BigInteger.valueOf(period.getMillis()))
            .longValueExact());
  }

  /** See {@link SlidingCombine#perKey}. */
  @AutoValue
  public abstract static class PerKey<K, InputT, AccumT, OutputT>
      extends PTransform<PCollection<KV<K, InputT>>, PCollection<KV<K, OutputT>>> {
    abstract CombineFn<InputT, AccumT, OutputT> getFn();

    abstract Duration getSize();

    abstract Duration getPeriod();

    abstract Duration getAllowedLateness();

    abstract int getHotKeyFanout();

    abstract Builder<K, InputT, AccumT, OutputT> toBuilder();

    @AutoValue.Builder
    abstract static class Builder<K, InputT, AccumT, OutputT> {
      abstract Builder<K, InputT, AccumT, OutputT> setFn(CombineFn<InputT, AccumT, OutputT> fn);

      abstract Builder<K, InputT, AccumT, OutputT> setSize(Duration size);

      abstract Builder<K, InputT, AccumT, OutputT> setPeriod(Duration period);

      abstract Builder<K, InputT, AccumT, OutputT> setAllowedLateness(Duration lateness);

      abstract Builder<K, InputT, AccumT, OutputT> setHotKeyFanout(int fanout);

      abstract PerKey<K, InputT, AccumT, OutputT> build();
    }

    /** The window length (default 5 minutes). */
    public PerKey<K, InputT, AccumT, OutputT> withSize(Duration size) {
      return toBuilder().setSize(size).build();
    }

    /** How often a window starts, and so how often results are refreshed (default 10 seconds). */
    public PerKey<K, InputT, AccumT, OutputT> withPeriod(Duration period) {
      return toBuilder().setPeriod(period).build();
    }

    /** How far behind the watermark data may arrive and still update its windows (default 0). */
    public PerKey<K, InputT, AccumT, OutputT> withAllowedLateness(Duration lateness) {
      return toBuilder().setAllowedLateness(lateness).build();
    }

    /**
     * Spreads each key over {@code fanout} intermediate keys in the bucket step (see {@link
     * Combine.PerKey#withHotKeyFanout(int)}); 0 (the default) disables it.
     */
    public PerKey<K, InputT, AccumT, OutputT> withHotKeyFanout(int fanout) {
      return toBuilder().setHotKeyFanout(fanout).build();
    }

    @Override
    public PCollection<KV<K, OutputT>> expand(PCollection<KV<K, InputT>> input) {
      KvCoder<K, InputT> inputCoder = (KvCoder<K, InputT>) input.getCoder();
      return expandFrom(input, new ByKv<K, InputT>(), inputCoder.getKeyCoder(), inputCoder.getValueCoder());
    }

    /**
     * The expansion for elements of any type that {@code keying} reads a key and a value from:
     * {@link Globally} keys all elements by {@code null} in the bucket step itself, without a step
     * (and, on Flink, a copy of each element) before it.
     */
    <T> PCollection<KV<K, OutputT>> expandFrom(
        PCollection<T> input, Keying<T, K, InputT> keying, Coder<K> keyCoder, Coder<InputT> valueCoder) {
      Duration size = getSize();
      Duration period = getPeriod();
      Duration bucket = bucketOf(size, period);
      checkArgument(
          !getAllowedLateness().isShorterThan(Duration.ZERO),
          "SlidingCombine: allowed lateness must not be negative, got %s",
          getAllowedLateness());
      checkArgument(getHotKeyFanout() >= 0, "SlidingCombine: hot key fanout must be >= 0, got %s", getHotKeyFanout());
      CoderRegistry registry = input.getPipeline().getCoderRegistry();
      Coder<AccumT> accumCoder = accumulatorCoder(registry, valueCoder);
      // A bucket stays open as long as the last sliding window that contains it may still change,
      // so that a late element reaches all of its windows or none.
      Duration bucketLateness = getAllowedLateness().plus(size).minus(bucket);

      Combine.PerKey<K, AccumT, byte[]> partial = Combine.perKey(new MergePartialsFn<>(getFn(), accumCoder));
      PCollection<KV<K, byte[]>> buckets =
          input
              // Each element's bucket follows from its timestamp; the partials, not the elements,
              // are then put into their buckets.
              .apply("CombineInBundle", ParDo.of(new CombineInBundleFn<>(getFn(), keying, keyCoder, bucket)))
              .setCoder(KvCoder.of(keyCoder, accumCoder))
              .apply(
                  "AssignBuckets",
                  Window.<KV<K, AccumT>>into(FixedWindows.of(bucket))
                      .triggering(
                          AfterWatermark.pastEndOfWindow()
                              .withLateFirings(AfterPane.elementCountAtLeast(1)))
                      .withAllowedLateness(bucketLateness)
                      // An empty pane adds nothing downstream; Flink's streaming runner may fire
                      // the on-time pane of an already-fired bucket again, empty.
                      .withOnTimeBehavior(Window.OnTimeBehavior.FIRE_IF_NON_EMPTY)
                      .withTimestampCombiner(TimestampCombiner.END_OF_WINDOW)
                      .discardingFiredPanes())
              .apply(
                  "CombineBuckets",
                  getHotKeyFanout() > 0 ? partial.withHotKeyFanout(getHotKeyFanout()) : partial)
              .setCoder(KvCoder.of(keyCoder, ByteArrayCoder.of()));

      Coder<OutputT> outputCoder = outputCoder(registry, valueCoder);
      if (input.isBounded() == PCollection.IsBounded.BOUNDED) {
        return buckets.apply(
            "MergeInOrder", new MergeInOrder<>(getFn(), accumCoder, keyCoder, outputCoder, size, period, bucket));
      }
      // A bucket's result is stamped with the end of its bucket, which lies in exactly the
      // sliding windows that contain the whole bucket (the bucket divides size and period).
      return buckets
          .apply(
              "AssignSlidingWindows",
              Window.<KV<K, byte[]>>into(SlidingWindows.of(size).every(period))
                  .triggering(
                      AfterWatermark.pastEndOfWindow()
                          .withLateFirings(AfterPane.elementCountAtLeast(1)))
                  .withAllowedLateness(bucketLateness)
                  .withOnTimeBehavior(Window.OnTimeBehavior.FIRE_IF_NON_EMPTY)
                  .withTimestampCombiner(TimestampCombiner.END_OF_WINDOW)
                  .accumulatingFiredPanes())
          .apply("MergeBuckets", Combine.perKey(new MergeFn<>(getFn(), accumCoder)))
          .setCoder(KvCoder.of(keyCoder, outputCoder));
    }

    private Coder<OutputT> outputCoder(CoderRegistry registry, Coder<InputT> valueCoder) {
      try {
        return getFn().getDefaultOutputCoder(registry, valueCoder);
      } catch (CannotProvideCoderException e) {
        throw new IllegalArgumentException(
            "SlidingCombine: no coder for the output of " + getFn().getClass().getName(), e);
      }
    }

    private Coder<AccumT> accumulatorCoder(CoderRegistry registry, Coder<InputT> valueCoder) {
      try {
        return getFn().getAccumulatorCoder(registry, valueCoder);
      } catch (CannotProvideCoderException e) {
        throw new IllegalArgumentException(
            "SlidingCombine: no coder for the accumulator of " + getFn().getClass().getName(), e);
      }
    }

    @Override
    public void populateDisplayData(DisplayData.Builder builder) {
      super.populateDisplayData(builder);
      builder
          .add(DisplayData.item("combineFn", getFn().getClass()))
          .add(DisplayData.item("size", getSize()))
          .add(DisplayData.item("period", getPeriod()))
          .add(DisplayData.item("allowedLateness", getAllowedLateness()))
          .add(DisplayData.item("bucket", bucketOf(getSize(), getPeriod())));
    }
  }

  /** See {@link SlidingCombine#globally}. */
  public static final class Globally<InputT, AccumT, OutputT>
      extends PTransform<PCollection<InputT>, PCollection<OutputT>> {
    private final PerKey<Void, InputT, AccumT, OutputT> perKey;

    private Globally(PerKey<Void, InputT, AccumT, OutputT> perKey) {
      this.perKey = perKey;
    }

    /** See {@link PerKey#withSize}. */
    public Globally<InputT, AccumT, OutputT> withSize(Duration size) {
      return new Globally<>(perKey.withSize(size));
    }

    /** See {@link PerKey#withPeriod}. */
    public Globally<InputT, AccumT, OutputT> withPeriod(Duration period) {
      return new Globally<>(perKey.withPeriod(period));
    }

    /** See {@link PerKey#withAllowedLateness}. */
    public Globally<InputT, AccumT, OutputT> withAllowedLateness(Duration lateness) {
      return new Globally<>(perKey.withAllowedLateness(lateness));
    }

    /** Pre-aggregates the single key over {@code fanout} intermediate keys; 0 disables it. */
    public Globally<InputT, AccumT, OutputT> withFanout(int fanout) {
      return new Globally<>(perKey.withHotKeyFanout(fanout));
    }

    @Override
    public PCollection<OutputT> expand(PCollection<InputT> input) {
      PCollection<KV<Void, OutputT>> keyed =
          perKey.expandFrom(input, new AllToNull<InputT>(), VoidCoder.of(), input.getCoder());
      return keyed.apply("DropKey", ParDo.of(new DropKeyFn<OutputT>()));
    }

    @Override
    public void populateDisplayData(DisplayData.Builder builder) {
      super.populateDisplayData(builder);
      perKey.populateDisplayData(builder);
    }
  }

  /**
   * A promise by a {@link CombineFn}: its {@code mergeAccumulators} modifies only the first
   * accumulator it is given (and returns it), leaving the others as they were. For bounded input
   * SlidingCombine then decodes each bucket's accumulator once for all the windows that contain it,
   * and merges them into a new accumulator per window, instead of decoding each bucket again for
   * each window.
   */
  public interface MergesIntoFirst {}

  /** Keeps the value, the window and the pane of a keyed result. */
  static final class DropKeyFn<V> extends DoFn<KV<Void, V>, V> {
    @ProcessElement
    public void process(@Element KV<Void, V> element, OutputReceiver<V> out) {
      out.output(element.getValue());
    }
  }

  /** How the bucket step reads the key and the value of an input element. */
  interface Keying<T, K, InputT> extends java.io.Serializable {
    K key(T element);

    InputT value(T element);
  }

  /** The key and value of a {@code KV}. */
  static final class ByKv<K, InputT> implements Keying<KV<K, InputT>, K, InputT> {
    @Override
    public K key(KV<K, InputT> element) {
      return element.getKey();
    }

    @Override
    public InputT value(KV<K, InputT> element) {
      return element.getValue();
    }
  }

  /** One key, {@code null}, for every element, which is the value. */
  static final class AllToNull<InputT> implements Keying<InputT, Void, InputT> {
    @Override
    public @Nullable Void key(InputT element) {
      return null;
    }

    @Override
    public InputT value(InputT element) {
      return element;
    }
  }

  /**
   * First part of the bucket step: folds the elements of each key and bucket (the fixed window of
   * the bucket's length that holds the element's timestamp) that arrive in one bundle into one
   * accumulator, emitted (compacted) when the bundle finishes, in the element's window and stamped
   * with the bucket's end; the next step puts it into its bucket. This is combiner lifting done
   * where the elements are read, on every runner (Flink's streaming runner lifts no combiner
   * itself), so the keyed grouping after it handles one partial accumulator per key, bucket and
   * bundle instead of one element each, and no step before it touches each element. Memory: one
   * accumulator per key and bucket seen in the bundle.
   */
  static final class CombineInBundleFn<T, K, InputT, AccumT> extends DoFn<T, KV<K, AccumT>> {
    private final CombineFn<InputT, AccumT, ?> fn;
    private final Keying<T, K, InputT> keying;
    private final Coder<K> keyCoder;
    private final long bucketMillis;
    private transient Map<KeyInBucket, Partial<K, AccumT>> partials;
    /** The partial of the previous element, or null at the start of a bundle. */
    private transient @Nullable Partial<K, AccumT> last;

    CombineInBundleFn(CombineFn<InputT, AccumT, ?> fn, Keying<T, K, InputT> keying, Coder<K> keyCoder, Duration bucket) {
      this.fn = fn;
      this.keying = keying;
      this.keyCoder = keyCoder;
      this.bucketMillis = bucket.getMillis();
    }

    @StartBundle
    public void startBundle() {
      partials = new HashMap<>();
      last = null;
    }

    @ProcessElement
    public void process(@Element T element, @Timestamp Instant timestamp, BoundedWindow window) {
      K key = keying.key(element);
      Object structural = keyCoder.structuralValue(key);
      long ts = timestamp.getMillis();
      long bucketStart = ts - Math.floorMod(ts, bucketMillis);
      Partial<K, AccumT> partial = last;
      // Consecutive elements mostly share key and bucket (one key, in globally()): skip the lookup.
      if (partial == null
          || partial.bucketStart != bucketStart
          || !Objects.equals(partial.structuralKey, structural)
          || !partial.window.equals(window)) {
        KeyInBucket slot = new KeyInBucket(structural, bucketStart, window);
        partial = partials.get(slot);
        if (partial == null) {
          partial = new Partial<>(key, structural, bucketStart, window, fn.createAccumulator());
          partials.put(slot, partial);
        }
        last = partial;
      }
      partial.accumulator = fn.addInput(partial.accumulator, keying.value(element));
    }

    @FinishBundle
    public void finishBundle(FinishBundleContext context) {
      for (Partial<K, AccumT> partial : partials.values()) {
        context.output(
            KV.of(partial.key, fn.compact(partial.accumulator)),
            new Instant(partial.bucketStart + bucketMillis - 1),
            partial.window);
      }
      partials = null;
      last = null;
    }

    /** A key (by its structural value) in one bucket of one input window. */
    private record KeyInBucket(@Nullable Object key, long bucketStart, BoundedWindow window) {}

    /** The accumulator of one key in one bucket, within a bundle. */
    private static final class Partial<K, AccumT> {
      final K key;
      final @Nullable Object structuralKey;
      final long bucketStart;
      final BoundedWindow window;
      AccumT accumulator;

      Partial(K key, @Nullable Object structuralKey, long bucketStart, BoundedWindow window, AccumT accumulator) {
        this.key = key;
        this.structuralKey = structuralKey;
        this.bucketStart = bucketStart;
        this.window = window;
        this.accumulator = accumulator;
      }
    }
  }

  /**
   * Merges accumulators of {@code fn}, each input first turned into one ({@link #accumulatorOf}):
   * the base of the two grouping steps.
   */
  abstract static class MergingFn<InputT, AccumT, OutputT> extends CombineFn<InputT, AccumT, OutputT> {
    final Coder<AccumT> accumCoder;

    MergingFn(Coder<AccumT> accumCoder) {
      this.accumCoder = accumCoder;
    }

    /** The {@code CombineFn} whose accumulators are merged. */
    abstract CombineFn<?, AccumT, ?> fn();

    abstract AccumT accumulatorOf(InputT input);

    @Override
    public AccumT createAccumulator() {
      return fn().createAccumulator();
    }

    @Override
    public AccumT addInput(AccumT accumulator, InputT input) {
      return fn().mergeAccumulators(List.of(accumulator, accumulatorOf(input)));
    }

    @Override
    public AccumT mergeAccumulators(Iterable<AccumT> accumulators) {
      return fn().mergeAccumulators(accumulators);
    }

    @Override
    public AccumT compact(AccumT accumulator) {
      return fn().compact(accumulator);
    }

    @Override
    public Coder<AccumT> getAccumulatorCoder(CoderRegistry registry, @Nullable Coder<InputT> inputCoder) {
      return accumCoder;
    }
  }

  /**
   * Second part of the bucket step: merges a bucket's partial accumulators and emits the merged
   * accumulator {@linkplain CombineFn#compact compacted} and encoded, once here rather than in each
   * of the windows it is merged into. Runners copy the bucket between steps and into each of its
   * windows (Flink's streaming runner sends it once per window; the Direct runner copies a window's
   * buffered buckets through their coder each time another one arrives), and a copy of bytes costs
   * far less than encoding and decoding the accumulator.
   */
  static final class MergePartialsFn<AccumT> extends MergingFn<AccumT, AccumT, byte[]> {
    private final CombineFn<?, AccumT, ?> fn;

    MergePartialsFn(CombineFn<?, AccumT, ?> fn, Coder<AccumT> accumCoder) {
      super(accumCoder);
      this.fn = fn;
    }

    @Override
    CombineFn<?, AccumT, ?> fn() {
      return fn;
    }

    @Override
    AccumT accumulatorOf(AccumT partial) {
      return partial;
    }

    @Override
    public byte[] extractOutput(AccumT accumulator) {
      try {
        return CoderUtils.encodeToByteArray(accumCoder, fn.compact(accumulator));
      } catch (CoderException e) {
        throw new IllegalStateException("SlidingCombine: cannot encode a bucket's accumulator with " + accumCoder, e);
      }
    }

    @Override
    public Coder<byte[]> getDefaultOutputCoder(CoderRegistry registry, @Nullable Coder<AccumT> inputCoder) {
      return ByteArrayCoder.of();
    }
  }

  /** Window step: decodes and merges bucket accumulators and extracts the output of the window. */
  static final class MergeFn<AccumT, OutputT> extends MergingFn<byte[], AccumT, OutputT> {
    private final CombineFn<?, AccumT, OutputT> fn;

    MergeFn(CombineFn<?, AccumT, OutputT> fn, Coder<AccumT> accumCoder) {
      super(accumCoder);
      this.fn = fn;
    }

    @Override
    CombineFn<?, AccumT, OutputT> fn() {
      return fn;
    }

    @Override
    AccumT accumulatorOf(byte[] bucket) {
      try {
        return CoderUtils.decodeFromByteArray(accumCoder, bucket);
      } catch (CoderException e) {
        throw new IllegalStateException(
            "SlidingCombine: cannot decode a bucket's accumulator of " + bucket.length + " bytes with " + accumCoder, e);
      }
    }

    @Override
    public OutputT extractOutput(AccumT accumulator) {
      return fn.extractOutput(accumulator);
    }
  }
}
