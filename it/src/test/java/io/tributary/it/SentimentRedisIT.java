package io.tributary.it;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.greaterThan;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.google.protobuf.util.JsonFormat;
import io.tributary.pipelines.sentiment.HeadlineGenerator;
import io.tributary.pipelines.sentiment.SentimentOptions;
import io.tributary.pipelines.sentiment.SentimentPipeline;
import io.tributary.proto.sentiment.TextItem;
import io.tributary.proto.sentiment.TickerWindow;
import io.tributary.transforms.sentiment.TextItemJson;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import redis.clients.jedis.Jedis;

/**
 * The sentiment pipeline writing its per-ticker index to the test Redis ({@link Services}), on the
 * Direct runner and on embedded Flink: after the run, every ticker's hash holds its newest window,
 * the same as the newest window of that ticker in the JSON files written alongside.
 */
@Timeout(value = 4, unit = java.util.concurrent.TimeUnit.MINUTES)
class SentimentRedisIT {
  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"DirectRunner", "FlinkRunner"})
  void redisHoldsTheNewestWindowOfEveryTicker(String runner, @TempDir Path dir) throws IOException {
    HeadlineGenerator generator = new HeadlineGenerator(17, 1_700_000_000_000L, 1);
    List<String> lines = new ArrayList<>();
    for (long i = 0; i < 500; i++) {
      TextItem item = generator.itemAt(i);
      lines.add(new String(TextItemJson.format(item), UTF_8));
    }
    Files.write(dir.resolve("items.jsonl"), lines, UTF_8);
    String prefix = "it:" + runner + ":" + System.nanoTime() + ":";

    List<String> args =
        new ArrayList<>(
            List.of(
                "--runner=" + runner,
                "--source=files",
                "--inputFiles=" + dir.resolve("items.jsonl"),
                "--outputPath=" + dir.resolve("out"),
                "--method=finance",
                "--windowSize=3m",
                "--windowPeriod=1m",
                "--baseline=3m",
                "--sink=files,redis",
                "--redisHost=" + Services.redisHost(),
                "--redisPort=" + Services.redisPort(),
                "--indexKeyPrefix=" + prefix));
    if (runner.equals("FlinkRunner")) {
      args.add("--flinkMaster=[local]");
      args.add("--parallelism=2");
    }
    SentimentOptions options = PipelineOptionsFactory.fromArgs(args.toArray(new String[0])).as(SentimentOptions.class);
    SentimentPipeline.create(options).run().waitUntilFinish();

    Map<String, TickerWindow> newest = new TreeMap<>();
    try (Stream<Path> files = Files.walk(dir.resolve("out/windows"))) {
      for (Path f : files.filter(p -> p.toString().endsWith(".jsonl")).toList()) {
        for (String json : Files.readAllLines(f, UTF_8)) {
          TickerWindow.Builder b = TickerWindow.newBuilder();
          JsonFormat.parser().merge(json, b);
          newest.merge(b.getTicker(), b.build(), (a, c) -> a.getWindowEndMillis() >= c.getWindowEndMillis() ? a : c);
        }
      }
    }
    assertThat("tickers in the output", newest.size(), greaterThan(5));
    try (Jedis jedis = new Jedis(Services.redisHost(), Services.redisPort())) {
      assertEquals(newest.keySet(), Set.copyOf(jedis.smembers(prefix + "tickers")), "ticker set");
      for (TickerWindow w : newest.values()) {
        Map<String, String> stored = jedis.hgetAll(prefix + w.getTicker());
        assertEquals(
            Map.of(
                "window_start", Long.toString(w.getWindowStartMillis()),
                "window_end", Long.toString(w.getWindowEndMillis()),
                "pane", Long.toString(w.getPane().getIndex()),
                "mentions", Long.toString(w.getMentions()),
                "mean", Double.toString(w.getMeanScore()),
                "weighted", Double.toString(w.getWeightedScore()),
                "positive", Long.toString(w.getPositive()),
                "neutral", Long.toString(w.getNeutral()),
                "negative", Long.toString(w.getNegative()),
                "__v", String.format(Locale.ROOT, "%020d:%010d", w.getWindowEndMillis(), w.getPane().getIndex())),
            stored,
            "index of " + w.getTicker());
      }
    }
  }
}
