package io.tributary.runners.dataflow;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.tributary.pipelines.activity.ActivityOptions;
import io.tributary.pipelines.activity.ActivityPipeline;
import io.tributary.pipelines.cdc.CdcOptions;
import io.tributary.pipelines.cdc.CdcPipeline;
import io.tributary.pipelines.fraud.FraudOptions;
import io.tributary.pipelines.fraud.FraudPipeline;
import io.tributary.pipelines.sentiment.SentimentOptions;
import io.tributary.pipelines.sentiment.SentimentPipeline;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Function;
import java.util.stream.Stream;
import org.apache.beam.model.pipeline.v1.RunnerApi;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.extensions.gcp.auth.NoopCredentialFactory;
import org.apache.beam.sdk.extensions.gcp.storage.NoopPathValidator;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every pipeline, batch and streaming, translated by the Dataflow runner (v1 and v2) into a job
 * specification, offline: {@code --templateLocation} makes the runner write the job instead of
 * submitting it, {@link OfflineStager} uploads nothing, and no-op credentials and path checks
 * keep it off the network. Kafka and Redis addresses are ones nothing listens on; translating
 * must not contact them. Each job is checked for its type and for the steps it must hold, by the
 * names the pipelines give them.
 */
class DataflowTranslationTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String KAFKA = "--kafkaBootstrapServers=127.0.0.1:9";
  private static final String BATCH = "JOB_TYPE_BATCH";
  private static final String STREAMING = "JOB_TYPE_STREAMING";

  @TempDir static Path dir;
  /** A loopback port nothing listens on: a Redis there could not answer. */
  private static int closedPort;
  /** The one file the runner stages: hashing the whole test classpath would only cost time. */
  private static Path staged;

  @BeforeAll
  static void setUp() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      closedPort = s.getLocalPort();
    }
    staged = Files.write(dir.resolve("staged.jar"), new byte[] {'P', 'K', 5, 6, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0});
  }

  /** A pipeline's name, how its options are read and how it is built (its {@code create}). */
  private record Kind(String name, Function<String[], Pipeline> create) {
    static <O extends PipelineOptions> Kind of(String name, Class<O> type, Function<O, Pipeline> create) {
      return new Kind(name, args -> create.apply(PipelineOptionsFactory.fromArgs(args).withValidation().as(type)));
    }

    @Override
    public String toString() {
      return name;
    }
  }

  private static final Kind ACTIVITY = Kind.of("activity", ActivityOptions.class, ActivityPipeline::create);
  private static final Kind FRAUD = Kind.of("fraud", FraudOptions.class, FraudPipeline::create);
  private static final Kind SENTIMENT = Kind.of("sentiment", SentimentOptions.class, SentimentPipeline::create);
  private static final Kind CDC = Kind.of("cdc", CdcOptions.class, CdcPipeline::create);

  /**
   * One job to translate: the pipeline, its own options, the job type, the steps it must hold and
   * whether Runner v1 translates it too (see {@link #cases}).
   */
  private record Case(String title, Kind kind, List<String> args, String type, List<String> steps, boolean v1) {
    @Override
    public String toString() {
      return title;
    }
  }

  private static List<String> args(String... args) {
    return List.of(args);
  }

  /**
   * Per pipeline: bounded synthetic input (batch), unbounded synthetic input (streaming) with the
   * Kafka and Redis sinks, and a Kafka source (streaming). The Kafka source is translated by
   * Runner v2 only: Runner v1 runs KafkaIO's legacy unbounded source in streaming mode, which the
   * runner splits while translating, and splitting lists the topics' partitions from the
   * brokers; so a v1 streaming job reading Kafka can only be submitted from a machine that
   * reaches the brokers (Runner v2 reads Kafka with a splittable DoFn on the workers).
   */
  private static List<Case> cases() {
    String redisPort = "--redisPort=" + closedPort;
    List<String> kafkaSinks =
        args("--sink=kafka", "--outputTopic=out", "--deadLetter=kafka", "--deadLetterTopic=dead");
    List<String> kafkaSource = args("--streaming=true", "--source=kafka", KAFKA);
    List<Case> cases = new ArrayList<>();

    cases.add(new Case("activity batch, files sink", ACTIVITY,
        args("--maxEvents=1000", "--sink=files", "--outputPath=gs://tributary-offline/out", "--deadLetter=files",
            "--deadLetterPath=gs://tributary-offline/dead"),
        BATCH,
        args("SyntheticViews", "RankPagesAndReferrers", "Sessionize", "TrendViews", "SnapshotsToFiles", "AllFailures",
            "FailuresToFiles"),
        true));
    List<String> activitySteps = args("RankPagesAndReferrers", "Sessionize", "TrendViews", "SnapshotsToKafka",
        "SessionsToKafka", "TrendToKafka", "AllFailures", "FailuresToKafka");
    cases.add(new Case("activity streaming, kafka sink", ACTIVITY, concat(args("--streaming=true", KAFKA), kafkaSinks),
        STREAMING, concat(args("SyntheticViews"), activitySteps), true));
    cases.add(new Case("activity streaming, kafka source", ACTIVITY,
        concat(concat(kafkaSource, args("--inputTopic=views")), kafkaSinks),
        STREAMING, concat(args("ReadKafka", "ParsePageViews"), activitySteps), false));

    cases.add(new Case("fraud batch", FRAUD, args("--maxEvents=1000"), BATCH,
        args("SyntheticTransactions", "ScoreTransactions", "CountInjectedFraud", "PrintAlerts", "AllFailures",
            "LogFailures"),
        true));
    List<String> fraudSteps = args("ScoreTransactions", "AlertsToKafka", "FeaturesToKafka", "AllFailures", "FailuresToKafka");
    cases.add(new Case("fraud streaming, kafka and redis sinks", FRAUD,
        args("--streaming=true", KAFKA, "--sink=kafka,redis", "--outputTopic=out", "--redisHost=127.0.0.1", redisPort,
            "--deadLetter=kafka", "--deadLetterTopic=dead"),
        STREAMING, concat(args("SyntheticTransactions", "CountInjectedFraud", "CardFeatures", "OnlineFeatures"), fraudSteps),
        true));
    cases.add(new Case("fraud streaming, kafka source", FRAUD,
        concat(concat(kafkaSource, args("--inputTopic=transactions")), kafkaSinks),
        STREAMING, concat(args("ReadKafka", "ParseTransactions"), fraudSteps), false));

    cases.add(new Case("sentiment batch", SENTIMENT, args("--maxEvents=100"), BATCH,
        args("Score", "Aggregate", "DetectShifts", "Console", "AllFailures", "LogFailures"), true));
    List<String> sentimentSinks =
        args("--sink=redis,kafka", "--outputTopic=out", "--redisHost=127.0.0.1", redisPort, "--deadLetter=kafka",
            "--deadLetterTopic=dead");
    List<String> sentimentSteps = args("Score", "Aggregate", "DetectShifts", "RedisIndex", "WindowsToKafka",
        "AlertsToKafka", "MentionsToKafka", "AllFailures", "FailuresToKafka");
    cases.add(new Case("sentiment streaming, redis and kafka sinks", SENTIMENT,
        concat(args("--streaming=true", KAFKA), sentimentSinks), STREAMING, sentimentSteps, true));
    cases.add(new Case("sentiment streaming, kafka source", SENTIMENT,
        concat(concat(kafkaSource, args("--inputTopic=news")), sentimentSinks),
        STREAMING, concat(args("ReadKafka", "ParseTexts"), sentimentSteps), false));

    List<String> cdcSteps = args("ParseChanges", "AllChanges", "Route", "FeaturesToLake", "LakeRows", "Lake", "Cache",
        "OnlineFeatures", "SinkFailures", "AllFailures");
    cases.add(new Case("cdc batch", CDC, args("--maxEvents=1000", "--lakePath=gs://tributary-offline/lake", redisPort),
        BATCH, concat(args("SyntheticChanges", "LogFailures"), cdcSteps), true));
    // With the exactly-once lake: Dataflow keeps the file writer's input stable itself.
    cases.add(new Case("cdc streaming, kafka sink, exactly-once lake", CDC,
        concat(args("--streaming=true", KAFKA, "--lakePath=gs://tributary-offline/lake", "--lakeExactlyOnce=true", redisPort),
            kafkaSinks),
        STREAMING, concat(args("SyntheticChanges", "ChangesToKafka", "FailuresToKafka"), cdcSteps), true));
    cases.add(new Case("cdc streaming, kafka source with logs and sensors", CDC,
        concat(
            concat(kafkaSource, args("--inputTopic=orders\\..*", "--logTopics=app-logs", "--sensorTopics=sensor-readings",
                "--lakePath=gs://tributary-offline/lake", redisPort)),
            kafkaSinks),
        STREAMING,
        concat(args("ReadDebezium", "ReadLogs", "ReadSensors", "ParseLogs", "ParseReadings", "AggregateReadings",
            "AggregatesAsChanges", "LogsAsChanges", "ChangesToKafka", "FailuresToKafka"), cdcSteps),
        false));
    return cases;
  }

  private static List<String> concat(List<String> a, List<String> b) {
    List<String> all = new ArrayList<>(a);
    all.addAll(b);
    return all;
  }

  static Stream<Arguments> jobs() {
    return cases().stream()
        .flatMap(c -> c.v1() ? Stream.of(Arguments.of(c, false), Arguments.of(c, true)) : Stream.of(Arguments.of(c, true)));
  }

  /** The runner's options of an offline translation into {@code job}; v2 adds Runner v2's experiment. */
  private static List<String> dataflowArgs(Path job, boolean runnerV2) {
    List<String> args =
        new ArrayList<>(
            args(
                "--runner=DataflowRunner",
                "--project=tributary-offline",
                "--region=us-central1",
                "--templateLocation=" + job,
                "--gcpTempLocation=gs://tributary-offline/tmp",
                "--stagingLocation=gs://tributary-offline/staging",
                "--credentialFactoryClass=" + NoopCredentialFactory.class.getName(),
                "--pathValidatorClass=" + NoopPathValidator.class.getName(),
                "--stagerClass=" + OfflineStager.class.getName(),
                "--filesToStage=" + staged));
    if (runnerV2) {
      args.add("--experiments=use_runner_v2");
    }
    return args;
  }

  /** A translated job: the job specification the runner wrote and the names of its steps. */
  private record Job(JsonNode spec, Set<String> steps) {}

  /**
   * Translates the pipeline of {@code own} options. The step names are the user names of the job's
   * steps and of every composite above them ({@code a/b/c}: a, a/b, a/b/c): from the job file with
   * Runner v1, from the portable pipeline proto with Runner v2 (its job file holds no steps).
   */
  private static Job translate(Kind kind, List<String> own, boolean runnerV2) throws IOException {
    Path jobDir = Files.createTempDirectory(dir, kind.name());
    Path job = jobDir.resolve("job.json");
    List<String> args = dataflowArgs(job, runnerV2);
    args.addAll(own);
    kind.create().apply(args.toArray(String[]::new)).run();
    JsonNode spec = JSON.readTree(job.toFile());
    List<String> userNames = new ArrayList<>();
    if (runnerV2) {
      Path proto = jobDir.resolve("pipeline.pb");
      assertTrue(Files.exists(proto), kind + ": the runner staged no pipeline.pb");
      RunnerApi.Pipeline pipeline = RunnerApi.Pipeline.parseFrom(Files.readAllBytes(proto));
      pipeline.getComponents().getTransformsMap().values().forEach(t -> userNames.add(t.getUniqueName()));
    } else {
      for (JsonNode step : spec.path("steps")) {
        JsonNode userName = step.path("properties").path("user_name");
        // {"@type": "http://schema.org/Text", "value": "a/b/c"}
        userNames.add(userName.isObject() ? userName.path("value").asText() : userName.asText());
      }
    }
    // Steps applied as "name/part" without a composite of their own count as "name" too.
    Set<String> names = new TreeSet<>();
    for (String name : userNames) {
      for (int slash = name.indexOf('/'); slash > 0; slash = name.indexOf('/', slash + 1)) {
        names.add(name.substring(0, slash));
      }
      names.add(name);
    }
    return new Job(spec, names);
  }

  /** The top-level steps, for messages: what the job holds instead. */
  private static Set<String> topLevel(Set<String> names) {
    Set<String> top = new TreeSet<>();
    for (String n : names) {
      top.add(n.contains("/") ? n.substring(0, n.indexOf('/')) : n);
    }
    return top;
  }

  @ParameterizedTest(name = "{0}, runner v2: {1}")
  @MethodSource("jobs")
  void translatesOffline(Case c, boolean runnerV2) throws IOException {
    Job translated = translate(c.kind(), c.args(), runnerV2);
    JsonNode job = translated.spec();
    assertEquals(c.type(), job.path("type").asText(), c + ": job type");
    Set<String> names = translated.steps();
    List<String> missing = new ArrayList<>();
    for (String step : c.steps()) {
      if (!names.contains(step)) {
        missing.add(step);
      }
    }
    if (!missing.isEmpty()) {
      fail(c + (runnerV2 ? " (runner v2)" : "") + ": steps " + missing + " missing; the job's top-level steps are "
          + topLevel(names));
    }
    Set<String> experiments = new TreeSet<>();
    job.path("environment").path("experiments").forEach(e -> experiments.add(e.asText()));
    assertEquals(runnerV2, experiments.contains("use_runner_v2"), c + ": experiments " + experiments);
  }

  @Test
  void badOptionIsNamedBeforeTranslation() {
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class,
            () -> translate(FRAUD, args("--maxEvents=10", "--windowSize=soon"), false));
    assertTrue(e.getMessage().contains("--windowSize=soon"), "message names the option and value: " + e.getMessage());
  }

  @Test
  void cdcLogTopicsWithoutKafkaAreNamed() {
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class,
            () -> translate(CDC, args("--maxEvents=10", "--logTopics=app-logs", "--lakePath=gs://tributary-offline/lake"), false));
    assertTrue(e.getMessage().contains("--logTopics=app-logs: needs --source=kafka"),
        "message names the option and value: " + e.getMessage());
  }

  @Test
  void dashboardIsRefusedOnDataflow() {
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class,
            () -> translate(ACTIVITY, args("--maxEvents=10", "--sink=dashboard"), false));
    assertTrue(e.getMessage().contains("--sink=dashboard") && e.getMessage().contains("DataflowRunner"),
        "message names the option and the runner: " + e.getMessage());
  }

  @Test
  void kafkaSourceWithoutTopicIsNamed() {
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class,
            () -> translate(ACTIVITY, args("--streaming=true", "--source=kafka", KAFKA, "--sink=none"), false));
    assertTrue(e.getMessage().contains("--inputTopic"), "message names the option: " + e.getMessage());
  }
}
