package io.tributary.transforms.cdc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.tributary.proto.cdc.CacheDelete;
import io.tributary.proto.cdc.CacheLayout;
import io.tributary.proto.cdc.CacheMutation;
import io.tributary.proto.cdc.CacheUpsert;
import io.tributary.proto.cdc.FeatureRow;
import io.tributary.proto.cdc.LakeRow;
import io.tributary.proto.cdc.SourcePosition;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Script arguments, validation and lake mapping of the Redis sinks (the scripts run in it/). */
class RedisSinkTest {
  private static final SourcePosition POS = SourcePositions.postgres(16, 8, 1);

  @Test
  void upsertArgumentsCarryLayoutTtlsAndNonNullHashFields() {
    CacheMutation m =
        CacheMutation.newBuilder()
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
    CacheMutation m =
        CacheMutation.newBuilder()
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
    CacheMutation m =
        CacheMutation.newBuilder()
            .setDelete(CacheDelete.newBuilder().setKey("k").setPosition(POS).setTtlSeconds(10))
            .build();
    assertEquals("20000", RedisSink.call(m, "", 20_000).args().get(3));
    assertEquals("10000", RedisSink.call(m, "", 1_000).args().get(3));
    assertEquals("0", RedisSink.call(m, "", 0).args().get(3));
  }

  @Test
  void mutationsWithoutKeyPositionOrKindAreRejected() {
    assertEquals("mutation is neither an upsert nor a delete", RedisSink.check(CacheMutation.getDefaultInstance()));
    assertEquals(
        "cache key is empty",
        RedisSink.check(CacheMutation.newBuilder().setUpsert(CacheUpsert.newBuilder().setPosition(POS)).build()));
    assertEquals(
        "mutation of key 'k' has no source position to fence with",
        RedisSink.check(CacheMutation.newBuilder().setDelete(CacheDelete.newBuilder().setKey("k")).build()));
    assertNull(
        RedisSink.check(CacheMutation.newBuilder().setDelete(CacheDelete.newBuilder().setKey("k").setPosition(POS)).build()));
  }

  @Test
  void invalidBatchingIsRejectedAtConstruction() {
    RedisEndpoint endpoint = RedisEndpoint.of("localhost", 6379);
    assertThrows(IllegalArgumentException.class, () -> RedisSink.write(endpoint).withBatchSize(0).expand(null));
    assertThrows(IllegalArgumentException.class, () -> RedisEndpoint.of("localhost", 0));
    assertEquals("localhost:6379 (tls) (auth)", endpoint.withSsl(true).withPassword("secret").toString());
  }

  @Test
  void featureVersionsOrderByEventTimeThenPosition() {
    FeatureRow a = FeatureRow.newBuilder().setEventTimeMillis(999).setPosition(SourcePositions.postgres(9, 9, 1)).build();
    FeatureRow b = FeatureRow.newBuilder().setEventTimeMillis(1000).setPosition(SourcePositions.postgres(1, 1, 1)).build();
    FeatureRow c = FeatureRow.newBuilder().setEventTimeMillis(1000).setPosition(SourcePositions.postgres(2, 2, 1)).build();
    assertEquals(-1, Integer.signum(FeatureStore.version(a).compareTo(FeatureStore.version(b))));
    assertEquals(-1, Integer.signum(FeatureStore.version(b).compareTo(FeatureStore.version(c))));
    assertEquals("00000000000000001000:" + c.getPosition().getOrderKey(), FeatureStore.version(c));
  }

  @Test
  void featureRowsBecomeLakeRowsOfTheirEntityDataset() {
    FeatureRow row =
        FeatureRow.newBuilder()
            .setEntityType("card")
            .setEntityId("c1")
            .setOrigin("fraud")
            .setEventTimeMillis(1234)
            .setPosition(SourcePosition.newBuilder().setOrderKey("txn:1"))
            .addFeatures(Values.column("n", Values.of(3L)))
            .addFeatures(Values.column("mean", Values.of(2.5)))
            .addFeatures(Values.column("gone", Values.ofNull()))
            .build();
    LakeRow lake = FeatureStore.lakeRow(row);
    assertEquals("features_card", lake.getDataset());
    assertEquals("c", lake.getOp());
    assertEquals(1234, lake.getCommitTimeMillis());
    assertEquals("txn:1", lake.getPosition());
    assertEquals(
        List.of("entity_id", "origin", "n", "mean", "gone"),
        lake.getColumnsList().stream().map(c -> c.getName()).toList());
    assertEquals(
        List.of("string", "string", "int64", "float64", "string"),
        lake.getSchemaList().stream().map(s -> s.getType()).toList());
    // The lake sink accepts the schema and the row.
    LakeSink.toRecord(LakeSink.avroSchema(lake.getDataset(), lake.getSchemaList()), lake);
  }
}
