package io.tributary.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tributary.pipelines.activity.ActivityBoard;
import io.tributary.pipelines.activity.ActivityOptions;
import io.tributary.pipelines.activity.ActivityPipeline;
import io.tributary.pipelines.activity.PageViewGenerator;
import io.tributary.pipelines.dashboard.Board;
import io.tributary.pipelines.dashboard.DashboardCommand;
import io.tributary.pipelines.dashboard.DashboardServer;
import io.tributary.proto.activity.ActivitySnapshot;
import io.tributary.proto.activity.PageView;
import io.tributary.proto.activity.SessionSummary;
import io.tributary.proto.common.Pane;
import io.tributary.proto.common.RankedCount;
import io.tributary.testing.Schedule;
import io.tributary.transforms.activity.ActivityOracle;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.NoAlertPresentException;
import org.openqa.selenium.WebDriver;

/**
 * The activity dashboard in headless Chromium: the figures on the page are those of the snapshots
 * the pipeline emitted, compared with the brute-force oracle, in-process and fed from Kafka; a
 * newer snapshot replaces the shown one without a reload; text from the data is shown as text.
 * Screenshots go to {@code it/target/screenshots/}.
 */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class DashboardBrowserIT {
  private static final long SEED = 21;
  private static final long START = 1_700_000_000_000L;
  private static final int RATE = 20;
  private static final int VIEWS = 40_000;
  private static final long GAP = 30 * 60_000L;
  private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("HH:mm:ss").withZone(ZoneOffset.UTC);
  /** As JavaScript's {@code Date.toISOString()}. */
  private static final DateTimeFormatter ISO_MILLIS =
      DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSS'Z'").withZone(ZoneOffset.UTC);

  /** What the page must show after the bounded run, from the oracle. */
  record Expected(ActivitySnapshot window, List<SessionSummary> sessions, List<List<String>> trend) {
    static Expected of(long seed) {
      PageViewGenerator generator = new PageViewGenerator(seed, START, RATE, 200, 3000, GAP);
      List<Schedule.Arrival<PageView>> arrivals = new ArrayList<>();
      List<PageView> views = new ArrayList<>();
      TreeMap<Long, Long> periods = new TreeMap<>();
      for (long i = 0; i < VIEWS; i++) {
        PageView v = generator.at(i);
        views.add(v);
        arrivals.add(new Schedule.Arrival<>(v, v.getEventTimeMillis(), Long.MIN_VALUE));
        periods.merge(Math.floorDiv(v.getEventTimeMillis(), 10_000L) * 10_000L, 1L, Long::sum);
      }
      Map<Long, ActivitySnapshot> windows = ActivityOracle.snapshots(arrivals, 300_000, 10_000, 0, 10, Set.of());
      ActivitySnapshot newest =
          windows.values().stream().max(java.util.Comparator.comparingLong(ActivitySnapshot::getWindowEndMillis)).orElseThrow();
      List<List<String>> trend = new ArrayList<>();
      for (Map.Entry<Long, Long> e : periods.tailMap(periods.lastKey() - 30 * 60_000L, true).entrySet()) {
        trend.add(List.of(ISO_MILLIS.format(Instant.ofEpochMilli(e.getKey())), Long.toString(e.getValue())));
      }
      return new Expected(newest, ActivityOracle.sessions(views, GAP), trend);
    }
  }

  private static String[] pipelineArgs(String... more) {
    List<String> args =
        new ArrayList<>(
            List.of(
                "--seed=" + SEED, "--startMillis=" + START, "--eventsPerSecond=" + RATE,
                "--maxEvents=" + VIEWS, "--pages=200", "--maxDisorder=3s", "--topN=10"));
    args.addAll(List.of(more));
    return args.toArray(new String[0]);
  }

  @Test
  void inProcessPageShowsTheFiguresThePipelineEmitted() throws Exception {
    Expected expected = Expected.of(SEED);
    ActivityOptions options =
        PipelineOptionsFactory.fromArgs(pipelineArgs("--sink=dashboard", "--dashboardPort=0")).as(ActivityOptions.class);
    try (DashboardServer server = ActivityPipeline.startDashboard(options);
        Browser browser = new Browser()) {
      browser.driver.get(server.url() + "activity");
      ActivityPipeline.create(options).run().waitUntilFinish();
      assertPageShows(browser, expected, "in-process");
      assertEquals("from the pipeline's counters", browser.driver.findElement(By.id("ops-source")).getText());
      browser.screenshot("dashboard-activity");
    }
  }

  @Test
  void kafkaFedDashboardShowsTheSameFigures() throws Exception {
    Expected expected = Expected.of(SEED);
    String topic = Kafka.uniqueTopic("activity-dashboard");
    Kafka.createTopics(
        topic, topic + ActivityPipeline.SESSIONS_TOPIC_SUFFIX, topic + ActivityPipeline.TREND_TOPIC_SUFFIX);
    ActivityOptions options =
        PipelineOptionsFactory.fromArgs(
                pipelineArgs("--sink=kafka", "--kafkaBootstrapServers=" + Services.kafkaBootstrap(), "--outputTopic=" + topic))
            .as(ActivityOptions.class);
    ActivityPipeline.create(options).run().waitUntilFinish();
    DashboardCommand.Options dashboardOptions =
        PipelineOptionsFactory.fromArgs(
                "--kafkaBootstrapServers=" + Services.kafkaBootstrap(), "--inputTopic=" + topic, "--dashboardPort=0")
            .as(DashboardCommand.Options.class);
    try (DashboardCommand dashboard = DashboardCommand.start(dashboardOptions);
        Browser browser = new Browser()) {
      browser.driver.get(dashboard.server().url() + "activity");
      assertPageShows(browser, expected, "fed from Kafka");
      assertTrue(
          browser.driver.findElement(By.id("ops-source")).getText().startsWith("from its results in Kafka; 0 unreadable"),
          browser.driver.findElement(By.id("ops-source")).getText());
      browser.screenshot("dashboard-activity-kafka");
    }
  }

  @Test
  void aNewerSnapshotReplacesTheShownOneWithoutReloadAndDataIsText() throws Exception {
    Board<ActivityBoard> board = new Board<>("activity", new ActivityBoard());
    String script = "\"><script>window.__injected=1</script>";
    String img = "<img src=x onerror=\"window.__injected=2\">";
    try (DashboardServer server = DashboardServer.start("127.0.0.1", 0, List.of(board), () -> {});
        Browser browser = new Browser()) {
      WebDriver d = browser.driver;
      d.get(server.url() + "activity");
      ActivitySnapshot first = snapshot(600_000, 41, script, img);
      board.update(m -> m.add(first, System.currentTimeMillis()));
      browser.await(20, "the first snapshot", x -> "41".equals(x.findElement(By.id("card-views")).getText()));
      ((JavascriptExecutor) d).executeScript("window.__sameDocument = 'yes';");
      assertEquals(List.of(img, "/b"), texts(d, "#top-pages li .item"));
      assertEquals(List.of(script), texts(d, "#top-referrers li .item"));
      ActivitySnapshot second = snapshot(610_000, 1234, "(direct)", "/c");
      board.update(m -> m.add(second, System.currentTimeMillis()));
      browser.await(20, "the second snapshot", x -> "1,234".equals(x.findElement(By.id("card-views")).getText()));
      assertEquals("yes", ((JavascriptExecutor) d).executeScript("return window.__sameDocument;"), "the page was reloaded");
      assertEquals(List.of("/c", "/b"), texts(d, "#top-pages li .item"));
      assertEquals("window 00:05:10 – 00:10:10 UTC", d.findElement(By.id("window")).getText());
      // Back to the escaped strings, then check nothing ran and no element was created from them.
      board.update(m -> m.add(snapshot(620_000, 7, script, img), System.currentTimeMillis()));
      browser.await(20, "the third snapshot", x -> "7".equals(x.findElement(By.id("card-views")).getText()));
      assertEquals(List.of(script), texts(d, "#top-referrers li .item"));
      assertEquals(null, ((JavascriptExecutor) d).executeScript("return window.__injected === undefined ? null : window.__injected;"));
      assertEquals(0L, ((JavascriptExecutor) d).executeScript("return document.querySelectorAll('main img, main script').length;"));
      try {
        d.switchTo().alert();
        throw new AssertionError("an alert was opened by data");
      } catch (NoAlertPresentException expected) {
        // nothing ran
      }
      browser.screenshot("dashboard-activity-escaping");
    }
  }

  private static ActivitySnapshot snapshot(long end, long views, String referrer, String page) {
    return ActivitySnapshot.newBuilder()
        .setWindowStartMillis(end - 300_000)
        .setWindowEndMillis(end)
        .setPageViews(views)
        .addTopPages(RankedCount.newBuilder().setItem(page).setCount(views))
        .addTopPages(RankedCount.newBuilder().setItem("/b").setCount(1))
        .addTopReferrers(RankedCount.newBuilder().setItem(referrer).setCount(views))
        .setPane(Pane.newBuilder().setTiming(Pane.Timing.ON_TIME))
        .build();
  }

  @SuppressWarnings("unchecked")
  private static List<String> texts(WebDriver d, String css) {
    return (List<String>)
        ((JavascriptExecutor) d)
            .executeScript("return Array.from(document.querySelectorAll(arguments[0])).map(e => e.textContent);", css);
  }

  /** The page's figures equal the expected ones, once the page shows the final state. */
  @SuppressWarnings("unchecked")
  private static void assertPageShows(Browser browser, Expected e, String how) throws Exception {
    WebDriver d = browser.driver;
    ActivitySnapshot w = e.window();
    long closed = e.sessions().size();
    browser.await(
        120,
        how + ": the final window and all " + closed + " sessions on the page",
        x -> x.findElement(By.id("window")).getText().startsWith("window " + TIME.format(Instant.ofEpochMilli(w.getWindowStartMillis())))
            && Long.toString(closed).equals(x.findElement(By.id("card-sessionsClosed")).getAttribute("data-value"))
            && texts(x, "#trend-table tbody tr").size() == e.trend().size());
    assertEquals(
        "window " + TIME.format(Instant.ofEpochMilli(w.getWindowStartMillis())) + " – "
            + TIME.format(Instant.ofEpochMilli(w.getWindowEndMillis())) + " UTC",
        d.findElement(By.id("window")).getText(), how);
    assertEquals("ON_TIME", d.findElement(By.id("pane")).getText(), how);
    assertEquals(String.format(Locale.US, "%,d", w.getPageViews()), d.findElement(By.id("card-views")).getText(), how + ": views");
    assertEquals(String.format(Locale.US, "%,d", w.getActiveUsers()), d.findElement(By.id("card-activeUsers")).getText(), how + ": active users");
    assertEquals(String.format(Locale.US, "%,d", w.getActivePages()), d.findElement(By.id("card-activePages")).getText(), how + ": active pages");
    assertEquals(
        String.format(Locale.US, "%,d", w.getInternalReferrals()),
        d.findElement(By.id("card-internalReferrals")).getText(), how + ": internal referrals");
    assertEquals(ranked(w.getTopPagesList()), rows(d, "#top-pages li"), how + ": top pages");
    assertEquals(ranked(w.getTopReferrersList()), rows(d, "#top-referrers li"), how + ": top referrers");

    long bounces = e.sessions().stream().filter(SessionSummary::getBounce).count();
    long views = e.sessions().stream().mapToLong(SessionSummary::getPageViews).sum();
    long millis = e.sessions().stream().mapToLong(SessionSummary::getDurationMillis).sum();
    assertEquals(String.format(Locale.US, "%,d", closed), d.findElement(By.id("card-sessionsClosed")).getText(), how);
    assertEquals(String.format(Locale.US, "%.1f%%", 100.0 * bounces / closed), d.findElement(By.id("card-bounceRate")).getText(), how);
    assertEquals((double) bounces / closed, Double.parseDouble(d.findElement(By.id("card-bounceRate")).getAttribute("data-value")), how);
    assertEquals((double) millis / closed, Double.parseDouble(d.findElement(By.id("card-meanDuration")).getAttribute("data-value")), how);
    assertEquals(String.format(Locale.US, "%.2f", (double) views / closed), d.findElement(By.id("card-viewsPerSession")).getText(), how);

    List<List<String>> trend =
        (List<List<String>>)
            ((JavascriptExecutor) d)
                .executeScript(
                    "return Array.from(document.querySelectorAll('#trend-table tbody tr'))"
                        + ".map(r => Array.from(r.cells).map(c => c.textContent));");
    assertEquals(e.trend(), trend, how + ": trend");
    assertEquals(1L, ((JavascriptExecutor) d).executeScript("return document.querySelectorAll('#trend-chart canvas').length;"),
        how + ": the trend chart is drawn");
    assertEquals("0", d.findElement(By.id("ops-late")).getText(), how + ": late");
    System.out.printf(
        "dashboard (%s): %s, %,d views, %,d sessions, bounce rate %s, %d trend points: equal to the oracle%n",
        how, d.findElement(By.id("window")).getText(), w.getPageViews(), closed,
        d.findElement(By.id("card-bounceRate")).getText(), trend.size());
  }

  private static List<List<String>> ranked(List<RankedCount> ranked) {
    List<List<String>> out = new ArrayList<>();
    for (RankedCount r : ranked) {
      out.add(List.of(r.getItem(), String.format(Locale.US, "%,d", r.getCount())));
    }
    return out;
  }

  @SuppressWarnings("unchecked")
  private static List<List<String>> rows(WebDriver d, String css) {
    return (List<List<String>>)
        ((JavascriptExecutor) d)
            .executeScript(
                "return Array.from(document.querySelectorAll(arguments[0]))"
                    + ".map(li => [li.querySelector('.item').textContent, li.querySelector('.count').textContent]);",
                css);
  }
}
