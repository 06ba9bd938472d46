package io.tributary.io.redis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tributary.proto.sinks.CacheDelete;
import io.tributary.proto.sinks.CacheLayout;
import io.tributary.proto.sinks.CacheUpsert;
import io.tributary.proto.sinks.FeatureRow;
import io.tributary.proto.sinks.FeatureUpsert;
import io.tributary.proto.sinks.LatestUpsert;
import io.tributary.proto.sinks.RedisMutation;
import io.tributary.proto.values.BinlogPosition;
import io.tributary.proto.values.SourcePosition;
import io.tributary.transforms.values.Values;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Script arguments, validation and lake mapping of the Redis writer (the scripts run against Redis in it/). */
class RedisSinkTest {
  private static final SourcePosition POS = position("00000000000000000008:00000000000000000016");

  private static SourcePosition position(String orderKey) {
    return SourcePosition.newBuilder().setOrderKey(orderKey).build();
  }

  @Test
  void upsertArgumentsCarryLayoutTtlsAndNonNullHashFields() {
    RedisMutation m =
        RedisMutation.newBuilder()
            .setUpsert(
                CacheUpsert.newBuilder()
                    .setKey("order:1")
                    .setLayout(CacheLayout.HASH)
                    .addFields(Values.column("id", Values.of(1L)))
                    .addFields(Values.column("note", Values.ofNull()))
                    .setTtlSeconds(60)
                    .setPosition(POS))
            .build();
    RedisScripts.Call call = RedisSink.call(m, "p:", 3_600_000L);
    assertEquals(List.of("p:order:1", "p:order:1:__v"), call.keys());
    assertEquals(List.of("u", POS.getOrderKey(), "60000", "3600000", "h", "id", "1"), call.args());
  }

  @Test
  void upsertWithoutTtlKeepsItsFenceForever() {
    RedisMutation m =
        RedisMutation.newBuilder()
            .setUpsert(
                CacheUpsert.newBuilder()
                    .setKey("k")
                    .addFields(Values.column("a", Values.ofNull()))
                    .setPosition(POS))
            .build();
    assertEquals(List.of("u", POS.getOrderKey(), "0", "0", "s", "{\"a\":null}"), RedisSink.call(m, "", 5000).args());
  }

  @Test
  void deleteFenceLastsTheLongerOfFenceTtlAndMutationTtl() {
    RedisMutation m =
        RedisMutation.newBuilder()
            .setDelete(CacheDelete.newBuilder().setKey("k").setPosition(POS).setTtlSeconds(10))
            .build();
    assertEquals("20000", RedisSink.call(m, "", 20_000).args().get(3));
    assertEquals("10000", RedisSink.call(m, "", 1_000).args().get(3));
    assertEquals("0", RedisSink.call(m, "", 0).args().get(3));
  }

  @Test
  void mutationsWithoutKeyPositionOrKindAreRejected() {
    assertEquals(
        "mutation has no kind (upsert, delete, feature or latest)", RedisSink.check(RedisMutation.getDefaultInstance()));
    assertEquals(
        "cache key is empty",
        RedisSink.check(RedisMutation.newBuilder().setUpsert(CacheUpsert.newBuilder().setPosition(POS)).build()));
    assertEquals(
        "mutation of key 'k' has no source position to fence with",
        RedisSink.check(RedisMutation.newBuilder().setDelete(CacheDelete.newBuilder().setKey("k")).build()));
    assertNull(
        RedisSink.check(RedisMutation.newBuilder().setDelete(CacheDelete.newBuilder().setKey("k").setPosition(POS)).build()));
  }

  @Test
  void invalidBatchingIsRejectedAtConstruction() {
    RedisSettings settings = RedisSettings.of("localhost", 6379);
    assertThrows(IllegalArgumentException.class, () -> settings.withBatchSize(0));
    assertThrows(IllegalArgumentException.class, () -> settings.withMaxAttempts(0));
    assertThrows(IllegalArgumentException.class, () -> settings.withTimeout(org.joda.time.Duration.ZERO));
    assertThrows(IllegalArgumentException.class, () -> RedisSettings.of("localhost", 0));
    assertThrows(IllegalArgumentException.class, () -> RedisSink.write(settings).withFenceTtl(org.joda.time.Duration.millis(-1)));
    assertEquals("localhost:6379 (tls) (auth)", settings.withSsl(true).withPassword("secret").toString());
  }

  @Test
  void featureVersionsWithoutLogPositionOrderByEventTimeThenPosition() {
    FeatureRow a = FeatureRow.newBuilder().setEventTimeMillis(999).setPosition(position("9")).build();
    FeatureRow b = FeatureRow.newBuilder().setEventTimeMillis(1000).setPosition(position("1")).build();
    FeatureRow c = FeatureRow.newBuilder().setEventTimeMillis(1000).setPosition(position("2")).build();
    assertNewer(b, a);
    assertNewer(c, b);
    assertEquals("00000000000000001000:2", RedisSink.featureVersion(c));
  }

  @Test
  void featureVersionsOfOneLogOrderByPositionAlone() {
    // A snapshot read stamped with its read time, and a delete committed after the snapshot's
    // consistent point but a second earlier: the log order says the delete is newer.
    FeatureRow snapshot = logRow("m.shop.users", 1_700_000_239_000L, 17692);
    FeatureRow delete = logRow("m.shop.users", 1_700_000_238_000L, 17855);
    assertNewer(delete, snapshot);
    assertEquals(
        "00000001700000238000@m.shop.users@" + binlog(17855).getOrderKey(),
        RedisSink.featureVersion(delete));
    String v = RedisSink.featureVersion(delete);
    assertFalse(RedisSink.featureNewer(v, v), "a replay is not newer");
  }

  @Test
  void featureVersionsOfDifferentOriginsOrderByEventTime() {
    FeatureRow users = logRow("m.shop.users", 2000, 1);
    FeatureRow orders = logRow("m.shop.orders", 1000, 99);
    FeatureRow stream = FeatureRow.newBuilder().setEventTimeMillis(3000).setOrigin("s").build();
    assertNewer(users, orders);
    assertNewer(stream, users);
    assertNewer(stream, orders);
  }

  @Test
  void logOrderKeysWithTheOriginSeparatorAreRejected() {
    FeatureRow row =
        logRow("m.shop.users", 1, 1).toBuilder()
            .setEntityType("user")
            .setEntityId("1")
            .setPosition(binlog(1).toBuilder().setOrderKey("bl:a@b.0000000001:1:0"))
            .build();
    RedisMutation m =
        RedisMutation.newBuilder().setFeature(FeatureUpsert.newBuilder().setKey("k").setRow(row)).build();
    assertTrue(RedisSink.check(m).contains("contains '@'"), RedisSink.check(m));
  }

  private static FeatureRow logRow(String origin, long eventTime, long pos) {
    return FeatureRow.newBuilder().setEventTimeMillis(eventTime).setOrigin(origin).setPosition(binlog(pos)).build();
  }

  private static SourcePosition binlog(long pos) {
    return SourcePosition.newBuilder()
        .setBinlog(BinlogPosition.newBuilder().setFile("mysql-bin.000001").setPos(pos))
        .setOrderKey(String.format("bl:mysql-bin.%010d:%020d:%010d", 1, pos, 0))
        .build();
  }

  private static void assertNewer(FeatureRow newer, FeatureRow older) {
    String n = RedisSink.featureVersion(newer);
    String o = RedisSink.featureVersion(older);
    assertTrue(RedisSink.featureNewer(n, o), n + " should be newer than " + o);
    assertFalse(RedisSink.featureNewer(o, n), o + " should not be newer than " + n);
  }

  @Test
  void featureArgumentsCarryEachFeatureWithTheRowVersion() {
    FeatureRow row =
        FeatureRow.newBuilder()
            .setEntityType("card")
            .setEntityId("c1")
            .setEventTimeMillis(1000)
            .setPosition(position("7"))
            .addFeatures(Values.column("n", Values.of(3L)))
            .addFeatures(Values.column("gone", Values.ofNull()))
            .build();
    RedisMutation m =
        RedisMutation.newBuilder()
            .setFeature(FeatureUpsert.newBuilder().setKey("feature:card:c1").setRow(row).setTtlMillis(60_000))
            .build();
    RedisScripts.Call call = RedisSink.call(m, "p:", 0);
    assertEquals(RedisScripts.FEATURES, call.script());
    assertEquals(List.of("p:feature:card:c1"), call.keys());
    String v = "00000000000000001000:7";
    assertEquals(List.of("60000", "n", v, "0", "3", "gone", v, "1", ""), call.args());
    assertEquals(
        "feature row has an empty key, entity type or id",
        RedisSink.check(RedisMutation.newBuilder().setFeature(FeatureUpsert.newBuilder().setRow(row)).build()));
  }

  @Test
  void latestArgumentsCarryVersionTtlMemberAndNonNullFields() {
    RedisMutation m =
        RedisMutation.newBuilder()
            .setLatest(
                LatestUpsert.newBuilder()
                    .setKey("AAPL")
                    .setVersion("0005:0001")
                    .setIndexKey("tickers")
                    .setIndexMember("AAPL")
                    .addFields(Values.column("mean", Values.of(0.25)))
                    .addFields(Values.column("none", Values.ofNull())))
            .build();
    RedisScripts.Call call = RedisSink.call(m, "s:", 0);
    assertEquals(RedisScripts.LATEST, call.script());
    assertEquals(List.of("s:AAPL", "s:tickers"), call.keys());
    assertEquals(List.of("0005:0001", "0", "AAPL", "mean", "0.25"), call.args());
    assertEquals(
        "latest upsert of key 'AAPL' has no version",
        RedisSink.check(RedisMutation.newBuilder().setLatest(LatestUpsert.newBuilder().setKey("AAPL")).build()));
    assertEquals(
        "latest upsert of key 'AAPL' has a field named '__v'",
        RedisSink.check(
            RedisMutation.newBuilder()
                .setLatest(
                    LatestUpsert.newBuilder()
                        .setKey("AAPL")
                        .setVersion("1")
                        .addFields(Values.column("__v", Values.of(1L))))
                .build()));
  }
}
