package io.tributary.transforms.cdc;

import static java.nio.charset.StandardCharsets.UTF_8;

import com.google.protobuf.ByteString;
import io.tributary.proto.cdc.ChangeEvent;
import io.tributary.proto.cdc.LogLine;
import io.tributary.proto.cdc.SensorAggregate;
import io.tributary.proto.cdc.SensorReading;
import io.tributary.proto.common.Failure;
import io.tributary.proto.sinks.FeatureRow;
import io.tributary.testing.BeamTest;
import io.tributary.testing.Diff;
import io.tributary.testing.Schedule;
import io.tributary.transforms.values.Values;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import org.apache.beam.sdk.extensions.protobuf.ProtoCoder;
import org.apache.beam.sdk.testing.PAssert;
import org.apache.beam.sdk.testing.TestPipeline;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.MapElements;
import org.apache.beam.sdk.transforms.SerializableFunction;
import org.apache.beam.sdk.transforms.WithFailures;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.TypeDescriptors;
import org.joda.time.Duration;
import org.junit.jupiter.api.Test;

@BeamTest
class EventStreamsTest {
  private static final ProtoCoder<SensorReading> READING = ProtoCoder.of(SensorReading.class);

  private static List<Failure> failures(String step, String[][] cases) {
    List<Failure> out = new ArrayList<>();
    for (String[] c : cases) {
      out.add(Failure.newBuilder().setStep(step).setReason(c[1]).setPayload(ByteString.copyFromUtf8(c[0])).build());
    }
    return out;
  }

  private static List<byte[]> payloads(String good, String[][] cases) {
    List<byte[]> out = new ArrayList<>();
    out.add(good.getBytes(UTF_8));
    for (String[] c : cases) {
      out.add(c[0].getBytes(UTF_8));
    }
    return out;
  }

  static SerializableFunction<Iterable<Failure>, Void> sameFailures(List<Failure> expected) {
    return actual -> {
      Diff<Failure> diff = Diff.of(expected, actual);
      if (!diff.isEmpty()) {
        throw new AssertionError("failures differ: " + diff);
      }
      return null;
    };
  }

  @Test
  void logLinesParseAndEveryBadKindFails(TestPipeline p) {
    String good =
        "{\"level\":\"warning\",\"service\":\"payments\",\"message\":\"slow\",\"trace_id\":\"4bf9\","
            + "\"time\":\"2024-03-01T10:15:30.250Z\",\"host\":\"h1\"}";
    String[][] cases = {
      {"{\"level\":", "malformed JSON: Unexpected end-of-input within/between Object entries"},
      {"", "malformed JSON: empty payload"},
      {"\"x\"", "expected a JSON object, got STRING"},
      {"{\"service\":\"s\",\"message\":\"m\",\"time\":1}", "missing required field 'level'"},
      {"{\"level\":\"LOUD\",\"service\":\"s\",\"message\":\"m\",\"time\":1}", "field 'level' is not a log level: 'LOUD'"},
      {"{\"level\":\"INFO\",\"message\":\"m\",\"time\":1}", "missing required field 'service'"},
      {"{\"level\":\"INFO\",\"service\":\"\",\"message\":\"m\",\"time\":1}", "field 'service' is empty"},
      {"{\"level\":\"INFO\",\"service\":\"s\",\"time\":1}", "missing required field 'message'"},
      {"{\"level\":\"INFO\",\"service\":\"s\",\"message\":{},\"time\":1}", "field 'message' must be a string, got OBJECT"},
      {"{\"level\":\"INFO\",\"service\":\"s\",\"message\":\"m\\udc00\",\"time\":1}",
        "field 'message' holds an unpaired surrogate \\udc00 at character 1"},
      {"{\"level\":\"INFO\",\"service\":\"s\",\"message\":\"m\",\"trace_id\":5,\"time\":1}",
        "field 'trace_id' must be a string, got NUMBER"},
      {"{\"level\":\"INFO\",\"service\":\"s\",\"message\":\"m\"}", "missing required field 'time'"},
      {"{\"level\":\"INFO\",\"service\":\"s\",\"message\":\"m\",\"time\":\"noon\"}",
        "field 'time' is not an ISO-8601 instant or epoch milliseconds: 'noon'"},
      {"{\"level\":\"INFO\",\"service\":\"s\",\"message\":\"m\",\"time\":-1}", "field 'time' is out of range: -1 ms since the epoch"},
      {"{\"level\":\"INFO\",\"service\":\"s\",\"message\":\"" + "m".repeat(200) + "\",\"time\":1}",
        "payload of 252 bytes exceeds the limit of 200"},
    };
    WithFailures.Result<PCollection<LogLine>, Failure> result =
        p.apply(Create.of(payloads(good, cases))).apply(EventStreams.parseLogs().withMaxPayloadBytes(200));
    PAssert.that(result.output())
        .containsInAnyOrder(
            LogLine.newBuilder().setLevel("WARN").setService("payments").setMessage("slow").setTraceId("4bf9")
                .setTimeMillis(1709288130250L).build());
    PAssert.that(result.failures()).satisfies(sameFailures(failures("ParseLogLines", cases)));
    p.run().waitUntilFinish();
  }

  @Test
  void sensorReadingsParseAndEveryBadKindFails(TestPipeline p) {
    String good = "{\"device_id\":\"pump-7\",\"metric\":\"temperature\",\"value\":21.5,\"unit\":\"celsius\",\"time\":1709288130250}";
    String[][] cases = {
      {"{", "malformed JSON: Unexpected end-of-input: expected close marker for Object (start marker at [Source: REDACTED (`StreamReadFeature.INCLUDE_SOURCE_IN_LOCATION` disabled); line: 1, column: 1])"},
      {"[]", "expected a JSON object, got ARRAY"},
      {"{\"metric\":\"t\",\"value\":1,\"time\":1}", "missing required field 'device_id'"},
      {"{\"device_id\":\"d\",\"value\":1,\"time\":1}", "missing required field 'metric'"},
      {"{\"device_id\":\"d\",\"metric\":\"t\",\"time\":1}", "missing required field 'value'"},
      {"{\"device_id\":\"d\",\"metric\":\"t\",\"value\":\"hot\",\"time\":1}", "field 'value' must be a finite number, got \"hot\""},
      {"{\"device_id\":\"d\",\"metric\":\"t\",\"value\":1e400,\"time\":1}", "field 'value' must be a finite number, got \"Infinity\""},
      {"{\"device_id\":\"d\",\"metric\":\"t\",\"value\":1,\"unit\":7,\"time\":1}", "field 'unit' must be a string, got NUMBER"},
      {"{\"device_id\":\"d\",\"metric\":\"t\",\"value\":1,\"time\":true}",
        "field 'time' is not an ISO-8601 instant or epoch milliseconds: true"},
    };
    WithFailures.Result<PCollection<SensorReading>, Failure> result =
        p.apply(Create.of(payloads(good, cases))).apply(EventStreams.parseReadings());
    PAssert.that(result.output())
        .containsInAnyOrder(
            SensorReading.newBuilder().setDeviceId("pump-7").setMetric("temperature").setValue(21.5)
                .setUnit("celsius").setTimeMillis(1709288130250L).build());
    PAssert.that(result.failures()).satisfies(sameFailures(failures("ParseSensorReadings", cases)));
    p.run().waitUntilFinish();
  }

  // ------------------------------------------------------------------------------------------

  static SensorReading reading(Random r, long time) {
    int device = r.nextInt(3);
    String metric = r.nextBoolean() ? "temperature" : "pressure";
    return SensorReading.newBuilder()
        .setDeviceId("d" + device)
        .setMetric(metric)
        // Multiples of 1/4: sums are exact in any order.
        .setValue((r.nextInt(401) - 200) / 4.0)
        .setUnit(metric.equals("temperature") ? (r.nextInt(5) == 0 ? "kelvin" : "celsius") : "bar")
        .setTimeMillis(time)
        .build();
  }

  /** The final result of every device, metric and window from every reading not dropped. */
  static Map<String, SensorAggregate> oracle(List<Schedule.Arrival<SensorReading>> arrivals, long size, long lateness) {
    Map<String, List<SensorReading>> groups = new TreeMap<>();
    for (Schedule.Arrival<SensorReading> a : arrivals) {
      long start = Math.floorDiv(a.eventTime(), size) * size;
      if (start + size - 1 + lateness < a.watermark()) {
        continue; // dropped: its window had expired when it arrived
      }
      SensorReading r = a.value();
      groups.computeIfAbsent(r.getDeviceId() + "|" + r.getMetric() + "|" + start, k -> new ArrayList<>()).add(r);
    }
    Map<String, SensorAggregate> out = new TreeMap<>();
    groups.forEach((k, readings) -> {
      SensorReading first = readings.get(0);
      long count = 0;
      double min = Double.POSITIVE_INFINITY;
      double max = Double.NEGATIVE_INFINITY;
      double sum = 0;
      for (SensorReading r : readings) {
        count++;
        min = Math.min(min, r.getValue());
        max = Math.max(max, r.getValue());
        sum += r.getValue();
        if (r.getTimeMillis() < first.getTimeMillis()
            || (r.getTimeMillis() == first.getTimeMillis() && r.getUnit().compareTo(first.getUnit()) < 0)) {
          first = r;
        }
      }
      long start = Math.floorDiv(first.getTimeMillis(), size) * size;
      out.put(k, SensorAggregate.newBuilder().setDeviceId(first.getDeviceId()).setMetric(first.getMetric())
          .setUnit(first.getUnit()).setWindowStartMillis(start).setWindowEndMillis(start + size)
          .setCount(count).setMin(min).setMax(max).setSum(sum).setAvg(sum / count).build());
    });
    return out;
  }

  /** The last pane of each window equals the oracle, pane indexes count up from 0, no extras. */
  static final class FinalPanesEqual implements SerializableFunction<Iterable<SensorAggregate>, Void> {
    private final Map<String, SensorAggregate> expected;
    private final long seed;

    FinalPanesEqual(Map<String, SensorAggregate> expected, long seed) {
      this.expected = expected;
      this.seed = seed;
    }

    @Override
    public Void apply(Iterable<SensorAggregate> actual) {
      Map<String, SensorAggregate> last = new TreeMap<>();
      Map<String, List<Long>> indexes = new TreeMap<>();
      for (SensorAggregate a : actual) {
        String k = a.getDeviceId() + "|" + a.getMetric() + "|" + a.getWindowStartMillis();
        indexes.computeIfAbsent(k, x -> new ArrayList<>()).add(a.getPaneIndex());
        last.merge(k, a, (x, y) -> x.getPaneIndex() >= y.getPaneIndex() ? x : y);
      }
      Map<String, SensorAggregate> got = new TreeMap<>();
      last.forEach((k, a) -> got.put(k, a.toBuilder().clearTiming().clearPaneIndex().build()));
      Diff<SensorAggregate> diff = Diff.of(expected.values(), got.values());
      if (!diff.isEmpty()) {
        throw new AssertionError("seed " + seed + ": final panes differ from the oracle: " + diff);
      }
      indexes.forEach((k, list) -> {
        list.sort(Long::compare);
        for (int i = 0; i < list.size(); i++) {
          if (list.get(i) != i) {
            throw new AssertionError("seed " + seed + ": window " + k + " has pane indexes " + list);
          }
        }
      });
      return null;
    }
  }

  @Test
  void perMinuteAggregatesEqualTheOracleWithDisorderLateAndDroppedReadings(TestPipeline p) {
    long size = 60_000;
    long lateness = 30_000;
    for (long seed : new long[] {3, 4}) {
      Random random = new Random(seed);
      long base = 1_709_288_100_000L;
      List<SensorReading> readings = new ArrayList<>();
      for (int i = 0; i < 250; i++) {
        readings.add(reading(random, base + random.nextInt(8 * 60_000)));
      }
      Schedule<SensorReading> schedule =
          Schedule.random(random, readings, SensorReading::getTimeMillis, 40_000, 10_000, 10,
              (watermark, r) -> reading(r, watermark - r.nextInt(100_000)));
      Map<String, SensorAggregate> expected = oracle(schedule.arrivals(), size, lateness);
      // The input covers every case: on time, late within the allowed lateness, and dropped.
      long late = 0;
      long dropped = 0;
      for (Schedule.Arrival<SensorReading> a : schedule.arrivals()) {
        long end = Math.floorDiv(a.eventTime(), size) * size + size;
        if (end - 1 + lateness < a.watermark()) {
          dropped++;
        } else if (end - 1 < a.watermark()) {
          late++;
        }
      }
      org.hamcrest.MatcherAssert.assertThat(
          "seed " + seed + " late " + late + " dropped " + dropped, late > 0 && dropped > 0,
          org.hamcrest.Matchers.is(true));
      PCollection<SensorAggregate> aggregates =
          p.apply("seed" + seed + "/Stream", schedule.toTestStream(READING))
              .apply("seed" + seed + "/Aggregate",
                  EventStreams.aggregateReadings().withAllowedLateness(Duration.millis(lateness)));
      PAssert.that("seed " + seed, aggregates).satisfies(new FinalPanesEqual(expected, seed));
    }
    p.run().waitUntilFinish();
  }

  @Test
  void logsAndAggregatesAreRoutedByTheSameRules(TestPipeline p) {
    CdcRules rules =
        CdcRules.parse(String.join("\n",
            "routes:",
            "  - name: logs",
            "    tables: [app.logs]",
            "    lake: {dataset: app_logs}",
            "    features: {entity: service, entityId: '{service}', features: [{name: last_level, column: level}]}",
            "  - name: sensors",
            "    tables: [iot.sensor_minutes]",
            "    lake: true",
            "    features: {entity: device, entityId: '{device_id}:{metric}', features: [{name: avg_1m, column: avg}, count]}"));
    LogLine line = LogLine.newBuilder().setLevel("ERROR").setService("payments").setMessage("boom")
        .setTimeMillis(1709288130250L).build();
    SensorAggregate agg = SensorAggregate.newBuilder().setDeviceId("d1").setMetric("temperature").setUnit("celsius")
        .setWindowStartMillis(1709288100000L).setWindowEndMillis(1709288160000L).setCount(4).setMin(1).setMax(3)
        .setSum(8).setAvg(2).setTiming("LATE").setPaneIndex(1).build();
    PCollection<ChangeEvent> logs =
        p.apply("Logs", Create.of(line).withCoder(ProtoCoder.of(LogLine.class)))
            .apply("LogsAsChanges", EventStreams.logsAsChanges("app.logs"));
    PCollection<ChangeEvent> sensors =
        p.apply("Aggregates", Create.of(agg).withCoder(ProtoCoder.of(SensorAggregate.class)))
            .apply("AggregatesAsChanges", EventStreams.aggregatesAsChanges("iot.sensor_minutes"));
    CdcRouting.Routed logsRouted = logs.apply("RouteLogs", CdcRouting.route(rules));
    CdcRouting.Routed sensorsRouted = sensors.apply("RouteSensors", CdcRouting.route(rules));

    PAssert.that(logsRouted.lake().apply("LogLake", MapElements.into(TypeDescriptors.strings())
            .via(r -> r.getDataset() + " " + r.getOp() + " " + r.getCommitTimeMillis() + " " + Values.toJsonObject(r.getColumnsList()))))
        .containsInAnyOrder("app_logs c 1709288130250 {\"time\":\"2024-03-01T10:15:30.250Z\",\"level\":\"ERROR\","
            + "\"service\":\"payments\",\"message\":\"boom\",\"trace_id\":null}");
    PAssert.that(sensorsRouted.lake().apply("SensorLake", MapElements.into(TypeDescriptors.strings())
            .via(r -> r.getDataset() + " " + r.getOp() + " " + r.getPosition() + " " + Values.toJsonObject(r.getColumnsList()))))
        .containsInAnyOrder("iot_sensor_minutes u " + String.format("ev:%016x:%08x", 1709288160000L, 1) + " {\"device_id\":\"d1\",\"metric\":\"temperature\","
            + "\"unit\":\"celsius\",\"window_start\":\"2024-03-01T10:15:00Z\",\"window_end\":\"2024-03-01T10:16:00Z\","
            + "\"count\":4,\"min\":1.0,\"max\":3.0,\"avg\":2.0,\"sum\":8.0}");
    PAssert.that(logsRouted.features())
        .containsInAnyOrder(FeatureRow.newBuilder().setEntityType("service").setEntityId("payments")
            .addFeatures(Values.column("last_level", Values.of("ERROR"))).setEventTimeMillis(1709288130250L)
            .setOrigin("app.logs")
            .setPosition(io.tributary.proto.values.SourcePosition.newBuilder()
                .setOrderKey(String.format("ev:%016x", 1709288130250L)))
            .build());
    PAssert.that(sensorsRouted.features().apply("SensorFeatures", MapElements.into(TypeDescriptors.strings())
            .via(f -> f.getEntityType() + " " + f.getEntityId() + " " + f.getEventTimeMillis() + " "
                + Values.toJsonObject(f.getFeaturesList()))))
        .containsInAnyOrder("device d1:temperature 1709288160000 {\"avg_1m\":2.0,\"count\":4}");
    PAssert.that(logsRouted.failures()).empty();
    PAssert.that(sensorsRouted.failures()).empty();
    p.run().waitUntilFinish();
  }
}
