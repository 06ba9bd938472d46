package io.tributary.transforms.cdc;

import io.tributary.proto.cdc.ChangeEvent;
import io.tributary.proto.cdc.Connector;
import io.tributary.proto.cdc.LogLine;
import io.tributary.proto.cdc.SensorAggregate;
import io.tributary.proto.cdc.SensorReading;
import io.tributary.proto.cdc.Source;
import io.tributary.proto.common.Failure;
import io.tributary.proto.values.Column;
import io.tributary.proto.values.ColumnSchema;
import io.tributary.proto.values.Row;
import io.tributary.proto.values.SourcePosition;
import io.tributary.proto.values.Timestamp;
import io.tributary.transforms.coders.MessageCoder;
import io.tributary.transforms.json.ParseJson;
import io.tributary.transforms.values.Values;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.metrics.Metrics;
import org.apache.beam.sdk.transforms.Combine;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.MapElements;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.WithFailures;
import org.apache.beam.sdk.transforms.display.DisplayData;
import org.apache.beam.sdk.transforms.windowing.AfterPane;
import org.apache.beam.sdk.transforms.windowing.AfterWatermark;
import org.apache.beam.sdk.transforms.windowing.BoundedWindow;
import org.apache.beam.sdk.transforms.windowing.FixedWindows;
import org.apache.beam.sdk.transforms.windowing.IntervalWindow;
import org.apache.beam.sdk.transforms.windowing.PaneInfo;
import org.apache.beam.sdk.transforms.windowing.Window;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.TypeDescriptor;
import org.joda.time.Duration;

/**
 * Application logs and IoT sensor readings: parse their JSON ({@link StreamJson}), aggregate
 * readings per device and metric, and turn both into {@link ChangeEvent}s so that the same
 * {@link CdcRules} route them to the lake and the feature store.
 *
 * <pre>{@code
 * WithFailures.Result<PCollection<SensorReading>, Failure> readings =
 *     raw.apply("ParseReadings", EventStreams.parseReadings());
 * PCollection<SensorAggregate> perMinute =
 *     readings.output().apply("Aggregate", EventStreams.aggregateReadings());
 * PCollection<ChangeEvent> rows =
 *     perMinute.apply("AsChanges", EventStreams.aggregatesAsChanges("iot.sensor_minutes"));
 * }</pre>
 */
public final class EventStreams {
  private EventStreams() {}

  /**
   * Parses JSON log lines (see {@link StreamJson#parseLog}) stamped with their {@code time};
   * failures are of step {@value #PARSE_LOGS}. Counters in namespace {@code tributary.cdc.logs}.
   */
  public static ParseJson<LogLine> parseLogs() {
    return ParseJson.of(
        LogLine.class, PARSE_LOGS, DebeziumChanges.METRICS_NAMESPACE + ".logs",
        StreamJson::parseLog, LogLine::getTimeMillis);
  }

  /**
   * Parses JSON sensor readings (see {@link StreamJson#parseReading}) stamped with their {@code
   * time}; failures are of step {@value #PARSE_READINGS}. Counters in namespace {@code
   * tributary.cdc.sensors}.
   */
  public static ParseJson<SensorReading> parseReadings() {
    return ParseJson.of(
        SensorReading.class, PARSE_READINGS, DebeziumChanges.METRICS_NAMESPACE + ".sensors",
        StreamJson::parseReading, SensorReading::getTimeMillis);
  }

  /** Per device and metric, 1-minute windows, 1 minute of allowed lateness. */
  public static AggregateReadings aggregateReadings() {
    return new AggregateReadings(Duration.standardMinutes(1), Duration.standardMinutes(1));
  }

  /** Log lines as CREATE change events of table id {@code stream} (see {@link #logChange}). */
  public static PTransform<PCollection<LogLine>, PCollection<ChangeEvent>> logsAsChanges(
      String stream) {
    return new AsChanges<>(stream, line -> logChange(stream, line));
  }

  /** Sensor aggregates as change events of table id {@code stream} (see {@link #aggregateChange}). */
  public static PTransform<PCollection<SensorAggregate>, PCollection<ChangeEvent>>
      aggregatesAsChanges(String stream) {
    return new AsChanges<>(stream, aggregate -> aggregateChange(stream, aggregate));
  }

  /** Step name of log parsing failures. */
  public static final String PARSE_LOGS = "ParseLogLines";
  /** Step name of reading parsing failures. */
  public static final String PARSE_READINGS = "ParseSensorReadings";

  // ---------------------------------------------------------------------------------------------
  // Aggregation.

  /**
   * Min, max, sum, average and count of the readings of each device and metric in fixed
   * event-time windows (default 1 minute).
   *
   * <p>Each window fires when the watermark passes its end (pane ON_TIME), and again for every
   * late reading within the allowed lateness (pane LATE, accumulating: the LATE result covers all
   * readings so far and replaces the earlier one; pane indexes increase). Readings later than the
   * allowed lateness are dropped by the runner (as Beam's windowing does) and counted by it, not
   * here. The unit of a result is that of its earliest reading (ties: smallest unit). Results stay
   * in their windows, stamped at the window's end minus 1 ms.
   */
  public static final class AggregateReadings
      extends PTransform<PCollection<SensorReading>, PCollection<SensorAggregate>> {
    private final Duration size;
    private final Duration allowedLateness;

    AggregateReadings(Duration size, Duration allowedLateness) {
      this.size = size;
      this.allowedLateness = allowedLateness;
    }

    /** Window length (default 1 minute). */
    public AggregateReadings withWindow(Duration size) {
      return new AggregateReadings(size, allowedLateness);
    }

    /** How long after a window's end late readings still revise it (default 1 minute). */
    public AggregateReadings withAllowedLateness(Duration lateness) {
      return new AggregateReadings(size, lateness);
    }

    @Override
    public PCollection<SensorAggregate> expand(PCollection<SensorReading> input) {
      if (!size.isLongerThan(Duration.ZERO) || allowedLateness.isShorterThan(Duration.ZERO)) {
        throw new IllegalArgumentException(
            "AggregateReadings: window must be positive and lateness not negative, got "
                + size + " and " + allowedLateness);
      }
      return input
          .apply(
              "KeyByDeviceMetric",
              MapElements.into(
                      new TypeDescriptor<KV<String, SensorReading>>() {})
                  .via(r -> KV.of(r.getDeviceId() + "\u0000" + r.getMetric(), r)))
          .setCoder(KvCoder.of(StringUtf8Coder.of(), MessageCoder.of(SensorReading.class)))
          .apply(
              "Window",
              Window.<KV<String, SensorReading>>into(FixedWindows.of(size))
                  .triggering(
                      AfterWatermark.pastEndOfWindow()
                          .withLateFirings(AfterPane.elementCountAtLeast(1)))
                  .withAllowedLateness(allowedLateness)
                  .withOnTimeBehavior(Window.OnTimeBehavior.FIRE_IF_NON_EMPTY)
                  .accumulatingFiredPanes())
          .apply("Stats", Combine.perKey(new StatsFn()))
          .apply("ToAggregate", ParDo.of(new ToAggregateFn()))
          .setCoder(MessageCoder.of(SensorAggregate.class));
    }

    @Override
    public void populateDisplayData(DisplayData.Builder builder) {
      super.populateDisplayData(builder);
      builder.add(DisplayData.item("window", size)).add(DisplayData.item("allowedLateness", allowedLateness));
    }
  }

  /** count, min, max, sum and the earliest reading's unit; merge-order independent. */
  static final class StatsFn extends Combine.CombineFn<SensorReading, SensorAggregate, SensorAggregate> {
    @Override
    public SensorAggregate createAccumulator() {
      return SensorAggregate.getDefaultInstance();
    }

    @Override
    public SensorAggregate addInput(SensorAggregate acc, SensorReading r) {
      return mergeAccumulators(
          List.of(
              acc,
              SensorAggregate.newBuilder()
                  .setDeviceId(r.getDeviceId())
                  .setMetric(r.getMetric())
                  .setUnit(r.getUnit())
                  // The earliest reading's time rides in window_start_millis until extracted.
                  .setWindowStartMillis(r.getTimeMillis())
                  .setCount(1)
                  .setMin(r.getValue())
                  .setMax(r.getValue())
                  .setSum(r.getValue())
                  .build()));
    }

    @Override
    public SensorAggregate mergeAccumulators(Iterable<SensorAggregate> accs) {
      SensorAggregate out = null;
      for (SensorAggregate a : accs) {
        if (a.getCount() == 0) {
          continue;
        }
        if (out == null) {
          out = a;
          continue;
        }
        boolean earlier =
            a.getWindowStartMillis() < out.getWindowStartMillis()
                || (a.getWindowStartMillis() == out.getWindowStartMillis()
                    && a.getUnit().compareTo(out.getUnit()) < 0);
        out =
            out.toBuilder()
                .setUnit(earlier ? a.getUnit() : out.getUnit())
                .setWindowStartMillis(Math.min(a.getWindowStartMillis(), out.getWindowStartMillis()))
                .setCount(out.getCount() + a.getCount())
                .setMin(Math.min(out.getMin(), a.getMin()))
                .setMax(Math.max(out.getMax(), a.getMax()))
                .setSum(out.getSum() + a.getSum())
                .build();
      }
      return out == null ? SensorAggregate.getDefaultInstance() : out;
    }

    @Override
    public SensorAggregate extractOutput(SensorAggregate acc) {
      return acc;
    }

    @Override
    public org.apache.beam.sdk.coders.Coder<SensorAggregate> getAccumulatorCoder(
        org.apache.beam.sdk.coders.CoderRegistry registry,
        org.apache.beam.sdk.coders.Coder<SensorReading> inputCoder) {
      return MessageCoder.of(SensorAggregate.class);
    }

    @Override
    public org.apache.beam.sdk.coders.Coder<SensorAggregate> getDefaultOutputCoder(
        org.apache.beam.sdk.coders.CoderRegistry registry,
        org.apache.beam.sdk.coders.Coder<SensorReading> inputCoder) {
      return MessageCoder.of(SensorAggregate.class);
    }
  }

  /** Adds the window, average and pane to a combined result. */
  static final class ToAggregateFn extends DoFn<KV<String, SensorAggregate>, SensorAggregate> {
    private final Counter late = Metrics.counter(DebeziumChanges.METRICS_NAMESPACE, "sensors.latePanes");
    private final Counter emptyPanes =
        Metrics.counter(DebeziumChanges.METRICS_NAMESPACE, "sensors.emptyPanes");

    @ProcessElement
    public void process(
        @Element KV<String, SensorAggregate> kv,
        BoundedWindow window,
        PaneInfo pane,
        OutputReceiver<SensorAggregate> out) {
      IntervalWindow w = (IntervalWindow) window;
      SensorAggregate a = kv.getValue();
      if (a.getCount() == 0) {
        // A pane without readings (some runners combine before dropping expired input): nothing
        // to report, and no reading is lost by skipping it.
        emptyPanes.inc();
        return;
      }
      if (pane.getTiming() == PaneInfo.Timing.LATE) {
        late.inc();
      }
      out.output(
          a.toBuilder()
              .setWindowStartMillis(w.start().getMillis())
              .setWindowEndMillis(w.end().getMillis())
              .setAvg(a.getSum() / a.getCount())
              .setTiming(pane.getTiming().name())
              .setPaneIndex(pane.getIndex())
              .build());
    }
  }

  // ---------------------------------------------------------------------------------------------
  // As change events.

  /**
   * A log line as a change: op CREATE, table id {@code stream}, connector EVENT_STREAM, commit time
   * = the line's time, no key; columns {@code time} (UTC timestamp), {@code level}, {@code
   * service}, {@code message}, {@code trace_id}.
   */
  public static ChangeEvent logChange(String stream, LogLine line) {
    List<Column> row = new ArrayList<>();
    row.add(Values.column("time", Values.timestamp(line.getTimeMillis() * 1000L, 0, Timestamp.Zone.UTC)));
    row.add(Values.column("level", Values.of(line.getLevel())));
    row.add(Values.column("service", Values.of(line.getService())));
    row.add(Values.column("message", Values.of(line.getMessage())));
    row.add(Values.column("trace_id", line.getTraceId().isEmpty() ? Values.ofNull() : Values.of(line.getTraceId())));
    List<ColumnSchema> columns =
        List.of(
            schema("time", "int64", "io.debezium.time.ZonedTimestamp", false),
            schema("level", "string", "", false),
            schema("service", "string", "", false),
            schema("message", "string", "", false),
            schema("trace_id", "string", "", true));
    return streamChange(stream, ChangeEvent.Op.CREATE, line.getTimeMillis(),
        String.format(Locale.ROOT, "ev:%016x", line.getTimeMillis()), List.of(), row, columns);
  }

  /**
   * A sensor aggregate as a change: table id {@code stream}, key (device_id, metric,
   * window_start), op CREATE for a window's first result and UPDATE for its revisions, commit time
   * = window end; the position order key grows with the pane index so revisions fence earlier
   * ones. Columns: device_id, metric, unit, window_start, window_end (UTC timestamps), count, min,
   * max, avg, sum.
   */
  public static ChangeEvent aggregateChange(String stream, SensorAggregate a) {
    Column device = Values.column("device_id", Values.of(a.getDeviceId()));
    Column metric = Values.column("metric", Values.of(a.getMetric()));
    Column start =
        Values.column("window_start", Values.timestamp(a.getWindowStartMillis() * 1000L, 0, Timestamp.Zone.UTC));
    List<Column> row =
        List.of(
            device,
            metric,
            Values.column("unit", Values.of(a.getUnit())),
            start,
            Values.column("window_end", Values.timestamp(a.getWindowEndMillis() * 1000L, 0, Timestamp.Zone.UTC)),
            Values.column("count", Values.of(a.getCount())),
            Values.column("min", Values.of(a.getMin())),
            Values.column("max", Values.of(a.getMax())),
            Values.column("avg", Values.of(a.getAvg())),
            Values.column("sum", Values.of(a.getSum())));
    List<ColumnSchema> columns =
        List.of(
            schema("device_id", "string", "", false),
            schema("metric", "string", "", false),
            schema("unit", "string", "", false),
            schema("window_start", "int64", "io.debezium.time.ZonedTimestamp", false),
            schema("window_end", "int64", "io.debezium.time.ZonedTimestamp", false),
            schema("count", "int64", "", false),
            schema("min", "float64", "", false),
            schema("max", "float64", "", false),
            schema("avg", "float64", "", false),
            schema("sum", "float64", "", false));
    return streamChange(
        stream,
        a.getPaneIndex() == 0 ? ChangeEvent.Op.CREATE : ChangeEvent.Op.UPDATE,
        a.getWindowEndMillis(),
        String.format(Locale.ROOT, "ev:%016x:%08x", a.getWindowEndMillis(), a.getPaneIndex()),
        List.of(device, metric, start),
        row,
        columns);
  }

  private static ColumnSchema schema(String name, String type, String logical, boolean optional) {
    return ColumnSchema.newBuilder().setName(name).setType(type).setLogical(logical).setOptional(optional).build();
  }

  private static ChangeEvent streamChange(
      String stream,
      ChangeEvent.Op op,
      long timeMillis,
      String orderKey,
      List<Column> key,
      List<Column> row,
      List<ColumnSchema> columns) {
    return ChangeEvent.newBuilder()
        .setOp(op)
        .setSource(
            Source.newBuilder()
                .setConnector(Connector.EVENT_STREAM)
                .setName(stream)
                .setTable(stream)
                .setTsMs(timeMillis)
                .setPosition(SourcePosition.newBuilder().setOrderKey(orderKey)))
        .setTableId(stream)
        .addAllPrimaryKey(key)
        .setAfter(Row.newBuilder().addAllColumns(row))
        .addAllColumns(columns)
        .setSchemaVersion(Values.fingerprint(columns))
        .setTsMs(timeMillis)
        .build();
  }

  interface ToChange<T> extends Serializable {
    ChangeEvent apply(T value);
  }

  static final class AsChanges<T> extends PTransform<PCollection<T>, PCollection<ChangeEvent>> {
    private final String stream;
    private final ToChange<T> fn;

    AsChanges(String stream, ToChange<T> fn) {
      if (stream == null || stream.isBlank()) {
        throw new IllegalArgumentException("stream name must not be empty");
      }
      this.stream = stream;
      this.fn = fn;
    }

    @Override
    public PCollection<ChangeEvent> expand(PCollection<T> input) {
      return input
          .apply("AsChanges", ParDo.of(new AsChangesFn<>(fn)))
          .setCoder(MessageCoder.of(ChangeEvent.class));
    }

    @Override
    public void populateDisplayData(DisplayData.Builder builder) {
      super.populateDisplayData(builder);
      builder.add(DisplayData.item("stream", stream));
    }
  }

  static final class AsChangesFn<T> extends DoFn<T, ChangeEvent> {
    private final ToChange<T> fn;

    AsChangesFn(ToChange<T> fn) {
      this.fn = fn;
    }

    @ProcessElement
    public void process(@Element T value, OutputReceiver<ChangeEvent> out) {
      out.output(fn.apply(value));
    }
  }
}
