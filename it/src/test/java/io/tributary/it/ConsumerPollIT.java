package io.tributary.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tributary.pipelines.io.SourceOptions;
import io.tributary.pipelines.io.Sources;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The pipelines' Kafka consumers ({@code ConsumerFactory}) against the test broker: a poll of a
 * partition that holds nothing more returns once the broker has said so, not after the time it was
 * given (KafkaIO's splittable reader gives 2 s, and a quiet partition held a worker that long);
 * a fresh consumer of a partition with records still waits for its first fetch.
 */
@Timeout(value = 2, unit = TimeUnit.MINUTES)
class ConsumerPollIT {
  private static final Duration ASKED = Duration.ofSeconds(20);

  @Test
  void aQuietPartitionsPollReturnsOnceTheBrokerHasAnsweredAndABusyOneReadsItsRecords() throws Exception {
    String quiet = Kafka.uniqueTopic("poll-quiet");
    String busy = Kafka.uniqueTopic("poll-busy");
    Kafka.createTopics(quiet, busy);
    Kafka.produce(busy, List.of("a", "b", "c").stream().map(v -> v.getBytes(StandardCharsets.UTF_8)).toList());

    Sources.ConsumerSettings settings =
        Sources.consumerSettings(PipelineOptionsFactory.create().as(SourceOptions.class));
    Map<String, Object> config = Map.of("bootstrap.servers", Services.kafkaBootstrap());

    try (Consumer<byte[], byte[]> consumer = settings.factory().apply(config)) {
      TopicPartition partition = new TopicPartition(busy, 0);
      consumer.assign(List.of(partition));
      consumer.seek(partition, 0);
      ConsumerRecords<byte[], byte[]> records = consumer.poll(ASKED);
      assertEquals(3, records.count(), "a fresh consumer's first poll of " + busy + " reads its records");
    }

    try (Consumer<byte[], byte[]> consumer = settings.factory().apply(config)) {
      TopicPartition partition = new TopicPartition(quiet, 0);
      consumer.assign(List.of(partition));
      consumer.seek(partition, 0);
      for (int poll = 1; poll <= 2; poll++) {
        long start = System.nanoTime();
        ConsumerRecords<byte[], byte[]> records = consumer.poll(ASKED);
        long millis = (System.nanoTime() - start) / 1_000_000;
        System.out.printf("poll %d of the quiet partition %s: %d ms%n", poll, partition, millis);
        assertTrue(records.isEmpty(), quiet + " holds nothing");
        assertTrue(millis < 5_000,
            "poll " + poll + " of a quiet partition, given " + ASKED.toSeconds() + " s, returned after " + millis
                + " ms; expected it to return once the broker answered its fetch (about 0.5 s)");
      }
    }
  }
}
