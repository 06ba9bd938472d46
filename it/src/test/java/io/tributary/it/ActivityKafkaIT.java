package io.tributary.it;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.protobuf.util.JsonFormat;
import io.tributary.pipelines.activity.ActivityOptions;
import io.tributary.pipelines.activity.ActivityPipeline;
import io.tributary.pipelines.activity.PageViewGenerator;
import io.tributary.proto.activity.ActivitySnapshot;
import io.tributary.proto.activity.PageView;
import io.tributary.testing.Schedule;
import io.tributary.transforms.activity.ActivityOracle;
import io.tributary.transforms.activity.PageViewJson;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The activity pipeline against the test Kafka broker ({@link Services}), on the Direct runner and
 * on embedded Flink: JSON page views (and bad records) produced to a topic, snapshots and dead
 * letters read back from topics and compared with the brute-force oracle.
 */
@Timeout(value = 4, unit = java.util.concurrent.TimeUnit.MINUTES)
class ActivityKafkaIT {
  private static final int VIEWS = 3000;

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"DirectRunner", "FlinkRunner"})
  void kafkaInKafkaOutEqualsTheOracle(String runner) throws Exception {
    String in = Kafka.uniqueTopic("views-" + runner);
    String out = Kafka.uniqueTopic("activity-" + runner);
    String dead = Kafka.uniqueTopic("dead-" + runner);
    Kafka.createTopics(in, out, out + ".sessions", out + ".trend", dead);

    PageViewGenerator generator = new PageViewGenerator(11, 1_700_000_000_000L, 25, 40, 3000, 1_800_000);
    List<byte[]> records = new ArrayList<>();
    List<Schedule.Arrival<PageView>> arrivals = new ArrayList<>();
    for (long i = 0; i < VIEWS; i++) {
      PageView v = generator.at(i);
      records.add(PageViewJson.format(v));
      arrivals.add(new Schedule.Arrival<>(v, v.getEventTimeMillis(), Long.MIN_VALUE));
    }
    records.add(1000, "{\"user_id\":\"u\",\"page\":\"/x\",\"event_time\":\"soon\"}".getBytes(UTF_8));
    records.add(2000, "[]".getBytes(UTF_8));
    Kafka.produce(in, records);

    List<String> args =
        new ArrayList<>(Kafka.boundedSourceArgs(in, records.size()));
    args.addAll(
            List.of(
                "--runner=" + runner,
                // Generated views are at most 3 s out of order: no view is late.
                "--maxInputDelay=5s",
                "--sink=kafka",
                "--outputTopic=" + out,
                "--deadLetter=kafka",
                "--deadLetterTopic=" + dead,
                "--windowSize=60s",
                "--windowPeriod=20s",
                "--topN=5"));
    if (runner.equals("FlinkRunner")) {
      args.add("--flinkMaster=[local]");
      args.add("--parallelism=1");
    }
    ActivityOptions options =
        PipelineOptionsFactory.fromArgs(args.toArray(new String[0])).as(ActivityOptions.class);
    ActivityPipeline.create(options).run().waitUntilFinish();

    Map<Long, ActivitySnapshot> expected =
        new TreeMap<>(ActivityOracle.snapshots(arrivals, 60_000, 20_000, 0, 5, Set.of()));
    Map<Long, ActivitySnapshot> actual = new TreeMap<>();
    for (byte[] json : Kafka.consume(out, expected.size(), Duration.ofSeconds(60))) {
      ActivitySnapshot.Builder b = ActivitySnapshot.newBuilder();
      JsonFormat.parser().merge(new String(json, UTF_8), b);
      ActivitySnapshot previous = actual.put(b.getWindowStartMillis(), b.clearPane().build());
      if (previous != null) {
        throw new AssertionError("two snapshots for window " + b.getWindowStartMillis());
      }
    }
    assertEquals(expected, actual, runner + ": snapshots in topic " + out);

    List<byte[]> failures = Kafka.consume(dead, 2, Duration.ofSeconds(30));
    Map<String, String> reasonByPayload = new TreeMap<>();
    ObjectMapper mapper = new ObjectMapper();
    for (byte[] f : failures) {
      JsonNode node = mapper.readTree(f);
      reasonByPayload.put(node.get("payload").asText(), node.get("reason").asText());
    }
    assertEquals(2, reasonByPayload.size(), runner + ": dead letters " + reasonByPayload);
    assertThat(
        reasonByPayload.get("{\"user_id\":\"u\",\"page\":\"/x\",\"event_time\":\"soon\"}"),
        containsString("field 'event_time' is not an ISO-8601 instant"));
    assertThat(reasonByPayload.get("[]"), containsString("expected a JSON object, got ARRAY"));
  }
}
