package io.tributary.it.cdc;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;

/**
 * A change-capture worker for the integration tests: {@code it/capture.sh}, a Kafka Connect
 * standalone worker in its own JVM running Debezium connectors, publishing to the test broker in
 * Debezium's topic layout ({@code <topic.prefix>.<schema>.<table>}) through the JSON converter
 * with schemas. Offsets are kept in {@code it/target/capture/<name>/offsets}: {@link #start} after
 * {@link #stop} with the same name resumes where the worker stopped, without a new snapshot.
 *
 * <pre>{@code
 * try (Capture capture = Capture.start("orders", Connectors.postgres(...))) {
 *   ... changes appear in Kafka ...
 * }
 * }</pre>
 */
public final class Capture implements AutoCloseable {
  private static final long TIMEOUT_SECONDS = 180;

  private final String name;
  private final List<Map<String, String>> connectors;

  private Capture(String name, List<Map<String, String>> connectors) {
    this.name = name;
    this.connectors = connectors;
  }

  /**
   * Starts worker {@code name} with these connectors and returns once all of them are RUNNING and
   * streaming: their snapshot is over, so a row changed after this returns arrives as a change.
   */
  @SafeVarargs
  public static Capture start(String name, Map<String, String>... connectors) {
    return start(name, java.time.Duration.ofSeconds(1), connectors);
  }

  /** Starts a worker that flushes its offsets every {@code offsetFlush} (see {@link #start(java.time.Duration)}). */
  @SafeVarargs
  public static Capture start(String name, java.time.Duration offsetFlush, Map<String, String>... connectors) {
    Capture capture = new Capture(name, List.of(connectors));
    capture.start(offsetFlush);
    return capture;
  }

  /** Starts the worker again (after {@link #stop}); it resumes from its offsets. */
  public void start() {
    start(java.time.Duration.ofSeconds(1));
  }

  /**
   * Starts the worker again, flushing its offsets only every {@code offsetFlush} (and when it
   * stops): a {@link #kill} before the next flush makes the following start send every change
   * since this start again.
   */
  public void start(java.time.Duration offsetFlush) {
    List<String> command = new ArrayList<>(List.of(script().toString(), "start", name));
    Path dir = Path.of("target", "capture-connectors", name).toAbsolutePath();
    try {
      Files.createDirectories(dir);
      for (Map<String, String> connector : connectors) {
        Path file = dir.resolve(connector.get("name") + ".properties");
        Properties p = new Properties();
        p.putAll(connector);
        try (Writer w = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
          p.store(w, null);
        }
        command.add(file.toString());
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    run(command, Map.of("CAPTURE_OFFSET_FLUSH_MS", Long.toString(offsetFlush.toMillis())));
  }

  /** Kills the worker (SIGKILL): the offsets it has not flushed are lost. */
  public void kill() {
    run(List.of(script().toString(), "kill", name), Map.of());
  }

  /** Stops the worker; its offsets are flushed on the way out. */
  public void stop() {
    run(List.of(script().toString(), "stop", name), Map.of());
  }

  @Override
  public void close() {
    stop();
  }

  private static void run(List<String> command, Map<String, String> environment) {
    try {
      ProcessBuilder builder = new ProcessBuilder(command).inheritIO();
      builder.environment().putAll(environment);
      Process p = builder.start();
      if (!p.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        throw new IllegalStateException(command + " did not finish within " + TIMEOUT_SECONDS + " s");
      }
      if (p.exitValue() != 0) {
        throw new IllegalStateException(command + " failed with exit status " + p.exitValue());
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  // Tests run in it/; from the repository root (an IDE), the script is under it/.
  private static Path script() {
    Path here = Path.of("capture.sh");
    return (Files.isExecutable(here) ? here : Path.of("it", "capture.sh")).toAbsolutePath();
  }
}
