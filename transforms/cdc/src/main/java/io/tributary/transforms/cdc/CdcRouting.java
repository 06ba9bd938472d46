package io.tributary.transforms.cdc;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.util.JsonFormat;
import io.tributary.proto.cdc.ChangeEvent;
import io.tributary.proto.common.Failure;
import io.tributary.proto.sinks.CacheDelete;
import io.tributary.proto.sinks.CacheUpsert;
import io.tributary.proto.sinks.FeatureRow;
import io.tributary.proto.sinks.LakeRow;
import io.tributary.proto.sinks.RedisMutation;
import io.tributary.proto.values.Column;
import io.tributary.transforms.coders.MessageCoder;
import io.tributary.transforms.errors.Failures;
import io.tributary.transforms.values.Values;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.metrics.Metrics;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.display.DisplayData;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionTuple;
import org.apache.beam.sdk.values.PInput;
import org.apache.beam.sdk.values.POutput;
import org.apache.beam.sdk.values.PValue;
import org.apache.beam.sdk.values.TupleTag;
import org.apache.beam.sdk.values.TupleTagList;

/**
 * Applies {@link CdcRules} to change events, yielding typed per-destination outputs.
 *
 * <pre>{@code
 * CdcRouting.Routed routed = changes.apply("Route", CdcRouting.route(CdcRules.fromFile(path)));
 * routed.lake();      // PCollection<LakeRow>        -> lake sink
 * routed.cache();     // PCollection<RedisMutation>  -> cache sink (upserts and deletes, fenced)
 * routed.features();  // PCollection<FeatureRow>     -> feature store
 * routed.failures();  // PCollection<Failure>        -> dead letters
 * }</pre>
 */
public final class CdcRouting {
  private CdcRouting() {}

  /** Routes change events by {@code rules}. */
  public static Route route(CdcRules rules) {
    return new Route(rules);
  }

  /**
   * Sends each change to the destinations of the first route matching its table id; element-wise,
   * so windowing and timestamps pass through unchanged.
   *
   * <ul>
   *   <li><b>lake</b>: every op becomes a {@link LakeRow} (op letter, commit time, position order
   *       key, the after image, or the before image of a delete, or its key; none for TRUNCATE).
   *   <li><b>cache</b>: CREATE, READ and UPDATE become a {@link CacheUpsert} of the selected
   *       fields under the filled key template; DELETE a {@link CacheDelete} of the key filled from
   *       the before image or primary key. Both carry the source position for fencing. A TRUNCATE
   *       cannot be applied key by key and is a failure.
   *   <li><b>features</b>: CREATE, READ and UPDATE become a {@link FeatureRow} of the mapped
   *       columns at the commit time; a DELETE the same features as nulls (so the entity's values
   *       are cleared); a TRUNCATE is a failure.
   * </ul>
   *
   * <p>Changes of tables no route matches are counted ({@code unrouted}) and, when the rules say
   * {@code unrouted.deadLetter: true}, become failures. A key or entity template whose column is
   * absent or null, or a listed cache field missing from the row, is a failure of that
   * destination (the others still receive the change). Failures are of step {@value #STEP}; their
   * payload is the change event as protobuf JSON. Tombstones are ignored (counted).
   */
  public static final class Route extends PTransform<PCollection<ChangeEvent>, Routed> {
    /** The step name in failure records. */
    public static final String STEP = "RouteChanges";

    private final CdcRules rules;

    Route(CdcRules rules) {
      this.rules = rules;
    }

    @Override
    public Routed expand(PCollection<ChangeEvent> input) {
      TupleTag<LakeRow> lake = new TupleTag<LakeRow>() {};
      TupleTag<RedisMutation> cache = new TupleTag<RedisMutation>() {};
      TupleTag<FeatureRow> features = new TupleTag<FeatureRow>() {};
      TupleTag<Failure> failures = Failures.tag();
      PCollectionTuple out =
          input.apply(
              "Route",
              ParDo.of(new RouteFn(rules, lake, cache, features, failures))
                  .withOutputTags(lake, TupleTagList.of(cache).and(features).and(failures)));
      out.get(lake).setCoder(MessageCoder.of(LakeRow.class));
      out.get(cache).setCoder(MessageCoder.of(RedisMutation.class));
      out.get(features).setCoder(MessageCoder.of(FeatureRow.class));
      out.get(failures).setCoder(Failures.coder());
      return new Routed(
          input.getPipeline(), out.get(lake), out.get(cache), out.get(features), out.get(failures));
    }

    @Override
    public void populateDisplayData(DisplayData.Builder builder) {
      super.populateDisplayData(builder);
      builder.add(DisplayData.item("rules", rules.toString()));
    }
  }

  /** The outputs of {@link Route}, one typed collection per destination plus failures. */
  public static final class Routed implements POutput {
    private final Pipeline pipeline;
    private final PCollection<LakeRow> lake;
    private final PCollection<RedisMutation> cache;
    private final PCollection<FeatureRow> features;
    private final PCollection<Failure> failures;

    Routed(
        Pipeline pipeline,
        PCollection<LakeRow> lake,
        PCollection<RedisMutation> cache,
        PCollection<FeatureRow> features,
        PCollection<Failure> failures) {
      this.pipeline = pipeline;
      this.lake = lake;
      this.cache = cache;
      this.features = features;
      this.failures = failures;
    }

    public PCollection<LakeRow> lake() {
      return lake;
    }

    public PCollection<RedisMutation> cache() {
      return cache;
    }

    public PCollection<FeatureRow> features() {
      return features;
    }

    public PCollection<Failure> failures() {
      return failures;
    }

    @Override
    public Pipeline getPipeline() {
      return pipeline;
    }

    @Override
    public Map<TupleTag<?>, PValue> expand() {
      return Map.of(
          new TupleTag<LakeRow>("lake"), lake,
          new TupleTag<RedisMutation>("cache"), cache,
          new TupleTag<FeatureRow>("features"), features,
          new TupleTag<Failure>("failures"), failures);
    }

    @Override
    public void finishSpecifyingOutput(
        String transformName, PInput input, PTransform<?, ?> transform) {}
  }

  /** Applies the rules to one change. */
  static final class RouteFn extends DoFn<ChangeEvent, LakeRow> {
    private final CdcRules rules;
    private final TupleTag<LakeRow> lakeTag;
    private final TupleTag<RedisMutation> cacheTag;
    private final TupleTag<FeatureRow> featuresTag;
    private final TupleTag<Failure> failuresTag;
    private final Counter lakeRows = Metrics.counter(DebeziumChanges.METRICS_NAMESPACE, "route.lake");
    private final Counter cacheMutations =
        Metrics.counter(DebeziumChanges.METRICS_NAMESPACE, "route.cache");
    private final Counter featureRows =
        Metrics.counter(DebeziumChanges.METRICS_NAMESPACE, "route.features");
    private final Counter unrouted = Metrics.counter(DebeziumChanges.METRICS_NAMESPACE, "unrouted");
    private final Counter tombstones =
        Metrics.counter(DebeziumChanges.METRICS_NAMESPACE, "route.tombstonesIgnored");
    private final Counter failed = Metrics.counter(DebeziumChanges.METRICS_NAMESPACE, "routeFailed");

    RouteFn(
        CdcRules rules,
        TupleTag<LakeRow> lakeTag,
        TupleTag<RedisMutation> cacheTag,
        TupleTag<FeatureRow> featuresTag,
        TupleTag<Failure> failuresTag) {
      this.rules = rules;
      this.lakeTag = lakeTag;
      this.cacheTag = cacheTag;
      this.featuresTag = featuresTag;
      this.failuresTag = failuresTag;
    }

    @ProcessElement
    public void process(@Element ChangeEvent event, MultiOutputReceiver out) {
      if (event.getTombstone()) {
        tombstones.inc();
        return;
      }
      Optional<CdcRules.Route> found = rules.routeFor(event.getTableId());
      if (found.isEmpty()) {
        unrouted.inc();
        if (rules.deadLetterUnrouted()) {
          fail(out, event, "no route for table '" + event.getTableId() + "'");
        }
        return;
      }
      CdcRules.Route route = found.get();
      if (route.lake().isPresent()) {
        lakeRows.inc();
        out.get(lakeTag).output(lakeRow(event, route.lake().get().datasetFor(event.getTableId())));
      }
      if (route.cache().isPresent()) {
        try {
          out.get(cacheTag).output(cacheMutation(event, route.name(), route.cache().get()));
          cacheMutations.inc();
        } catch (IllegalArgumentException e) {
          fail(out, event, "route '" + route.name() + "' cache: " + e.getMessage());
        }
      }
      if (route.features().isPresent()) {
        try {
          out.get(featuresTag).output(featureRow(event, route.features().get()));
          featureRows.inc();
        } catch (IllegalArgumentException e) {
          fail(out, event, "route '" + route.name() + "' features: " + e.getMessage());
        }
      }
    }

    private void fail(MultiOutputReceiver out, ChangeEvent event, String reason) {
      failed.inc();
      out.get(failuresTag)
          .output(
              Failures.of(
                  Route.STEP, reason, toJson(event), event.getSource().getTsMs()));
    }
  }

  /** The change as protobuf JSON (the payload of routing failures). */
  static byte[] toJson(ChangeEvent event) {
    try {
      return JsonFormat.printer()
          .omittingInsignificantWhitespace()
          .print(event)
          .getBytes(StandardCharsets.UTF_8);
    } catch (InvalidProtocolBufferException e) {
      return event.toByteArray();
    }
  }

  /** The lake row of a change. */
  public static LakeRow lakeRow(ChangeEvent event, String dataset) {
    LakeRow.Builder row =
        LakeRow.newBuilder()
            .setDataset(dataset)
            .setOp(DebeziumJson.letter(event.getOp()))
            .setCommitTimeMillis(event.getSource().getTsMs())
            .setPosition(event.getSource().getPosition().getOrderKey())
            .addAllSchema(event.getColumnsList());
    if (event.hasAfter()) {
      row.addAllColumns(event.getAfter().getColumnsList());
    } else if (event.hasBefore()) {
      row.addAllColumns(event.getBefore().getColumnsList());
    } else {
      row.addAllColumns(event.getPrimaryKeyList());
    }
    return row.build();
  }

  /** Key and row columns in the order templates search them. */
  private static List<List<Column>> templateColumns(ChangeEvent event) {
    List<List<Column>> lists = new ArrayList<>();
    lists.add(event.getPrimaryKeyList());
    if (event.hasAfter()) {
      lists.add(event.getAfter().getColumnsList());
    }
    if (event.hasBefore()) {
      lists.add(event.getBefore().getColumnsList());
    }
    return lists;
  }

  /** The cache mutation of a change; IllegalArgumentException names what is missing. */
  static RedisMutation cacheMutation(ChangeEvent event, String route, CdcRules.Cache cache) {
    switch (event.getOp()) {
      case CREATE:
      case READ:
      case UPDATE:
        {
          String key = cache.key().fill(event.getTableId(), templateColumns(event));
          List<Column> fields = select(event.getAfter().getColumnsList(), cache.fields());
          return RedisMutation.newBuilder()
              .setRoute(route)
              .setUpsert(
                  CacheUpsert.newBuilder()
                      .setKey(key)
                      .setLayout(cache.layout())
                      .addAllFields(fields)
                      .setTtlSeconds(cache.ttlSeconds())
                      .setPosition(event.getSource().getPosition())
                      .setTableId(event.getTableId()))
              .build();
        }
      case DELETE:
        {
          String key = cache.key().fill(event.getTableId(), templateColumns(event));
          return RedisMutation.newBuilder()
              .setRoute(route)
              .setDelete(
                  CacheDelete.newBuilder()
                      .setKey(key)
                      .setLayout(cache.layout())
                      .setPosition(event.getSource().getPosition())
                      .setTableId(event.getTableId())
                      .setTtlSeconds(cache.ttlSeconds()))
              .build();
        }
      default:
        throw new IllegalArgumentException(
            "op '" + DebeziumJson.letter(event.getOp()) + "' cannot be applied key by key");
    }
  }

  private static List<Column> select(List<Column> row, List<String> fields) {
    if (fields.isEmpty()) {
      return row;
    }
    List<Column> out = new ArrayList<>();
    for (String f : fields) {
      Optional<io.tributary.proto.values.Value> v = Values.find(row, f);
      if (v.isEmpty()) {
        throw new IllegalArgumentException("field '" + f + "' is not a column of the row");
      }
      out.add(Values.column(f, v.get()));
    }
    return out;
  }

  /** The feature row of a change; IllegalArgumentException names what is missing. */
  static FeatureRow featureRow(ChangeEvent event, CdcRules.Features rule) {
    boolean delete = event.getOp() == ChangeEvent.Op.DELETE;
    if (event.getOp() == ChangeEvent.Op.TRUNCATE) {
      throw new IllegalArgumentException("op 't' cannot be applied entity by entity");
    }
    FeatureRow.Builder row =
        FeatureRow.newBuilder()
            .setEntityType(rule.entity())
            .setEntityId(rule.entityId().fill(event.getTableId(), templateColumns(event)))
            .setEventTimeMillis(event.getSource().getTsMs())
            .setOrigin(event.getTableId());
    if (event.getSource().hasPosition()) {
      row.setPosition(event.getSource().getPosition());
    }
    for (Map.Entry<String, String> f : rule.features().entrySet()) {
      if (delete) {
        row.addFeatures(Values.column(f.getKey(), Values.ofNull()));
        continue;
      }
      Optional<io.tributary.proto.values.Value> v = Values.find(event.getAfter().getColumnsList(), f.getValue());
      if (v.isEmpty()) {
        throw new IllegalArgumentException(
            "feature '" + f.getKey() + "': column '" + f.getValue() + "' is not in the row");
      }
      row.addFeatures(Values.column(f.getKey(), v.get()));
    }
    return row.build();
  }
}
