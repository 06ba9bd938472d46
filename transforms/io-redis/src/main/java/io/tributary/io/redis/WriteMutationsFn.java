package io.tributary.io.redis;

import io.tributary.proto.common.Failure;
import io.tributary.proto.sinks.RedisMutation;
import io.tributary.transforms.errors.Failures;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.metrics.Metrics;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.windowing.BoundedWindow;
import org.joda.time.Instant;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.JedisPool;
import redis.clients.jedis.Pipeline;
import redis.clients.jedis.Response;
import redis.clients.jedis.exceptions.JedisConnectionException;
import redis.clients.jedis.exceptions.JedisDataException;

/**
 * Applies {@link RedisMutation}s with their Lua scripts, in pipelined batches per bundle.
 *
 * <p>Mutations are validated one by one ({@link RedisSink#check}: a reason goes to the failure
 * output with the mutation's bytes), buffered, and sent as EVALSHA calls in one pipeline when the
 * buffer holds the batch size and when the bundle finishes; a script Redis does not know yet
 * (NOSCRIPT) is sent again with EVAL, which also caches it. A connection error retries the whole
 * batch with exponential backoff: the scripts are fenced, so re-applying a mutation is a no-op.
 * After the settings' max attempts the bundle fails and the runner retries it. A Redis error reply
 * for one call (e.g. a key of another type) is a failure of that mutation, never a retry.
 *
 * <p>The connection pool belongs to the DoFn instance: opened in setup, closed in teardown.
 */
final class WriteMutationsFn extends DoFn<RedisMutation, Failure> {
  private final RedisSettings settings;
  private final String prefix;
  private final long fenceTtlMillis;
  private final Counter retries = Metrics.counter(RedisSink.METRICS_NAMESPACE, "retries");
  private final Counter failed = Metrics.counter(RedisSink.METRICS_NAMESPACE, "failed");
  private final RedisSink.Outcomes outcomes = new RedisSink.Outcomes();

  private transient JedisPool pool;
  private transient Map<String, String> shas;
  private transient List<Pending> buffer;
  private transient List<Pending> refused;

  /** A buffered mutation with what its failure record would need. */
  private static final class Pending {
    final RedisMutation mutation;
    final RedisScripts.Call call;
    final Instant timestamp;
    final BoundedWindow window;
    Failure failure;

    Pending(RedisMutation mutation, RedisScripts.Call call, Instant timestamp, BoundedWindow window) {
      this.mutation = mutation;
      this.call = call;
      this.timestamp = timestamp;
      this.window = window;
    }
  }

  WriteMutationsFn(RedisSettings settings, String prefix, long fenceTtlMillis) {
    this.settings = settings;
    this.prefix = prefix;
    this.fenceTtlMillis = fenceTtlMillis;
  }

  @Setup
  public void setup() {
    pool = settings.pool();
    shas = new HashMap<>();
  }

  @StartBundle
  public void startBundle() {
    buffer = new ArrayList<>();
    refused = new ArrayList<>();
  }

  @ProcessElement
  public void process(
      @Element RedisMutation mutation,
      @Timestamp Instant timestamp,
      BoundedWindow window,
      OutputReceiver<Failure> out) {
    String reason = RedisSink.check(mutation);
    if (reason != null) {
      failed.inc();
      out.output(
          Failures.of(RedisSink.STEP, reason, mutation.toByteArray(), RedisSink.eventTimeMillis(mutation)));
      return;
    }
    buffer.add(new Pending(mutation, RedisSink.call(mutation, prefix, fenceTtlMillis), timestamp, window));
    if (buffer.size() >= settings.batchSize()) {
      flush();
    }
  }

  @FinishBundle
  public void finishBundle(FinishBundleContext context) {
    flush();
    // Error replies are emitted here, in each mutation's own window.
    for (Pending p : refused) {
      context.output(p.failure, p.timestamp, p.window);
    }
    refused.clear();
  }

  @Teardown
  public void teardown() {
    if (pool != null) {
      pool.close();
      pool = null;
    }
  }

  /** Applies the buffer, retrying connection errors; error replies are kept as failures. */
  private void flush() {
    if (buffer.isEmpty()) {
      return;
    }
    List<Pending> batch = buffer;
    buffer = new ArrayList<>();
    long backoff = settings.initialBackoff().getMillis();
    for (int attempt = 1; ; attempt++) {
      try (Jedis jedis = pool.getResource()) {
        Object[] replies = send(jedis, batch);
        for (int i = 0; i < batch.size(); i++) {
          Pending p = batch.get(i);
          if (replies[i] instanceof JedisDataException e) {
            failed.inc();
            p.failure =
                Failures.of(
                    RedisSink.STEP,
                    "Redis refused the write: " + e.getMessage(),
                    p.mutation.toByteArray(),
                    RedisSink.eventTimeMillis(p.mutation));
            refused.add(p);
          } else {
            outcomes.count(p.mutation, replies[i]);
          }
        }
        return;
      } catch (JedisConnectionException e) {
        if (attempt >= settings.maxAttempts()) {
          throw new IllegalStateException(
              "Redis at " + settings + " unreachable after " + attempt + " attempts: " + e.getMessage(), e);
        }
        retries.inc();
        sleep(backoff);
        backoff = Math.min(backoff * 2, 30_000L);
      }
    }
  }

  /** Sends every call in one pipeline; each reply is the script's result or its error. */
  private Object[] send(Jedis jedis, List<Pending> batch) {
    Pipeline pipeline = jedis.pipelined();
    List<Response<Object>> responses = new ArrayList<>(batch.size());
    for (Pending p : batch) {
      String sha = shas.computeIfAbsent(p.call.script(), RedisScripts::sha1);
      responses.add(pipeline.evalsha(sha, p.call.keys(), p.call.args()));
    }
    pipeline.sync();
    Object[] replies = new Object[batch.size()];
    for (int i = 0; i < replies.length; i++) {
      try {
        replies[i] = responses.get(i).get();
      } catch (JedisDataException e) {
        if (e.getMessage() != null && e.getMessage().startsWith("NOSCRIPT")) {
          // First use on this server (or after SCRIPT FLUSH / a restart): EVAL sends the body
          // and caches it, so later batches use EVALSHA again.
          RedisScripts.Call call = batch.get(i).call;
          try {
            replies[i] = jedis.eval(call.script(), call.keys(), call.args());
          } catch (JedisDataException inner) {
            replies[i] = inner;
          }
        } else {
          replies[i] = e;
        }
      }
    }
    return replies;
  }

  private static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while waiting to retry Redis", e);
    }
  }
}
