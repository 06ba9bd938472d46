package io.tributary.it;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.tributary.pipelines.activity.ActivityOptions;
import io.tributary.pipelines.activity.ActivityPipeline;
import io.tributary.pipelines.activity.PageViewGenerator;
import io.tributary.transforms.activity.PageViewJson;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Restart semantics of Kafka input with {@code --consumerGroup}: a run commits the offsets of
 * what it read when the runner finalizes its checkpoints, and the next run of the same group
 * continues from them, on the Direct runner and on embedded Flink. What a run read is its parser's
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
    List<byte[]> first = new ArrayList<>();
    for (long i = 0; i < FIRST; i++) {
      first.add(PageViewJson.format(generator.at(i)));
    }
    Kafka.produce(in, first);

    long read1 = run(runner, in, group, FIRST);
    assertEquals(FIRST, read1, runner + ": records parsed by the first run");
    assertEquals(FIRST, committed(group, in), runner + ": offsets committed by the first run");

    List<byte[]> second = new ArrayList<>();
    for (long i = FIRST; i < FIRST + SECOND; i++) {
      second.add(PageViewJson.format(generator.at(i)));
    }
    Kafka.produce(in, second);
    // Started with --inputOffsetReset=earliest: only the group's offsets keep it from re-reading.
    long read2 = run(runner, in, group, SECOND);
    assertEquals(SECOND, read2, runner + ": records parsed by the restarted run");
    assertEquals(FIRST + SECOND, committed(group, in), runner + ": offsets committed after the restart");
    System.out.printf(
        "kafka restart (%s): first run read %d and committed %d; the restarted run read %d, committed %d in all%n",
        runner, read1, FIRST, read2, FIRST + SECOND);
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
    return io.tributary.pipelines.dashboard.Operated.counter(
        result.metrics().queryMetrics(org.apache.beam.sdk.metrics.MetricsFilter.builder().build()),
        io.tributary.transforms.activity.WebActivity.METRICS_NAMESPACE,
        "parsed");
  }

  /** The group's committed offsets summed over the topic's partitions (waits up to 30 s for them). */
  private static long committed(String group, String topic) throws Exception {
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    long sum = -1;
    try (Admin admin = Kafka.admin()) {
      while (System.nanoTime() < deadline) {
        Map<TopicPartition, OffsetAndMetadata> offsets =
            admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata().get();
        sum = offsets.entrySet().stream()
            .filter(e -> e.getKey().topic().equals(topic) && e.getValue() != null)
            .mapToLong(e -> e.getValue().offset())
            .sum();
        if (sum >= 0 && !offsets.isEmpty()) {
          return sum;
        }
        Thread.sleep(500);
      }
    }
    return sum;
  }
}
