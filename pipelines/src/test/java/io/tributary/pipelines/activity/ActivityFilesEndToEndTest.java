package io.tributary.pipelines.activity;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.hasSize;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.protobuf.util.JsonFormat;
import io.tributary.proto.activity.ActivitySnapshot;
import io.tributary.proto.activity.PageView;
import io.tributary.proto.activity.SessionSummary;
import io.tributary.testing.Schedule;
import io.tributary.transforms.activity.ActivityOracle;
import io.tributary.transforms.activity.PageViewJson;
import io.tributary.transforms.activity.WebActivity;
import io.tributary.transforms.metrics.Counters;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The whole activity pipeline as a user runs it: JSON lines in, JSON lines out, bad lines in the
 * dead-letter files with their reasons (Direct runner).
 */
class ActivityFilesEndToEndTest {
  @Test
  void filesInFilesOutWithDeadLetters(@TempDir Path dir) throws IOException {
    PageViewGenerator generator = new PageViewGenerator(3, 1_700_000_000_000L, 20, 30, 2000, 1_800_000);
    List<String> lines = new ArrayList<>();
    List<Schedule.Arrival<PageView>> arrivals = new ArrayList<>();
    for (long i = 0; i < 2400; i++) {
      PageView v = generator.at(i);
      lines.add(new String(PageViewJson.format(v), UTF_8));
      arrivals.add(new Schedule.Arrival<>(v, v.getEventTimeMillis(), Long.MIN_VALUE));
    }
    lines.add(700, "{\"user_id\":\"u\",\"page\":\"/x\"}");
    lines.add(1500, "not json");
    // A line that is not UTF-8 (a Latin-1 'e' with acute accent), with a Windows line end.
    byte[] latin1 = "{\"user_id\":\"ren\u00e9\",\"page\":\"/x\",\"event_time\":1}".getBytes(java.nio.charset.StandardCharsets.ISO_8859_1);
    java.io.ByteArrayOutputStream file = new java.io.ByteArrayOutputStream();
    for (int i = 0; i < lines.size(); i++) {
      file.write(lines.get(i).getBytes(UTF_8));
      file.write('\n');
      if (i == 900) {
        file.write(latin1);
        file.write(new byte[] {'\r', '\n'});
      }
    }
    Files.write(dir.resolve("views.jsonl"), file.toByteArray());

    ActivityOptions options =
        PipelineOptionsFactory.fromArgs(
                "--source=files",
                "--inputFiles=" + dir.resolve("views.jsonl"),
                "--sink=files",
                "--outputPath=" + dir.resolve("out"),
                "--deadLetter=files",
                "--deadLetterPath=" + dir.resolve("dead"),
                "--windowSize=60s",
                "--windowPeriod=20s",
                "--topN=3")
            .as(ActivityOptions.class);
    PipelineResult result = ActivityPipeline.create(options).run();
    result.waitUntilFinish();
    assertEquals(2400, counter(result, "parsed"), "parsed counter");
    assertEquals(3, counter(result, "parseFailed"), "parseFailed counter");
    assertEquals(0, counter(result, "lateDropped"), "lateDropped counter");

    Map<Long, ActivitySnapshot> expected =
        new TreeMap<>(ActivityOracle.snapshots(arrivals, 60_000, 20_000, 0, 3, Set.of()));
    Map<Long, ActivitySnapshot> actual = new TreeMap<>();
    for (String json : readLines(dir.resolve("out/snapshots"))) {
      ActivitySnapshot.Builder b = ActivitySnapshot.newBuilder();
      JsonFormat.parser().merge(json, b);
      actual.put(b.getWindowStartMillis(), b.clearPane().build());
    }
    assertEquals(expected, actual, "snapshots read back from the files sink");

    List<String> failures = readLines(dir.resolve("dead"));
    assertThat(failures, hasSize(3));
    ObjectMapper mapper = new ObjectMapper();
    Map<String, String> reasonByPayload = new TreeMap<>();
    for (String f : failures) {
      JsonNode node = mapper.readTree(f);
      if (node.has("payload_base64")) {
        // Not UTF-8: kept byte for byte.
        assertEquals(java.util.Arrays.toString(latin1),
            java.util.Arrays.toString(java.util.Base64.getDecoder().decode(node.get("payload_base64").asText())));
        assertThat(node.get("reason").asText(), containsString("Invalid UTF-8"));
        continue;
      }
      reasonByPayload.put(node.get("payload").asText(), node.get("reason").asText());
    }
    assertEquals(2, reasonByPayload.size(), "text failures " + reasonByPayload);
    assertThat(reasonByPayload.get("{\"user_id\":\"u\",\"page\":\"/x\"}"), containsString("missing required field 'event_time'"));
    assertThat(reasonByPayload.get("not json"), containsString("malformed JSON"));

    List<PageView> views = new ArrayList<>();
    arrivals.forEach(a -> views.add(a.value()));
    List<SessionSummary> expectedSessions = new ArrayList<>(ActivityOracle.sessions(views, 30 * 60_000));
    List<SessionSummary> actualSessions = new ArrayList<>();
    for (String json : readLines(dir.resolve("out/sessions"))) {
      SessionSummary.Builder b = SessionSummary.newBuilder();
      JsonFormat.parser().merge(json, b);
      actualSessions.add(b.clearPane().build());
    }
    Comparator<SessionSummary> order =
        Comparator.comparing(SessionSummary::getUserId).thenComparingLong(SessionSummary::getStartMillis);
    expectedSessions.sort(order);
    actualSessions.sort(order);
    assertEquals(expectedSessions, actualSessions, "sessions read back from the files sink");
  }

  private static long counter(PipelineResult result, String name) {
    return Counters.attempted(result, WebActivity.METRICS_NAMESPACE, name);
  }


  private static List<String> readLines(Path dir) throws IOException {
    List<String> out = new ArrayList<>();
    try (Stream<Path> files = Files.walk(dir)) {
      for (Path f : files.filter(Files::isRegularFile).filter(p -> p.toString().endsWith(".jsonl")).toList()) {
        out.addAll(Files.readAllLines(f, UTF_8));
      }
    }
    return out;
  }
}
