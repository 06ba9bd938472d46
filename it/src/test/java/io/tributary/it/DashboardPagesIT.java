package io.tributary.it;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.Message;
import com.google.protobuf.util.JsonFormat;
import io.tributary.pipelines.cdc.CdcBoard;
import io.tributary.pipelines.cdc.CdcOptions;
import io.tributary.pipelines.cdc.CdcPipeline;
import io.tributary.pipelines.dashboard.Board;
import io.tributary.pipelines.dashboard.DashboardServer;
import io.tributary.pipelines.dashboard.Dashboards;
import io.tributary.pipelines.dashboard.Meter;
import io.tributary.pipelines.dashboard.Operated;
import io.tributary.pipelines.fraud.FraudBoard;
import io.tributary.pipelines.fraud.FraudOptions;
import io.tributary.pipelines.fraud.FraudPipeline;
import io.tributary.pipelines.fraud.TransactionGenerator;
import io.tributary.pipelines.sentiment.SentimentBoard;
import io.tributary.pipelines.sentiment.SentimentOptions;
import io.tributary.pipelines.sentiment.SentimentPipeline;
import io.tributary.proto.cdc.ChangeEvent;
import io.tributary.proto.fraud.FraudAlert;
import io.tributary.proto.fraud.Transaction;
import io.tributary.proto.sentiment.TickerWindow;
import io.tributary.transforms.fraud.FraudOracle;
import io.tributary.io.redis.RedisSink;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.metrics.MetricsFilter;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;

/**
 * The fraud, sentiment and cdc pages in headless Chromium, each fed by its pipeline in-process
 * (Direct runner, bounded synthetic input): the page shows the pipeline's results, compared with
 * the brute-force oracle (fraud) or with the results the same run wrote to files (sentiment,
 * cdc). Screenshots go to {@code it/target/screenshots/}.
 */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class DashboardPagesIT {
  private static final long START = 1_700_000_000_000L;

  /** Serves the board while the pipeline runs; the browser sees the page throughout. */
  private static <M extends Operated> PipelineResult runWithPage(
      Board<M> board, Runnable clear, Meter meter, io.tributary.pipelines.dashboard.DashboardOptions options,
      Supplier<org.apache.beam.sdk.Pipeline> pipeline, PageCheck check) throws Exception {
    clear.run();
    AtomicReference<PipelineResult> result = new AtomicReference<>();
    try (DashboardServer server = Dashboards.serve(options, board, meter, result);
        Browser browser = new Browser()) {
      browser.driver.get(server.url() + board.name());
      result.set(pipeline.get().run());
      result.get().waitUntilFinish();
      check.accept(browser, result.get());
      browser.screenshot("dashboard-" + board.name());
      return result.get();
    }
  }

  interface PageCheck {
    void accept(Browser browser, PipelineResult result) throws Exception;
  }

  @Test
  void fraudPageShowsTheOracleAlertsAndTheRuleQuality() throws Exception {
    int n = 6000;
    TransactionGenerator generator = new TransactionGenerator(5, START, 2, 40, 0.02, 2000);
    List<Transaction> transactions = new ArrayList<>();
    for (long i = 0; i < n; i++) {
      transactions.add(generator.at(i));
    }
    long injected = transactions.stream().filter(t -> generator.isInjectedFraud(t.getTransactionId())).count();
    FraudOptions options =
        PipelineOptionsFactory.fromArgs(
                "--seed=5", "--startMillis=" + START, "--eventsPerSecond=2", "--cards=40", "--fraudRate=0.02",
                "--maxDisorder=2s", "--maxEvents=" + n, "--sink=dashboard", "--dashboardPort=0")
            .as(FraudOptions.class);
    FraudOracle oracle = FraudOracle.inOrder(transactions, 3_600_000, 3.0, 3, FraudPipeline.score(options).rule());
    List<FraudAlert> alerts = oracle.alerts;
    assertTrue(alerts.size() > 50, "the input exercises the rule: " + alerts.size() + " alerts");
    long truePositives = alerts.stream().filter(a -> generator.isInjectedFraud(a.getTransaction().getTransactionId())).count();
    Map<String, FraudAlert> byId =
        alerts.stream().collect(Collectors.toMap(a -> a.getTransaction().getTransactionId(), a -> a));
    TreeMap<Long, Long> perMinute = new TreeMap<>();
    for (FraudAlert a : alerts) {
      perMinute.merge(Math.floorDiv(a.getTransaction().getEventTimeMillis(), 60_000L) * 60_000L, 1L, Long::sum);
    }
    String chart =
        perMinute.tailMap(perMinute.lastKey() - 30 * 60_000L, true).entrySet().stream()
            .map(e -> e.getKey() + ":" + e.getValue())
            .collect(Collectors.joining(","));

    runWithPage(FraudBoard.BOARD, () -> FraudBoard.BOARD.update(FraudBoard::clear), FraudBoard.METER, options,
        () -> FraudPipeline.create(options),
        (browser, result) -> {
          browser.awaitAsserted(60, "all " + n + " transactions scored, the feed and the chart on the page", () -> {
            assertEquals(Integer.toString(n), browser.card("scored"), "scored");
            assertEquals(Integer.toString(alerts.size()), browser.card("alerts"), "alerts");
            assertEquals(Long.toString(injected), browser.card("injected"));
            assertEquals((double) truePositives / alerts.size(), Double.parseDouble(browser.card("precision")), "precision");
            assertEquals((double) truePositives / injected, Double.parseDouble(browser.card("recall")), "recall");
            List<List<String>> feed = browser.rows("alerts");
            assertEquals(50, feed.size(), "the feed shows the newest 50 alerts");
            for (List<String> row : feed) {
              FraudAlert a = byId.get(row.get(6));
              assertTrue(a != null, "an alert the oracle does not raise: " + row);
              assertEquals(a.getTransaction().getCardId(), row.get(1), row.toString());
              assertEquals(String.format(Locale.ROOT, "%.1fx", a.getRatio()), row.get(4), row.toString());
              assertEquals(generator.isInjectedFraud(row.get(6)) ? "fraud" : "legitimate", row.get(7), row.toString());
            }
            assertEquals(chart, browser.driver.findElement(By.id("chart")).getAttribute("data-points"), "alerts per minute");
          });
          System.out.printf("dashboard (fraud): %d scored, %d alerts, precision %s, recall %s: equal to the oracle%n",
              n, alerts.size(), browser.driver.findElement(By.id("card-precision")).getText(),
              browser.driver.findElement(By.id("card-recall")).getText());
        });
  }

  @Test
  void sentimentPageShowsEachTickersNewestWindow(@TempDir Path out) throws Exception {
    SentimentOptions options =
        PipelineOptionsFactory.fromArgs(
                "--seed=3", "--startMillis=" + START, "--maxEvents=3000", "--method=finance",
                "--sink=dashboard,files", "--outputPath=" + out, "--dashboardPort=0")
            .as(SentimentOptions.class);
    runWithPage(SentimentBoard.BOARD, () -> SentimentBoard.BOARD.update(SentimentBoard::clear), SentimentBoard.METER,
        options, () -> SentimentPipeline.create(options),
        (browser, result) -> {
          Map<String, TickerWindow> newest = new TreeMap<>();
          for (String json : lines(out.resolve("windows"))) {
            TickerWindow w = parse(json, TickerWindow.newBuilder());
            newest.merge(w.getTicker(), w, (a, b) -> b.getWindowEndMillis() > a.getWindowEndMillis() ? b : a);
          }
          long mentions = lines(out.resolve("mentions")).size();
          long shifts = lines(out.resolve("alerts")).size();
          browser.awaitAsserted(60, "every mention, shift alert and ticker's newest window on the page", () -> {
            assertEquals(Long.toString(mentions), browser.card("mentions"), "mentions");
            assertEquals(Integer.toString(newest.size()), browser.card("tickers"), "tickers");
            assertEquals(Long.toString(shifts), browser.card("alerts"), "shift alerts");
            Map<String, List<String>> rows = new TreeMap<>();
            for (List<String> row : browser.rows("tickers")) {
              rows.put(row.get(0), row.subList(0, 3));
            }
            Map<String, List<String>> expected = new TreeMap<>();
            for (TickerWindow w : newest.values()) {
              expected.put(w.getTicker(), List.of(w.getTicker(),
                  java.time.Instant.ofEpochMilli(w.getWindowEndMillis()).toString(),
                  String.format(Locale.US, "%,d", w.getMentions())));
            }
            assertEquals(expected, rows, "ticker, newest window's end and mentions");
          });
          assertEquals(
              newest.size(),
              ((Number) ((org.openqa.selenium.JavascriptExecutor) browser.driver)
                      .executeScript("return document.querySelectorAll('#table-tickers svg.spark').length;"))
                  .intValue(),
              "a sparkline per ticker");
          System.out.printf("dashboard (sentiment): %d mentions, %d tickers, %d shift alerts: equal to the files output%n",
              mentions, newest.size(), shifts);
        });
  }

  @Test
  void cdcPageShowsChangesPerTableAndTheRedisCounters(@TempDir Path lake) throws Exception {
    String run = UUID.randomUUID().toString().substring(0, 8);
    CdcOptions options =
        PipelineOptionsFactory.fromArgs(
                "--maxEvents=6000", "--eventsPerSecond=50", "--lakePath=" + lake.resolve("lake"),
                "--redisHost=" + Services.redisHost(), "--redisPort=" + Services.redisPort(),
                "--cacheKeyPrefix=cdc-page-" + run + ":", "--featureKeyPrefix=cdc-page-" + run + ":feature:",
                "--sink=dashboard,files", "--outputPath=" + lake.resolve("changes"), "--dashboardPort=0")
            .as(CdcOptions.class);
    runWithPage(CdcBoard.BOARD, () -> CdcBoard.BOARD.update(CdcBoard::clear), CdcBoard.METER, options,
        () -> CdcPipeline.create(options),
        (browser, result) -> {
          Map<String, long[]> perTable = new TreeMap<>();
          List<String> changes = lines(lake.resolve("changes/changes"));
          for (String json : changes) {
            ChangeEvent c = parse(json, ChangeEvent.newBuilder());
            long[] counts = perTable.computeIfAbsent(c.getTableId(), t -> new long[6]);
            counts[0]++;
            if (!c.getTombstone()) {
              counts[c.getOpValue()]++;
            }
          }
          var metrics = result.metrics().queryMetrics(MetricsFilter.builder().build());
          long applied =
              Operated.counter(metrics, RedisSink.METRICS_NAMESPACE, "cache.applied")
                  + Operated.counter(metrics, RedisSink.METRICS_NAMESPACE, "cache.deleted");
          long fenced =
              Operated.counter(metrics, RedisSink.METRICS_NAMESPACE, "cache.fenced")
                  + Operated.counter(metrics, RedisSink.METRICS_NAMESPACE, "features.fenced")
                  + Operated.counter(metrics, RedisSink.METRICS_NAMESPACE, "latest.fenced");
          browser.awaitAsserted(60, "all " + changes.size() + " changes, the tables and the Redis counters on the page", () -> {
            assertEquals(Integer.toString(changes.size()), browser.card("changes"), "changes");
            assertEquals(Long.toString(applied), browser.card("applied"), "cache writes applied");
            assertEquals(Long.toString(fenced), browser.card("fenced"), "fenced writes");
            assertEquals(Integer.toString(perTable.size()), browser.card("tables"), "tables");
            Map<String, List<String>> rows = new TreeMap<>();
            for (List<String> row : browser.rows("tables")) {
              rows.put(row.get(0), row.subList(2, 8));
            }
            Map<String, List<String>> expected = new TreeMap<>();
            perTable.forEach((table, counts) -> {
              List<String> cells = new ArrayList<>();
              for (int i = 0; i < 6; i++) {
                cells.add(String.format(Locale.US, "%,d", counts[i]));
              }
              expected.put(table, cells);
            });
            assertEquals(expected, rows, "per table: total, create, update, delete, read, truncate");
          });
          assertTrue(applied > 0, "the cache was written");
          System.out.printf("dashboard (cdc): %d changes in %d tables, %d cache writes applied, %d fenced: equal to the run's output and counters%n",
              changes.size(), perTable.size(), applied, fenced);
        });
  }

  private static <T extends Message> T parse(String json, Message.Builder b) {
    try {
      JsonFormat.parser().merge(json, b);
    } catch (IOException e) {
      throw new AssertionError("not a result: " + json, e);
    }
    @SuppressWarnings("unchecked")
    T t = (T) b.build();
    return t;
  }

  private static List<String> lines(Path dir) throws IOException {
    List<String> out = new ArrayList<>();
    if (!Files.isDirectory(dir)) {
      return out;
    }
    try (Stream<Path> files = Files.walk(dir)) {
      for (Path f : files.filter(Files::isRegularFile).filter(p -> p.toString().endsWith(".jsonl")).toList()) {
        out.addAll(Files.readAllLines(f, UTF_8));
      }
    }
    return out;
  }
}
