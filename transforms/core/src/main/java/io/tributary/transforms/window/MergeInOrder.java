package io.tributary.transforms.window;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.TreeMap;
import org.apache.beam.sdk.coders.ByteArrayCoder;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.coders.CoderException;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.VarLongCoder;
import org.apache.beam.sdk.transforms.Combine.CombineFn;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.GroupByKey;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.windowing.BoundedWindow;
import org.apache.beam.sdk.transforms.windowing.DefaultTrigger;
import org.apache.beam.sdk.transforms.windowing.GlobalWindows;
import org.apache.beam.sdk.transforms.windowing.IntervalWindow;
import org.apache.beam.sdk.transforms.windowing.NonMergingWindowFn;
import org.apache.beam.sdk.transforms.windowing.TimestampCombiner;
import org.apache.beam.sdk.transforms.windowing.Window;
import org.apache.beam.sdk.transforms.windowing.WindowFn;
import org.apache.beam.sdk.transforms.windowing.WindowMappingFn;
import org.apache.beam.sdk.util.CoderUtils;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.joda.time.Duration;
import org.joda.time.Instant;

/**
 * The window step of {@link SlidingCombine} for bounded input: each key's encoded bucket
 * accumulators are grouped by <em>blocks</em> of consecutive sliding windows, and each block's
 * windows are merged and extracted in time order by one call, instead of each bucket being copied
 * into each of its {@code size / period} windows and every window merged apart.
 *
 * <p>A bucket goes to the one or two blocks whose windows contain it (a block spans {@value
 * #WINDOW_LENGTHS_PER_BLOCK} window lengths), so the copies per bucket are at most two, the blocks
 * of one key spread over workers, and a block holds a bounded number of buckets. Within a block,
 * the windows come in order, so a {@link CombineFn} that keeps state between the outputs it
 * extracts (for example a count that follows the window as it slides) finds each window next to
 * the last.
 *
 * <p>The output equals the streaming window step's for bounded input: one result per key and
 * sliding window holding data, in that {@link IntervalWindow}, stamped with its end, in an ON_TIME
 * pane (a last grouping by key puts each result into its window's pane).
 */
final class MergeInOrder<K, AccumT, OutputT>
    extends PTransform<PCollection<KV<K, byte[]>>, PCollection<KV<K, OutputT>>> {
  /** How many window lengths a block spans. */
  static final int WINDOW_LENGTHS_PER_BLOCK = 2;

  private final CombineFn<?, AccumT, OutputT> fn;
  private final Coder<AccumT> accumCoder;
  private final Coder<K> keyCoder;
  private final Coder<OutputT> outputCoder;
  private final Slide slide;

  MergeInOrder(
      CombineFn<?, AccumT, OutputT> fn,
      Coder<AccumT> accumCoder,
      Coder<K> keyCoder,
      Coder<OutputT> outputCoder,
      Duration size,
      Duration period,
      Duration bucket) {
    this.fn = fn;
    this.accumCoder = accumCoder;
    this.keyCoder = keyCoder;
    this.outputCoder = outputCoder;
    this.slide = new Slide(size.getMillis(), period.getMillis(), bucket.getMillis());
  }

  @Override
  public PCollection<KV<K, OutputT>> expand(PCollection<KV<K, byte[]>> buckets) {
    KvCoder<K, OutputT> resultCoder = KvCoder.of(keyCoder, outputCoder);
    return buckets
        .apply("ToBlocks", ParDo.of(new ToBlocksFn<K>(slide)))
        .setCoder(
            KvCoder.of(
                KvCoder.of(keyCoder, VarLongCoder.of()),
                KvCoder.of(VarLongCoder.of(), ByteArrayCoder.of())))
        .apply(
            "IntoGlobalWindow",
            Window.<KV<KV<K, Long>, KV<Long, byte[]>>>into(new GlobalWindows())
                .triggering(DefaultTrigger.of())
                .withAllowedLateness(Duration.ZERO)
                .discardingFiredPanes()
                // Each window's result is stamped with its end, after its buckets' ends.
                .withTimestampCombiner(TimestampCombiner.EARLIEST))
        .apply("GroupBlocks", GroupByKey.create())
        .apply("MergeWindows", ParDo.of(new MergeBlockFn<>(fn, accumCoder, slide)))
        .setCoder(resultCoder)
        .apply(
            "IntoSlidingWindows",
            Window.<KV<K, OutputT>>into(new WindowEndingAt(slide.size))
                .triggering(DefaultTrigger.of())
                .withAllowedLateness(Duration.ZERO)
                .discardingFiredPanes()
                .withTimestampCombiner(TimestampCombiner.END_OF_WINDOW))
        .apply("IntoPanes", GroupByKey.create())
        .apply("OnlyResult", ParDo.of(new OnlyResultFn<K, OutputT>()))
        .setCoder(resultCoder);
  }

  /** Sliding windows of {@code size} every {@code period} over buckets of {@code bucket}, in ms. */
  static final class Slide implements java.io.Serializable {
    final long size;
    final long period;
    final long bucket;
    /** Windows per block. */
    final long block;

    Slide(long size, long period, long bucket) {
      this.size = size;
      this.period = period;
      this.bucket = bucket;
      this.block = WINDOW_LENGTHS_PER_BLOCK * Math.max(1, -Math.floorDiv(-size, period));
    }

    /** The first window (start / period) that holds the bucket starting at {@code start}. */
    long firstWindow(long bucketStart) {
      return -Math.floorDiv(-(bucketStart + bucket - size), period);
    }

    /** The last window that holds the bucket starting at {@code start}. */
    long lastWindow(long bucketStart) {
      return Math.floorDiv(bucketStart, period);
    }
  }

  /** Sends each bucket to the blocks of the windows that contain it, keyed by key and block. */
  static final class ToBlocksFn<K> extends DoFn<KV<K, byte[]>, KV<KV<K, Long>, KV<Long, byte[]>>> {
    private final Slide slide;

    ToBlocksFn(Slide slide) {
      this.slide = slide;
    }

    @ProcessElement
    public void process(
        @Element KV<K, byte[]> bucket,
        BoundedWindow window,
        OutputReceiver<KV<KV<K, Long>, KV<Long, byte[]>>> out) {
      long start = ((IntervalWindow) window).start().getMillis();
      long from = Math.floorDiv(slide.firstWindow(start), slide.block);
      long to = Math.floorDiv(slide.lastWindow(start), slide.block);
      for (long block = from; block <= to; block++) {
        out.output(KV.of(KV.of(bucket.getKey(), block), KV.of(start, bucket.getValue())));
      }
    }
  }

  /**
   * Merges and extracts the windows of one key and block that hold buckets, in time order, each
   * from its buckets' accumulators: decoded for each window, as {@link
   * CombineFn#mergeAccumulators} may modify any of its inputs, or decoded once per block for a fn
   * that is {@link SlidingCombine.MergesIntoFirst} (merged into a new accumulator per window).
   */
  static final class MergeBlockFn<K, AccumT, OutputT>
      extends DoFn<KV<KV<K, Long>, Iterable<KV<Long, byte[]>>>, KV<K, OutputT>> {
    private final CombineFn<?, AccumT, OutputT> fn;
    private final Coder<AccumT> accumCoder;
    private final Slide slide;

    MergeBlockFn(CombineFn<?, AccumT, OutputT> fn, Coder<AccumT> accumCoder, Slide slide) {
      this.fn = fn;
      this.accumCoder = accumCoder;
      this.slide = slide;
    }

    @ProcessElement
    public void process(
        @Element KV<KV<K, Long>, Iterable<KV<Long, byte[]>>> block,
        OutputReceiver<KV<K, OutputT>> out) {
      NavigableMap<Long, List<byte[]>> buckets = new TreeMap<>();
      for (KV<Long, byte[]> bucket : block.getValue()) {
        buckets.computeIfAbsent(bucket.getKey(), b -> new ArrayList<>(1)).add(bucket.getValue());
      }
      if (buckets.isEmpty()) {
        return;
      }
      long blockIndex = block.getKey().getValue();
      long from = Math.max(blockIndex * slide.block, slide.firstWindow(buckets.firstKey()));
      long to = Math.min((blockIndex + 1) * slide.block - 1, slide.lastWindow(buckets.lastKey()));
      K key = block.getKey().getKey();
      boolean decodeOnce = fn instanceof SlidingCombine.MergesIntoFirst;
      Map<byte[], AccumT> decoded = new java.util.IdentityHashMap<>();
      List<AccumT> accumulators = new ArrayList<>();
      for (long w = from; w <= to; w++) {
        long start = w * slide.period;
        accumulators.clear();
        if (decodeOnce) {
          accumulators.add(fn.createAccumulator());
        }
        for (Map.Entry<Long, List<byte[]>> bucket :
            buckets.subMap(start, true, start + slide.size, false).entrySet()) {
          for (byte[] bytes : bucket.getValue()) {
            accumulators.add(decodeOnce ? decoded.computeIfAbsent(bytes, this::decode) : decode(bytes));
          }
        }
        if (accumulators.size() > (decodeOnce ? 1 : 0)) {
          OutputT result = fn.extractOutput(fn.mergeAccumulators(accumulators));
          out.outputWithTimestamp(KV.of(key, result), new Instant(start + slide.size - 1));
        }
        if (decodeOnce) {
          // Buckets before the next window's start are done with.
          buckets.headMap(start + slide.period, false).values().forEach(bs -> bs.forEach(decoded::remove));
        }
      }
    }

    private AccumT decode(byte[] bucket) {
      try {
        return CoderUtils.decodeFromByteArray(accumCoder, bucket);
      } catch (CoderException e) {
        throw new IllegalStateException(
            "SlidingCombine: cannot decode a bucket's accumulator of " + bucket.length + " bytes with " + accumCoder, e);
      }
    }
  }

  /** Takes each key's result out of its window's pane, which holds exactly one. */
  static final class OnlyResultFn<K, OutputT> extends DoFn<KV<K, Iterable<OutputT>>, KV<K, OutputT>> {
    @ProcessElement
    public void process(
        @Element KV<K, Iterable<OutputT>> results, BoundedWindow window, OutputReceiver<KV<K, OutputT>> out) {
      int count = 0;
      for (OutputT result : results.getValue()) {
        if (++count > 1) {
          throw new IllegalStateException(
              "SlidingCombine: more than one result for key " + results.getKey() + " in window " + window);
        }
        out.output(KV.of(results.getKey(), result));
      }
    }
  }

  /** Assigns an element to the window of {@code size} that ends just after its timestamp. */
  static final class WindowEndingAt extends NonMergingWindowFn<Object, IntervalWindow> {
    private final long size;

    WindowEndingAt(long size) {
      this.size = size;
    }

    @Override
    public java.util.Collection<IntervalWindow> assignWindows(AssignContext c) {
      long end = c.timestamp().getMillis() + 1;
      return List.of(new IntervalWindow(new Instant(end - size), new Instant(end)));
    }

    @Override
    public boolean isCompatible(WindowFn<?, ?> other) {
      return other instanceof WindowEndingAt o && o.size == size;
    }

    @Override
    public Coder<IntervalWindow> windowCoder() {
      return IntervalWindow.getCoder();
    }

    @Override
    public WindowMappingFn<IntervalWindow> getDefaultWindowMappingFn() {
      throw new UnsupportedOperationException("SlidingCombine's result windows are not side input windows");
    }

    @Override
    public boolean assignsToOneWindow() {
      return true;
    }

    @Override
    public boolean equals(Object other) {
      return other instanceof WindowEndingAt o && o.size == size;
    }

    @Override
    public int hashCode() {
      return Long.hashCode(size);
    }
  }
}
