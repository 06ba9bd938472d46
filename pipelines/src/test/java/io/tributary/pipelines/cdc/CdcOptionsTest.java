package io.tributary.pipelines.cdc;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.tributary.pipelines.io.RedisOptions;
import io.tributary.proto.cdc.ConnectRecord;
import io.tributary.transforms.cdc.CdcRules;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CdcOptionsTest {
  private static CdcOptions options(String... args) {
    return PipelineOptionsFactory.fromArgs(args).as(CdcOptions.class);
  }

  private static String problems(String... args) {
    return assertThrows(IllegalArgumentException.class, () -> CdcPipeline.validate(options(args))).getMessage();
  }

  @Test
  void onFlinkChangesAreReusedBetweenChainedStepsUnlessTheArgumentsSay() {
    assertEquals(
        List.of("--runner=FlinkRunner", "--streaming=true", "--objectReuse=true"),
        List.of(CdcPipeline.withRunnerDefaults("--runner=FlinkRunner", "--streaming=true")));
    assertEquals(
        List.of("--runner=org.apache.beam.runners.flink.FlinkRunner", "--objectReuse=true"),
        List.of(CdcPipeline.withRunnerDefaults("--runner=org.apache.beam.runners.flink.FlinkRunner")));
    assertEquals(
        List.of("--runner=FlinkRunner", "--objectReuse=false"),
        List.of(CdcPipeline.withRunnerDefaults("--runner=FlinkRunner", "--objectReuse=false")),
        "a value given stays");
    assertEquals(
        List.of("--runner=FlinkRunner", "--runner=DirectRunner"),
        List.of(CdcPipeline.withRunnerDefaults("--runner=FlinkRunner", "--runner=DirectRunner")),
        "the last runner counts, as Beam reads it");
    assertEquals(List.of("--maxEvents=5"), List.of(CdcPipeline.withRunnerDefaults("--maxEvents=5")),
        "other runners (the option is Flink's) are left alone");
  }

  @Test
  void defaultsAreValidAndUseTheBundledRules() {
    CdcPipeline.validate(options());
    CdcRules rules = CdcPipeline.rules(options());
    for (String service : ChangeGenerator.SERVICES) {
      String topic = ChangeGenerator.topic(service);
      String tableId = topic.startsWith("users.") || topic.startsWith("shipping.")
          ? topic.substring(topic.indexOf('.') + 1)
          : topic;
      assertEquals(true, rules.routeFor(tableId).isPresent(), tableId);
    }
  }

  @Test
  void kafkaWithLogAndSensorTopicsBuildsOneGraph() {
    // Sensor aggregates are windowed, database changes and logs are not: all are routed together.
    CdcOptions options =
        options(
            "--source=kafka", "--kafkaBootstrapServers=127.0.0.1:9", "--inputTopic=shop\\..*",
            "--logTopics=app-logs", "--sensorTopics=sensors", "--sink=files", "--outputPath=/tmp/unused");
    java.util.Set<String> steps = steps(options);
    for (String step : List.of("ReadDebezium", "ParseLogs", "AggregateReadings", "AggregatesAsChanges", "AllChanges", "Route")) {
      assertThat(step + " in " + steps, steps.contains(step));
    }
    // Unbounded, the topics are listed while running; bounded, once at start.
    assertThat(steps.toString(), steps.contains("ReadDebezium/NewPartitions"));
    assertThat(steps.toString(), steps.contains("ReadSensors/ReadPartitions"));
  }

  /**
   * On the Direct runner a consumer group's offsets are committed by the commit gate after the
   * sinks (one mark step per Kafka input), not as records are read; on Flink, and without a
   * group, there is no gate.
   */
  @Test
  void onTheDirectRunnerOffsetsAreCommittedAfterTheSinks() {
    List<String> kafka = List.of("--source=kafka", "--kafkaBootstrapServers=127.0.0.1:9", "--inputTopic=shop\\..*",
        "--logTopics=app-logs", "--sink=none", "--deadLetter=files", "--deadLetterPath=/tmp/unused");
    List<String> direct = new java.util.ArrayList<>(kafka);
    direct.addAll(List.of("--runner=DirectRunner", "--consumerGroup=cdc"));
    java.util.Set<String> steps = steps(options(direct.toArray(String[]::new)));
    for (String step : List.of("ReadDebeziumMarks", "ReadLogsMarks", "CommitAfterSinks/Release", "FailuresToFiles/Write")) {
      assertThat(step + " in " + steps, steps.contains(step));
    }
    // The view of the changes is waited for too: Kafka through a step that flushes per bundle.
    List<String> views = new java.util.ArrayList<>(direct);
    views.removeIf(arg -> arg.startsWith("--sink=") || arg.startsWith("--deadLetter"));
    views.addAll(List.of("--sink=console,kafka", "--outputTopic=changes", "--deadLetter=kafka", "--deadLetterTopic=dead"));
    java.util.Set<String> viewSteps = steps(options(views.toArray(String[]::new)));
    for (String step : List.of("PrintChanges", "ChangesToKafka", "FailuresToKafka", "CommitAfterSinks/Release")) {
      assertThat(step + " in " + viewSteps, viewSteps.contains(step));
    }
    assertThat(viewSteps.toString(), viewSteps.stream().noneMatch(step -> step.contains("KafkaIO")));
    List<String> flink = new java.util.ArrayList<>(kafka);
    flink.addAll(List.of("--runner=FlinkRunner", "--consumerGroup=cdc"));
    assertThat("no gate on Flink", !steps(options(flink.toArray(String[]::new))).contains("CommitAfterSinks"));
    List<String> noGroup = new java.util.ArrayList<>(kafka);
    noGroup.add("--runner=DirectRunner");
    assertThat("no gate without a group", !steps(options(noGroup.toArray(String[]::new))).contains("CommitAfterSinks"));
  }

  /** An exactly-once lake needs stable input: refused on Flink without checkpoints, named. */
  @Test
  void anExactlyOnceLakeOnFlinkNeedsCheckpoints() {
    String problems = problems("--runner=FlinkRunner", "--lakeExactlyOnce=true");
    assertThat(problems, containsString("--lakeExactlyOnce=true: on Flink needs --checkpointingInterval"));
    CdcPipeline.validate(options("--runner=FlinkRunner", "--lakeExactlyOnce=true", "--checkpointingInterval=1000"));
    CdcPipeline.validate(options("--lakeExactlyOnce=true"));
    // The lake's files are then written by a step with stable input, after the one that gathers them.
    java.util.Set<String> steps = steps(options("--lakeExactlyOnce=true", "--maxEvents=10"));
    assertThat(steps.toString(), steps.contains("Lake/GatherFiles"));
    assertThat(steps.toString(), steps.contains("Lake/WriteFiles"));
    assertThat(steps.toString(), !steps(options("--maxEvents=10")).contains("Lake/GatherFiles"));
  }

  /** The full names of every step of the pipeline graph of {@code options}. */
  private static java.util.Set<String> steps(CdcOptions options) {
    org.apache.beam.sdk.Pipeline pipeline = CdcPipeline.graph(options, CdcPipeline.validate(options));
    java.util.Set<String> steps = new java.util.HashSet<>();
    pipeline.traverseTopologically(
        new org.apache.beam.sdk.Pipeline.PipelineVisitor.Defaults() {
          @Override
          public CompositeBehavior enterCompositeTransform(org.apache.beam.sdk.runners.TransformHierarchy.Node node) {
            steps.add(node.getFullName());
            return CompositeBehavior.ENTER_TRANSFORM;
          }

          @Override
          public void visitPrimitiveTransform(org.apache.beam.sdk.runners.TransformHierarchy.Node node) {
            steps.add(node.getFullName());
          }
        });
    return steps;
  }

  @Test
  void boundedOrWithoutDiscoveryTheTopicsAreFoundOnceAtStart() {
    for (String[] args : List.of(
        new String[] {"--maxInputRecords=10"}, new String[] {"--topicDiscoveryInterval=0"})) {
      List<String> all = new java.util.ArrayList<>(List.of(
          "--source=kafka", "--kafkaBootstrapServers=127.0.0.1:9", "--inputTopic=shop\\..*", "--sink=none"));
      all.addAll(List.of(args));
      CdcOptions options = options(all.toArray(String[]::new));
      java.util.Set<String> steps = steps(options);
      assertThat(List.of(args) + ": " + steps, steps.contains("ReadDebezium") && !steps.contains("ReadDebezium/NewPartitions"));
    }
  }

  @Test
  void theChangeViewCanBeTurnedOff() {
    assertEquals(java.util.Set.of(), CdcPipeline.validate(options("--sink=none")).sinks());
    assertEquals(java.util.Set.of("console"), CdcPipeline.validate(options()).sinks());
  }

  @Test
  void filesSourceIsRejected() {
    assertThat(problems("--source=files", "--inputFiles=x"), containsString("--source=files"));
  }

  @Test
  void badRedisPortIsNamed() {
    assertThat(problems("--redisPort=0"), containsString("--redisPort=0: must be in 1..65535"));
  }

  @Test
  void badDurationsAreNamedWithWhatIsAccepted() {
    String problems = problems("--lakeRotation=5 minutes", "--fenceTtl=-1s", "--redisTimeout=0");
    assertThat(problems, containsString("--lakeRotation=5 minutes: '5 minutes' is not a duration"));
    assertThat(problems, containsString("--fenceTtl=-1s: '-1s' is not a duration"));
    assertThat(problems, containsString("--redisTimeout=0: must be longer than zero"));
  }

  @Test
  void captureNeedsItsPropertiesAndOffsetStore(@TempDir Path dir) throws Exception {
    String problems = problems("--source=capture");
    assertThat(problems, containsString("--captureProperties is required with --source=capture"));
    assertThat(problems, containsString("--captureOffsetStore is required with --source=capture"));
    Path file = dir.resolve("orders.properties");
    Files.writeString(file, "database.hostname=db\n");
    assertThat(
        problems("--source=capture", "--captureProperties=" + file, "--captureOffsetStore=" + dir.resolve("o.json")),
        containsString("--captureProperties=" + file + ": has no 'connector.class'"));
    Files.writeString(file, "connector.class=io.debezium.connector.postgresql.PostgresConnector\ntopic.prefix=orders\n");
    CdcPipeline.validate(
        options("--source=capture", "--captureProperties=" + file, "--captureOffsetStore=" + dir.resolve("o.json")));
    assertEquals("orders", CaptureProperties.read(file).get("name"));
  }

  @Test
  void logTopicsNeedKafka() {
    assertThat(problems("--logTopics=app-logs"), containsString("--logTopics=app-logs: needs --source=kafka"));
  }

  @Test
  void missingRulesFileIsNamed() {
    assertThat(problems("--rules=/nonexistent/rules.yaml"), containsString("--rules=/nonexistent/rules.yaml"));
  }

  @Test
  void unreachableRedisNamesTheOptions() throws Exception {
    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    CdcOptions options = options("--redisPort=" + port, "--redisTimeout=500ms");
    String message =
        assertThrows(IllegalArgumentException.class, () -> RedisOptions.reachableSettings(options)).getMessage();
    assertThat(message, containsString("127.0.0.1:" + port));
    assertThat(message, containsString("--redisHost and --redisPort"));
    assertThat(message, containsString("it/services.sh start"));
  }

  @Test
  void topicsPatternQuotesEachTopic() {
    assertEquals("\\Qa.b\\E|\\Qc\\E", CdcPipeline.topicsPattern("a.b, c"));
  }

  @Test
  void generatorCyclesRowsThroughInsertUpdateDeleteWithIncreasingPositions() throws Exception {
    ObjectMapper mapper = new ObjectMapper();
    ChangeGenerator g = new ChangeGenerator(1, 1_700_000_000_000L, 100, 3, 2);
    Map<String, String> lastOp = new HashMap<>();
    long lastLsn = 0;
    boolean coupon = false;
    for (long i = 0; i < 5 * 3 * 8; i++) {
      ConnectRecord r = g.at(i);
      JsonNode payload = mapper.readTree(r.getValue().toByteArray()).get("payload");
      String op = payload.get("op").asText();
      String row = ChangeGenerator.service(i) + "/" + g.rowId(i);
      String previous = lastOp.put(row, op);
      // A row is inserted when absent, updated or deleted only when present.
      assertEquals(previous == null || previous.equals("d"), op.equals("c"), "change " + i + " of " + row);
      JsonNode source = payload.get("source");
      if (source.has("lsn")) {
        assertThat("lsn increases", source.get("lsn").asLong() > lastLsn);
        lastLsn = source.get("lsn").asLong();
      }
      if (!op.equals("d") && payload.get("after").has("coupon")) {
        coupon = true;
      }
      assertEquals(g.slotMillis(i), r.getTimestampMillis());
    }
    assertEquals(true, coupon, "orders gain the coupon column");
  }
}
