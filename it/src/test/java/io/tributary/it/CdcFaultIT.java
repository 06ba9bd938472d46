package io.tributary.it;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tributary.it.CdcServices.Table;
import io.tributary.it.CdcServices.Workload;
import io.tributary.it.cdc.Capture;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;

/**
 * The cdc pipeline, running unbounded on embedded Flink in its own launcher process, through the
 * faults of a production day: five service databases under a steady random workload of inserts,
 * updates and deletes ({@link CdcServices}), captured by a Kafka Connect worker (the workload
 * starts with the capture, so changes commit while the connectors snapshot), while in turn
 *
 * <ol>
 *   <li>the Connect worker is killed ({@code kill -9}) 10 s after its last offset flush, and
 *       started again: Debezium sends every change of those 10 s a second time;
 *   <li>the capture is down for 90 s while the workload goes on, then resumes;
 *   <li>Redis is down for 30 s (SIGSTOP), as the capture's backlog arrives;
 *   <li>each pipeline is killed ({@code kill -9}) and started again 5 s later: on Flink once it
 *       has completed a checkpoint, with {@code --savepointPath=latest}, so it resumes from its
 *       last completed checkpoint; on the Direct runner, which keeps its state in memory, from the
 *       offsets its commit gate had committed once the sinks had written (after the group has
 *       committed some: the committed and the end offsets are printed);
 *   <li>the Kafka broker is restarted (stopped gracefully, started on the same port and log).
 * </ol>
 *
 * <p>Then the workload stops, and the pipeline must converge, within a deadline, to: a cache equal
 * to {@code SELECT *} of every cached table (deleted rows absent, fences kept), a lake holding
 * every change exactly once (the Flink pipeline runs with {@code --lakeExactlyOnce}: its files
 * are written once their checkpoint completed, so the restored job writes none twice; the Direct
 * pipeline's lake reads the rows of its recent files as it starts, so it writes none twice), online
 * features equal to the current rows, and no dead letter. The counts compared are printed.
 *
 * <p>{@link #RUNNERS} lists the runners the scenario runs on at once (a process each, with its own
 * consumer group, cache prefix, lake and dead letters).
 */
@Timeout(value = 12, unit = TimeUnit.MINUTES)
class CdcFaultIT {
  private static final Path LAUNCHER = FlinkCluster.ROOT.resolve("runners/bin/tributary");
  private static final Duration CONVERGENCE = Duration.ofMinutes(3);
  /** How long the capture is down while the workload goes on. */
  private static final Duration CAPTURE_OUTAGE = Duration.ofSeconds(90);
  /** How long Redis is stopped as the capture's backlog arrives. */
  private static final Duration REDIS_OUTAGE = Duration.ofSeconds(30);
  /** How often convergence prints what still differs. */
  private static final Duration REPORT_EVERY = Duration.ofSeconds(10);
  private static final List<String> RUNNERS = List.of("DirectRunner", "FlinkRunner");

  @Test
  void cacheLakeAndFeaturesConvergeAfterCaptureKafkaAndRedisFaults(@TempDir(cleanup = CleanupMode.ON_SUCCESS) Path dir)
      throws Exception {
    long seed = System.nanoTime();
    System.out.printf("cdc faults: workload seed %d%n", seed);
    try (CdcServices s = new CdcServices("flt", dir)) {
      Workload w = new Workload();
      RandomWorkload workload = new RandomWorkload(s, w, new Random(seed));
      workload.snapshot();
      Capture capture = s.startCapture(Duration.ofSeconds(1));
      List<PipelineProcess> pipelines = new ArrayList<>();
      Thread writer = new Thread(workload, "workload");
      try {
        for (String runner : RUNNERS) {
          pipelines.add(PipelineProcess.start(runner, s, dir.resolve(runner)));
        }
        writer.start();
        long t0 = System.nanoTime();
        // Once the snapshot's offsets are flushed, the worker runs on without flushing: the kill
        // below loses every offset since this restart, so Debezium sends those changes again.
        pause(Duration.ofSeconds(5), pipelines);
        capture.stop();
        capture.start(Duration.ofHours(1));
        log(t0, "Connect worker restarted, flushing no offset, at %d changes", w);

        pause(Duration.ofSeconds(10), pipelines);
        capture.kill();
        capture.start();
        log(t0, "Connect worker killed (kill -9) after %d changes and started again", w);

        pause(Duration.ofSeconds(10), pipelines);
        capture.stop();
        log(t0, "capture stopped after %d changes", w);
        pause(CAPTURE_OUTAGE, pipelines);
        capture.start();
        log(t0, "capture started again after " + CAPTURE_OUTAGE.toSeconds() + " s, %d changes so far", w);

        try (RedisOutage outage = RedisOutage.start(REDIS_OUTAGE)) {
          log(t0, "Redis stopped (SIGSTOP) for " + REDIS_OUTAGE.toSeconds() + " s at %d changes", w);
          pause(REDIS_OUTAGE, pipelines);
        }
        log(t0, "Redis resumed at %d changes", w);

        // By now the Flink pipeline has completed checkpoints (its first can take a minute on two
        // loaded cores, which a kill right at the start would wait for); the workload goes on.
        pause(Duration.ofSeconds(10), pipelines);
        for (PipelineProcess p : pipelines) {
          if (p.restores) {
            Path checkpoint = p.awaitCheckpoint(Duration.ofSeconds(180), pipelines);
            log(t0, "pipeline on " + p.runner + " completed " + checkpoint.getFileName() + " at %d changes", w);
          } else {
            long[] offsets = p.awaitCommits(s, Duration.ofSeconds(120), pipelines);
            log(t0, "pipeline on " + p.runner + " has committed " + offsets[0] + " of the topics' "
                + offsets[1] + " records at %d changes", w);
          }
          p.kill();
          log(t0, "pipeline on " + p.runner + " killed (kill -9) after %d changes", w);
        }
        Thread.sleep(5000);
        for (PipelineProcess p : pipelines) {
          p.restart();
          log(t0, "pipeline on " + p.runner
              + (p.restores ? " started again from its latest checkpoint" : " started again from its committed offsets")
              + " at %d changes", w);
        }

        pause(Duration.ofSeconds(15), pipelines);
        for (PipelineProcess p : pipelines) {
          if (p.restores) {
            assertTrue(p.output().contains("Restoring the job's state from"), p.runner + " restored its checkpoint:\n" + p.tail());
          }
        }
        Services.restartKafka();
        log(t0, "Kafka broker restarted at %d changes", w);
        pause(Duration.ofSeconds(15), pipelines);

        workload.stop();
        writer.join(TimeUnit.SECONDS.toMillis(30));
        assertTrue(!writer.isAlive(), "the workload stopped");
        workload.rethrow();
        log(t0, "workload stopped after %d changes", w);

        List<AssertionError> failures = new ArrayList<>();
        for (PipelineProcess p : pipelines) {
          try {
            converge(p, s, w, t0);
          } catch (AssertionError e) {
            failures.add(e);
          }
        }
        if (!failures.isEmpty()) {
          failures.subList(1, failures.size()).forEach(failures.get(0)::addSuppressed);
          throw failures.get(0);
        }
      } finally {
        workload.stop();
        writer.join(TimeUnit.SECONDS.toMillis(30));
        for (PipelineProcess p : pipelines) {
          p.close();
        }
        capture.stop();
      }
    }
  }

  /** Waits until a pipeline's cache, lake, features and dead letters pass {@link CdcServices#check}. */
  private static void converge(PipelineProcess p, CdcServices s, Workload w, long t0) throws Exception {
    long end = System.nanoTime() + CONVERGENCE.toNanos();
    long nextReport = System.nanoTime() + REPORT_EVERY.toNanos();
    AssertionError last = null;
    while (System.nanoTime() < end) {
      p.assertAlive();
      if (last != null && System.nanoTime() >= nextReport) {
        nextReport += REPORT_EVERY.toNanos();
        System.out.printf(Locale.ROOT, "cdc faults (%s): %.1f s: not converged yet: %s%n",
            p.runner, (System.nanoTime() - t0) / 1e9, firstLines(last.getMessage(), 3));
      }
      try {
        CdcServices.check(p.runner + " after the faults", s.tables, w, p.cachePrefix,
            p.cachePrefix + "feature:", p.lake, p.dead, Set.of());
        System.out.printf(Locale.ROOT, "cdc faults (%s): converged %.1f s after the start; %s; killed and %s,"
                + " every change in the lake once%n",
            p.runner, (System.nanoTime() - t0) / 1e9, counts(p, w),
            p.restores ? "restored from its checkpoint" : "restarted from its committed offsets");
        return;
      } catch (AssertionError e) {
        last = e;
      }
      Thread.sleep(5000);
    }
    System.out.printf("cdc faults (%s): not converged within %s; %s; files kept in %s; pipeline output:%n%s%n",
        p.runner, CONVERGENCE, counts(p, w), p.lake.getParent(), p.tail());
    throw last;
  }

  /** The first {@code n} lines of a failure's message, each cut to 200 characters. */
  private static String firstLines(String message, int n) {
    return String.valueOf(message).lines().limit(n).map(l -> l.length() > 200 ? l.substring(0, 200) + "..." : l)
        .collect(java.util.stream.Collectors.joining(" | "));
  }

  /** The figures compared: changes made, rows the cache, lake and features hold. */
  private static String counts(PipelineProcess p, Workload w) throws IOException {
    long lakeRows = 0;
    long parquetFiles = 0;
    for (Path f : CdcServices.lakeFiles(p.lake)) {
      parquetFiles++;
      lakeRows += CdcPipelineIT.read(f).size();
    }
    long cacheKeys;
    try (redis.clients.jedis.Jedis jedis = RedisSinkIT.jedis()) {
      cacheKeys = RedisSinkIT.dump(jedis, p.cachePrefix).size();
    }
    return String.format(Locale.ROOT, "changes made %d (Kafka records expected without redeliveries %d);"
            + " lake rows %d in %d files; Redis keys (cache, fences, features) %d",
        w.changes.size(), w.records, lakeRows, parquetFiles, cacheKeys);
  }

  /** Sleeps, failing early if a pipeline process died. */
  private static void pause(Duration length, List<PipelineProcess> pipelines) throws InterruptedException {
    long end = System.nanoTime() + length.toNanos();
    while (System.nanoTime() < end) {
      for (PipelineProcess p : pipelines) {
        p.assertAlive();
      }
      Thread.sleep(Math.min(1000, Math.max(1, (end - System.nanoTime()) / 1_000_000)));
    }
  }

  private static void log(long t0, String format, Workload w) {
    int changes;
    synchronized (w) {
      changes = w.changes.size();
    }
    System.out.printf(Locale.ROOT, "cdc faults: %6.1f s: %s%n", (System.nanoTime() - t0) / 1e9,
        String.format(Locale.ROOT, format, changes));
  }

  /**
   * A cdc pipeline in its own launcher process, unbounded, reading the services' topics; on Flink
   * it checkpoints every 2 s into a directory of its own and starts with {@code
   * --savepointPath=latest}, so that {@link #restart} resumes from its last checkpoint.
   */
  private static final class PipelineProcess implements AutoCloseable {
    final String runner;
    final String cachePrefix;
    /** The consumer group: the cache prefix without its colon. */
    final String group;
    final Path lake;
    final Path dead;
    final boolean restores;
    private final Path output;
    private final ProcessBuilder builder;
    private Process process;

    private PipelineProcess(String runner, String cachePrefix, Path lake, Path dead, Path output, ProcessBuilder builder)
        throws IOException {
      this.runner = runner;
      this.cachePrefix = cachePrefix;
      this.group = cachePrefix.substring(0, cachePrefix.length() - 1);
      this.lake = lake;
      this.dead = dead;
      this.output = output;
      this.builder = builder;
      this.restores = runner.equals("FlinkRunner");
      this.process = builder.start();
    }

    static PipelineProcess start(String runner, CdcServices s, Path dir) throws IOException {
      Files.createDirectories(dir);
      String cachePrefix = "flt-" + s.id + "-" + runner + ":";
      Path lake = dir.resolve("lake");
      Path dead = dir.resolve("dead");
      List<String> command = new ArrayList<>(List.of(
          LAUNCHER.toString(), "cdc",
          "--runner=" + runner,
          "--source=kafka",
          "--kafkaBootstrapServers=" + Services.kafkaBootstrap(),
          "--inputTopic=" + s.topics,
          "--inputOffsetReset=earliest",
          "--consumerGroup=flt-" + s.id + "-" + runner,
          "--topicDiscoveryInterval=5s",
          "--rules=" + s.rules,
          "--lakePath=" + lake,
          "--lakeRotation=5s",
          "--redisHost=" + Services.redisHost(),
          "--redisPort=" + Services.redisPort(),
          "--redisMaxAttempts=12",
          "--redisInitialBackoff=1s",
          "--cacheKeyPrefix=" + cachePrefix,
          "--featureKeyPrefix=" + cachePrefix + "feature:",
          "--sink=none",
          "--deadLetter=files",
          "--deadLetterPath=" + dead,
          "--streaming=true"));
      if (runner.equals("FlinkRunner")) {
        command.addAll(List.of("--flinkMaster=[local]", "--parallelism=2", "--checkpointingInterval=2000",
            "--stateBackendStoragePath=" + dir.resolve("checkpoints").toUri(), "--savepointPath=latest",
            "--lakeExactlyOnce=true"));
      }
      Path output = dir.resolve("output.log");
      ProcessBuilder builder =
          new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(output.toFile()));
      builder.environment().put("JAVA_OPTS", "-Xmx1500m -Dorg.slf4j.simpleLogger.defaultLogLevel=warn");
      return new PipelineProcess(runner, cachePrefix, lake, dead, output, builder);
    }

    void assertAlive() {
      if (!process.isAlive()) {
        throw new AssertionError(runner + " pipeline exited with " + process.exitValue() + ":\n" + tail());
      }
    }

    /**
     * Waits until the pipeline's consumer group has committed offsets on the services' topics;
     * returns the sum of the committed offsets and of the topics' end offsets.
     */
    long[] awaitCommits(CdcServices s, Duration timeout, List<PipelineProcess> all) throws Exception {
      long end = System.nanoTime() + timeout.toNanos();
      try (org.apache.kafka.clients.admin.Admin admin = Kafka.admin()) {
        while (System.nanoTime() < end) {
          Map<org.apache.kafka.common.TopicPartition, org.apache.kafka.clients.consumer.OffsetAndMetadata> committed =
              admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata().get();
          long sum = committed.values().stream().filter(java.util.Objects::nonNull).mapToLong(o -> o.offset()).sum();
          if (sum > 0) {
            Map<org.apache.kafka.common.TopicPartition, org.apache.kafka.clients.admin.OffsetSpec> latest = new HashMap<>();
            for (String topic : admin.listTopics().names().get()) {
              if (topic.matches(s.topics)) {
                for (org.apache.kafka.common.TopicPartitionInfo info :
                    admin.describeTopics(List.of(topic)).allTopicNames().get().get(topic).partitions()) {
                  latest.put(new org.apache.kafka.common.TopicPartition(topic, info.partition()),
                      org.apache.kafka.clients.admin.OffsetSpec.latest());
                }
              }
            }
            long ends = admin.listOffsets(latest).all().get().values().stream().mapToLong(o -> o.offset()).sum();
            return new long[] {sum, ends};
          }
          pause(Duration.ofSeconds(1), all);
        }
      }
      throw new AssertionError(runner + " committed no offset within " + timeout + ":\n" + tail());
    }

    /** Waits for a completed checkpoint (a {@code chk-<n>} directory with its {@code _metadata}). */
    Path awaitCheckpoint(Duration timeout, List<PipelineProcess> all) throws Exception {
      long end = System.nanoTime() + timeout.toNanos();
      Path storage = lake.getParent().resolve("checkpoints");
      while (System.nanoTime() < end) {
        if (Files.isDirectory(storage)) {
          try (java.util.stream.Stream<Path> found = Files.find(storage, 3, (f, a) -> f.endsWith("_metadata"))) {
            java.util.Optional<Path> any = found.findAny();
            if (any.isPresent()) {
              return any.get().getParent();
            }
          }
        }
        pause(Duration.ofSeconds(1), all);
      }
      throw new AssertionError(runner + " completed no checkpoint within " + timeout + ":\n" + tail());
    }

    /** Everything the process printed so far. */
    String output() throws IOException {
      return Files.readString(output, StandardCharsets.UTF_8);
    }

    /** Kills the launcher and its JVM at once (SIGKILL): no shutdown hook, no final checkpoint. */
    void kill() throws InterruptedException {
      process.descendants().forEach(ProcessHandle::destroyForcibly);
      process.destroyForcibly();
      assertTrue(process.waitFor(30, TimeUnit.SECONDS), runner + " pipeline killed");
    }

    /** Starts the same command again (its output appended to the same log). */
    void restart() throws IOException {
      process = builder.start();
    }

    /** The last lines the process printed. */
    String tail() {
      try {
        List<String> lines = Files.readAllLines(output, StandardCharsets.UTF_8);
        return String.join("\n", lines.subList(Math.max(0, lines.size() - 60), lines.size()));
      } catch (IOException e) {
        return "(no output: " + e + ")";
      }
    }

    @Override
    public void close() throws InterruptedException {
      process.descendants().forEach(ProcessHandle::destroyForcibly);
      process.destroyForcibly();
      process.waitFor(30, TimeUnit.SECONDS);
    }
  }

  /**
   * Random inserts, updates and deletes of every captured table, about 15 a second, until stopped;
   * every change is recorded in the {@link Workload}.
   */
  private static final class RandomWorkload implements Runnable {
    private final CdcServices s;
    private final Workload w;
    private final Random random;
    private final Map<Table, Set<String>> live = new LinkedHashMap<>();
    private final Map<Table, Integer> nextKey = new LinkedHashMap<>();
    private final AtomicBoolean stopped = new AtomicBoolean();
    private int updates;
    private volatile Exception failure;

    RandomWorkload(CdcServices s, Workload w, Random random) {
      this.s = s;
      this.w = w;
      this.random = random;
      for (Table t : s.tables) {
        live.put(t, new TreeSet<>());
        nextKey.put(t, 1);
      }
    }

    /** Three rows in every table before the capture starts. */
    void snapshot() throws Exception {
      for (Table t : s.tables) {
        for (int i = 0; i < 3; i++) {
          String key = newKey(t);
          w.snapshot(t, key, insert(t, key));
          live.get(t).add(key);
        }
      }
    }

    void stop() {
      stopped.set(true);
    }

    void rethrow() throws Exception {
      if (failure != null) {
        throw failure;
      }
    }

    @Override
    public void run() {
      try {
        while (!stopped.get()) {
          step();
          Thread.sleep(50);
        }
      } catch (Exception e) {
        failure = e;
      }
    }

    private void step() throws Exception {
      Table t = s.tables.get(random.nextInt(s.tables.size()));
      Set<String> keys = live.get(t);
      int dice = random.nextInt(10);
      if (t == s.outboxTable || keys.isEmpty() || dice < 4) {
        String key = newKey(t);
        w.change(t, key, "c", insert(t, key));
        keys.add(key);
      } else {
        String key = new ArrayList<>(keys).get(random.nextInt(keys.size()));
        if (dice < 8) {
          w.change(t, key, "u", update(t, key));
        } else {
          w.change(t, key, "d", "DELETE FROM " + t.name() + " WHERE " + t.key() + " = " + literal(t, key));
          keys.remove(key);
        }
      }
    }

    private String newKey(Table t) {
      int n = nextKey.merge(t, 1, Integer::sum) - 1;
      return t == s.stockTable ? "S-" + n : Integer.toString(n);
    }

    private String insert(Table t, String key) {
      int a = random.nextInt(1000);
      return switch (t.name()) {
        case "orders" -> String.format(Locale.ROOT, "INSERT INTO orders VALUES (%s, %d, 'new', %d.%02d)", key, 100 + a % 20, a, a % 100);
        case "outbox" -> "INSERT INTO outbox VALUES (" + key + ", 'order', '" + a + "', 'OrderPlaced', '{\"n\":" + a + "}')";
        case "payments" -> "INSERT INTO payments VALUES (" + key + ", " + a + ", " + (a * 7) + ", " + (a % 3 == 0 ? "NULL" : "'card'") + ")";
        case "shipments" -> "INSERT INTO shipments VALUES (" + key + ", " + a + ", 'dhl', false)";
        case "users" -> "INSERT INTO users VALUES (" + key + ", 'u" + a + "', 'bronze', " + (a % 4 == 0 ? "NULL" : a) + ")";
        case "stock" -> "INSERT INTO stock VALUES ('" + key + "', 'north', " + a + ")";
        default -> throw new IllegalArgumentException(t.name());
      };
    }

    // Every update changes the row (MariaDB logs no event for an update that changes nothing):
    // a fresh sequence number in one of its columns.
    private String update(Table t, String key) {
      int a = random.nextInt(1000);
      int n = ++updates;
      String where = " WHERE " + t.key() + " = " + literal(t, key);
      return switch (t.name()) {
        case "orders" -> String.format(Locale.ROOT, "UPDATE orders SET status = '%s', total = %d.%02d", List.of("paid", "shipped", "cancelled").get(a % 3), 1000 + n, a % 100) + where;
        case "payments" -> "UPDATE payments SET method = " + (a % 3 == 0 ? "NULL" : "'paypal'") + ", amount_cents = " + (1000 + n) + where;
        case "shipments" -> "UPDATE shipments SET delivered = " + (a % 2 == 0) + ", carrier = 'ups', order_id = " + (1000 + n) + where;
        case "users" -> "UPDATE users SET name = 'v" + n + "', tier = '" + List.of("gold", "silver", "bronze").get(a % 3) + "', credits = " + (a % 4 == 0 ? "NULL" : a) + where;
        case "stock" -> "UPDATE stock SET quantity = " + (1000 + n) + ", warehouse = '" + List.of("north", "south", "east").get(a % 3) + "'" + where;
        default -> throw new IllegalArgumentException(t.name());
      };
    }

    private static String literal(Table t, String key) {
      return t.key().equals("sku") ? "'" + key + "'" : key;
    }
  }
}
