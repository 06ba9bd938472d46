package io.tributary.features;

import com.google.auto.value.AutoValue;
import io.tributary.io.lake.LakeSink;
import io.tributary.io.redis.RedisSettings;
import io.tributary.io.redis.RedisSink;
import io.tributary.proto.common.Failure;
import io.tributary.proto.sinks.FeatureRow;
import io.tributary.proto.sinks.FeatureUpsert;
import io.tributary.proto.sinks.LakeRow;
import io.tributary.proto.sinks.RedisMutation;
import io.tributary.proto.values.Column;
import io.tributary.proto.values.ColumnSchema;
import io.tributary.proto.values.Value;
import io.tributary.transforms.coders.MessageCoder;
import io.tributary.transforms.values.Values;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.display.DisplayData;
import org.apache.beam.sdk.values.PCollection;
import org.joda.time.Duration;

/**
 * The feature store: {@link FeatureRow}s served online from Redis and kept offline in the lake.
 *
 * <pre>{@code
 * features.apply("Online", FeatureStore.writeOnline(RedisSettings.of("localhost", 6379)));
 * features.apply("ToLake", FeatureStore.toLake()).apply("Offline", LakeSink.write("/data/lake"));
 * }</pre>
 *
 * <p><b>Online</b> ({@link #writeOnline}): one Redis hash per entity, {@code
 * feature:<entity_type>:<entity_id>} (prefix configurable), with per feature the field {@code
 * <name>} (the value's text form, {@link Values#toText}; absent when null) and the field {@code
 * <name>:__t} holding its {@link #version}. One Lua script per row compares and writes each
 * feature atomically: a feature is written only when its version is {@link #newer} than the stored
 * one, and replays change nothing. The order is:
 *
 * <ul>
 *   <li>between two rows of one database log (same origin, both with a PostgreSQL or binlog
 *       position): the log position. Event time does not order one log: a snapshot read carries
 *       the time it was read, which can be later than the commit of a change made after the
 *       snapshot's consistent point;
 *   <li>otherwise (rows of different origins, event streams, windowed features): the newest event
 *       time wins, ties broken by position.
 * </ul>
 *
 * <p>A null feature (e.g. from a deleted row) removes the value but keeps its version as a fence.
 * The rows are written as feature upserts by the shared {@link RedisSink} (batching, retries, TLS
 * and password as {@link RedisSettings} say). Rows with an empty entity type or id, a negative
 * event time, or a log order key containing {@code @}, go to the failure output. Counters: {@code
 * features.applied} and {@code features.fenced} (per feature) in {@link
 * RedisSink#METRICS_NAMESPACE}.
 *
 * <p><b>Offline</b> ({@link #toLake}): each row becomes a {@link LakeRow} of dataset {@code
 * features_<entity_type>} (op {@code c}, commit time = event time, position = order key) with the
 * columns {@code entity_id}, {@code origin} and the features, typed by their values (a feature that
 * is null has type string); {@link LakeSink} appends them to Parquet, so training can join
 * point-in-time by event time.
 */
public final class FeatureStore {
  /** Suffix of the version field beside each feature field. */
  public static final String VERSION_SUFFIX = RedisSink.VERSION_SUFFIX;

  private FeatureStore() {}

  /** Writes feature rows to Redis as {@code settings} say. */
  public static WriteOnline writeOnline(RedisSettings settings) {
    return new AutoValue_FeatureStore_WriteOnline.Builder()
        .setSettings(settings)
        .setKeyPrefix("feature:")
        .setTtl(Duration.ZERO)
        .build();
  }

  /** Maps feature rows to lake rows (see the class comment); element-wise. */
  public static PTransform<PCollection<FeatureRow>, PCollection<LakeRow>> toLake() {
    return new ToLake();
  }

  /** The Redis hash of an entity. */
  public static String entityKey(String prefix, String entityType, String entityId) {
    return prefix + entityType + ":" + entityId;
  }

  /**
   * The version of a row's features: {@code <event time, 20 digits>@<origin>@<order key>} for a
   * database log position, else {@code <event time, 20 digits>:<order key>}.
   */
  public static String version(FeatureRow row) {
    return RedisSink.featureVersion(row);
  }

  /** Whether version {@code a} is newer than {@code b}, as the online store decides it. */
  public static boolean newer(String a, String b) {
    return RedisSink.featureNewer(a, b);
  }

  /** The online writer; see {@link FeatureStore}. */
  @AutoValue
  public abstract static class WriteOnline
      extends PTransform<PCollection<FeatureRow>, PCollection<Failure>> {
    abstract RedisSettings getSettings();

    abstract String getKeyPrefix();

    abstract Duration getTtl();

    abstract Builder toBuilder();

    @AutoValue.Builder
    abstract static class Builder {
      abstract Builder setSettings(RedisSettings s);

      abstract Builder setKeyPrefix(String p);

      abstract Builder setTtl(Duration d);

      abstract WriteOnline build();
    }

    /** Prefix of entity keys (default {@code feature:}). */
    public WriteOnline withKeyPrefix(String prefix) {
      return toBuilder().setKeyPrefix(prefix).build();
    }

    /** Expire an entity's hash this long after its last written feature; zero (default): never. */
    public WriteOnline withTtl(Duration ttl) {
      if (ttl.isShorterThan(Duration.ZERO)) {
        throw new IllegalArgumentException("FeatureStore: TTL must not be negative, got " + ttl);
      }
      return toBuilder().setTtl(ttl).build();
    }

    @Override
    public PCollection<Failure> expand(PCollection<FeatureRow> input) {
      return input
          .apply("ToRedisMutations", ParDo.of(new ToMutationFn(getKeyPrefix(), getTtl().getMillis())))
          .setCoder(MessageCoder.of(RedisMutation.class))
          .apply("WriteRedis", RedisSink.write(getSettings()));
    }

    @Override
    public void populateDisplayData(DisplayData.Builder builder) {
      super.populateDisplayData(builder);
      builder
          .add(DisplayData.item("redis", getSettings().toString()))
          .add(DisplayData.item("keyPrefix", getKeyPrefix()))
          .add(DisplayData.item("ttl", getTtl()));
    }
  }

  /** The Redis mutation of a feature row: a feature upsert of its entity's hash. */
  public static RedisMutation mutation(FeatureRow row, String prefix, long ttlMillis) {
    return RedisMutation.newBuilder()
        .setFeature(
            FeatureUpsert.newBuilder()
                .setKey(entityKey(prefix, row.getEntityType(), row.getEntityId()))
                .setRow(row)
                .setTtlMillis(ttlMillis))
        .setRoute(row.getOrigin())
        .build();
  }

  static final class ToMutationFn extends DoFn<FeatureRow, RedisMutation> {
    private final String prefix;
    private final long ttlMillis;

    ToMutationFn(String prefix, long ttlMillis) {
      this.prefix = prefix;
      this.ttlMillis = ttlMillis;
    }

    @ProcessElement
    public void process(@Element FeatureRow row, OutputReceiver<RedisMutation> out) {
      out.output(mutation(row, prefix, ttlMillis));
    }
  }

  static final class ToLake extends PTransform<PCollection<FeatureRow>, PCollection<LakeRow>> {
    @Override
    public PCollection<LakeRow> expand(PCollection<FeatureRow> input) {
      return input.apply("FeaturesToLakeRows", ParDo.of(new ToLakeFn())).setCoder(MessageCoder.of(LakeRow.class));
    }
  }

  static final class ToLakeFn extends DoFn<FeatureRow, LakeRow> {
    @ProcessElement
    public void process(@Element FeatureRow row, OutputReceiver<LakeRow> out) {
      out.output(lakeRow(row));
    }
  }

  /** The offline lake row of a feature row (see the class comment). */
  public static LakeRow lakeRow(FeatureRow row) {
    LakeRow.Builder lake =
        LakeRow.newBuilder()
            .setDataset("features_" + row.getEntityType())
            .setOp("c")
            .setCommitTimeMillis(row.getEventTimeMillis())
            .setPosition(row.getPosition().getOrderKey())
            .addColumns(Values.column("entity_id", Values.of(row.getEntityId())))
            .addColumns(Values.column("origin", Values.of(row.getOrigin())))
            .addSchema(schema("entity_id", "string", ""))
            .addSchema(schema("origin", "string", ""));
    for (Column f : row.getFeaturesList()) {
      lake.addColumns(f);
      lake.addSchema(schemaOf(f.getName(), f.getValue()));
    }
    return lake.build();
  }

  private static ColumnSchema schema(String name, String type, String logical) {
    return ColumnSchema.newBuilder().setName(name).setType(type).setLogical(logical).setOptional(true).build();
  }

  /** A column schema matching what {@link LakeSink} stores for the value's kind. */
  static ColumnSchema schemaOf(String name, Value v) {
    switch (v.getKindCase()) {
      case BOOL_VALUE:
        return schema(name, "boolean", "");
      case INT_VALUE:
        return schema(name, "int64", "");
      case DOUBLE_VALUE:
        return schema(name, "float64", "");
      case BYTES_VALUE:
        return schema(name, "bytes", "");
      case DATE_DAYS:
        return schema(name, "int32", "io.debezium.time.Date");
      case TIME_MICROS:
        return schema(name, "int64", "io.debezium.time.MicroTime");
      case TIMESTAMP_VALUE:
        return v.getTimestampValue().getZone() == io.tributary.proto.values.Timestamp.Zone.UTC
            ? schema(name, "string", "io.debezium.time.ZonedTimestamp")
            : schema(name, "int64", "io.debezium.time.MicroTimestamp");
      default:
        return schema(name, "string", "");
    }
  }
}
