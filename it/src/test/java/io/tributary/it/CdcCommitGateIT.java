package io.tributary.it;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.tributary.pipelines.cdc.CdcOptions;
import io.tributary.pipelines.cdc.CdcPipeline;
import io.tributary.pipelines.cdc.ChangeGenerator;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The cdc pipeline on the Direct runner with a consumer group, its change view and dead letters
 * in Kafka: every change reaches the view topic and every bad record the dead-letter topic, once
 * each, and the group's committed offset reaches the end of the input topic: the commit gate
 * waits for Kafka outputs (written by a step that flushes per bundle) and is not stuck behind
 * them. (`CdcFaultIT` kills such a pipeline; this one shows the Kafka outputs' path.)
 */
@Timeout(value = 4, unit = TimeUnit.MINUTES)
class CdcCommitGateIT {
  private static final int CHANGES = 300;
  private static final int BAD = 50;

  @Test
  void theGroupCommitsEverythingOnceTheViewAndDeadLettersAreInKafka(@TempDir Path dir) throws Exception {
    String input = Kafka.uniqueTopic("gate-in");
    String view = Kafka.uniqueTopic("gate-view");
    String dead = Kafka.uniqueTopic("gate-dead");
    String group = Kafka.uniqueTopic("gate-group");
    Kafka.createTopics(input, view, dead);
    ChangeGenerator generator = new ChangeGenerator(7, 1_700_000_000_000L, 100, 20, 1_000_000);
    List<byte[]> values = new ArrayList<>();
    for (int i = 0; i < CHANGES; i++) {
      values.add(generator.at(i).getValue().toByteArray());
      if (i % (CHANGES / BAD) == 0) {
        values.add(("{\"not\": \"a change\" " + i).getBytes(StandardCharsets.UTF_8));
      }
    }
    Kafka.produce(input, values);

    CdcOptions options =
        PipelineOptionsFactory.fromArgs(
                "--runner=DirectRunner",
                "--blockOnRun=false",
                "--streaming=true",
                "--source=kafka",
                "--kafkaBootstrapServers=" + Services.kafkaBootstrap(),
                "--inputTopic=" + java.util.regex.Pattern.quote(input),
                "--inputOffsetReset=earliest",
                "--consumerGroup=" + group,
                "--topicDiscoveryInterval=2s",
                "--lakePath=" + dir.resolve("lake"),
                "--lakeRotation=2s",
                "--redisHost=" + Services.redisHost(),
                "--redisPort=" + Services.redisPort(),
                "--cacheKeyPrefix=" + group + ":",
                "--featureKeyPrefix=" + group + ":feature:",
                "--sink=kafka",
                "--outputTopic=" + view,
                "--deadLetter=kafka",
                "--deadLetterTopic=" + dead)
            .as(CdcOptions.class);
    Pipeline pipeline = CdcPipeline.create(options);
    PipelineResult result = pipeline.run();
    long committed = -1;
    try {
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(150);
      try (Admin admin = Kafka.admin()) {
        while (System.nanoTime() < deadline && committed < values.size()) {
          Map<TopicPartition, OffsetAndMetadata> offsets =
              admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata().get();
          OffsetAndMetadata o = offsets.get(new TopicPartition(input, 0));
          committed = o == null ? -1 : o.offset();
          Thread.sleep(1000);
        }
      }
    } finally {
      result.cancel();
    }
    List<byte[]> changes = Kafka.consume(view, CHANGES, java.time.Duration.ofSeconds(30));
    List<byte[]> failures = Kafka.consume(dead, BAD, java.time.Duration.ofSeconds(30));
    System.out.printf("commit gate: %d records in, offset %d committed; %d changes in the view topic, %d dead letters%n",
        values.size(), committed, changes.size(), failures.size());
    assertEquals(values.size(), committed, "the group's committed offset: the end of the input topic");
    assertEquals(CHANGES, changes.size(), "changes in the view topic");
    assertEquals(BAD, failures.size(), "dead letters in their topic");
  }
}
