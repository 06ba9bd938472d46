package io.tributary.it;

import java.io.IOException;
import java.nio.file.Files;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * The test Redis stopped (SIGSTOP: its connections hang, as in a network outage) now and resumed
 * (SIGCONT) after a while, or at close.
 */
final class RedisOutage implements AutoCloseable {
  private final String pid;
  private final Thread resumer;
  /** Counted down by {@link #close}: ends the outage early. */
  private final CountDownLatch closed = new CountDownLatch(1);

  private RedisOutage(String pid, java.time.Duration length) {
    this.pid = pid;
    // The thread waits for the outage's end or for close(), whichever comes first, and then
    // resumes Redis; close() does not interrupt it, so the signal's own wait is never cut short.
    this.resumer = new Thread(() -> {
      boolean interrupted = false;
      try {
        closed.await(length.toMillis(), TimeUnit.MILLISECONDS);
      } catch (InterruptedException e) {
        interrupted = true;
      }
      signal("CONT");
      if (interrupted) {
        Thread.currentThread().interrupt();
      }
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
    closed.countDown();
    resumer.join();
  }
}
