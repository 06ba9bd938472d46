package io.tributary.transforms.cdc;

import com.google.auto.value.AutoValue;
import io.tributary.proto.cdc.CacheDelete;
import io.tributary.proto.cdc.CacheLayout;
import io.tributary.proto.cdc.CacheMutation;
import io.tributary.proto.cdc.CacheUpsert;
import io.tributary.proto.cdc.Column;
import io.tributary.proto.common.Failure;
import io.tributary.transforms.errors.Failures;
import java.util.ArrayList;
import java.util.List;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.metrics.Metrics;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.display.DisplayData;
import org.apache.beam.sdk.values.PCollection;
import org.joda.time.Duration;

/**
 * The Redis cache sink: applies {@link CacheMutation}s (upserts and deletes, string-JSON or hash
 * layout, per-mutation TTL) so that Redis holds the newest state of every row, whatever order and
 * however often the changes arrive.
 *
 * <pre>{@code
 * routed.cache().apply("Cache",
 *     RedisSink.write(RedisEndpoint.of("localhost", 6379)).withFenceTtl(Duration.standardDays(7)));
 * }</pre>
 *
 * <p><b>Layout.</b> {@code STRING_JSON}: key {@code <prefix><key>} holds one JSON object of the
 * fields ({@link Values#toJson}). {@code HASH}: a hash with one field per column, values in their
 * text form ({@link Values#toText}); SQL NULL columns are left out (an absent field is null). An
 * upsert replaces the whole entry, so columns dropped from a row do not linger.
 *
 * <p><b>Version fencing.</b> Beside every key, {@code <prefix><key>:__v} holds the source position
 * order key ({@link SourcePositions}) of the last change applied to it. One Lua script per mutation
 * (EVALSHA, EVAL when the server does not know it yet) compares and writes atomically: a mutation
 * whose position is not byte-wise greater than the fence is dropped (counted {@code
 * cache.fenced}), so older and replayed (equal) changes never overwrite newer ones. A delete
 * removes the data and leaves the fence, so a late older upsert cannot bring the row back. The
 * fence of a delete expires after {@link #withFenceTtl} (default 7 days; zero keeps it forever),
 * or the mutation's own TTL if longer; the fence of an upsert lives as long as its data (no expiry
 * when the data has none, else the longer of the data TTL and the fence TTL). In a Redis Cluster,
 * give key templates a hash tag ({@code order:{{id}}}) so a key and its fence share a slot.
 *
 * <p><b>Delivery.</b> Mutations are sent in pipelined batches of {@link #withBatchSize} per bundle.
 * Connection errors retry the batch with exponential backoff (from {@link #withInitialBackoff},
 * doubling) up to {@link #withMaxAttempts}, then the bundle fails and the runner retries it: fenced
 * writes are idempotent, so at-least-once delivery gives the same final state as exactly-once.
 * Mutations with an empty key or no position, and Redis error replies, go to the returned failure
 * collection with the mutation's bytes. Counters (namespace {@value
 * DebeziumChanges#METRICS_NAMESPACE}): {@code cache.applied} (upserts written), {@code
 * cache.deleted}, {@code cache.fenced}, {@code cache.retries}, {@code cache.failed}. After a retry,
 * a mutation the failed attempt had already applied counts as fenced.
 */
@AutoValue
public abstract class RedisSink extends PTransform<PCollection<CacheMutation>, PCollection<Failure>> {
  /** The step name in failure records. */
  public static final String STEP = "WriteRedisCache";

  /** Suffix of the fence key beside each cache key. */
  public static final String FENCE_SUFFIX = ":__v";

  /** Writes to Redis at {@code endpoint}. */
  public static RedisSink write(RedisEndpoint endpoint) {
    return new AutoValue_RedisSink.Builder()
        .setEndpoint(endpoint)
        .setKeyPrefix("")
        .setFenceTtl(Duration.standardDays(7))
        .setBatchSize(500)
        .setMaxAttempts(5)
        .setInitialBackoff(Duration.millis(100))
        .build();
  }

  abstract RedisEndpoint getEndpoint();

  abstract String getKeyPrefix();

  abstract Duration getFenceTtl();

  abstract int getBatchSize();

  abstract int getMaxAttempts();

  abstract Duration getInitialBackoff();

  abstract Builder toBuilder();

  @AutoValue.Builder
  abstract static class Builder {
    abstract Builder setEndpoint(RedisEndpoint e);

    abstract Builder setKeyPrefix(String p);

    abstract Builder setFenceTtl(Duration d);

    abstract Builder setBatchSize(int n);

    abstract Builder setMaxAttempts(int n);

    abstract Builder setInitialBackoff(Duration d);

    abstract RedisSink build();
  }

  /** Authenticates with this password (none by default). */
  public RedisSink withPassword(String password) {
    return toBuilder().setEndpoint(getEndpoint().withPassword(password)).build();
  }

  /** Connects over TLS. */
  public RedisSink withSsl(boolean ssl) {
    return toBuilder().setEndpoint(getEndpoint().withSsl(ssl)).build();
  }

  /** Prepends {@code prefix} to every key (and so to every fence); default none. */
  public RedisSink withKeyPrefix(String prefix) {
    return toBuilder().setKeyPrefix(prefix).build();
  }

  /** How long a delete's fence is kept; zero keeps it forever. Default 7 days. */
  public RedisSink withFenceTtl(Duration ttl) {
    return toBuilder().setFenceTtl(ttl).build();
  }

  /** Mutations per pipelined round trip (default 500). */
  public RedisSink withBatchSize(int size) {
    return toBuilder().setBatchSize(size).build();
  }

  /** Attempts per batch on connection errors before the bundle fails (default 5). */
  public RedisSink withMaxAttempts(int attempts) {
    return toBuilder().setMaxAttempts(attempts).build();
  }

  /** Wait before the first retry; doubles with each (default 100 ms). */
  public RedisSink withInitialBackoff(Duration backoff) {
    return toBuilder().setInitialBackoff(backoff).build();
  }

  @Override
  public PCollection<Failure> expand(PCollection<CacheMutation> input) {
    checkBatching(getBatchSize(), getMaxAttempts(), getInitialBackoff());
    if (getFenceTtl().isShorterThan(Duration.ZERO)) {
      throw new IllegalArgumentException("RedisSink: fence TTL must not be negative, got " + getFenceTtl());
    }
    return input
        .apply("WriteRedis", ParDo.of(new WriteFn(this)))
        .setCoder(Failures.coder());
  }

  static void checkBatching(int batchSize, int maxAttempts, Duration backoff) {
    if (batchSize <= 0) {
      throw new IllegalArgumentException("batch size must be positive, got " + batchSize);
    }
    if (maxAttempts <= 0) {
      throw new IllegalArgumentException("max attempts must be positive, got " + maxAttempts);
    }
    if (backoff.isShorterThan(Duration.ZERO)) {
      throw new IllegalArgumentException("initial backoff must not be negative, got " + backoff);
    }
  }

  @Override
  public void populateDisplayData(DisplayData.Builder builder) {
    super.populateDisplayData(builder);
    builder
        .add(DisplayData.item("endpoint", getEndpoint().toString()))
        .add(DisplayData.item("keyPrefix", getKeyPrefix()))
        .add(DisplayData.item("fenceTtl", getFenceTtl()))
        .add(DisplayData.item("batchSize", getBatchSize()))
        .add(DisplayData.item("maxAttempts", getMaxAttempts()));
  }

  /** The script call of a mutation (see {@link RedisScripts#CACHE}). */
  static RedisScripts.Call call(CacheMutation m, String prefix, long fenceTtlMillis) {
    List<String> args = new ArrayList<>();
    if (m.hasDelete()) {
      CacheDelete d = m.getDelete();
      String key = prefix + d.getKey();
      long ttl = d.getTtlSeconds() * 1000L;
      long fence = fenceTtlMillis == 0 ? 0 : Math.max(fenceTtlMillis, ttl);
      args.add("d");
      args.add(d.getPosition().getOrderKey());
      args.add("0");
      args.add(Long.toString(fence));
      args.add(d.getLayout() == CacheLayout.HASH ? "h" : "s");
      return new RedisScripts.Call(List.of(key, key + FENCE_SUFFIX), args);
    }
    CacheUpsert u = m.getUpsert();
    String key = prefix + u.getKey();
    long ttl = u.getTtlSeconds() * 1000L;
    long fence = ttl == 0 || fenceTtlMillis == 0 ? 0 : Math.max(ttl, fenceTtlMillis);
    args.add("u");
    args.add(u.getPosition().getOrderKey());
    args.add(Long.toString(ttl));
    args.add(Long.toString(fence));
    if (u.getLayout() == CacheLayout.HASH) {
      args.add("h");
      for (Column c : u.getFieldsList()) {
        if (!Values.isNull(c.getValue())) {
          args.add(c.getName());
          args.add(Values.toText(c.getValue()));
        }
      }
    } else {
      args.add("s");
      args.add(Values.toJsonObject(u.getFieldsList()));
    }
    return new RedisScripts.Call(List.of(key, key + FENCE_SUFFIX), args);
  }

  /** Why a mutation cannot be applied, or null. */
  static String check(CacheMutation m) {
    String key;
    String position;
    long ttl;
    switch (m.getKindCase()) {
      case UPSERT:
        key = m.getUpsert().getKey();
        position = m.getUpsert().getPosition().getOrderKey();
        ttl = m.getUpsert().getTtlSeconds();
        break;
      case DELETE:
        key = m.getDelete().getKey();
        position = m.getDelete().getPosition().getOrderKey();
        ttl = m.getDelete().getTtlSeconds();
        break;
      default:
        return "mutation is neither an upsert nor a delete";
    }
    if (key.isEmpty()) {
      return "cache key is empty";
    }
    if (position.isEmpty()) {
      return "mutation of key '" + key + "' has no source position to fence with";
    }
    if (ttl < 0) {
      return "mutation of key '" + key + "' has a negative TTL " + ttl;
    }
    return null;
  }

  static final class WriteFn extends RedisBatchFn<CacheMutation> {
    private final String prefix;
    private final long fenceTtlMillis;
    private final Counter applied = Metrics.counter(DebeziumChanges.METRICS_NAMESPACE, "cache.applied");
    private final Counter deleted = Metrics.counter(DebeziumChanges.METRICS_NAMESPACE, "cache.deleted");
    private final Counter fenced = Metrics.counter(DebeziumChanges.METRICS_NAMESPACE, "cache.fenced");

    WriteFn(RedisSink spec) {
      super(
          spec.getEndpoint(),
          RedisScripts.CACHE,
          STEP,
          "cache",
          spec.getBatchSize(),
          spec.getMaxAttempts(),
          spec.getInitialBackoff().getMillis());
      this.prefix = spec.getKeyPrefix();
      this.fenceTtlMillis = spec.getFenceTtl().getMillis();
    }

    @Override
    String check(CacheMutation m) {
      return RedisSink.check(m);
    }

    @Override
    RedisScripts.Call call(CacheMutation m) {
      return RedisSink.call(m, prefix, fenceTtlMillis);
    }

    @Override
    void applied(CacheMutation m, Object reply) {
      long code = reply instanceof Long l ? l : -1;
      if (code == 1) {
        applied.inc();
      } else if (code == 2) {
        deleted.inc();
      } else {
        fenced.inc();
      }
    }

    @Override
    long eventTimeMillis(CacheMutation m) {
      return 0L;
    }
  }
}
