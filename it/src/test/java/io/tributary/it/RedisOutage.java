package io.tributary.it;

import java.io.IOException;
import java.nio.file.Files;

/**
 * The test Redis stopped (SIGSTOP: its connections hang, as in a network outage) now and resumed
 * (SIGCONT) after a while, or at close.
 */
final class RedisOutage implements AutoCloseable {
  private final String pid;
  private final Thread resumer;

  private RedisOutage(String pid, java.time.Duration length) {
    this.pid = pid;
    this.resumer = new Thread(() -> {
      try {
        Thread.sleep(length.toMillis());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      signal("CONT");
    });
  }

  static RedisOutage start(java.time.Duration length) throws IOException {
    if (length.isZero()) {
      return null;
    }
    String pid = Files.readString(FlinkCluster.ROOT.resolve("it/target/services/redis/redis.pid")).trim();
    RedisOutage outage = new RedisOutage(pid, length);
    outage.signal("STOP");
    outage.resumer.start();
    return outage;
  }

  private void signal(String name) {
    try {
      Process kill = new ProcessBuilder("kill", "-" + name, pid).inheritIO().start();
      if (kill.waitFor() != 0) {
        throw new IllegalStateException("kill -" + name + " " + pid + " failed");
      }
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  @Override
  public void close() throws InterruptedException {
    resumer.interrupt();
    resumer.join();
  }
}
