package io.tributary.transforms.cdc;

import io.tributary.proto.cdc.ChangeEvent;
import io.tributary.proto.cdc.DomainEvent;
import io.tributary.proto.common.Failure;
import io.tributary.proto.values.Column;
import io.tributary.proto.values.Row;
import io.tributary.testing.BeamTest;
import io.tributary.transforms.values.Values;
import java.util.List;
import org.apache.beam.sdk.extensions.protobuf.ProtoCoder;
import org.apache.beam.sdk.testing.PAssert;
import org.apache.beam.sdk.testing.TestPipeline;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.MapElements;
import org.apache.beam.sdk.transforms.WithFailures;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.TypeDescriptors;
import org.junit.jupiter.api.Test;

@BeamTest
class OutboxTest {

  private static ChangeEvent withRow(ChangeEvent e, String column, io.tributary.proto.values.Value value) {
    Row.Builder row = Row.newBuilder();
    boolean replaced = false;
    for (Column c : e.getAfter().getColumnsList()) {
      if (c.getName().equals(column)) {
        replaced = true;
        if (value != null) {
          row.addColumns(Values.column(column, value));
        }
      } else {
        row.addColumns(c);
      }
    }
    if (!replaced && value != null) {
      row.addColumns(Values.column(column, value));
    }
    return e.toBuilder().setAfter(row).build();
  }

  @Test
  void outboxInsertsBecomeDomainEventsKeyedByAggregateType(TestPipeline p) {
    ChangeEvent insert = CdcRoutingTest.fixture("doc/postgresql/outbox-create.schemas.json");
    ChangeEvent delete = CdcRoutingTest.fixture("doc/postgresql/outbox-delete.schemas.json");
    ChangeEvent customer = CdcRoutingTest.fixture("doc/postgresql/customers-create.schemas.json");
    ChangeEvent shipment = withRow(insert, "aggregatetype", Values.of("Shipment"));
    ChangeEvent noType = withRow(insert, "type", null);
    ChangeEvent nullPayload = withRow(insert, "payload", Values.ofNull());
    ChangeEvent blankId = withRow(insert, "aggregateid", Values.of(" "));

    WithFailures.Result<PCollection<KV<String, DomainEvent>>, Failure> result =
        p.apply(Create.of(List.of(insert, delete, customer, shipment, noType, nullPayload, blankId))
                .withCoder(ProtoCoder.of(ChangeEvent.class)))
            .apply(Outbox.events());

    DomainEvent order =
        DomainEvent.newBuilder()
            .setId("406c07f3-26f0-4eea-a50c-109940064b8f")
            .setAggregateType("Order")
            .setAggregateId("1")
            .setType("OrderCreated")
            .setPayload(
                Values.json(
                    "{\"id\": 1, \"lineItems\": [{\"id\": 1, \"item\": \"Debezium in Action\","
                        + " \"status\": \"ENTERED\", \"quantity\": 2, \"totalPrice\": 39.98}],"
                        + " \"customerId\": 123}"))
            .addExtra(Values.column("tracingspancontext", Values.ofNull()))
            .setTableId("postgres.public.outbox")
            .setPosition(insert.getSource().getPosition())
            .setCommitTimeMillis(1559033905000L)
            .build();
    PAssert.that(result.output())
        .containsInAnyOrder(
            KV.of("outbox.event.Order", order),
            KV.of("outbox.event.Shipment", order.toBuilder().setAggregateType("Shipment").build()));
    PAssert.that(
            result.failures().apply(MapElements.into(TypeDescriptors.strings())
                .via(f -> f.getStep() + ": " + f.getReason())))
        .containsInAnyOrder(
            "OutboxEvents: outbox row of 'postgres.public.outbox': missing column 'type'",
            "OutboxEvents: outbox row of 'postgres.public.outbox': column 'payload' is null",
            "OutboxEvents: outbox row of 'postgres.public.outbox': column 'aggregateid' is empty");
    p.run().waitUntilFinish();
  }
}
