package io.tributary.io.redis;

import com.google.auto.value.AutoValue;
import io.tributary.proto.common.Failure;
import io.tributary.proto.sinks.CacheDelete;
import io.tributary.proto.sinks.CacheLayout;
import io.tributary.proto.sinks.CacheUpsert;
import io.tributary.proto.sinks.FeatureRow;
import io.tributary.proto.sinks.FeatureUpsert;
import io.tributary.proto.sinks.LatestUpsert;
import io.tributary.proto.sinks.RedisMutation;
import io.tributary.proto.values.Column;
import io.tributary.proto.values.SourcePosition;
import io.tributary.transforms.errors.Failures;
import io.tributary.transforms.values.Values;
import java.io.Serializable;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.metrics.Metrics;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.display.DisplayData;
import org.apache.beam.sdk.values.PCollection;
import org.joda.time.Duration;

/**
 * The one Redis writer: applies {@link RedisMutation}s, a closed set of fenced writes, so that
 * Redis holds the newest state whatever order and however often the mutations arrive.
 *
 * <pre>{@code
 * mutations.apply("Redis",
 *     RedisSink.write(RedisSettings.of("localhost", 6379)).withFenceTtl(Duration.standardDays(7)));
 * }</pre>
 *
 * <p><b>Cache upserts and deletes</b> ({@link CacheUpsert}, {@link CacheDelete}). Layout {@code
 * STRING_JSON}: key {@code <prefix><key>} holds one JSON object of the fields ({@link
 * Values#toJsonObject}). {@code HASH}: a hash with one field per column, values in their text form
 * ({@link Values#toText}); SQL NULL columns are left out. An upsert replaces the whole entry, so
 * columns dropped from a row do not linger. Beside every key, {@code <prefix><key>:__v} holds the
 * source position order key of the last change applied to it; a mutation whose position is not
 * byte-wise greater than the fence is dropped (counted {@code cache.fenced}), so older and replayed
 * (equal) changes never overwrite newer ones. A delete removes the data and leaves the fence, so a
 * late older upsert cannot bring the row back. The fence of a delete expires after {@link
 * #withFenceTtl} (default 7 days; zero keeps it forever), or the mutation's own TTL if longer; the
 * fence of an upsert lives as long as its data. In a Redis Cluster, give keys a hash tag ({@code
 * order:{42}}) so a key and its fence share a slot.
 *
 * <p><b>Feature upserts</b> ({@link FeatureUpsert}): one hash per entity, per feature the field
 * {@code <name>} (text form; absent when null) and {@code <name>:__t} holding its version {@link
 * #featureVersion}. A feature is written only when its version is newer ({@link #featureNewer})
 * than the stored one: between two rows of the same database log (same origin, both with a log
 * position) the log order decides; otherwise the event time, then the position. A null feature
 * removes the value and keeps the version as a fence.
 *
 * <p><b>Latest upserts</b> ({@link LatestUpsert}): the hash is replaced by the fields only if the
 * mutation's version is byte-wise greater than the one stored in its field {@code __v} (a
 * compare-and-set of "the newest window"), and the member is added to the index set.
 *
 * <p><b>Delivery.</b> Pipelined batches, retries with doubling backoff and the connection follow
 * {@link RedisSettings}; after the last attempt the bundle fails and the runner retries it: every
 * mutation is fenced, so at-least-once delivery ends in the same state as exactly-once. Invalid
 * mutations (no key, no position or version, negative TTL, no kind) and Redis error replies go to
 * the returned failure collection with the mutation's bytes and the reason, never into a retry
 * loop. Counters (namespace {@value #METRICS_NAMESPACE}): {@code cache.applied}, {@code
 * cache.deleted}, {@code cache.fenced}, {@code features.applied} and {@code features.fenced} (per
 * feature), {@code latest.applied}, {@code latest.fenced}, {@code retries}, {@code failed}. After a
 * retry, a mutation the failed attempt had already applied counts as fenced.
 */
@AutoValue
public abstract class RedisSink extends PTransform<PCollection<RedisMutation>, PCollection<Failure>> {
  /** The step name in failure records. */
  public static final String STEP = "WriteRedis";

  /** Namespace of the writer's counters. */
  public static final String METRICS_NAMESPACE = "tributary.redis";

  /** Suffix of the fence key beside each cache key. */
  public static final String FENCE_SUFFIX = ":__v";

  /** Suffix of the version field beside each feature field. */
  public static final String VERSION_SUFFIX = ":__t";

  /** Field of a latest upsert's hash that holds its version. */
  public static final String LATEST_VERSION_FIELD = "__v";

  /** Writes to Redis as {@code settings} say. */
  public static RedisSink write(RedisSettings settings) {
    return new AutoValue_RedisSink.Builder()
        .setSettings(settings)
        .setKeyPrefix("")
        .setFenceTtl(Duration.standardDays(7))
        .build();
  }

  abstract RedisSettings getSettings();

  abstract String getKeyPrefix();

  abstract Duration getFenceTtl();

  abstract Builder toBuilder();

  @AutoValue.Builder
  abstract static class Builder {
    abstract Builder setSettings(RedisSettings s);

    abstract Builder setKeyPrefix(String p);

    abstract Builder setFenceTtl(Duration d);

    abstract RedisSink build();
  }

  /** Prepends {@code prefix} to every key (and so to every fence and index set); default none. */
  public RedisSink withKeyPrefix(String prefix) {
    return toBuilder().setKeyPrefix(prefix).build();
  }

  /** How long a cache delete's fence is kept; zero keeps it forever. Default 7 days. */
  public RedisSink withFenceTtl(Duration ttl) {
    if (ttl.isShorterThan(Duration.ZERO)) {
      throw new IllegalArgumentException("RedisSink: fence TTL must not be negative, got " + ttl);
    }
    return toBuilder().setFenceTtl(ttl).build();
  }

  @Override
  public PCollection<Failure> expand(PCollection<RedisMutation> input) {
    return input
        .apply(
            "WriteMutations",
            ParDo.of(new WriteMutationsFn(getSettings(), getKeyPrefix(), getFenceTtl().getMillis())))
        .setCoder(Failures.coder());
  }

  @Override
  public void populateDisplayData(DisplayData.Builder builder) {
    super.populateDisplayData(builder);
    builder
        .add(DisplayData.item("redis", getSettings().toString()))
        .add(DisplayData.item("keyPrefix", getKeyPrefix()))
        .add(DisplayData.item("fenceTtl", getFenceTtl()))
        .add(DisplayData.item("batchSize", getSettings().batchSize()))
        .add(DisplayData.item("maxAttempts", getSettings().maxAttempts()));
  }

  /**
   * The version of a feature row's values. A row whose position is a database log position
   * (PostgreSQL or binlog) gets {@code <event time, 20 digits>@<origin>@<order key>}; any other row
   * {@code <event time, 20 digits>:<order key>}.
   *
   * <p>Within one log, event time is not the order: a snapshot read carries the time it was read,
   * which can be later than the commit time of a change made after the snapshot's consistent point.
   * {@link #featureNewer} therefore orders versions of the same origin's log by position alone.
   */
  public static String featureVersion(FeatureRow row) {
    String time = String.format(Locale.ROOT, "%020d", row.getEventTimeMillis());
    String key = row.getPosition().getOrderKey();
    return hasLogPosition(row) ? time + "@" + row.getOrigin() + "@" + key : time + ":" + key;
  }

  /**
   * Whether feature version {@code a} is newer than {@code b} (the rule the Redis script applies):
   * two versions of the same origin's log compare by their order keys; any other pair compares
   * byte-wise (event time, then the rest). Between origins this is event-time order, so a feature
   * fed by several tables is ordered by event time between them and by the log within each.
   */
  public static boolean featureNewer(String a, String b) {
    if (isLogVersion(a) && isLogVersion(b)) {
      int ka = a.lastIndexOf('@');
      int kb = b.lastIndexOf('@');
      if (a.substring(LOG_MARK + 1, Math.max(ka, LOG_MARK + 1))
          .equals(b.substring(LOG_MARK + 1, Math.max(kb, LOG_MARK + 1)))) {
        return bytewiseGreater(a.substring(ka + 1), b.substring(kb + 1));
      }
    }
    return bytewiseGreater(a, b);
  }

  /** Index of the character that marks a log version: after the 20 digits of the event time. */
  private static final int LOG_MARK = 20;

  private static boolean isLogVersion(String v) {
    return v.length() > LOG_MARK && v.charAt(LOG_MARK) == '@';
  }

  private static boolean hasLogPosition(FeatureRow row) {
    return row.getPosition().getKindCase() != SourcePosition.KindCase.KIND_NOT_SET;
  }

  private static boolean bytewiseGreater(String a, String b) {
    return Arrays.compareUnsigned(
            a.getBytes(StandardCharsets.UTF_8), b.getBytes(StandardCharsets.UTF_8))
        > 0;
  }

  /** The script call of a valid mutation (see {@link RedisScripts}). */
  static RedisScripts.Call call(RedisMutation m, String prefix, long fenceTtlMillis) {
    switch (m.getKindCase()) {
      case DELETE:
        return deleteCall(m.getDelete(), prefix, fenceTtlMillis);
      case UPSERT:
        return upsertCall(m.getUpsert(), prefix, fenceTtlMillis);
      case FEATURE:
        return featureCall(m.getFeature(), prefix);
      case LATEST:
        return latestCall(m.getLatest(), prefix);
      default:
        throw new IllegalArgumentException("mutation has no kind");
    }
  }

  private static RedisScripts.Call deleteCall(CacheDelete d, String prefix, long fenceTtlMillis) {
    String key = prefix + d.getKey();
    long ttl = d.getTtlSeconds() * 1000L;
    long fence = fenceTtlMillis == 0 ? 0 : Math.max(fenceTtlMillis, ttl);
    List<String> args =
        List.of(
            "d",
            d.getPosition().getOrderKey(),
            "0",
            Long.toString(fence),
            d.getLayout() == CacheLayout.HASH ? "h" : "s");
    return new RedisScripts.Call(RedisScripts.CACHE, List.of(key, key + FENCE_SUFFIX), args);
  }

  private static RedisScripts.Call upsertCall(CacheUpsert u, String prefix, long fenceTtlMillis) {
    String key = prefix + u.getKey();
    long ttl = u.getTtlSeconds() * 1000L;
    long fence = ttl == 0 || fenceTtlMillis == 0 ? 0 : Math.max(ttl, fenceTtlMillis);
    List<String> args = new ArrayList<>();
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
    return new RedisScripts.Call(RedisScripts.CACHE, List.of(key, key + FENCE_SUFFIX), args);
  }

  private static RedisScripts.Call featureCall(FeatureUpsert f, String prefix) {
    List<String> args = new ArrayList<>();
    args.add(Long.toString(f.getTtlMillis()));
    String version = featureVersion(f.getRow());
    for (Column c : f.getRow().getFeaturesList()) {
      boolean isNull = Values.isNull(c.getValue());
      args.add(c.getName());
      args.add(version);
      args.add(isNull ? "1" : "0");
      args.add(isNull ? "" : Values.toText(c.getValue()));
    }
    return new RedisScripts.Call(RedisScripts.FEATURES, List.of(prefix + f.getKey()), args);
  }

  private static RedisScripts.Call latestCall(LatestUpsert l, String prefix) {
    List<String> args = new ArrayList<>();
    args.add(l.getVersion());
    args.add(Long.toString(l.getTtlMillis()));
    args.add(l.getIndexMember());
    for (Column c : l.getFieldsList()) {
      if (!Values.isNull(c.getValue())) {
        args.add(c.getName());
        args.add(Values.toText(c.getValue()));
      }
    }
    String index = l.getIndexKey().isEmpty() ? "" : prefix + l.getIndexKey();
    return new RedisScripts.Call(RedisScripts.LATEST, List.of(prefix + l.getKey(), index), args);
  }

  /** Why a mutation cannot be applied, or null. */
  static String check(RedisMutation m) {
    switch (m.getKindCase()) {
      case UPSERT:
        return checkCache(m.getUpsert().getKey(), m.getUpsert().getPosition().getOrderKey(), m.getUpsert().getTtlSeconds());
      case DELETE:
        return checkCache(m.getDelete().getKey(), m.getDelete().getPosition().getOrderKey(), m.getDelete().getTtlSeconds());
      case FEATURE:
        return checkFeature(m.getFeature());
      case LATEST:
        return checkLatest(m.getLatest());
      default:
        return "mutation has no kind (upsert, delete, feature or latest)";
    }
  }

  private static String checkCache(String key, String position, long ttl) {
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

  private static String checkFeature(FeatureUpsert f) {
    FeatureRow row = f.getRow();
    if (f.getKey().isEmpty() || row.getEntityType().isEmpty() || row.getEntityId().isEmpty()) {
      return "feature row has an empty key, entity type or id";
    }
    if (row.getEventTimeMillis() < 0) {
      return "feature row of " + row.getEntityType() + " '" + row.getEntityId()
          + "' has a negative event time " + row.getEventTimeMillis();
    }
    if (f.getTtlMillis() < 0) {
      return "feature row of " + row.getEntityType() + " '" + row.getEntityId() + "' has a negative TTL";
    }
    if (hasLogPosition(row) && row.getPosition().getOrderKey().contains("@")) {
      return "feature row of " + row.getEntityType() + " '" + row.getEntityId()
          + "' has a log position whose order key contains '@': " + row.getPosition().getOrderKey();
    }
    for (Column c : row.getFeaturesList()) {
      if (c.getName().isEmpty() || c.getName().endsWith(VERSION_SUFFIX)) {
        return "feature name '" + c.getName() + "' is empty or ends with " + VERSION_SUFFIX;
      }
    }
    return null;
  }

  private static String checkLatest(LatestUpsert l) {
    if (l.getKey().isEmpty()) {
      return "latest upsert key is empty";
    }
    if (l.getVersion().isEmpty()) {
      return "latest upsert of key '" + l.getKey() + "' has no version";
    }
    if (l.getTtlMillis() < 0) {
      return "latest upsert of key '" + l.getKey() + "' has a negative TTL";
    }
    for (Column c : l.getFieldsList()) {
      if (c.getName().isEmpty() || c.getName().equals(LATEST_VERSION_FIELD)) {
        return "latest upsert of key '" + l.getKey() + "' has a field named '" + c.getName() + "'";
      }
    }
    return null;
  }

  /** Event time of a mutation for its failure record, 0 when it has none. */
  static long eventTimeMillis(RedisMutation m) {
    return m.hasFeature() ? m.getFeature().getRow().getEventTimeMillis() : 0L;
  }

  /** Counts what each script reply says happened. */
  static final class Outcomes implements Serializable {
    private static final long serialVersionUID = 1L;
    private final Counter cacheApplied = Metrics.counter(METRICS_NAMESPACE, "cache.applied");
    private final Counter cacheDeleted = Metrics.counter(METRICS_NAMESPACE, "cache.deleted");
    private final Counter cacheFenced = Metrics.counter(METRICS_NAMESPACE, "cache.fenced");
    private final Counter featuresApplied = Metrics.counter(METRICS_NAMESPACE, "features.applied");
    private final Counter featuresFenced = Metrics.counter(METRICS_NAMESPACE, "features.fenced");
    private final Counter latestApplied = Metrics.counter(METRICS_NAMESPACE, "latest.applied");
    private final Counter latestFenced = Metrics.counter(METRICS_NAMESPACE, "latest.fenced");

    void count(RedisMutation m, Object reply) {
      long code = reply instanceof Long l ? l : -1;
      switch (m.getKindCase()) {
        case FEATURE:
          long written = Math.max(code, 0);
          featuresApplied.inc(written);
          featuresFenced.inc(m.getFeature().getRow().getFeaturesCount() - written);
          break;
        case LATEST:
          (code == 1 ? latestApplied : latestFenced).inc();
          break;
        default:
          (code == 1 ? cacheApplied : code == 2 ? cacheDeleted : cacheFenced).inc();
          break;
      }
    }
  }
}
