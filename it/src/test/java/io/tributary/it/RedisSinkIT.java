package io.tributary.it;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.allOf;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.greaterThan;
import static org.hamcrest.Matchers.lessThanOrEqualTo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.tributary.features.FeatureStore;
import io.tributary.io.redis.RedisSettings;
import io.tributary.io.redis.RedisSink;
import io.tributary.proto.common.Failure;
import io.tributary.proto.sinks.CacheDelete;
import io.tributary.proto.sinks.CacheLayout;
import io.tributary.proto.sinks.CacheUpsert;
import io.tributary.proto.sinks.FeatureRow;
import io.tributary.proto.sinks.RedisMutation;
import io.tributary.proto.values.Column;
import io.tributary.proto.values.SourcePosition;
import io.tributary.testing.Diff;
import io.tributary.transforms.cdc.SourcePositions;
import io.tributary.transforms.values.Values;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.UUID;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.extensions.protobuf.ProtoCoder;
import org.apache.beam.sdk.metrics.MetricNameFilter;
import org.apache.beam.sdk.metrics.MetricResult;
import org.apache.beam.sdk.metrics.MetricsFilter;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.testing.PAssert;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.values.PCollection;
import org.joda.time.Duration;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.params.ScanParams;
import redis.clients.jedis.resps.ScanResult;

/**
 * The Redis cache sink and the online feature store through a pipeline on the Direct runner and
 * on embedded Flink: randomized change streams, shuffled and with duplicates, several seeds; what
 * Redis holds afterwards (data, fences, TTLs, feature versions) must equal an oracle of the final
 * state. Every run writes under a key prefix of its own.
 */
@Timeout(value = 5, unit = java.util.concurrent.TimeUnit.MINUTES)
class RedisSinkIT {
  private static final long[] SEEDS = {11, 23, 47};
  private static final int KEYS = 40;
  private static final long FENCE_TTL_MILLIS = 3_600_000L;

  static List<String> runnerArgs(String runner) {
    return runner.equals("FlinkRunner")
        ? List.of("--runner=FlinkRunner", "--flinkMaster=[local]", "--parallelism=2")
        : List.of("--runner=DirectRunner", "--targetParallelism=4");
  }

  static Pipeline pipeline(String runner) {
    return Pipeline.create(PipelineOptionsFactory.fromArgs(runnerArgs(runner).toArray(String[]::new)).create());
  }

  static RedisSettings settings() {
    return RedisSettings.of(Services.redisHost(), Services.redisPort());
  }

  static Jedis jedis() {
    return new Jedis(Services.redisHost(), Services.redisPort());
  }

  /** Every key under a prefix with its type-specific contents and its TTL. */
  static Map<String, String> dump(Jedis jedis, String prefix) {
    Map<String, String> out = new TreeMap<>();
    String cursor = ScanParams.SCAN_POINTER_START;
    do {
      ScanResult<String> page = jedis.scan(cursor, new ScanParams().match(prefix + "*").count(1000));
      for (String key : page.getResult()) {
        String type = jedis.type(key);
        String value = type.equals("hash") ? new TreeMap<>(jedis.hgetAll(key)).toString() : jedis.get(key);
        out.put(key.substring(prefix.length()), type + " " + value);
      }
      cursor = page.getCursor();
    } while (!cursor.equals(ScanParams.SCAN_POINTER_START));
    return out;
  }

  static long counter(PipelineResult result, String name) {
    long sum = 0;
    for (MetricResult<Long> c :
        result
            .metrics()
            .queryMetrics(
                MetricsFilter.builder()
                    .addNameFilter(MetricNameFilter.named(RedisSink.METRICS_NAMESPACE, name))
                    .build())
            .getCounters()) {
      sum += c.getAttempted();
    }
    return sum;
  }

  /** One key's history: its changes at increasing positions, a layout and a TTL of its own. */
  static List<RedisMutation> history(Random random, String key, long[] clock) {
    CacheLayout layout = random.nextBoolean() ? CacheLayout.HASH : CacheLayout.STRING_JSON;
    long ttl = random.nextInt(3) == 0 ? 600 : 0;
    List<RedisMutation> changes = new ArrayList<>();
    int n = 1 + random.nextInt(8);
    for (int i = 0; i < n; i++) {
      clock[0] += 1 + random.nextInt(1000);
      SourcePosition position = SourcePositions.postgres(clock[0] + 7, clock[0], 1);
      if (i > 0 && random.nextInt(4) == 0) {
        changes.add(
            RedisMutation.newBuilder()
                .setRoute("r")
                .setDelete(
                    CacheDelete.newBuilder()
                        .setKey(key)
                        .setLayout(layout)
                        .setPosition(position)
                        .setTtlSeconds(ttl))
                .build());
      } else {
        List<Column> fields =
            List.of(
                Values.column("id", Values.of(key)),
                Values.column("status", Values.of("s" + random.nextInt(5))),
                Values.column("total", Values.of(random.nextInt(10_000) / 100.0)),
                Values.column("note", random.nextBoolean() ? Values.ofNull() : Values.of("n" + i)));
        changes.add(
            RedisMutation.newBuilder()
                .setRoute("r")
                .setUpsert(
                    CacheUpsert.newBuilder()
                        .setKey(key)
                        .setLayout(layout)
                        .addAllFields(fields)
                        .setTtlSeconds(ttl)
                        .setPosition(position))
                .build());
      }
    }
    return changes;
  }

  /** The final state: per key the newest change's data (absent when deleted) and fence. */
  static Map<String, String> oracle(List<RedisMutation> all) {
    Map<String, RedisMutation> newest = new TreeMap<>();
    for (RedisMutation m : all) {
      String key = m.hasUpsert() ? m.getUpsert().getKey() : m.getDelete().getKey();
      RedisMutation seen = newest.get(key);
      if (seen == null || position(m).compareTo(position(seen)) > 0) {
        newest.put(key, m);
      }
    }
    Map<String, String> state = new TreeMap<>();
    for (Map.Entry<String, RedisMutation> e : newest.entrySet()) {
      RedisMutation m = e.getValue();
      state.put(e.getKey() + RedisSink.FENCE_SUFFIX, "string " + position(m));
      if (m.hasUpsert()) {
        CacheUpsert u = m.getUpsert();
        if (u.getLayout() == CacheLayout.HASH) {
          Map<String, String> hash = new TreeMap<>();
          for (Column c : u.getFieldsList()) {
            if (!Values.isNull(c.getValue())) {
              hash.put(c.getName(), Values.toText(c.getValue()));
            }
          }
          state.put(e.getKey(), "hash " + hash);
        } else {
          state.put(e.getKey(), "string " + Values.toJsonObject(u.getFieldsList()));
        }
      }
    }
    return state;
  }

  static String position(RedisMutation m) {
    return (m.hasUpsert() ? m.getUpsert().getPosition() : m.getDelete().getPosition()).getOrderKey();
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"DirectRunner", "FlinkRunner"})
  void cacheEqualsTheNewestStateOfShuffledDuplicatedStreams(String runner) {
    for (long seed : SEEDS) {
      String prefix = "cache-it-" + UUID.randomUUID() + ":";
      Random random = new Random(seed);
      List<RedisMutation> stream = new ArrayList<>();
      long[] clock = {1_000};
      for (int k = 0; k < KEYS; k++) {
        stream.addAll(history(random, "order:" + k, clock));
      }
      List<RedisMutation> all = new ArrayList<>(stream);
      // Duplicates (replays), some several times over, then shuffle everything.
      for (RedisMutation m : stream) {
        for (int d = random.nextInt(4) == 0 ? 1 + random.nextInt(3) : 0; d > 0; d--) {
          all.add(m);
        }
      }
      Collections.shuffle(all, random);

      Pipeline p = pipeline(runner);
      PCollection<Failure> failures =
          p.apply("Changes", Create.of(all).withCoder(ProtoCoder.of(RedisMutation.class)))
              .apply(
                  "Cache",
                  RedisSink.write(settings().withBatchSize(7))
                      .withKeyPrefix(prefix)
                      .withFenceTtl(Duration.millis(FENCE_TTL_MILLIS)));
      PAssert.that(failures).empty();
      PipelineResult result = p.run();
      result.waitUntilFinish();

      try (Jedis jedis = jedis()) {
        Map<String, String> expected = oracle(all);
        Map<String, String> actual = dump(jedis, prefix);
        assertEquals(expected, actual, "seed " + seed + " on " + runner + ":\n" + Diff.of(expected.entrySet(), actual.entrySet()));
        checkTtls(jedis, prefix, all, seed);
      }
      assertEquals(
          all.size(),
          counter(result, "cache.applied") + counter(result, "cache.deleted") + counter(result, "cache.fenced"),
          "seed " + seed + ": every mutation is counted applied, deleted or fenced");
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"DirectRunner", "FlinkRunner"})
  void refusedAndInvalidMutationsGoToFailuresWithTheirReason(String runner) {
    String prefix = "refused-" + runner + "-" + System.nanoTime() + ":";
    try (Jedis jedis = jedis()) {
      // A fence key of the wrong type: Redis refuses the script's GET on it.
      jedis.hset(prefix + "blocked" + RedisSink.FENCE_SUFFIX, "f", "v");
    }
    SourcePosition position = SourcePositions.postgres(10, 10, 1);
    RedisMutation blocked =
        RedisMutation.newBuilder()
            .setUpsert(CacheUpsert.newBuilder().setKey("blocked").setPosition(position).addFields(Values.column("a", Values.of(1L))))
            .build();
    RedisMutation keyless = RedisMutation.newBuilder().setUpsert(CacheUpsert.newBuilder().setPosition(position)).build();
    RedisMutation good =
        RedisMutation.newBuilder()
            .setUpsert(CacheUpsert.newBuilder().setKey("good").setPosition(position).addFields(Values.column("a", Values.of(2L))))
            .build();
    Pipeline p = pipeline(runner);
    PCollection<Failure> failures =
        p.apply("Changes", Create.of(blocked, keyless, good).withCoder(ProtoCoder.of(RedisMutation.class)))
            .apply("Cache", RedisSink.write(settings()).withKeyPrefix(prefix));
    PAssert.that(failures)
        .satisfies(
            fs -> {
              List<String> reasons = new ArrayList<>();
              for (Failure f : fs) {
                assertEquals(RedisSink.STEP, f.getStep());
                reasons.add(f.getReason());
                try {
                  RedisMutation m = RedisMutation.parseFrom(f.getPayload());
                  assertThat(f.getReason(), m, org.hamcrest.Matchers.anyOf(equalTo(blocked), equalTo(keyless)));
                } catch (com.google.protobuf.InvalidProtocolBufferException e) {
                  throw new AssertionError(e);
                }
              }
              Collections.sort(reasons);
              assertEquals(2, reasons.size(), reasons.toString());
              assertThat(reasons.get(0), org.hamcrest.Matchers.startsWith("Redis refused the write: WRONGTYPE"));
              assertEquals("cache key is empty", reasons.get(1));
              return null;
            });
    p.run().waitUntilFinish();
    try (Jedis jedis = jedis()) {
      assertEquals("{\"a\":2}", jedis.get(prefix + "good"));
      assertNull(jedis.get(prefix + "blocked"));
    }
  }

  /** Data TTLs as configured; fences of deletes with the fence TTL; no expiry where none is set. */
  static void checkTtls(Jedis jedis, String prefix, List<RedisMutation> all, long seed) {
    Map<String, RedisMutation> newest = new TreeMap<>();
    for (RedisMutation m : all) {
      String key = m.hasUpsert() ? m.getUpsert().getKey() : m.getDelete().getKey();
      if (!newest.containsKey(key) || position(m).compareTo(position(newest.get(key))) > 0) {
        newest.put(key, m);
      }
    }
    for (Map.Entry<String, RedisMutation> e : newest.entrySet()) {
      String key = prefix + e.getKey();
      long fence = jedis.pttl(key + RedisSink.FENCE_SUFFIX);
      String where = "seed " + seed + " key " + e.getKey();
      if (e.getValue().hasDelete()) {
        assertThat(where, fence, allOf(greaterThan(FENCE_TTL_MILLIS - 120_000), lessThanOrEqualTo(FENCE_TTL_MILLIS)));
      } else if (e.getValue().getUpsert().getTtlSeconds() == 0) {
        assertEquals(-1L, jedis.pttl(key), where);
        assertEquals(-1L, fence, where);
      } else {
        long ttl = e.getValue().getUpsert().getTtlSeconds() * 1000L;
        assertThat(where, jedis.pttl(key), allOf(greaterThan(ttl - 120_000), lessThanOrEqualTo(ttl)));
        assertThat(where, fence, allOf(greaterThan(FENCE_TTL_MILLIS - 120_000), lessThanOrEqualTo(FENCE_TTL_MILLIS)));
      }
    }
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"DirectRunner", "FlinkRunner"})
  void featureStoreKeepsTheNewestValuePerFeature(String runner) {
    // Each feature comes from one source: two from a PostgreSQL log, one from a binlog, one from
    // an event stream (no log position). Event times are drawn apart from positions, so within a
    // log they often disagree with its order, as a snapshot's read times do.
    String[][] names = {{"orders", "spend"}, {"tier"}, {"last_city"}};
    String[] origins = {"shop.public.customers", "crm.sales.accounts", "clicks"};
    for (long seed : SEEDS) {
      String prefix = "feature-it-" + UUID.randomUUID() + ":";
      Random random = new Random(seed);
      List<FeatureRow> rows = new ArrayList<>();
      for (int i = 0; i < 300; i++) {
        int source = random.nextInt(3);
        FeatureRow.Builder row =
            FeatureRow.newBuilder()
                .setEntityType("customer")
                .setEntityId("c" + random.nextInt(12))
                // Few distinct times, so ties are common and positions decide.
                .setEventTimeMillis(1_700_000_000_000L + random.nextInt(20) * 1000L)
                .setOrigin(origins[source]);
        int pos = random.nextInt(1_000_000);
        if (source == 0) {
          row.setPosition(SourcePositions.postgres(pos, pos, 1));
        } else if (source == 1) {
          row.setPosition(SourcePositions.binlog("mysql-bin.000003", pos, 0, "", 1));
        } else {
          row.setPosition(SourcePosition.newBuilder().setOrderKey(String.format("e:%08d", pos)));
        }
        for (String name : names[source]) {
          if (random.nextInt(3) > 0) {
            row.addFeatures(
                Values.column(
                    name,
                    random.nextInt(6) == 0 ? Values.ofNull() : Values.of((long) random.nextInt(1000))));
          }
        }
        rows.add(row.build());
      }
      List<FeatureRow> all = new ArrayList<>(rows);
      for (int i = 0; i < 60; i++) {
        all.add(rows.get(random.nextInt(rows.size())));
      }
      Collections.shuffle(all, random);

      // Oracle: per entity and feature, the value of the newest version: the log position within a
      // log, else (event time, position).
      Map<String, Map<String, String>> versions = new TreeMap<>();
      Map<String, Map<String, String>> expected = new TreeMap<>();
      for (FeatureRow r : all) {
        String key = FeatureStore.entityKey("", r.getEntityType(), r.getEntityId());
        String version = FeatureStore.version(r);
        for (Column f : r.getFeaturesList()) {
          Map<String, String> v = versions.computeIfAbsent(key, k -> new TreeMap<>());
          String seen = v.get(f.getName());
          if (seen == null || FeatureStore.newer(version, seen)) {
            v.put(f.getName(), version);
            Map<String, String> hash = expected.computeIfAbsent(key, k -> new TreeMap<>());
            hash.put(f.getName() + FeatureStore.VERSION_SUFFIX, version);
            if (Values.isNull(f.getValue())) {
              hash.remove(f.getName());
            } else {
              hash.put(f.getName(), Values.toText(f.getValue()));
            }
          }
        }
      }
      Map<String, String> expectedDump = new TreeMap<>();
      expected.forEach((k, v) -> expectedDump.put(k, "hash " + v));

      Pipeline p = pipeline(runner);
      PCollection<Failure> failures =
          p.apply("Rows", Create.of(all).withCoder(ProtoCoder.of(FeatureRow.class)))
              .apply(
                  "Online",
                  FeatureStore.writeOnline(settings().withBatchSize(5))
                      .withKeyPrefix(prefix)
                      .withTtl(Duration.standardHours(2)));
      PAssert.that(failures).empty();
      p.run().waitUntilFinish();

      try (Jedis jedis = jedis()) {
        Map<String, String> actual = dump(jedis, prefix);
        assertEquals(expectedDump, actual, "seed " + seed + " on " + runner + ":\n" + Diff.of(expectedDump.entrySet(), actual.entrySet()));
        for (String key : actual.keySet()) {
          assertThat("seed " + seed + " " + key, jedis.pttl(prefix + key), allOf(greaterThan(7_200_000L - 120_000), lessThanOrEqualTo(7_200_000L)));
        }
      }
    }
  }
}
