package io.tributary.pipelines.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.tributary.pipelines.activity.ActivityOptions;
import io.tributary.pipelines.activity.ActivityPipeline;
import io.tributary.pipelines.cdc.CdcOptions;
import io.tributary.pipelines.cdc.CdcPipeline;
import io.tributary.pipelines.fraud.FraudOptions;
import io.tributary.pipelines.fraud.FraudPipeline;
import io.tributary.pipelines.sentiment.SentimentOptions;
import io.tributary.pipelines.sentiment.SentimentPipeline;
import java.util.ArrayList;
import java.util.List;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.runners.TransformHierarchy;
import org.apache.beam.sdk.transforms.display.DisplayData;
import org.apache.beam.sdk.util.common.ReflectHelpers;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Secrets given to a pipeline (the Redis password, the PostgreSQL password, Kafka consumer
 * passwords in {@code --consumerProperties}) appear in none of what a runner shows or ships: the
 * options' display data, their JSON (what Flink and Dataflow serialize to workers and show), and
 * the display data of every step of the graph (KafkaIO shows its consumer config). The Kafka
 * secrets still reach the consumers, through the consumer factory. Graphs are built for a remote
 * Flink master, so no server is contacted.
 */
class SecretsTest {
  private static final String REDIS = "redis-pw-4f1c";
  private static final String JAAS = "jaas-pw-9d2e";
  private static final String TRUSTSTORE = "truststore-pw-77ab";
  private static final String TOKEN = "token-secret-31c0";
  private static final String POSTGRES = "postgres-pw-c3d9";
  private static final List<String> SECRETS = List.of(REDIS, JAAS, TRUSTSTORE, TOKEN, POSTGRES);
  private static final ObjectMapper MAPPER =
      new ObjectMapper().registerModules(ObjectMapper.findModules(ReflectHelpers.findClassLoader()));

  private static List<String> secretArgs() {
    return List.of(
        "--runner=FlinkRunner",
        "--flinkMaster=127.0.0.1:1",
        "--streaming=true",
        "--source=kafka",
        "--kafkaBootstrapServers=127.0.0.1:9",
        "--consumerGroup=g",
        "--consumerProperties=security.protocol=SASL_SSL,sasl.mechanism=PLAIN,"
            + "sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required"
            + " username=\"u\" password=\"" + JAAS + "\";,"
            + "ssl.truststore.location=/etc/kafka/ts.jks,ssl.truststore.password=" + TRUSTSTORE
            + ",custom.api.secret=" + TOKEN,
        "--redisHost=127.0.0.1",
        "--redisPort=1",
        "--redisPassword=" + REDIS,
        "--postgresPassword=" + POSTGRES);
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"activity", "fraud", "sentiment", "cdc", "cdc bounded"})
  void noSecretInDisplayDataOrSerializedOptions(String pipeline) throws Exception {
    List<String> args = new ArrayList<>(secretArgs());
    Pipeline graph;
    switch (pipeline) {
      case "activity" -> {
        args.addAll(List.of("--inputTopic=views", "--sink=kafka", "--outputTopic=out"));
        graph = ActivityPipeline.create(options(args, ActivityOptions.class));
      }
      case "fraud" -> {
        args.addAll(List.of("--inputTopic=tx", "--sink=kafka,redis", "--outputTopic=out"));
        graph = FraudPipeline.create(options(args, FraudOptions.class));
      }
      case "sentiment" -> {
        args.addAll(List.of("--inputTopic=news", "--sink=kafka,redis", "--outputTopic=out"));
        graph = SentimentPipeline.create(options(args, SentimentOptions.class));
      }
      default -> {
        // Unbounded, the topics are discovered (KafkaDiscovery); bounded, read by KafkaIO.read().
        args.addAll(List.of("--inputTopic=shop\\..*", "--logTopics=logs", "--sink=kafka", "--outputTopic=out"));
        if (pipeline.endsWith("bounded")) {
          args.add("--maxInputRecords=10");
        }
        graph = CdcPipeline.create(options(args, CdcOptions.class));
      }
    }
    StringBuilder shown = new StringBuilder();
    PipelineOptions options = graph.getOptions();
    shown.append(DisplayData.from(options)).append('\n');
    shown.append(MAPPER.writeValueAsString(options)).append('\n');
    List<String> steps = new ArrayList<>();
    graph.traverseTopologically(
        new Pipeline.PipelineVisitor.Defaults() {
          @Override
          public CompositeBehavior enterCompositeTransform(TransformHierarchy.Node node) {
            add(node);
            return CompositeBehavior.ENTER_TRANSFORM;
          }

          @Override
          public void visitPrimitiveTransform(TransformHierarchy.Node node) {
            add(node);
          }

          private void add(TransformHierarchy.Node node) {
            if (node.getTransform() != null) {
              steps.add(node.getFullName());
              shown.append(node.getFullName()).append(": ").append(DisplayData.from(node.getTransform())).append('\n');
            }
          }
        });
    String seen = pipeline.equals("cdc") ? "topicPattern" : "ssl.truststore.location";
    assertTrue(shown.toString().contains(seen), pipeline + ": the Kafka read's display data is seen (" + seen + ")");
    for (String secret : SECRETS) {
      int at = shown.indexOf(secret);
      assertEquals(-1, at, pipeline + ": secret " + secret + " shown: "
          + (at < 0 ? "" : shown.substring(Math.max(0, at - 300), Math.min(shown.length(), at + 50))));
    }
  }

  @org.junit.jupiter.api.Test
  void kafkaSecretsGoToTheConsumerFactoryNotToTheShownConfig() {
    SourceOptions options = options(secretArgs(), SourceOptions.class);
    Sources.ConsumerSettings settings = Sources.consumerSettings(options);
    assertEquals("SASL_SSL", settings.config().get("security.protocol"));
    assertEquals("g", settings.config().get("group.id"));
    for (String key : List.of("sasl.jaas.config", "ssl.truststore.password", "custom.api.secret")) {
      assertTrue(!settings.config().containsKey(key), key + " kept out of the shown config");
      assertTrue(settings.factory().toString().contains(key), key + " in the factory: " + settings.factory());
    }
    for (String secret : SECRETS) {
      assertTrue(!settings.factory().toString().contains(secret), "factory text shows " + secret);
    }
    assertEquals(
        java.util.Map.of(
            "sasl.jaas.config",
            "org.apache.kafka.common.security.plain.PlainLoginModule required username=\"u\" password=\"" + JAAS + "\";",
            "ssl.truststore.password", TRUSTSTORE,
            "custom.api.secret", TOKEN),
        settings.factory().secrets());
  }

  private static <T extends PipelineOptions> T options(List<String> args, Class<T> type) {
    // Each pipeline takes the secrets of its own options (activity has no Redis, only fraud PostgreSQL).
    return PipelineOptionsFactory.fromArgs(args.toArray(String[]::new)).withoutStrictParsing().as(type);
  }
}
