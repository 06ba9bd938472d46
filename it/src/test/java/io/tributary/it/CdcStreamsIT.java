package io.tributary.it;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tributary.pipelines.cdc.CdcOptions;
import io.tributary.pipelines.cdc.CdcPipeline;
import io.tributary.pipelines.cdc.ChangeGenerator;
import io.tributary.testing.Diff;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import java.util.stream.Stream;
import org.apache.avro.generic.GenericRecord;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The cdc pipeline with all three Kafka inputs at once, on the Direct runner and on embedded
 * Flink: Debezium changes ({@code --inputTopic}), application logs ({@code --logTopics}) and
 * sensor readings ({@code --sensorTopics}, aggregated per device, metric and minute before
 * routing), so that unwindowed changes and windowed aggregates meet in one routing step. The
 * Parquet lake read back holds every change, every log line and, as the last revision of each
 * device, metric and minute, exactly the aggregates computed here from the produced readings;
 * nothing goes to the dead letters. Event times lag the Kafka create times by up to six minutes,
 * within {@code --maxInputDelay}: the lake and the aggregates take such rows late instead of
 * dropping them.
 */
@Timeout(value = 5, unit = java.util.concurrent.TimeUnit.MINUTES)
class CdcStreamsIT {
  private static final int RECORDS = 300;
  private static final String[] LEVELS = {"DEBUG", "INFO", "WARN", "ERROR"};
  private static final List<String> CHANGE_DATASETS = List.of("orders", "users", "payments", "stock", "shipments");

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"DirectRunner", "FlinkRunner"})
  void changesLogsAndSensorAggregatesReachTheLakeTogether(String runner, @TempDir Path dir) throws Exception {
    String db = Kafka.uniqueTopic("cdc-streams-db");
    String logs = Kafka.uniqueTopic("cdc-streams-logs");
    String sensors = Kafka.uniqueTopic("cdc-streams-sensors");
    Kafka.createTopics(db, logs, sensors);

    // Event times of the last minutes (one reading and log line a second, minute-aligned; changes
    // committed 50 a second): behind their Kafka create times by less than --maxInputDelay.
    long start = (System.currentTimeMillis() - 360_000L) / 60_000L * 60_000L;
    ChangeGenerator generator = new ChangeGenerator(7, start, 50, 20, 0);
    List<byte[]> changes = new ArrayList<>();
    for (long i = 0; i < RECORDS; i++) {
      changes.add(generator.at(i).getValue().toByteArray());
    }
    List<byte[]> logLines = new ArrayList<>();
    List<byte[]> readings = new ArrayList<>();
    List<String> expectedLogs = new ArrayList<>();
    Map<String, double[]> expectedAggregates = new TreeMap<>();
    for (int i = 0; i < RECORDS; i++) {
      long time = start + i * 1000L;
      String level = LEVELS[i % LEVELS.length];
      logLines.add(String.format(Locale.ROOT,
          "{\"level\":\"%s\",\"service\":\"svc-%d\",\"message\":\"line %d\",\"time\":%d}", level, i % 3, i, time).getBytes(UTF_8));
      expectedLogs.add("line " + i + " " + level);
      String device = "d" + (i % 5);
      String metric = i % 2 == 0 ? "temperature" : "humidity";
      double value = (i * 7 % 23) / 2.0;
      readings.add(String.format(Locale.ROOT,
          "{\"device_id\":\"%s\",\"metric\":\"%s\",\"value\":%s,\"unit\":\"u\",\"time\":%d}", device, metric, value, time).getBytes(UTF_8));
      double[] a = expectedAggregates.computeIfAbsent(
          device + " " + metric + " " + (time / 60_000L * 60_000L), k -> new double[] {0, 0, Double.MAX_VALUE, -Double.MAX_VALUE});
      a[0]++;
      a[1] += value;
      a[2] = Math.min(a[2], value);
      a[3] = Math.max(a[3], value);
    }
    Kafka.produce(db, changes);
    Kafka.produce(logs, logLines);
    Kafka.produce(sensors, readings);

    Path lake = dir.resolve("lake");
    Path dead = dir.resolve("dead");
    String run = UUID.randomUUID().toString().substring(0, 8);
    List<String> args =
        new ArrayList<>(
            List.of(
                "--runner=" + runner,
                "--logTopics=" + logs,
                "--sensorTopics=" + sensors,
                "--maxInputDelay=10m",
                "--lakePath=" + lake,
                "--redisHost=" + Services.redisHost(),
                "--redisPort=" + Services.redisPort(),
                "--cacheKeyPrefix=cdc-streams-" + run + ":",
                "--featureKeyPrefix=cdc-streams-" + run + ":feature:",
                "--sink=none",
                "--deadLetter=files",
                "--deadLetterPath=" + dead));
    // Each of the three reads stops after as many records.
    args.addAll(Kafka.boundedSourceArgs(db, RECORDS));
    if (runner.equals("FlinkRunner")) {
      args.addAll(List.of("--flinkMaster=[local]", "--parallelism=2"));
    }
    CdcOptions options = PipelineOptionsFactory.fromArgs(args.toArray(String[]::new)).as(CdcOptions.class);
    CdcPipeline.create(options).run().waitUntilFinish();

    List<String> actualLogs = new ArrayList<>();
    Map<String, double[]> actualAggregates = new TreeMap<>();
    long changeRows = 0;
    long revisions = 0;
    try (Stream<Path> files = Files.walk(lake)) {
      for (Path f : (Iterable<Path>) files.filter(p -> p.toString().endsWith(".parquet"))::iterator) {
        String dataset = f.getParent().getParent().getParent().getFileName().toString().replace("table=", "");
        for (GenericRecord r : CdcPipelineIT.read(f)) {
          switch (dataset) {
            case "app_logs" -> actualLogs.add(r.get("message") + " " + r.get("level"));
            case "sensor_minutes" -> {
              // A minute's later panes revise it (accumulating): the fullest row is its final state.
              String key = r.get("device_id") + " " + r.get("metric") + " " + micros(r.get("window_start")) / 1000L;
              double[] row = {((Number) r.get("count")).doubleValue(), (Double) r.get("sum"), (Double) r.get("min"), (Double) r.get("max")};
              actualAggregates.merge(key, row, (a, b) -> a[0] >= b[0] ? a : b);
              revisions++;
            }
            default -> changeRows += CHANGE_DATASETS.contains(dataset) ? 1 : 0;
          }
        }
      }
    }
    Diff<String> logDiff = Diff.of(expectedLogs, actualLogs);
    assertTrue(logDiff.isEmpty(), runner + " log lines in the lake: " + logDiff);
    assertEquals(text(expectedAggregates), text(actualAggregates), runner + " sensor aggregates in the lake");
    assertEquals(RECORDS, changeRows, runner + " database changes in the lake");
    long failures = 0;
    if (Files.exists(dead)) {
      try (Stream<Path> files = Files.walk(dead)) {
        for (Path f : (Iterable<Path>) files.filter(Files::isRegularFile)::iterator) {
          failures += Files.readAllLines(f).stream().filter(l -> !l.isBlank()).count();
        }
      }
    }
    assertEquals(0, failures, runner + ": dead letters");
    System.out.printf("%s: %d changes, %d log lines and %d sensor aggregates (%d rows with revisions, of %d readings) in the lake,"
        + " as expected%n", runner, changeRows, actualLogs.size(), actualAggregates.size(), revisions, RECORDS);
  }

  /** A lake timestamp as microseconds: a timestamp-micros long, an Instant, or ISO-8601 text. */
  private static long micros(Object timestamp) {
    if (timestamp instanceof java.time.Instant i) {
      return i.getEpochSecond() * 1_000_000L + i.getNano() / 1000;
    }
    if (timestamp instanceof CharSequence text) {
      java.time.Instant i = java.time.OffsetDateTime.parse(text).toInstant();
      return i.getEpochSecond() * 1_000_000L + i.getNano() / 1000;
    }
    return ((Number) timestamp).longValue();
  }

  private static String text(Map<String, double[]> aggregates) {
    StringBuilder b = new StringBuilder();
    aggregates.forEach((k, v) -> b.append(String.format(Locale.ROOT, "%s count=%.0f sum=%.2f min=%.2f max=%.2f%n", k, v[0], v[1], v[2], v[3])));
    return b.toString();
  }
}
