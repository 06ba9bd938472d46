package io.tributary.transforms.sentiment;

import io.tributary.proto.sentiment.ScoredMention;
import io.tributary.proto.sentiment.TickerWindow;
import io.tributary.transforms.coders.MessageCoder;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.coders.CoderRegistry;
import org.apache.beam.sdk.transforms.Combine.CombineFn;

/** The combiners behind {@link Sentiment#aggregate} and {@link Sentiment#detectShifts}. */
final class MentionCombineFns {
  private MentionCombineFns() {}

  /** Folds a ticker's mentions into the {@link TickerWindow} fields of {@link MentionStats}. */
  static final class WindowFn extends CombineFn<ScoredMention, MentionStats, TickerWindow> {
    private final int topK;

    WindowFn(int topK) {
      this.topK = topK;
    }

    @Override
    public MentionStats createAccumulator() {
      return new MentionStats(topK);
    }

    @Override
    public MentionStats addInput(MentionStats acc, ScoredMention m) {
      return acc.add(m);
    }

    @Override
    public MentionStats mergeAccumulators(Iterable<MentionStats> accs) {
      MentionStats out = new MentionStats(topK);
      accs.forEach(out::merge);
      return out;
    }

    @Override
    public TickerWindow extractOutput(MentionStats acc) {
      return acc.toWindow();
    }

    @Override
    public Coder<MentionStats> getAccumulatorCoder(CoderRegistry registry, Coder<ScoredMention> input) {
      return new MentionStats.StatsCoder();
    }

    @Override
    public Coder<TickerWindow> getDefaultOutputCoder(CoderRegistry registry, Coder<ScoredMention> input) {
      return MessageCoder.of(TickerWindow.class);
    }
  }

  /**
   * Folds a ticker's mentions into statistics per bucket of publication time, so that a window can
   * later be split into its current part and its baseline.
   */
  static final class BucketFn extends CombineFn<ScoredMention, MentionStats.Buckets, MentionStats.Buckets> {
    private final long bucketMillis;
    private final int topK;

    BucketFn(long bucketMillis, int topK) {
      this.bucketMillis = bucketMillis;
      this.topK = topK;
    }

    @Override
    public MentionStats.Buckets createAccumulator() {
      return new MentionStats.Buckets();
    }

    @Override
    public MentionStats.Buckets addInput(MentionStats.Buckets acc, ScoredMention m) {
      long start = Math.floorDiv(m.getPublishedMillis(), bucketMillis) * bucketMillis;
      acc.byStart.computeIfAbsent(start, s -> new MentionStats(topK)).add(m);
      return acc;
    }

    @Override
    public MentionStats.Buckets mergeAccumulators(Iterable<MentionStats.Buckets> accs) {
      // Always into fresh statistics: an input accumulator may be shared by other windows.
      MentionStats.Buckets out = new MentionStats.Buckets();
      for (MentionStats.Buckets acc : accs) {
        acc.byStart.forEach((start, stats) -> out.byStart.merge(start, stats.copy(), MentionStats::merge));
      }
      return out;
    }

    @Override
    public MentionStats.Buckets extractOutput(MentionStats.Buckets acc) {
      return acc;
    }

    @Override
    public Coder<MentionStats.Buckets> getAccumulatorCoder(CoderRegistry registry, Coder<ScoredMention> input) {
      return new MentionStats.BucketsCoder();
    }

    @Override
    public Coder<MentionStats.Buckets> getDefaultOutputCoder(CoderRegistry registry, Coder<ScoredMention> input) {
      return new MentionStats.BucketsCoder();
    }
  }
}
