package io.tributary.transforms.cdc;

import com.google.auto.value.AutoValue;
import io.tributary.proto.cdc.Column;
import io.tributary.proto.cdc.ColumnSchema;
import io.tributary.proto.cdc.FeatureRow;
import io.tributary.proto.cdc.LakeRow;
import io.tributary.proto.cdc.Value;
import io.tributary.proto.common.Failure;
import io.tributary.transforms.errors.Failures;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.apache.beam.sdk.extensions.protobuf.ProtoCoder;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.metrics.Metrics;
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
 * features.apply("Online", FeatureStore.writeOnline(RedisEndpoint.of("localhost", 6379)));
 * features.apply("ToLake", FeatureStore.toLake()).apply("Offline", LakeSink.write("/data/lake"));
 * }</pre>
 *
 * <p><b>Online</b> ({@link #writeOnline}): one Redis hash per entity, {@code
 * feature:<entity_type>:<entity_id>} (prefix configurable), with per feature the field {@code
 * <name>} (the value's text form, {@link Values#toText}; absent when null) and the field {@code
 * <name>:__t} holding its version {@code <event time millis, 20 digits>:<position order key>}. One
 * Lua script per row compares and writes each feature atomically: a feature is written only when
 * its version is byte-wise greater than the stored one, so per feature the newest event time wins,
 * ties broken by source position, and replays change nothing. A null feature (e.g. from a deleted
 * row) removes the value but keeps its version as a fence. Batching, retries, TLS and password work
 * as in {@link RedisSink}. Rows with an empty entity type or id, or a negative event time, go to
 * the failure output. Counters: {@code features.applied} and {@code features.fenced} (per
 * feature), {@code features.retries}, {@code features.failed}.
 *
 * <p><b>Offline</b> ({@link #toLake}): each row becomes a {@link LakeRow} of dataset {@code
 * features_<entity_type>} (op {@code c}, commit time = event time, position = order key) with the
 * columns {@code entity_id}, {@code origin} and the features, typed by their values (a feature that
 * is null has type string); {@link LakeSink} appends them to Parquet, so training can join
 * point-in-time by event time.
 */
public final class FeatureStore {
  /** The step name in online failure records. */
  public static final String STEP = "WriteFeatureStore";

  /** Suffix of the version field beside each feature field. */
  public static final String VERSION_SUFFIX = ":__t";

  private FeatureStore() {}

  /** Writes feature rows to the Redis at {@code endpoint}. */
  public static WriteOnline writeOnline(RedisEndpoint endpoint) {
    return new AutoValue_FeatureStore_WriteOnline.Builder()
        .setEndpoint(endpoint)
        .setKeyPrefix("feature:")
        .setTtl(Duration.ZERO)
        .setBatchSize(500)
        .setMaxAttempts(5)
        .setInitialBackoff(Duration.millis(100))
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

  /** The version of a row's features: event time (20 digits), then the position order key. */
  public static String version(FeatureRow row) {
    return String.format(Locale.ROOT, "%020d:%s", row.getEventTimeMillis(), row.getPosition().getOrderKey());
  }

  /** The Redis writer; see {@link FeatureStore}. */
  @AutoValue
  public abstract static class WriteOnline
      extends PTransform<PCollection<FeatureRow>, PCollection<Failure>> {
    abstract RedisEndpoint getEndpoint();

    abstract String getKeyPrefix();

    abstract Duration getTtl();

    abstract int getBatchSize();

    abstract int getMaxAttempts();

    abstract Duration getInitialBackoff();

    abstract Builder toBuilder();

    @AutoValue.Builder
    abstract static class Builder {
      abstract Builder setEndpoint(RedisEndpoint e);

      abstract Builder setKeyPrefix(String p);

      abstract Builder setTtl(Duration d);

      abstract Builder setBatchSize(int n);

      abstract Builder setMaxAttempts(int n);

      abstract Builder setInitialBackoff(Duration d);

      abstract WriteOnline build();
    }

    /** Authenticates with this password (none by default). */
    public WriteOnline withPassword(String password) {
      return toBuilder().setEndpoint(getEndpoint().withPassword(password)).build();
    }

    /** Connects over TLS. */
    public WriteOnline withSsl(boolean ssl) {
      return toBuilder().setEndpoint(getEndpoint().withSsl(ssl)).build();
    }

    /** Prefix of entity keys (default {@code feature:}). */
    public WriteOnline withKeyPrefix(String prefix) {
      return toBuilder().setKeyPrefix(prefix).build();
    }

    /** Expire an entity's hash this long after its last written feature; zero (default): never. */
    public WriteOnline withTtl(Duration ttl) {
      return toBuilder().setTtl(ttl).build();
    }

    /** Rows per pipelined round trip (default 500). */
    public WriteOnline withBatchSize(int size) {
      return toBuilder().setBatchSize(size).build();
    }

    /** Attempts per batch on connection errors before the bundle fails (default 5). */
    public WriteOnline withMaxAttempts(int attempts) {
      return toBuilder().setMaxAttempts(attempts).build();
    }

    /** Wait before the first retry; doubles with each (default 100 ms). */
    public WriteOnline withInitialBackoff(Duration backoff) {
      return toBuilder().setInitialBackoff(backoff).build();
    }

    @Override
    public PCollection<Failure> expand(PCollection<FeatureRow> input) {
      RedisSink.checkBatching(getBatchSize(), getMaxAttempts(), getInitialBackoff());
      if (getTtl().isShorterThan(Duration.ZERO)) {
        throw new IllegalArgumentException("FeatureStore: TTL must not be negative, got " + getTtl());
      }
      return input.apply("WriteRedis", ParDo.of(new OnlineFn(this))).setCoder(Failures.coder());
    }

    @Override
    public void populateDisplayData(DisplayData.Builder builder) {
      super.populateDisplayData(builder);
      builder
          .add(DisplayData.item("endpoint", getEndpoint().toString()))
          .add(DisplayData.item("keyPrefix", getKeyPrefix()))
          .add(DisplayData.item("ttl", getTtl()))
          .add(DisplayData.item("batchSize", getBatchSize()));
    }
  }

  /** The script call of a row (see {@link RedisScripts#FEATURES}). */
  static RedisScripts.Call call(FeatureRow row, String prefix, long ttlMillis) {
    List<String> args = new ArrayList<>();
    args.add(Long.toString(ttlMillis));
    String version = version(row);
    for (Column f : row.getFeaturesList()) {
      boolean isNull = Values.isNull(f.getValue());
      args.add(f.getName());
      args.add(version);
      args.add(isNull ? "1" : "0");
      args.add(isNull ? "" : Values.toText(f.getValue()));
    }
    return new RedisScripts.Call(
        List.of(entityKey(prefix, row.getEntityType(), row.getEntityId())), args);
  }

  static final class OnlineFn extends RedisBatchFn<FeatureRow> {
    private final String prefix;
    private final long ttlMillis;
    private final Counter applied = Metrics.counter(DebeziumChanges.METRICS_NAMESPACE, "features.applied");
    private final Counter fenced = Metrics.counter(DebeziumChanges.METRICS_NAMESPACE, "features.fenced");

    OnlineFn(WriteOnline spec) {
      super(
          spec.getEndpoint(),
          RedisScripts.FEATURES,
          STEP,
          "features",
          spec.getBatchSize(),
          spec.getMaxAttempts(),
          spec.getInitialBackoff().getMillis());
      this.prefix = spec.getKeyPrefix();
      this.ttlMillis = spec.getTtl().getMillis();
    }

    @Override
    String check(FeatureRow row) {
      if (row.getEntityType().isEmpty() || row.getEntityId().isEmpty()) {
        return "feature row has an empty entity type or id";
      }
      if (row.getEventTimeMillis() < 0) {
        return "feature row of " + row.getEntityType() + " '" + row.getEntityId()
            + "' has a negative event time " + row.getEventTimeMillis();
      }
      for (Column f : row.getFeaturesList()) {
        if (f.getName().isEmpty() || f.getName().endsWith(VERSION_SUFFIX)) {
          return "feature name '" + f.getName() + "' is empty or ends with " + VERSION_SUFFIX;
        }
      }
      return null;
    }

    @Override
    RedisScripts.Call call(FeatureRow row) {
      return FeatureStore.call(row, prefix, ttlMillis);
    }

    @Override
    void applied(FeatureRow row, Object reply) {
      long written = reply instanceof Long l ? l : 0;
      applied.inc(written);
      fenced.inc(row.getFeaturesCount() - written);
    }

    @Override
    long eventTimeMillis(FeatureRow row) {
      return row.getEventTimeMillis();
    }
  }

  static final class ToLake extends PTransform<PCollection<FeatureRow>, PCollection<LakeRow>> {
    @Override
    public PCollection<LakeRow> expand(PCollection<FeatureRow> input) {
      return input.apply("FeaturesToLakeRows", ParDo.of(new ToLakeFn())).setCoder(ProtoCoder.of(LakeRow.class));
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
        return v.getTimestampValue().getZone() == io.tributary.proto.cdc.Timestamp.Zone.UTC
            ? schema(name, "string", "io.debezium.time.ZonedTimestamp")
            : schema(name, "int64", "io.debezium.time.MicroTimestamp");
      default:
        return schema(name, "string", "");
    }
  }
}
