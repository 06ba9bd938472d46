package io.tributary.pipelines.cdc;

import static java.nio.charset.StandardCharsets.UTF_8;

import io.tributary.pipelines.io.GlobalFlatten;
import io.tributary.proto.cdc.ConnectRecord;
import io.tributary.proto.common.Failure;
import io.tributary.proto.sinks.LakeRow;
import io.tributary.proto.values.Column;
import io.tributary.testing.BeamTest;
import io.tributary.transforms.cdc.CdcRouting;
import io.tributary.transforms.cdc.EventStreams;
import io.tributary.transforms.coders.MessageCoder;
import io.tributary.transforms.values.Values;
import com.google.protobuf.ByteString;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.testing.PAssert;
import org.apache.beam.sdk.testing.TestPipeline;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionList;
import org.junit.jupiter.api.Test;

/**
 * The cdc pipeline's three inputs of {@code --inputTopic}, {@code --logTopics} and {@code
 * --sensorTopics} together, fed with created records instead of Kafka: unwindowed database
 * changes and log lines meet per-minute sensor aggregates (fixed windows) in one routing step.
 * Every change, log line and aggregate reaches the lake rows; the one malformed log line is the
 * only failure.
 */
@BeamTest
class CdcChangesTest {
  /** A minute boundary, so that the readings fill exactly two minutes. */
  private static final long START = 1_699_999_980_000L;
  private static final int CHANGES = 60;
  private static final int LOG_LINES = 60;
  private static final int READINGS = 120;
  private static final String[] LEVELS = {"DEBUG", "INFO", "WARN", "ERROR"};

  private static ConnectRecord record(String topic, long offset, String value) {
    return ConnectRecord.newBuilder()
        .setTopic(topic)
        .setOffset(offset)
        .setTimestampMillis(START)
        .setValue(ByteString.copyFrom(value, UTF_8))
        .build();
  }

  @Test
  void changesLogLinesAndSensorAggregatesAreRoutedTogether(TestPipeline p) {
    CdcOptions options =
        PipelineOptionsFactory.fromArgs(
                "--source=kafka", "--kafkaBootstrapServers=127.0.0.1:9", "--inputTopic=db",
                "--logTopics=logs", "--sensorTopics=sensors", "--maxInputDelay=10m")
            .as(CdcOptions.class);
    CdcPipeline.validate(options);

    ChangeGenerator generator = new ChangeGenerator(7, START, 50, 20, 0);
    List<ConnectRecord> changes = new ArrayList<>();
    for (long i = 0; i < CHANGES; i++) {
      changes.add(generator.at(i));
    }
    List<ConnectRecord> logs = new ArrayList<>();
    List<String> expected = new ArrayList<>();
    for (int i = 0; i < LOG_LINES; i++) {
      String level = LEVELS[i % LEVELS.length];
      logs.add(record("logs", i, String.format(Locale.ROOT,
          "{\"level\":\"%s\",\"service\":\"svc-%d\",\"message\":\"line %d\",\"time\":%d}", level, i % 3, i, START + i * 1000L)));
      expected.add("app_logs line " + i + " " + level);
    }
    logs.add(record("logs", LOG_LINES, "not json"));
    List<ConnectRecord> readings = new ArrayList<>();
    Map<String, long[]> aggregates = new TreeMap<>();
    for (int i = 0; i < READINGS; i++) {
      long time = START + i * 1000L;
      String device = "d" + (i % 3);
      String metric = i % 2 == 0 ? "temperature" : "humidity";
      long value = i * 7 % 23;
      readings.add(record("sensors", i, String.format(Locale.ROOT,
          "{\"device_id\":\"%s\",\"metric\":\"%s\",\"value\":%d,\"unit\":\"u\",\"time\":%d}", device, metric, value, time)));
      long[] a = aggregates.computeIfAbsent(device + " " + metric + " " + (time / 60_000L * 60_000L), k -> new long[2]);
      a[0]++;
      a[1] += value;
    }
    aggregates.forEach((k, a) -> expected.add(String.format(Locale.ROOT, "sensor_minutes %s count=%d sum=%d", k, a[0], a[1])));
    for (int i = 0; i < CHANGES; i++) {
      expected.add("database change");
    }

    CdcPipeline.Changes parsed =
        CdcPipeline.changes(
            p.apply("Changes", Create.of(changes).withCoder(MessageCoder.of(ConnectRecord.class))),
            p.apply("Logs", Create.of(logs).withCoder(MessageCoder.of(ConnectRecord.class))),
            p.apply("Readings", Create.of(readings).withCoder(MessageCoder.of(ConnectRecord.class))),
            options);
    CdcRouting.Routed routed = parsed.changes().apply("Route", CdcRouting.route(CdcPipeline.rules(options)));

    PAssert.that(routed.lake().apply("Describe", ParDo.of(new DescribeFn())).setCoder(StringUtf8Coder.of()))
        .containsInAnyOrder(expected);
    List<PCollection<Failure>> failures = new ArrayList<>(parsed.failures());
    failures.add(routed.failures());
    PAssert.that(
            GlobalFlatten.of("Failures", PCollectionList.of(failures))
                .apply("FailureSteps", ParDo.of(new FailureFn()))
                .setCoder(StringUtf8Coder.of()))
        .containsInAnyOrder(EventStreams.PARSE_LOGS + ": not json");
    p.run().waitUntilFinish();
  }

  /** A lake row as text: a log line's message and level, an aggregate's key and figures. */
  static final class DescribeFn extends DoFn<LakeRow, String> {
    @ProcessElement
    public void process(@Element LakeRow row, OutputReceiver<String> out) {
      Map<String, String> c = new TreeMap<>();
      for (Column column : row.getColumnsList()) {
        c.put(column.getName(), Values.toText(column.getValue()));
      }
      switch (row.getDataset()) {
        case "app_logs" -> out.output("app_logs " + c.get("message") + " " + c.get("level"));
        case "sensor_minutes" -> out.output(String.format(Locale.ROOT, "sensor_minutes %s %s %d count=%s sum=%d",
            c.get("device_id"), c.get("metric"), (row.getCommitTimeMillis() - 1) / 60_000L * 60_000L, c.get("count"),
            Math.round(Double.parseDouble(c.get("sum")))));
        default -> out.output("database change");
      }
    }
  }

  static final class FailureFn extends DoFn<Failure, String> {
    @ProcessElement
    public void process(@Element Failure f, OutputReceiver<String> out) {
      out.output(f.getStep() + ": " + f.getPayload().toStringUtf8());
    }
  }
}
