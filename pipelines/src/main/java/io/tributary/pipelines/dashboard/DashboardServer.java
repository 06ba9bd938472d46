package io.tributary.pipelines.dashboard;

import io.javalin.Javalin;
import io.javalin.http.ContentType;
import io.javalin.http.HttpStatus;
import io.javalin.http.staticfiles.Location;
import io.javalin.util.JavalinBindException;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * The dashboard web server: one page per {@link Board}, each kept current by server-sent events.
 *
 * <ul>
 *   <li>{@code GET /}: the list of pages; {@code GET /<page>}: the page (HTML, scripts and styles
 *       from this jar; the chart library, uPlot, from its webjar; nothing from the internet).
 *   <li>{@code GET /events/<page>}: server-sent events, one {@code state} event per version of
 *       the page's state (JSON, event id = version): the current state on connect, then every
 *       later one in order.
 *   <li>{@code GET /api/<page>}: the current state as JSON.
 * </ul>
 *
 * <p>Once a second the server runs the registered tickers (e.g. operations figures of an
 * in-process pipeline), pushes quiet changes ({@link Board#flush}) and sends a comment to every
 * stream so that closed connections are noticed.
 */
public final class DashboardServer implements AutoCloseable {
  private static final String RESOURCES = "/io/tributary/dashboard";

  private final Javalin app;
  private final Map<String, Board<?>> boards;
  private final ScheduledExecutorService ticker;
  private final String url;
  private final int takenPort;

  private DashboardServer(Javalin app, Map<String, Board<?>> boards, ScheduledExecutorService ticker, String url, int takenPort) {
    this.app = app;
    this.boards = boards;
    this.ticker = ticker;
    this.url = url;
    this.takenPort = takenPort;
  }

  /**
   * Starts a server on {@code host:port} for the boards; if the port is taken, on a free port
   * (port 0 always picks a free one). {@code tick} runs once a second (may be a no-op).
   */
  public static DashboardServer start(String host, int port, List<? extends Board<?>> boards, Runnable tick) {
    Map<String, Board<?>> byName = new LinkedHashMap<>();
    for (Board<?> b : boards) {
      byName.put(b.name(), b);
    }
    Javalin app;
    // A port found taken is not tried (Javalin would log its failure as an error); one taken in
    // between falls back the same way.
    boolean taken = port != 0 && !free(host, port);
    try {
      app = create(byName).start(host, taken ? 0 : port);
    } catch (JavalinBindException e) {
      if (port == 0 || taken) {
        throw e;
      }
      taken = true;
      app = create(byName).start(host, 0);
    }
    String shownHost = host.contains(":") ? "[" + host + "]" : host;
    String url = "http://" + shownHost + ":" + app.port() + "/";
    ScheduledExecutorService ticker =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "tributary-dashboard-ticker");
              t.setDaemon(true);
              return t;
            });
    ticker.scheduleAtFixedRate(
        () -> {
          try {
            tick.run();
            byName.values().forEach(Board::flush);
          } catch (RuntimeException e) {
            org.slf4j.LoggerFactory.getLogger(DashboardServer.class).warn("dashboard tick failed", e);
          }
        },
        1,
        1,
        TimeUnit.SECONDS);
    return new DashboardServer(app, byName, ticker, url, taken ? port : 0);
  }

  /** Whether {@code host:port} can be bound now (with address reuse, as the server binds). */
  private static boolean free(String host, int port) {
    try (ServerSocket probe = new ServerSocket()) {
      probe.setReuseAddress(true);
      probe.bind(new InetSocketAddress(host, port));
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  private static Javalin create(Map<String, Board<?>> boards) {
    io.javalin.util.JavalinLogger.startupInfo = false;
    String index = page("index.html");
    Map<String, String> pages = new LinkedHashMap<>();
    for (String name : boards.keySet()) {
      String own = DashboardServer.class.getResource(RESOURCES + "/" + name + ".html") != null ? name + ".html" : "page.html";
      pages.put(name, page(own).replace("{{page}}", name));
    }
    String uplot = "/webjars/uplot/" + webjarVersion("uplot") + "/dist/";
    Javalin app =
        Javalin.create(
            config -> {
              config.showJavalinBanner = false;
              config.staticFiles.add(
                  files -> {
                    files.hostedPath = "/assets";
                    files.directory = RESOURCES + "/assets";
                    files.location = Location.CLASSPATH;
                  });
              config.staticFiles.enableWebjars();
            });
    app.get(
        "/",
        ctx -> {
          StringBuilder links = new StringBuilder();
          for (String name : boards.keySet()) {
            links.append("<li><a href=\"/").append(name).append("\">").append(name).append("</a></li>");
          }
          ctx.contentType(ContentType.TEXT_HTML).result(index.replace("{{pages}}", links));
        });
    app.get(
        "/{page}",
        ctx -> {
          String html = pages.get(ctx.pathParam("page"));
          if (html == null) {
            ctx.status(HttpStatus.NOT_FOUND).result("no dashboard page '" + ctx.pathParam("page") + "'; pages: " + boards.keySet());
            return;
          }
          ctx.contentType(ContentType.TEXT_HTML).result(html.replace("{{uplot}}", uplot));
        });
    app.get(
        "/api/{page}",
        ctx -> {
          Board<?> board = boards.get(ctx.pathParam("page"));
          if (board == null) {
            ctx.status(HttpStatus.NOT_FOUND).result("no dashboard page '" + ctx.pathParam("page") + "'");
            return;
          }
          ctx.contentType(ContentType.APPLICATION_JSON).result(board.current().json());
        });
    app.sse(
        "/events/{page}",
        client -> {
          Board<?> board = boards.get(client.ctx().pathParam("page"));
          if (board == null) {
            client.close();
            return;
          }
          client.keepAlive();
          Board.Subscriber subscriber =
              (version, json) -> {
                if (client.terminated()) {
                  throw new IOException("page closed");
                }
                client.sendEvent("state", json, Long.toString(version));
              };
          client.onClose(() -> board.unsubscribe(subscriber));
          board.subscribe(subscriber);
        });
    return app;
  }

  /** The server's address, e.g. {@code http://127.0.0.1:8080/}. */
  public String url() {
    return url;
  }

  public int port() {
    return app.port();
  }

  /**
   * A page's address as the launchers print it: {@code http://127.0.0.1:8080/activity}, followed
   * by {@code (port 8080 is in use)} when the server had to take another port.
   */
  public String address(String page) {
    return url + page + (takenPort == 0 ? "" : " (port " + takenPort + " is in use)");
  }

  @Override
  public void close() {
    ticker.shutdownNow();
    app.stop();
  }

  private static String page(String file) {
    try (InputStream in = DashboardServer.class.getResourceAsStream(RESOURCES + "/" + file)) {
      if (in == null) {
        throw new IllegalStateException("dashboard page missing from the jar: " + RESOURCES + "/" + file);
      }
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static String webjarVersion(String artifact) {
    String path = "/META-INF/maven/org.webjars.npm/" + artifact + "/pom.properties";
    try (InputStream in = DashboardServer.class.getResourceAsStream(path)) {
      if (in == null) {
        throw new IllegalStateException("webjar missing from the class path: " + path);
      }
      Properties p = new Properties();
      p.load(in);
      return p.getProperty("version");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
