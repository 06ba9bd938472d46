package io.tributary.it;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.greaterThan;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.protobuf.Message;
import com.google.protobuf.util.JsonFormat;
import io.tributary.pipelines.io.Durations;
import io.tributary.pipelines.sentiment.SentimentOptions;
import io.tributary.pipelines.sentiment.SentimentPipeline;
import io.tributary.proto.sentiment.ScoredMention;
import io.tributary.proto.sentiment.ShiftAlert;
import io.tributary.proto.sentiment.TextItem;
import io.tributary.proto.sentiment.TickerWindow;
import io.tributary.testing.Diff;
import io.tributary.testing.Schedule;
import io.tributary.transforms.sentiment.Sentiment;
import io.tributary.transforms.sentiment.SentimentOracle;
import io.tributary.transforms.sentiment.TextItemJson;
import io.tributary.transforms.sentiment.WindowsMatch;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.Supplier;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The sentiment pipeline against the test Kafka broker ({@link Services}), on the Direct runner
 * and on embedded Flink, with the default scorer (the finance model): JSON text items
 * about four companies (one of which turns positive in the last hour) and a malformed record
 * produced to a topic; the scored mentions, window aggregates and shift alerts read back from
 * their topics equal the brute-force oracle fed with the mentions the same scorer gives the same
 * texts in this JVM; the malformed record is in the dead-letter topic with its reason.
 */
@Timeout(value = 4, unit = java.util.concurrent.TimeUnit.MINUTES)
class SentimentKafkaIT {
  private static final long START = 1_700_000_400_000L;
  private static final long MINUTE = 60_000;
  private static final int ITEMS = 240;
  private static final String[][] COMPANIES = {{"Apple", "AAPL"}, {"Microsoft", "MSFT"}, {"Nvidia", "NVDA"}, {"Amazon", "AMZN"}};
  private static final String[] POSITIVE = {
    "%s beat estimates as quarterly revenue rose 12%%.",
    "%s raised guidance for the full year.",
    "%s beat estimates. Shares rose 4%% after hours.",
    "Analysts upgraded $%2$s after strong demand.",
  };
  private static final String[] NEGATIVE = {
    "%s missed estimates and shares fell 8%%.",
    "%s cut guidance and announced layoffs.",
    "Analysts downgraded $%2$s on weak demand.",
  };
  private static final String[] NEUTRAL = {
    "%s will hold its annual meeting in April.",
    "%s named a new chief financial officer.",
    "%s and %3$s agreed to meet on Monday.",
  };
  /** The computation: the same for every run and for the oracle's scorer. */
  private static final List<String> COMPUTATION =
      List.of("--windowSize=30m", "--windowPeriod=10m", "--baseline=60m");

  private static final String MALFORMED = "{\"id\":\"bad-1\",\"published\":\"yesterday\",\"text\":\"Apple rose.\"}";

  private static List<byte[]> records;
  private static List<ScoredMention> mentions;
  private static Map<SentimentOracle.Key, TickerWindow> windows;
  private static Map<SentimentOracle.Key, ShiftAlert> alerts;

  @BeforeAll
  static void itemsAndOracle() {
    SentimentOptions computation = PipelineOptionsFactory.fromArgs(COMPUTATION.toArray(new String[0])).as(SentimentOptions.class);
    Sentiment.Score score = SentimentPipeline.score(computation);
    Random random = new Random(5);
    records = new ArrayList<>();
    mentions = new ArrayList<>();
    List<Schedule.Arrival<ScoredMention>> arrivals = new ArrayList<>();
    for (int i = 0; i < ITEMS; i++) {
      long published = START + i * MINUTE;
      int company = i % COMPANIES.length;
      // Apple turns: positive news only in the last hour, against a mostly neutral past.
      boolean shift = company == 0 && i >= ITEMS * 3 / 4;
      int roll = shift ? 0 : random.nextInt(company == 0 ? 8 : 3);
      String[] templates = roll == 0 ? POSITIVE : roll == 1 ? NEGATIVE : NEUTRAL;
      String text =
          String.format(
              templates[random.nextInt(templates.length)],
              COMPANIES[company][0],
              COMPANIES[company][1],
              COMPANIES[(company + 1) % COMPANIES.length][0]);
      TextItem item =
          TextItem.newBuilder().setId("n-" + i).setSource("wire").setPublishedMillis(published).setText(text).build();
      records.add(TextItemJson.format(item));
      for (ScoredMention m : SentimentOracle.scored(score, item)) {
        mentions.add(m);
        // A bounded read: the watermark stays behind every item, nothing is late.
        arrivals.add(new Schedule.Arrival<>(m, published, Long.MIN_VALUE));
      }
    }
    records.add(ITEMS / 2, MALFORMED.getBytes(UTF_8));
    long size = Durations.parse(computation.getWindowSize()).getMillis();
    long period = Durations.parse(computation.getWindowPeriod()).getMillis();
    windows = SentimentOracle.windows(arrivals, size, period, 0, 3);
    alerts =
        SentimentOracle.alerts(
            mentions, size, period, Durations.parse(computation.getBaseline()).getMillis(), computation.getShiftZScore(),
            computation.getMinMentions(), computation.getMinBaselineMentions(), computation.getMinStddev(), 3);
    assertThat("mentions (some texts name two companies)", mentions.size(), greaterThan(ITEMS));
    assertThat(
        "the constructed shift of AAPL alerts: " + alerts.keySet(),
        alerts.keySet().stream().filter(k -> k.ticker().equals("AAPL") && k.start() >= START + 3 * 60 * MINUTE).count(),
        greaterThan(0L));
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"DirectRunner", "FlinkRunner"})
  void windowsAlertsAndMentionsInKafkaEqualTheOracle(String runner) throws Exception {
    String in = Kafka.uniqueTopic("news-" + runner);
    String out = Kafka.uniqueTopic("sentiment-" + runner);
    String dead = Kafka.uniqueTopic("dead-" + runner);
    Kafka.createTopics(in, out, out + ".alerts", out + ".mentions", dead);
    Kafka.produce(in, records);

    List<String> args = new ArrayList<>(COMPUTATION);
    args.addAll(Kafka.boundedSourceArgs(in, records.size()));
    args.addAll(
        List.of(
            "--runner=" + runner,
            "--sink=kafka",
            "--outputTopic=" + out,
            "--deadLetter=kafka",
            "--deadLetterTopic=" + dead));
    if (runner.equals("FlinkRunner")) {
      args.add("--flinkMaster=[local]");
      args.add("--parallelism=2");
    }
    SentimentOptions options = PipelineOptionsFactory.fromArgs(args.toArray(new String[0])).as(SentimentOptions.class);
    SentimentPipeline.create(options).run().waitUntilFinish();

    List<ScoredMention> actualMentions = read(out + ".mentions", mentions.size(), ScoredMention::newBuilder);
    Diff<ScoredMention> diff = Diff.of(mentions, actualMentions);
    assertEquals(List.of(), diff.missing(), runner + ": mentions missing from " + out + ".mentions");
    assertEquals(List.of(), diff.unexpected(), runner + ": unexpected mentions in " + out + ".mentions");

    // Bounded input: every window and alert fires once, in its on-time pane.
    List<TickerWindow> actualWindows = read(out, windows.size(), TickerWindow::newBuilder);
    assertEquals(windows.size(), actualWindows.size(), runner + ": window records in " + out);
    new WindowsMatch<TickerWindow>(
            windows, 0, w -> new SentimentOracle.Key(w.getTicker(), w.getWindowStartMillis()), w -> w.getPane().getIndex(),
            w -> w.toBuilder().clearPane().build())
        .apply(actualWindows);

    List<ShiftAlert> actualAlerts = read(out + ".alerts", alerts.size(), ShiftAlert::newBuilder);
    assertEquals(alerts.size(), actualAlerts.size(), runner + ": alert records in " + out + ".alerts");
    new WindowsMatch<ShiftAlert>(
            alerts, 0, a -> new SentimentOracle.Key(a.getTicker(), a.getWindowStartMillis()), a -> a.getPane().getIndex(),
            a -> a.toBuilder().clearPane().build())
        .apply(actualAlerts);

    List<byte[]> failures = Kafka.consume(dead, 1, Duration.ofSeconds(30));
    assertEquals(1, failures.size(), runner + ": dead letters");
    JsonNode failure = new ObjectMapper().readTree(failures.get(0));
    assertEquals(Sentiment.Parse.STEP, failure.get("step").asText(), runner + ": dead letter step");
    assertEquals(MALFORMED, failure.get("payload").asText(), runner + ": dead letter payload");
    assertThat(failure.get("reason").asText(), containsString("field 'published' is not an ISO-8601 instant"));
  }

  /** The JSON messages of a topic, parsed. */
  @SuppressWarnings("unchecked")
  private static <T extends Message> List<T> read(String topic, int expected, Supplier<? extends Message.Builder> builder)
      throws Exception {
    List<T> out = new ArrayList<>();
    for (byte[] json : Kafka.consume(topic, expected, Duration.ofSeconds(60))) {
      Message.Builder b = builder.get();
      JsonFormat.parser().merge(new String(json, UTF_8), b);
      out.add((T) b.build());
    }
    return out;
  }
}
