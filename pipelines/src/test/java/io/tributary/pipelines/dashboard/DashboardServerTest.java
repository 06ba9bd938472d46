package io.tributary.pipelines.dashboard;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.tributary.pipelines.activity.ActivityBoard;
import io.tributary.proto.activity.ActivitySnapshot;
import io.tributary.proto.common.Pane;
import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class DashboardServerTest {
  private static final ObjectMapper MAPPER = new ObjectMapper();
  private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(5)).build();

  private static String get(String url) throws Exception {
    HttpResponse<String> r =
        HTTP.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
    assertEquals(200, r.statusCode(), url + ": " + r.body());
    return r.body();
  }

  private static ActivitySnapshot snapshot(long i) {
    return ActivitySnapshot.newBuilder()
        .setWindowStartMillis(i * 10_000)
        .setWindowEndMillis(i * 10_000 + 300_000)
        .setPageViews(i)
        .setPane(Pane.newBuilder().setTiming(Pane.Timing.ON_TIME))
        .build();
  }

  /** Reads one client's stream until the given version: the versions it saw, in order. */
  private static List<Long> readVersions(InputStream body, long last) throws Exception {
    List<Long> versions = new ArrayList<>();
    try (BufferedReader in = new BufferedReader(new InputStreamReader(body, StandardCharsets.UTF_8))) {
      String line;
      while ((line = in.readLine()) != null) {
        if (line.startsWith("id:")) {
          long v = Long.parseLong(line.substring(3).trim());
          versions.add(v);
          if (v == last) {
            break;
          }
        }
      }
    }
    return versions;
  }

  @Test
  void fiftyPagesEachReceiveEveryVersionInOrderWhileTheServerStaysResponsive() throws Exception {
    Board<ActivityBoard> board = new Board<>("activity", new ActivityBoard());
    int clients = 50;
    int updates = 300;
    ExecutorService pool = Executors.newFixedThreadPool(clients);
    try (DashboardServer server = DashboardServer.start("127.0.0.1", 0, List.of(board), () -> {})) {
      List<CompletableFuture<List<Long>>> streams = new ArrayList<>();
      for (int c = 0; c < clients; c++) {
        HttpResponse<InputStream> r =
            HTTP.send(
                HttpRequest.newBuilder(URI.create(server.url() + "events/activity")).header("Accept", "text/event-stream").build(),
                HttpResponse.BodyHandlers.ofInputStream());
        assertEquals(200, r.statusCode());
        streams.add(CompletableFuture.supplyAsync(() -> {
          try {
            return readVersions(r.body(), updates);
          } catch (Exception e) {
            throw new RuntimeException(e);
          }
        }, pool));
      }
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
      while (board.subscribers() < clients) {
        assertTrue(System.nanoTime() < deadline, "only " + board.subscribers() + " of " + clients + " pages subscribed");
        Thread.sleep(20);
      }
      long slowestApiMillis = 0;
      for (long i = 1; i <= updates; i++) {
        ActivitySnapshot s = snapshot(i);
        board.update(m -> m.add(s, 0));
        if (i % 50 == 0) {
          long t0 = System.nanoTime();
          JsonNode state = MAPPER.readTree(get(server.url() + "api/activity"));
          slowestApiMillis = Math.max(slowestApiMillis, (System.nanoTime() - t0) / 1_000_000);
          assertTrue(state.get("version").asLong() >= i, state.toString());
        }
      }
      for (int c = 0; c < clients; c++) {
        List<Long> versions = streams.get(c).get(60, TimeUnit.SECONDS);
        // The first event is the state at subscription (version 0, nothing published yet), then every version.
        List<Long> expected = new ArrayList<>();
        for (long v = versions.get(0); v <= updates; v++) {
          expected.add(v);
        }
        assertEquals(expected, versions, "client " + c + " (first version " + versions.get(0) + ")");
        assertEquals(0, versions.get(0), "client " + c + " subscribed before the first update");
      }
      System.out.printf("dashboard: %d pages x %d versions delivered in order; slowest /api response while streaming %d ms%n",
          clients, updates, slowestApiMillis);
      JsonNode last = MAPPER.readTree(get(server.url() + "api/activity"));
      assertEquals(updates, last.at("/cards/views").asLong(), last.toString());
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void aTakenPortFallsBackToAFreeOne() throws Exception {
    try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"));
        DashboardServer server =
            DashboardServer.start("127.0.0.1", taken.getLocalPort(), List.of(new Board<>("activity", new ActivityBoard())), () -> {})) {
      assertNotEquals(taken.getLocalPort(), server.port());
      assertEquals("http://127.0.0.1:" + server.port() + "/", server.url());
      assertEquals("http://127.0.0.1:" + server.port() + "/activity (port " + taken.getLocalPort() + " is in use)",
          server.address("activity"));
      assertTrue(get(server.url()).contains("href=\"/activity\""));
      String page = get(server.url() + "activity");
      assertTrue(page.contains("/webjars/uplot/"), "the chart library comes from the jar");
      String script = page.replaceAll("(?s).*src=\"(/webjars/uplot/[^\"]+)\".*", "$1");
      assertTrue(get(server.url() + script.substring(1)).contains("uPlot"), script);
      HttpResponse<String> missing =
          HTTP.send(HttpRequest.newBuilder(URI.create(server.url() + "nosuchpage")).build(), HttpResponse.BodyHandlers.ofString());
      assertEquals(404, missing.statusCode());
      assertTrue(missing.body().contains("nosuchpage"), missing.body());
    }
  }

  @Test
  void quietChangesArePushedByTheTicker() throws Exception {
    Board<ActivityBoard> board = new Board<>("activity", new ActivityBoard());
    try (DashboardServer server = DashboardServer.start("127.0.0.1", 0, List.of(board), () -> {})) {
      board.quietly(m -> m.unreadable());
      assertEquals(0, board.current().version());
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
      while (board.current().version() == 0) {
        assertTrue(System.nanoTime() < deadline, "the quiet change was never pushed");
        Thread.sleep(50);
      }
      assertEquals(1, MAPPER.readTree(get(server.url() + "api/activity")).get("version").asLong());
    }
  }
}
