package io.tributary.features;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.tributary.io.lake.LakeSink;
import io.tributary.proto.sinks.FeatureRow;
import io.tributary.proto.sinks.LakeRow;
import io.tributary.proto.sinks.RedisMutation;
import io.tributary.proto.values.SourcePosition;
import io.tributary.transforms.values.Values;
import java.util.List;
import org.junit.jupiter.api.Test;

/** How feature rows become Redis mutations and lake rows (the writes run against Redis in it/). */
class FeatureStoreTest {
  @Test
  void featureRowsBecomeFeatureUpsertsOfTheirEntityHash() {
    FeatureRow row =
        FeatureRow.newBuilder().setEntityType("card").setEntityId("c1").setOrigin("fraud").build();
    RedisMutation m = FeatureStore.mutation(row, "feature:", 5000);
    assertEquals("feature:card:c1", m.getFeature().getKey());
    assertEquals(row, m.getFeature().getRow());
    assertEquals(5000, m.getFeature().getTtlMillis());
    assertEquals("fraud", m.getRoute());
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
