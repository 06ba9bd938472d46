package io.tributary.transforms.cdc;

import io.tributary.proto.common.Failure;
import io.tributary.transforms.errors.Failures;
import java.util.ArrayList;
import java.util.List;
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
 * Applies elements to Redis with one Lua script, in pipelined batches per bundle.
 *
 * <p>Elements are validated one by one ({@link #check}: a reason goes to the failure output with
 * the element's bytes), buffered, and sent as EVALSHA calls in one pipeline when the buffer holds
 * {@code batchSize} elements and when the bundle finishes; a script Redis does not know yet
 * (NOSCRIPT) is sent again with EVAL, which also caches it. A connection error retries the whole
 * batch with exponential backoff: the scripts are fenced, so re-applying a change is a no-op. After
 * {@code maxAttempts} the bundle fails and the runner retries it. A Redis error reply for one call
 * (e.g. a key of another type) is a failure of that element.
 *
 * <p>The connection pool belongs to the DoFn instance: opened in setup, closed in teardown.
 */
abstract class RedisBatchFn<T extends com.google.protobuf.Message> extends DoFn<T, Failure> {
  private final RedisEndpoint endpoint;
  private final String script;
  private final String sha;
  private final String step;
  private final int batchSize;
  private final int maxAttempts;
  private final long initialBackoffMillis;
  private final Counter retries;
  private final Counter failed;

  private transient JedisPool pool;
  private transient List<Pending<T>> buffer;
  private transient List<Refused<T>> refused;

  /** A buffered element with what its failure record would need. */
  private record Pending<T>(T element, RedisScripts.Call call, Instant timestamp, BoundedWindow window) {}

  /** An element Redis refused, with its failure record. */
  private record Refused<T>(Failure failure, Pending<T> pending) {}

  RedisBatchFn(
      RedisEndpoint endpoint,
      String script,
      String step,
      String metricsPrefix,
      int batchSize,
      int maxAttempts,
      long initialBackoffMillis) {
    this.endpoint = endpoint;
    this.script = script;
    this.sha = RedisScripts.sha1(script);
    this.step = step;
    this.batchSize = batchSize;
    this.maxAttempts = maxAttempts;
    this.initialBackoffMillis = initialBackoffMillis;
    this.retries = Metrics.counter(DebeziumChanges.METRICS_NAMESPACE, metricsPrefix + ".retries");
    this.failed = Metrics.counter(DebeziumChanges.METRICS_NAMESPACE, metricsPrefix + ".failed");
  }

  /** Why the element cannot be written, or null if it can. */
  abstract String check(T element);

  /** The script call that applies the element. */
  abstract RedisScripts.Call call(T element);

  /** Counts the script's reply for the element. */
  abstract void applied(T element, Object reply);

  /** Event time of the element for its failure record. */
  abstract long eventTimeMillis(T element);

  @Setup
  public void setup() {
    pool = endpoint.pool();
  }

  @StartBundle
  public void startBundle() {
    buffer = new ArrayList<>();
    refused = new ArrayList<>();
  }

  @ProcessElement
  public void process(
      @Element T element,
      @Timestamp Instant timestamp,
      BoundedWindow window,
      OutputReceiver<Failure> out) {
    String reason = check(element);
    if (reason != null) {
      failed.inc();
      out.output(Failures.of(step, reason, element.toByteArray(), eventTimeMillis(element)));
      return;
    }
    buffer.add(new Pending<>(element, call(element), timestamp, window));
    if (buffer.size() >= batchSize) {
      flush();
    }
  }

  @FinishBundle
  public void finishBundle(FinishBundleContext context) {
    flush();
    // Error replies are emitted here, in each element's own window.
    for (Refused<T> r : refused) {
      context.output(r.failure(), r.pending().timestamp(), r.pending().window());
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
    List<Pending<T>> batch = buffer;
    buffer = new ArrayList<>();
    long backoff = initialBackoffMillis;
    for (int attempt = 1; ; attempt++) {
      try (Jedis jedis = pool.getResource()) {
        Object[] replies = send(jedis, batch);
        for (int i = 0; i < batch.size(); i++) {
          Pending<T> p = batch.get(i);
          if (replies[i] instanceof JedisDataException e) {
            failed.inc();
            refused.add(
                new Refused<>(
                    Failures.of(
                        step,
                        "Redis refused the write: " + e.getMessage(),
                        p.element().toByteArray(),
                        eventTimeMillis(p.element())),
                    p));
          } else {
            applied(p.element(), replies[i]);
          }
        }
        return;
      } catch (JedisConnectionException e) {
        if (attempt >= maxAttempts) {
          throw new IllegalStateException(
              "Redis at " + endpoint + " unreachable after " + attempt + " attempts: " + e.getMessage(), e);
        }
        retries.inc();
        sleep(backoff);
        backoff = Math.min(backoff * 2, 30_000L);
      }
    }
  }

  /** Sends every call in one pipeline; each reply is the script's result or its error. */
  private Object[] send(Jedis jedis, List<Pending<T>> batch) {
    Pipeline pipeline = jedis.pipelined();
    List<Response<Object>> responses = new ArrayList<>(batch.size());
    for (Pending<T> p : batch) {
      responses.add(pipeline.evalsha(sha, p.call().keys(), p.call().args()));
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
          RedisScripts.Call call = batch.get(i).call();
          try {
            replies[i] = jedis.eval(script, call.keys(), call.args());
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
