package io.tributary.transforms.cdc;

import com.google.auto.value.AutoValue;
import io.tributary.proto.cdc.ChangeEvent;
import io.tributary.proto.cdc.DomainEvent;
import io.tributary.proto.common.Failure;
import io.tributary.proto.values.Column;
import io.tributary.proto.values.Value;
import io.tributary.transforms.coders.MessageCoder;
import io.tributary.transforms.errors.Failures;
import io.tributary.transforms.values.Values;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.metrics.Metrics;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.WithFailures;
import org.apache.beam.sdk.transforms.display.DisplayData;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionTuple;
import org.apache.beam.sdk.values.TupleTag;
import org.apache.beam.sdk.values.TupleTagList;

/**
 * The transactional outbox: inserts into an outbox table, captured like any other change, become
 * {@link DomainEvent}s keyed by their destination.
 *
 * <p>The table has Debezium's outbox layout: {@code id}, {@code aggregatetype}, {@code
 * aggregateid}, {@code type}, {@code payload} (column names configurable); other columns are kept
 * as {@code extra}. Only inserts (op {@code c}, and snapshot reads {@code r}) publish events:
 * services commonly delete outbox rows right after inserting them, and those deletes (and
 * updates, truncates) are counted ({@code outbox.ignored}), not published.
 *
 * <pre>{@code
 * WithFailures.Result<PCollection<KV<String, DomainEvent>>, Failure> events =
 *     changes.apply("Outbox", Outbox.events().withTables("*.public.outbox"));
 * // key: "outbox.event.<aggregatetype>" (the destination, e.g. a topic)
 * }</pre>
 *
 * <p>Element-wise; timestamps and windows pass through. An outbox row missing a required column
 * (or holding null or an empty value there) is a {@link Failure} of step {@value #STEP} with the
 * change event as protobuf JSON.
 */
@AutoValue
public abstract class Outbox
    extends PTransform<
        PCollection<ChangeEvent>, WithFailures.Result<PCollection<KV<String, DomainEvent>>, Failure>> {
  /** The step name in failure records. */
  public static final String STEP = "OutboxEvents";

  /** Outbox events of tables matching {@code **.outbox}, destinations {@code outbox.event.<type>}. */
  public static Outbox events() {
    return new AutoValue_Outbox.Builder()
        .setTables("**.outbox")
        .setDestinationPrefix("outbox.event.")
        .setIdColumn("id")
        .setAggregateTypeColumn("aggregatetype")
        .setAggregateIdColumn("aggregateid")
        .setTypeColumn("type")
        .setPayloadColumn("payload")
        .build();
  }

  abstract String getTables();

  abstract String getDestinationPrefix();

  abstract String getIdColumn();

  abstract String getAggregateTypeColumn();

  abstract String getAggregateIdColumn();

  abstract String getTypeColumn();

  abstract String getPayloadColumn();

  abstract Builder toBuilder();

  @AutoValue.Builder
  abstract static class Builder {
    abstract Builder setTables(String glob);

    abstract Builder setDestinationPrefix(String prefix);

    abstract Builder setIdColumn(String c);

    abstract Builder setAggregateTypeColumn(String c);

    abstract Builder setAggregateIdColumn(String c);

    abstract Builder setTypeColumn(String c);

    abstract Builder setPayloadColumn(String c);

    abstract Outbox build();
  }

  /**
   * Which table ids are outbox tables (a glob as in {@link CdcRules}); changes of other tables are
   * skipped.
   */
  public Outbox withTables(String glob) {
    return toBuilder().setTables(glob).build();
  }

  /** The destination of an event is this prefix plus its aggregate type. */
  public Outbox withDestinationPrefix(String prefix) {
    return toBuilder().setDestinationPrefix(prefix).build();
  }

  /** Column names when the table differs from Debezium's defaults. */
  public Outbox withColumns(
      String id, String aggregateType, String aggregateId, String type, String payload) {
    return toBuilder()
        .setIdColumn(id)
        .setAggregateTypeColumn(aggregateType)
        .setAggregateIdColumn(aggregateId)
        .setTypeColumn(type)
        .setPayloadColumn(payload)
        .build();
  }

  @Override
  public WithFailures.Result<PCollection<KV<String, DomainEvent>>, Failure> expand(
      PCollection<ChangeEvent> input) {
    TupleTag<KV<String, DomainEvent>> events = new TupleTag<KV<String, DomainEvent>>() {};
    TupleTag<Failure> failed = Failures.tag();
    PCollectionTuple out =
        input.apply(
            "ToDomainEvents",
            ParDo.of(new OutboxFn(this, events, failed)).withOutputTags(events, TupleTagList.of(failed)));
    out.get(events)
        .setCoder(KvCoder.of(StringUtf8Coder.of(), MessageCoder.of(DomainEvent.class)));
    out.get(failed).setCoder(Failures.coder());
    return WithFailures.Result.of(out, events, failed);
  }

  @Override
  public void populateDisplayData(DisplayData.Builder builder) {
    super.populateDisplayData(builder);
    builder
        .add(DisplayData.item("tables", getTables()))
        .add(DisplayData.item("destinationPrefix", getDestinationPrefix()));
  }

  /** One outbox change to a keyed domain event. */
  static final class OutboxFn extends DoFn<ChangeEvent, KV<String, DomainEvent>> {
    private final Pattern tables;
    private final String prefix;
    private final String id;
    private final String aggregateType;
    private final String aggregateId;
    private final String type;
    private final String payload;
    private final TupleTag<KV<String, DomainEvent>> events;
    private final TupleTag<Failure> failed;
    private final Counter published = Metrics.counter(DebeziumChanges.METRICS_NAMESPACE, "outbox.events");
    private final Counter ignored = Metrics.counter(DebeziumChanges.METRICS_NAMESPACE, "outbox.ignored");
    private final Counter failedCount = Metrics.counter(DebeziumChanges.METRICS_NAMESPACE, "outbox.failed");

    OutboxFn(Outbox spec, TupleTag<KV<String, DomainEvent>> events, TupleTag<Failure> failed) {
      this.tables = CdcRules.glob(spec.getTables());
      this.prefix = spec.getDestinationPrefix();
      this.id = spec.getIdColumn();
      this.aggregateType = spec.getAggregateTypeColumn();
      this.aggregateId = spec.getAggregateIdColumn();
      this.type = spec.getTypeColumn();
      this.payload = spec.getPayloadColumn();
      this.events = events;
      this.failed = failed;
    }

    @ProcessElement
    public void process(@Element ChangeEvent change, MultiOutputReceiver out) {
      if (!tables.matcher(change.getTableId()).matches()) {
        return;
      }
      if (change.getTombstone()
          || (change.getOp() != ChangeEvent.Op.CREATE && change.getOp() != ChangeEvent.Op.READ)) {
        ignored.inc();
        return;
      }
      List<Column> row = change.getAfter().getColumnsList();
      try {
        DomainEvent.Builder event =
            DomainEvent.newBuilder()
                .setId(text(row, id))
                .setAggregateType(text(row, aggregateType))
                .setAggregateId(text(row, aggregateId))
                .setType(text(row, type))
                .setPayload(required(row, payload))
                .setTableId(change.getTableId())
                .setPosition(change.getSource().getPosition())
                .setCommitTimeMillis(change.getSource().getTsMs());
        Set<String> known = Set.of(id, aggregateType, aggregateId, type, payload);
        for (Column c : row) {
          if (!known.contains(c.getName())) {
            event.addExtra(c);
          }
        }
        published.inc();
        out.get(events).output(KV.of(prefix + event.getAggregateType(), event.build()));
      } catch (IllegalArgumentException e) {
        failedCount.inc();
        out.get(failed)
            .output(
                Failures.of(
                    STEP,
                    "outbox row of '" + change.getTableId() + "': " + e.getMessage(),
                    CdcRouting.toJson(change),
                    change.getSource().getTsMs()));
      }
    }

    private static Value required(List<Column> row, String column) {
      Optional<Value> v = Values.find(row, column);
      if (v.isEmpty()) {
        throw new IllegalArgumentException("missing column '" + column + "'");
      }
      if (Values.isNull(v.get())) {
        throw new IllegalArgumentException("column '" + column + "' is null");
      }
      return v.get();
    }

    private static String text(List<Column> row, String column) {
      String s = Values.toText(required(row, column));
      if (s.isBlank()) {
        throw new IllegalArgumentException("column '" + column + "' is empty");
      }
      return s;
    }
  }
}
