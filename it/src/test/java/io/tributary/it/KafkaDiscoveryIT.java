package io.tributary.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.tributary.pipelines.cdc.CdcOptions;
import io.tributary.pipelines.cdc.CdcPipeline;
import io.tributary.pipelines.cdc.ChangeGenerator;
import io.tributary.proto.cdc.ConnectRecord;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.Future;
import java.util.regex.Pattern;
import org.apache.beam.runners.direct.DirectOptions;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Topics created while the cdc pipeline runs are read, from their first record: the pipeline
 * reads a topic pattern, unbounded, with {@code --inputOffsetReset=latest} and {@code
 * --topicDiscoveryInterval=2s}. A topic that existed at start is read from its end (its 50 earlier
 * records are not read); a canary topic shows when the readers run; then a topic is created and 30
 * Debezium records are produced to it at once, and all 30, each once, reach the pipeline's change
 * view (Kafka, {@code --sink=kafka}). On the Direct runner here, on the Flink cluster in {@link
 * FlinkClusterIT} (the same {@link #scenario}).
 */
@Timeout(value = 4, unit = java.util.concurrent.TimeUnit.MINUTES)
class KafkaDiscoveryIT {
  private static final ObjectMapper MAPPER = new ObjectMapper();
  private static final int BEFORE = 50;
  private static final int LATER = 30;

  /** A running pipeline, stopped by close. */
  interface Running extends AutoCloseable {
    @Override
    void close() throws java.io.IOException;
  }

  /** Starts the cdc pipeline with these arguments and returns how to stop it. */
  interface Starter {
    Running start(List<String> args) throws Exception;
  }

  @Test
  void aTopicCreatedWhileTheDirectRunnerRunsIsReadFromItsFirstRecord(@TempDir Path dir) throws Exception {
    scenario("direct", dir, args -> {
      CdcOptions options = PipelineOptionsFactory.fromArgs(args.toArray(String[]::new)).as(CdcOptions.class);
      options.setRunner(org.apache.beam.runners.direct.DirectRunner.class);
      options.as(DirectOptions.class).setBlockOnRun(false);
      PipelineResult result = CdcPipeline.create(options).run();
      return result::cancel;
    });
  }

  /**
   * The scenario of the class comment, on whatever runner {@code starter} starts; prints the
   * counts it compared.
   */
  static void scenario(String what, Path dir, Starter starter) throws Exception {
    String prefix = "disc" + UUID.randomUUID().toString().replace("-", "").substring(0, 8);
    String before = prefix + ".before";
    String canary = prefix + ".canary";
    String later = prefix + ".later";
    String out = prefix + "-changes";
    Kafka.createTopics(before, canary, out);
    ChangeGenerator generator = new ChangeGenerator(11, 1_700_000_000_000L, 100, 1000, Integer.MAX_VALUE);
    produce(before, generator, 0, BEFORE);

    List<String> args =
        List.of(
            "--source=kafka",
            "--kafkaBootstrapServers=" + Services.kafkaBootstrap(),
            "--inputTopic=" + Pattern.quote(prefix) + "\\.[a-z]+",
            "--inputOffsetReset=latest",
            "--topicDiscoveryInterval=2s",
            "--sink=kafka",
            "--outputTopic=" + out,
            "--redisHost=" + Services.redisHost(),
            "--redisPort=" + Services.redisPort(),
            "--cacheKeyPrefix=" + prefix + ":",
            "--featureKeyPrefix=" + prefix + ":feature:",
            "--lakePath=" + dir.resolve("lake"),
            "--lakeRotation=2s");
    Map<String, Integer> counts;
    int canaries = 0;
    try (Running running = starter.start(args)) {
      // The readers run once a canary record comes out: produce one every few seconds until then.
      long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
      do {
        assertTrue(System.nanoTime() < deadline, what + ": no canary record came out within 120 s");
        produce(canary, generator, 1000 + canaries, 1);
        canaries++;
        counts = countByTopic(out, Duration.ofSeconds(3));
      } while (counts.getOrDefault(canary, 0) == 0);

      Kafka.createTopics(later);
      produce(later, generator, 100, LATER);
      deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
      do {
        counts = countByTopic(out, Duration.ofSeconds(3));
      } while (counts.getOrDefault(later, 0) < LATER && System.nanoTime() < deadline);
      counts = countByTopic(out, Duration.ofSeconds(3));
    }
    System.out.printf(
        "topic discovery (%s): changes read per topic %s; %d records were in '%s' before the start,"
            + " %d canaries produced, %d records produced to '%s' after it was created%n",
        what, counts, BEFORE, before, canaries, LATER, later);
    assertEquals(LATER, counts.getOrDefault(later, 0), what + ": changes of the topic created while running");
    assertEquals(0, counts.getOrDefault(before, 0), what + ": changes of the earlier records (--inputOffsetReset=latest)");
    assertTrue(counts.get(canary) <= canaries, what + ": canaries read " + counts.get(canary) + " of " + canaries);
  }

  /** Produces the generator's records {@code from} .. {@code from + n - 1} to {@code topic}, keyed. */
  private static void produce(String topic, ChangeGenerator generator, long from, int n) throws Exception {
    Properties p = new Properties();
    p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, Services.kafkaBootstrap());
    p.put(ProducerConfig.ACKS_CONFIG, "all");
    try (KafkaProducer<byte[], byte[]> producer =
        new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer())) {
      List<Future<?>> sent = new ArrayList<>();
      for (long i = from; i < from + n; i++) {
        ConnectRecord r = generator.at(i);
        sent.add(producer.send(new ProducerRecord<>(topic, r.getKey().toByteArray(), r.getValue().toByteArray())));
      }
      for (Future<?> f : sent) {
        f.get();
      }
    }
  }

  /** The change view's records so far, counted by the topic each change was read from. */
  private static Map<String, Integer> countByTopic(String out, Duration wait) throws Exception {
    Map<String, Integer> counts = new TreeMap<>();
    for (byte[] json : Kafka.consume(out, Integer.MAX_VALUE, wait)) {
      counts.merge(MAPPER.readTree(json).path("topic").asText(), 1, Integer::sum);
    }
    return counts;
  }
}
