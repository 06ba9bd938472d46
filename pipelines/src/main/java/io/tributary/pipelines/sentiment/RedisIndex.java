package io.tributary.pipelines.sentiment;

import io.tributary.io.redis.RedisSettings;
import io.tributary.io.redis.RedisSink;
import io.tributary.proto.common.Failure;
import io.tributary.proto.sentiment.TickerWindow;
import io.tributary.proto.sinks.LatestUpsert;
import io.tributary.proto.sinks.RedisMutation;
import io.tributary.transforms.coders.MessageCoder;
import io.tributary.transforms.values.Values;
import java.util.Locale;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.values.PCollection;

/**
 * Keeps the latest sentiment index of each ticker in Redis: hash {@code <prefix><TICKER>} with
 * fields {@code window_start}, {@code window_end} (ms), {@code pane}, {@code mentions}, {@code
 * mean}, {@code weighted}, {@code positive}, {@code neutral}, {@code negative} (and the version
 * {@code __v}), and the ticker in set {@code <prefix>tickers}.
 *
 * <p>Each window becomes a {@link LatestUpsert} written by the shared {@link RedisSink}: a window
 * replaces the stored one only if it ends later, or ends at the same time with a higher pane index
 * (a late revision). Windows arrive in any order and may be retried, so Redis ends with the newest
 * index whatever the order; refusals go to the returned failures.
 */
final class RedisIndex {
  private RedisIndex() {}

  /** Writes each window as the latest index of its ticker if newer than the stored one. */
  static PTransform<PCollection<TickerWindow>, PCollection<Failure>> write(RedisSettings settings, String prefix) {
    return new Write(settings, prefix);
  }

  /** The version of a window: its end, then its pane index, both zero-padded. */
  static String version(TickerWindow w) {
    return String.format(Locale.ROOT, "%020d:%010d", w.getWindowEndMillis(), w.getPane().getIndex());
  }

  /** The mutation that makes {@code w} the latest index of its ticker. */
  static RedisMutation mutation(TickerWindow w) {
    return RedisMutation.newBuilder()
        .setLatest(
            LatestUpsert.newBuilder()
                .setKey(w.getTicker())
                .setVersion(version(w))
                .setIndexKey("tickers")
                .setIndexMember(w.getTicker())
                .addFields(Values.column("window_start", Values.of(w.getWindowStartMillis())))
                .addFields(Values.column("window_end", Values.of(w.getWindowEndMillis())))
                .addFields(Values.column("pane", Values.of(w.getPane().getIndex())))
                .addFields(Values.column("mentions", Values.of(w.getMentions())))
                .addFields(Values.column("mean", Values.of(w.getMeanScore())))
                .addFields(Values.column("weighted", Values.of(w.getWeightedScore())))
                .addFields(Values.column("positive", Values.of(w.getPositive())))
                .addFields(Values.column("neutral", Values.of(w.getNeutral())))
                .addFields(Values.column("negative", Values.of(w.getNegative()))))
        .setRoute("sentiment-index")
        .build();
  }

  private static final class Write extends PTransform<PCollection<TickerWindow>, PCollection<Failure>> {
    private final RedisSettings settings;
    private final String prefix;

    Write(RedisSettings settings, String prefix) {
      this.settings = settings;
      this.prefix = prefix;
    }

    @Override
    public PCollection<Failure> expand(PCollection<TickerWindow> windows) {
      return windows
          .apply("ToLatestUpserts", ParDo.of(new ToMutationFn()))
          .setCoder(MessageCoder.of(RedisMutation.class))
          .apply("WriteRedis", RedisSink.write(settings).withKeyPrefix(prefix));
    }
  }

  static final class ToMutationFn extends DoFn<TickerWindow, RedisMutation> {
    @ProcessElement
    public void process(@Element TickerWindow w, OutputReceiver<RedisMutation> out) {
      out.output(mutation(w));
    }
  }
}
