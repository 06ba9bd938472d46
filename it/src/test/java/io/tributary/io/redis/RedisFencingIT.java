package io.tributary.io.redis;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.allOf;
import static org.hamcrest.Matchers.greaterThan;
import static org.hamcrest.Matchers.lessThanOrEqualTo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.tributary.it.Services;
import io.tributary.proto.sinks.CacheDelete;
import io.tributary.proto.sinks.CacheLayout;
import io.tributary.proto.sinks.CacheUpsert;
import io.tributary.proto.sinks.LatestUpsert;
import io.tributary.proto.sinks.RedisMutation;
import io.tributary.proto.values.Column;
import io.tributary.proto.values.SourcePosition;
import io.tributary.transforms.values.Values;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.Jedis;

/** The cache script's fencing, called directly with Jedis against the test Redis. */
class RedisFencingIT {
  private static final long FENCE_TTL = 3_600_000L;

  static Jedis jedis() {
    return new Jedis(Services.redisHost(), Services.redisPort());
  }

  static SourcePosition pos(long lsn) {
    return io.tributary.transforms.cdc.SourcePositions.postgres(lsn, lsn, 1);
  }

  static RedisMutation upsert(String key, CacheLayout layout, long lsn, long ttlSeconds, Column... fields) {
    return RedisMutation.newBuilder()
        .setUpsert(
            CacheUpsert.newBuilder()
                .setKey(key)
                .setLayout(layout)
                .addAllFields(List.of(fields))
                .setTtlSeconds(ttlSeconds)
                .setPosition(pos(lsn)))
        .build();
  }

  static RedisMutation delete(String key, CacheLayout layout, long lsn) {
    return RedisMutation.newBuilder()
        .setDelete(CacheDelete.newBuilder().setKey(key).setLayout(layout).setPosition(pos(lsn)))
        .build();
  }

  private static Object apply(Jedis jedis, RedisMutation m) {
    RedisScripts.Call call = RedisSink.call(m, "", FENCE_TTL);
    return jedis.eval(call.script(), call.keys(), call.args());
  }

  static RedisMutation latest(String key, String version, long mentions) {
    return RedisMutation.newBuilder()
        .setLatest(
            LatestUpsert.newBuilder()
                .setKey(key)
                .setVersion(version)
                .setIndexKey(key + ":index")
                .setIndexMember("m-" + version)
                .addFields(Values.column("mentions", Values.of(mentions))))
        .build();
  }

  @Test
  void latestUpsertKeepsTheNewestVersionAndIndexesEveryWrite() {
    String key = "fencing-" + UUID.randomUUID() + ":latest";
    try (Jedis jedis = jedis()) {
      assertEquals(1L, apply(jedis, latest(key, "0002", 20)));
      // Older and equal versions change nothing, and are not indexed.
      assertEquals(0L, apply(jedis, latest(key, "0001", 10)));
      assertEquals(0L, apply(jedis, latest(key, "0002", 99)));
      assertEquals(Map.of("__v", "0002", "mentions", "20"), jedis.hgetAll(key));
      assertEquals(1L, apply(jedis, latest(key, "0003", 30)));
      assertEquals(Map.of("__v", "0003", "mentions", "30"), jedis.hgetAll(key));
      assertEquals(java.util.Set.of("m-0002", "m-0003"), jedis.smembers(key + ":index"));
    }
  }

  @Test
  void olderAndReplayedChangesNeverOverwriteAndDeletesLeaveAFence() {
    String key = "fencing-" + UUID.randomUUID() + ":order:1";
    Column open = Values.column("status", Values.of("open"));
    Column paid = Values.column("status", Values.of("paid"));
    try (Jedis jedis = jedis()) {
      assertEquals(1L, apply(jedis, upsert(key, CacheLayout.STRING_JSON, 20, 0, paid)));
      assertEquals("{\"status\":\"paid\"}", jedis.get(key));
      assertEquals(pos(20).getOrderKey(), jedis.get(key + RedisSink.FENCE_SUFFIX));
      assertEquals(-1L, jedis.pttl(key));

      // Older, then the same position replayed: nothing changes.
      assertEquals(0L, apply(jedis, upsert(key, CacheLayout.STRING_JSON, 10, 0, open)));
      assertEquals(0L, apply(jedis, upsert(key, CacheLayout.STRING_JSON, 20, 0, open)));
      assertEquals("{\"status\":\"paid\"}", jedis.get(key));

      // A delete removes the data and leaves its position as a fence with the fence TTL.
      assertEquals(2L, apply(jedis, delete(key, CacheLayout.STRING_JSON, 30)));
      assertFalse(jedis.exists(key));
      assertEquals(pos(30).getOrderKey(), jedis.get(key + RedisSink.FENCE_SUFFIX));
      assertThat(jedis.pttl(key + RedisSink.FENCE_SUFFIX), allOf(greaterThan(FENCE_TTL - 60_000), lessThanOrEqualTo(FENCE_TTL)));

      // A late older upsert cannot resurrect the row; a newer one can, as a hash with a TTL.
      assertEquals(0L, apply(jedis, upsert(key, CacheLayout.STRING_JSON, 25, 0, open)));
      assertFalse(jedis.exists(key));
      assertEquals(
          1L,
          apply(jedis, upsert(key, CacheLayout.HASH, 40, 60, open, Values.column("note", Values.ofNull()))));
      assertEquals(Map.of("status", "open"), jedis.hgetAll(key));
      assertThat(jedis.pttl(key), allOf(greaterThan(0L), lessThanOrEqualTo(60_000L)));
      // The fence outlives the data: the longer of the data TTL and the fence TTL.
      assertThat(jedis.pttl(key + RedisSink.FENCE_SUFFIX), greaterThan(FENCE_TTL - 60_000));

      // A delete older than the fence is fenced too.
      assertEquals(0L, apply(jedis, delete(key, CacheLayout.HASH, 35)));
      assertEquals(Map.of("status", "open"), jedis.hgetAll(key));
    }
  }

  @Test
  void positionsCompareByteWiseNotByLength() {
    String key = "fencing-" + UUID.randomUUID() + ":k";
    try (Jedis jedis = jedis()) {
      // "bl:...:9" vs "bl:...:10" would misorder without fixed widths; order keys are fixed-width,
      // and the script compares bytes: "b" > "a...." whatever the lengths.
      RedisScripts.Call first =
          new RedisScripts.Call(RedisScripts.CACHE, List.of(key, key + RedisSink.FENCE_SUFFIX), List.of("u", "b", "0", "0", "s", "{}"));
      RedisScripts.Call longerButOlder =
          new RedisScripts.Call(RedisScripts.CACHE, List.of(key, key + RedisSink.FENCE_SUFFIX), List.of("u", "azzzz", "0", "0", "s", "{\"x\":1}"));
      RedisScripts.Call prefixExtended =
          new RedisScripts.Call(RedisScripts.CACHE, List.of(key, key + RedisSink.FENCE_SUFFIX), List.of("u", "b0", "0", "0", "s", "{\"x\":2}"));
      assertEquals(1L, jedis.eval(RedisScripts.CACHE, first.keys(), first.args()));
      assertEquals(0L, jedis.eval(RedisScripts.CACHE, longerButOlder.keys(), longerButOlder.args()));
      assertEquals(1L, jedis.eval(RedisScripts.CACHE, prefixExtended.keys(), prefixExtended.args()));
      assertEquals("{\"x\":2}", jedis.get(key));
      assertNull(jedis.get(key + ":missing"));
    }
  }
}
