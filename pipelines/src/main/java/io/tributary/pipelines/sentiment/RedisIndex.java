package io.tributary.pipelines.sentiment;

import io.tributary.proto.sentiment.TickerWindow;
import java.util.List;
import java.util.Map;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.metrics.Metrics;
import org.apache.beam.sdk.transforms.DoFn;
import redis.clients.jedis.Jedis;

/**
 * Keeps the latest sentiment index of each ticker in Redis: hash {@code <prefix><TICKER>} with
 * fields {@code window_start}, {@code window_end} (ms), {@code pane}, {@code mentions}, {@code
 * mean}, {@code weighted}, {@code positive}, {@code neutral}, {@code negative}, and the ticker in
 * set {@code <prefix>tickers}.
 *
 * <p>Writes are compare-and-set in one Lua script: a window replaces the stored one only if it
 * ends later, or ends at the same time with a higher pane index (a late revision). Windows arrive
 * in any order and may be retried, so Redis ends with the newest index whatever the order.
 */
final class RedisIndex {
  static final String SCRIPT =
      "local end_ = tonumber(redis.call('HGET', KEYS[1], 'window_end') or '-1') "
          + "local pane = tonumber(redis.call('HGET', KEYS[1], 'pane') or '-1') "
          + "local new_end = tonumber(ARGV[2]) local new_pane = tonumber(ARGV[3]) "
          + "if new_end < end_ or (new_end == end_ and new_pane <= pane) then return 0 end "
          + "redis.call('HSET', KEYS[1], 'window_start', ARGV[1], 'window_end', ARGV[2], 'pane', ARGV[3], "
          + "'mentions', ARGV[4], 'mean', ARGV[5], 'weighted', ARGV[6], 'positive', ARGV[7], 'neutral', ARGV[8], 'negative', ARGV[9]) "
          + "redis.call('SADD', KEYS[2], ARGV[10]) "
          + "return 1";

  private RedisIndex() {}

  /** Writes each window to Redis if it is newer than the stored one. */
  static final class WriteFn extends DoFn<TickerWindow, Void> {
    private final String host;
    private final int port;
    private final String prefix;
    private final Counter written = Metrics.counter(SentimentPipeline.METRICS_NAMESPACE, "redisWritten");
    private final Counter stale = Metrics.counter(SentimentPipeline.METRICS_NAMESPACE, "redisStale");
    private transient Jedis jedis;
    private transient String sha;

    WriteFn(String host, int port, String prefix) {
      this.host = host;
      this.port = port;
      this.prefix = prefix;
    }

    @Setup
    public void setup() {
      jedis = new Jedis(host, port);
      sha = jedis.scriptLoad(SCRIPT);
    }

    @ProcessElement
    public void process(@Element TickerWindow w) {
      Object result =
          jedis.evalsha(
              sha,
              List.of(prefix + w.getTicker(), prefix + "tickers"),
              List.of(
                  Long.toString(w.getWindowStartMillis()),
                  Long.toString(w.getWindowEndMillis()),
                  Long.toString(w.getPane().getIndex()),
                  Long.toString(w.getMentions()),
                  Double.toString(w.getMeanScore()),
                  Double.toString(w.getWeightedScore()),
                  Long.toString(w.getPositive()),
                  Long.toString(w.getNeutral()),
                  Long.toString(w.getNegative()),
                  w.getTicker()));
      (Long.valueOf(1).equals(result) ? written : stale).inc();
    }

    @Teardown
    public void teardown() {
      if (jedis != null) {
        jedis.close();
      }
    }
  }

  /** The stored index of one ticker (empty if none). */
  static Map<String, String> read(Jedis jedis, String prefix, String ticker) {
    return jedis.hgetAll(prefix + ticker);
  }
}
