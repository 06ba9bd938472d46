package io.tributary.it;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.tributary.pipelines.activity.ActivityOptions;
import io.tributary.pipelines.activity.ActivityPipeline;
import io.tributary.pipelines.activity.PageViewGenerator;
import io.tributary.pipelines.dashboard.Operated;
import io.tributary.pipelines.io.Launch;
import io.tributary.transforms.activity.PageViewJson;
import io.tributary.transforms.activity.WebActivity;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.metrics.MetricsFilter;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Restart semantics of Kafka input with {@code --consumerGroup}: a run commits the offsets of
 * what it read when the runner finalizes its checkpoints, and the next run of the same group
 * continues from them, on the Direct runner and on embedded Flink, bounded and (Direct) unbounded. What a run read is its parser's
 * {@code parsed} counter.
 */
@Timeout(value = 4, unit = TimeUnit.MINUTES)
class KafkaRestartIT {
  private static final int FIRST = 300;
  private static final int SECOND = 200;

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"DirectRunner", "FlinkRunner"})
  void aRestartedPipelineContinuesFromItsCommittedOffsets(String runner) throws Exception {
    String in = Kafka.uniqueTopic("views-restart-" + runner);
    String group = "tributary-restart-" + UUID.randomUUID();
    Kafka.createTopics(in);
    PageViewGenerator generator = new PageViewGenerator(5, 1_700_000_000_000L, 25, 40, 0, 1_800_000);
    Kafka.produce(in, views(generator, 0, FIRST));

    long read1 = run(runner, in, group, FIRST);
    assertEquals(FIRST, read1, runner + ": records parsed by the first run");
    assertEquals(FIRST, committed(group, in), runner + ": offsets committed by the first run");

    Kafka.produce(in, views(generator, FIRST, FIRST + SECOND));
    // Started with --inputOffsetReset=earliest: only the group's offsets keep it from re-reading.
    long read2 = run(runner, in, group, SECOND);
    assertEquals(SECOND, read2, runner + ": records parsed by the restarted run");
    assertEquals(FIRST + SECOND, committed(group, in), runner + ": offsets committed after the restart");
    System.out.printf(
        "kafka restart (%s): first run read %d and committed %d; the restarted run read %d, committed %d in all%n",
        runner, read1, FIRST, read2, FIRST + SECOND);
  }

  /**
   * An unbounded run on the Direct runner started as the launcher starts it, on a topic that goes
   * quiet: it commits what it read as it goes, except its last bundle (the Direct runner finalizes
   * a bundle's checkpoint only once more is read after it; see {@link #UNCOMMITTED_BUNDLES} for the
   * rarer case of two), and a run started again after it was cancelled reads exactly what was not
   * committed: nothing is lost, what was not committed is read twice.
   */
  @Test
  void anUnboundedDirectRunCommitsWhatItReadAndARestartReadsTheRest() throws Exception {
    String in = Kafka.uniqueTopic("views-restart-unbounded");
    String group = "tributary-restart-" + UUID.randomUUID();
    Kafka.createTopics(in);
    PageViewGenerator generator = new PageViewGenerator(6, 1_700_000_000_000L, 25, 40, 0, 1_800_000);
    Kafka.produce(in, views(generator, 0, FIRST));
    long[] first = runUnbounded(in, group, FIRST);
    assertEquals(FIRST, first[0], "records parsed by the first unbounded run");
    assertCommittedAllButTheLastBundles(FIRST, first[1], "the first unbounded run");

    Kafka.produce(in, views(generator, FIRST, FIRST + SECOND));
    long[] second = runUnbounded(in, group, FIRST + SECOND - first[1]);
    assertEquals(FIRST + SECOND - first[1], second[0], "records parsed by the restarted run: all it had not committed");
    assertCommittedAllButTheLastBundles(FIRST + SECOND, second[1], "the restarted run");
    System.out.printf(
        "kafka restart (unbounded, Direct): first run read %d and committed %d; the restarted run read %d"
            + " and committed %d in all%n",
        first[0], first[1], second[0], second[1]);
  }

  /** The Direct runner's reads of an unbounded source hand on at most this many records a bundle. */
  private static final int DIRECT_BUNDLE = 10;

  /**
   * How many bundles' records may stay uncommitted: the last one, and one more each time the
   * Direct runner closed its reader after a bundle (it does after 5% of bundles, at random) near
   * the end. The closed reader's checkpoint, finalized with the next bundle, goes to the closed
   * reader, which commits nothing more, so its offsets are committed only with the checkpoint
   * after it (KafkaIO's {@code KafkaCheckpointMark} commits through the reader that made it).
   * Two such closes in a row at the end of a run happen about once in 400 runs.
   */
  private static final int UNCOMMITTED_BUNDLES = 3;

  private static void assertCommittedAllButTheLastBundles(long read, long committed, String run) {
    if (committed < read - UNCOMMITTED_BUNDLES * DIRECT_BUNDLE || committed > read) {
      throw new AssertionError(
          run + ": committed " + committed + " of " + read + " offsets read; expected all but at most "
              + UNCOMMITTED_BUNDLES * DIRECT_BUNDLE + " (the last bundle, and one more per reader the runner closed)");
    }
  }

  /**
   * Starts the activity pipeline unbounded on the Direct runner through {@link Launch#start}, waits
   * (up to 90 s) until it has parsed {@code records} records and neither that count nor its
   * commits have moved for 5 s, cancels it and returns what it parsed and the group's committed
   * offsets.
   */
  private static long[] runUnbounded(String topic, String group, long records) throws Exception {
    List<String> args = new ArrayList<>(List.of(
        "--source=kafka",
        "--kafkaBootstrapServers=" + Services.kafkaBootstrap(),
        "--inputTopic=" + topic,
        "--inputOffsetReset=earliest",
        "--runner=DirectRunner",
        "--blockOnRun=false",
        "--consumerGroup=" + group,
        "--sink=none",
        "--maxInputDelay=5s"));
    ActivityOptions options = PipelineOptionsFactory.fromArgs(args.toArray(new String[0])).as(ActivityOptions.class);
    Pipeline pipeline = ActivityPipeline.create(options);
    PipelineResult result = Launch.start(pipeline);
    try {
      long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
      while (System.nanoTime() < deadline && parsed(result) < records) {
        Thread.sleep(250);
      }
      // Until neither the count read nor the commits have moved for 5 s: a re-read would show.
      long[] seen = {parsed(result), committedNow(group, topic)};
      long steadySince = System.nanoTime();
      while (System.nanoTime() < deadline && System.nanoTime() - steadySince < Duration.ofSeconds(5).toNanos()) {
        Thread.sleep(250);
        long[] now = {parsed(result), committedNow(group, topic)};
        if (!Arrays.equals(now, seen)) {
          seen = now;
          steadySince = System.nanoTime();
        }
      }
      return seen;
    } finally {
      result.cancel();
    }
  }

  /** The group's committed offsets summed over the topic's partitions now (0 when none). */
  private static long committedNow(String group, String topic) throws Exception {
    try (Admin admin = Kafka.admin()) {
      return sum(admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata().get(), topic);
    }
  }

  /** The offsets of {@code topic}'s partitions summed. */
  private static long sum(Map<TopicPartition, OffsetAndMetadata> offsets, String topic) {
    return offsets.entrySet().stream()
        .filter(e -> e.getKey().topic().equals(topic) && e.getValue() != null)
        .mapToLong(e -> e.getValue().offset())
        .sum();
  }

  private static long parsed(PipelineResult result) {
    return Operated.counter(
        result.metrics().queryMetrics(MetricsFilter.builder().build()), WebActivity.METRICS_NAMESPACE, "parsed");
  }

  /** Views {@code from} to {@code to} (exclusive) of the generator, as JSON. */
  private static List<byte[]> views(PageViewGenerator generator, long from, long to) {
    List<byte[]> views = new ArrayList<>();
    for (long i = from; i < to; i++) {
      views.add(PageViewJson.format(generator.at(i)));
    }
    return views;
  }

  /** Runs the activity pipeline over the next {@code records} records of the group; returns how many it parsed. */
  private static long run(String runner, String topic, String group, int records) {
    List<String> args = new ArrayList<>(Kafka.boundedSourceArgs(topic, records));
    args.addAll(List.of("--runner=" + runner, "--consumerGroup=" + group, "--sink=none", "--maxInputDelay=5s"));
    if (runner.equals("FlinkRunner")) {
      args.addAll(List.of("--flinkMaster=[local]", "--parallelism=1", "--checkpointingInterval=1000"));
    }
    ActivityOptions options = PipelineOptionsFactory.fromArgs(args.toArray(new String[0])).as(ActivityOptions.class);
    PipelineResult result = ActivityPipeline.create(options).run();
    result.waitUntilFinish();
    return parsed(result);
  }

  /** The group's committed offsets summed over the topic's partitions (waits up to 30 s for them). */
  private static long committed(String group, String topic) throws Exception {
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    long sum = -1;
    try (Admin admin = Kafka.admin()) {
      while (System.nanoTime() < deadline) {
        Map<TopicPartition, OffsetAndMetadata> offsets =
            admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata().get();
        sum = sum(offsets, topic);
        if (sum >= 0 && !offsets.isEmpty()) {
          return sum;
        }
        Thread.sleep(500);
      }
    }
    return sum;
  }
}
