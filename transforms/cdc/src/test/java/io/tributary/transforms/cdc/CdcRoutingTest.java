package io.tributary.transforms.cdc;

import io.tributary.proto.cdc.ChangeEvent;
import io.tributary.proto.common.Failure;
import io.tributary.proto.sinks.CacheDelete;
import io.tributary.proto.sinks.CacheLayout;
import io.tributary.proto.sinks.CacheUpsert;
import io.tributary.proto.sinks.FeatureRow;
import io.tributary.proto.sinks.LakeRow;
import io.tributary.proto.sinks.RedisMutation;
import io.tributary.testing.BeamTest;
import io.tributary.transforms.values.Values;
import java.util.ArrayList;
import java.util.List;
import org.apache.beam.sdk.extensions.protobuf.ProtoCoder;
import org.apache.beam.sdk.testing.PAssert;
import org.apache.beam.sdk.testing.TestPipeline;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.MapElements;
import org.apache.beam.sdk.values.TypeDescriptors;
import org.junit.jupiter.api.Test;

@BeamTest
class CdcRoutingTest {
  private static final String RULES =
      String.join(
          "\n",
          "routes:",
          "  - name: customers",
          "    tables: ['postgres.public.customers']",
          "    lake: {dataset: customers}",
          "    cache: {key: 'customer:{id}', layout: hash, ttlSeconds: 600, fields: [first_name, email]}",
          "    features: {entity: customer, entityId: '{id}', features: [{name: contact, column: email}]}",
          "  - name: maria-customers",
          "    tables: ['inventory.customers']",
          "    cache: {key: 'c:{id}:{phone}'}",
          "unrouted: {deadLetter: true}");

  static ChangeEvent fixture(String name) {
    try {
      return DebeziumJsonTest.parse(name);
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  @Test
  void routesEveryOpToItsDestinations(TestPipeline p) {
    ChangeEvent create = fixture("doc/postgresql/customers-create.schemas.json");
    ChangeEvent update = fixture("doc/postgresql/customers-update.schemas.json");
    ChangeEvent delete = fixture("doc/postgresql/customers-delete.schemas.json");
    ChangeEvent truncate = fixture("doc/postgresql/customers-truncate.schemas.json");
    ChangeEvent tombstone = fixture("doc/postgresql/customers-tombstone.schemas.json");
    ChangeEvent maria = fixture("doc/mariadb/customers-create.schemas.json");
    ChangeEvent unrouted = fixture("doc/postgresql/products-types.schemas.json");

    CdcRouting.Routed routed =
        p.apply(Create.of(List.of(create, update, delete, truncate, tombstone, maria, unrouted))
                .withCoder(ProtoCoder.of(ChangeEvent.class)))
            .apply(CdcRouting.route(CdcRules.parse(RULES)));

    List<LakeRow> lake = new ArrayList<>();
    for (ChangeEvent e : List.of(create, update, delete, truncate)) {
      lake.add(CdcRouting.lakeRow(e, "customers"));
    }
    PAssert.that(routed.lake()).containsInAnyOrder(lake);
    PAssert.that(
            routed.lake().apply("Ops", MapElements.into(TypeDescriptors.strings())
                .via(r -> r.getOp() + ":" + r.getColumnsCount() + ":" + r.getCommitTimeMillis())))
        .containsInAnyOrder("c:4:1559033904863", "u:4:1559033904863", "d:4:1559033904863",
            "t:0:1559033904863");

    PAssert.that(routed.cache())
        .containsInAnyOrder(
            upsert(create, "Anne"),
            upsert(update, "Anne Marie"),
            RedisMutation.newBuilder()
                .setRoute("customers")
                .setDelete(
                    CacheDelete.newBuilder()
                        .setKey("customer:1")
                        .setLayout(CacheLayout.HASH)
                        .setPosition(delete.getSource().getPosition())
                        .setTableId("postgres.public.customers")
                        .setTtlSeconds(600))
                .build());

    PAssert.that(routed.features())
        .containsInAnyOrder(
            feature(create, Values.of("annek@noanswer.org")),
            feature(update, Values.of("annek@noanswer.org")),
            feature(delete, Values.ofNull()));

    PAssert.that(
            routed.failures().apply("Reasons", MapElements.into(TypeDescriptors.strings())
                .via(Failure::getReason)))
        .containsInAnyOrder(
            "route 'customers' cache: op 't' cannot be applied key by key",
            "route 'customers' features: op 't' cannot be applied entity by entity",
            "route 'maria-customers' cache: template 'c:{id}:{phone}': column 'phone' is absent or null",
            "no route for table 'postgres.inventory.products'");
    PAssert.that(routed.failures().apply("Payloads", MapElements.into(TypeDescriptors.booleans())
            .via(f -> f.getStep().equals("RouteChanges")
                && f.getPayload().toStringUtf8().startsWith("{\"op\":"))))
        .containsInAnyOrder(true, true, true, true);
    p.run().waitUntilFinish();
  }

  private static RedisMutation upsert(ChangeEvent e, String firstName) {
    return RedisMutation.newBuilder()
        .setRoute("customers")
        .setUpsert(
            CacheUpsert.newBuilder()
                .setKey("customer:1")
                .setLayout(CacheLayout.HASH)
                .addFields(Values.column("first_name", Values.of(firstName)))
                .addFields(Values.column("email", Values.of("annek@noanswer.org")))
                .setTtlSeconds(600)
                .setPosition(e.getSource().getPosition())
                .setTableId("postgres.public.customers"))
        .build();
  }

  private static FeatureRow feature(ChangeEvent e, io.tributary.proto.values.Value contact) {
    return FeatureRow.newBuilder()
        .setEntityType("customer")
        .setEntityId("1")
        .addFeatures(Values.column("contact", contact))
        .setEventTimeMillis(e.getSource().getTsMs())
        .setOrigin("postgres.public.customers")
        .setPosition(e.getSource().getPosition())
        .build();
  }

  @Test
  void unroutedTablesAreOnlyCountedUnlessDeadLettered(TestPipeline p) {
    CdcRouting.Routed routed =
        p.apply(Create.of(fixture("doc/postgresql/products-types.schemas.json"))
                .withCoder(ProtoCoder.of(ChangeEvent.class)))
            .apply(CdcRouting.route(CdcRules.parse("routes: [{name: a, tables: [other.table], lake: true}]")));
    PAssert.that(routed.lake()).empty();
    PAssert.that(routed.cache()).empty();
    PAssert.that(routed.features()).empty();
    PAssert.that(routed.failures()).empty();
    org.apache.beam.sdk.PipelineResult result = p.run();
    result.waitUntilFinish();
    org.apache.beam.sdk.metrics.MetricQueryResults metrics =
        result.metrics().queryMetrics(
            org.apache.beam.sdk.metrics.MetricsFilter.builder()
                .addNameFilter(org.apache.beam.sdk.metrics.MetricNameFilter.named(
                    DebeziumChanges.METRICS_NAMESPACE, "unrouted"))
                .build());
    long unrouted = 0;
    for (org.apache.beam.sdk.metrics.MetricResult<Long> c : metrics.getCounters()) {
      unrouted += c.getAttempted();
    }
    org.hamcrest.MatcherAssert.assertThat(unrouted, org.hamcrest.Matchers.is(1L));
  }
}
