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
    Topics t = Topics.create();
    String input = t.input(), view = t.view(), dead = t.dead(), group = t.group();
    ChangeGenerator generator = new ChangeGenerator(7, 1_700_000_000_000L, 100, 20, 1_000_000);
    List<byte[]> values = new ArrayList<>();
    for (int i = 0; i < CHANGES; i++) {
      values.add(generator.at(i).getValue().toByteArray());
      if (i % (CHANGES / BAD) == 0) {
        values.add(("{\"not\": \"a change\" " + i).getBytes(StandardCharsets.UTF_8));
      }
    }
    Kafka.produce(input, values);

    CdcOptions options = options(dir, input, view, dead, group, "earliest");
    Pipeline pipeline = CdcPipeline.create(options);
    PipelineResult result = pipeline.run();
    long committed;
    try {
      committed = awaitCommitted(group, input, values.size(), 150);
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

  /**
   * A group without a committed offset gets its start committed at once: a pipeline started with
   * {@code --inputOffsetReset=latest} on a topic holding 10 records commits 10 before it has read
   * anything, so after it is stopped before any record came, the next start (with {@code latest}
   * again) reads the 20 records produced meanwhile instead of skipping them.
   */
  @Test
  void aPipelineStoppedBeforeItsFirstCommitResumesWhereItStarted(@TempDir Path dir) throws Exception {
    Topics t = Topics.create();
    String input = t.input(), view = t.view(), dead = t.dead(), group = t.group();
    ChangeGenerator generator = new ChangeGenerator(11, 1_700_000_000_000L, 100, 20, 1_000_000);
    Kafka.produce(input, values(generator, 0, 10));

    PipelineResult first = CdcPipeline.create(options(dir.resolve("first"), input, view, dead, group, "latest")).run();
    long committed;
    try {
      committed = awaitCommitted(group, input, 10, 60);
    } finally {
      first.cancel();
    }
    assertEquals(10, committed, "the start (the end of the topic, by 'latest') committed before anything was read");

    Kafka.produce(input, values(generator, 10, 30));
    PipelineResult second = CdcPipeline.create(options(dir.resolve("second"), input, view, dead, group, "latest")).run();
    try {
      committed = awaitCommitted(group, input, 30, 120);
    } finally {
      second.cancel();
    }
    List<byte[]> changes = Kafka.consume(view, 20, java.time.Duration.ofSeconds(30));
    System.out.printf("commit gate: start committed at 10; after a stop and 20 more records, %d changes in the view,"
        + " offset %d committed%n", changes.size(), committed);
    assertEquals(20, changes.size(), "the records produced while stopped, read by the second start");
    assertEquals(30, committed, "the group's committed offset after the second start");
  }

  /** A run's own input, view and dead-letter topics (created), and consumer group. */
  private record Topics(String input, String view, String dead, String group) {
    static Topics create() throws Exception {
      Topics t = new Topics(Kafka.uniqueTopic("gate-in"), Kafka.uniqueTopic("gate-view"),
          Kafka.uniqueTopic("gate-dead"), Kafka.uniqueTopic("gate-group"));
      Kafka.createTopics(t.input(), t.view(), t.dead());
      return t;
    }
  }

  private static List<byte[]> values(ChangeGenerator generator, int from, int to) {
    List<byte[]> values = new ArrayList<>();
    for (int i = from; i < to; i++) {
      values.add(generator.at(i).getValue().toByteArray());
    }
    return values;
  }

  /** Polls the group's committed offset of partition 0 until it reaches {@code target}; returns the last seen. */
  private static long awaitCommitted(String group, String topic, long target, int seconds) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
    long committed = -1;
    try (Admin admin = Kafka.admin()) {
      while (System.nanoTime() < deadline && committed < target) {
        OffsetAndMetadata o =
            admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata().get().get(new TopicPartition(topic, 0));
        committed = o == null ? -1 : o.offset();
        if (committed < target) {
          Thread.sleep(500);
        }
      }
    }
    return committed;
  }

  private static CdcOptions options(Path dir, String input, String view, String dead, String group, String reset) {
    return PipelineOptionsFactory.fromArgs(
            "--runner=DirectRunner",
            "--blockOnRun=false",
            "--streaming=true",
            "--source=kafka",
            "--kafkaBootstrapServers=" + Services.kafkaBootstrap(),
            "--inputTopic=" + java.util.regex.Pattern.quote(input),
            "--inputOffsetReset=" + reset,
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
  }
}
