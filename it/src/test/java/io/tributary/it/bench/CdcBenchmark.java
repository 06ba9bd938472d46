package io.tributary.it.bench;

import com.sun.management.OperatingSystemMXBean;
import io.tributary.it.Kafka;
import io.tributary.it.Services;
import io.tributary.it.cdc.Capture;
import io.tributary.it.cdc.Connectors;
import io.tributary.pipelines.Tributary;
import io.tributary.pipelines.cdc.CdcOptions;
import io.tributary.pipelines.cdc.CdcPipeline;
import io.tributary.pipelines.io.Launch;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.beam.runners.direct.DirectOptions;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.JedisPubSub;

/**
 * Database commit to Redis-visible latency of the cdc pipeline, and the changes per second it
 * sustains, on the test servers ({@code it/services.sh start}): a PostgreSQL table captured by
 * Debezium in a Kafka Connect worker ({@code it/capture.sh}), read from Kafka by the cdc pipeline
 * (unbounded, in this JVM) and cached in Redis.
 *
 * <p>The workload inserts rows at the offered rate ({@code --rate}, changes per second, in
 * transactions of {@code --batch} rows) for {@code --seconds}; each row's commit is timed when
 * its transaction's commit returns. Redis keyspace notifications time when each row's cache hash
 * is written. Latency is the difference, per row (one clock: both are taken in this JVM); the
 * sustained rate is the rows made visible over the time between the first commit and the last
 * row made visible. Each runner gets its own table, worker and pipeline. A plain consumer of the
 * capture's topic times when each change is first readable in Kafka (the capture's share of the
 * latency), and a line names the seconds of the workload with the longest latencies.
 *
 * <p>The first {@code --warmup} seconds (10 by default) of the workload, at the same rate, are not
 * measured: they let the JVMs compile the hot code and the pipeline settle; the figures are for the
 * rows committed after them.
 *
 * <pre>{@code it/bin/benchmark cdc [--rate=2000] [--seconds=30] [--warmup=10] [--batch=20] [--runners=direct,flink] [--snapshotRows=0] [--idleTopics=0] [--debezium.<property>=value ...] [--<pipeline option>=value ...]}</pre>
 *
 * <p>With {@code --idleTopics=N} the topic pattern also matches N empty topics, created before the
 * pipeline starts, as Debezium writes one topic per table and most tables are quiet at any moment:
 * the pipeline reads them all, and the latency shows what the quiet ones cost the busy one.
 *
 * <p>With {@code --snapshotRows=N} the table holds N rows before the capture starts, and the
 * connector snapshots them first ({@code snapshot.mode=initial}): the benchmark prints how long
 * the runner takes to make them all visible, from the first to the last, and the rows per second
 * (the apply rate of an initial load, where the pipeline, not the offered rate, is the limit).
 *
 * <p>Arguments {@code --debezium.<property>=value} set a property of the Debezium connector
 * ({@code poll.interval.ms} is 50 here unless given, against Debezium's default of 500: at that
 * default each batch of changes waits up to half a second in the connector); further {@code --name=value} arguments go to the
 * pipeline (e.g. Flink's {@code --maxBundleTimeMills}).
 */
public final class CdcBenchmark {
  private CdcBenchmark() {}

  public static void main(String[] args) throws Exception {
    Map<String, String> a = new java.util.HashMap<>();
    Map<String, String> debezium = new LinkedHashMap<>();
    // Debezium's connector waits up to poll.interval.ms (500 ms by default) before it hands a
    // batch of changes to Connect: the largest part of the latency at the default.
    debezium.put("poll.interval.ms", "50");
    List<String> pipelineArgs = new ArrayList<>();
    for (String arg : args) {
      int eq = arg.indexOf('=');
      String key = eq < 0 ? "" : arg.substring(2, eq);
      if (!arg.startsWith("--") || eq < 0) {
        throw new IllegalArgumentException("bad argument " + arg + "; use --rate=N --seconds=N --batch=N --runners=direct,flink"
            + " and pipeline options as --name=value");
      }
      if (List.of("rate", "seconds", "warmup", "batch", "runners", "snapshotRows", "idleTopics").contains(key)) {
        a.put(key, arg.substring(eq + 1));
      } else if (key.startsWith("debezium.")) {
        debezium.put(key.substring("debezium.".length()), arg.substring(eq + 1));
      } else {
        pipelineArgs.add(arg);
      }
    }
    int rate = Integer.parseInt(a.getOrDefault("rate", "2000"));
    int seconds = Integer.parseInt(a.getOrDefault("seconds", "30"));
    int warmup = Integer.parseInt(a.getOrDefault("warmup", "10"));
    int batch = Integer.parseInt(a.getOrDefault("batch", "20"));
    long snapshotRows = Long.parseLong(a.getOrDefault("snapshotRows", "0"));
    int idleTopics = Integer.parseInt(a.getOrDefault("idleTopics", "0"));
    // Flink last: its in-process job runs until this JVM exits.
    List<String> runners = Arrays.asList(a.getOrDefault("runners", "direct,flink").split(","));
    System.out.printf(Locale.ROOT, "cdc benchmark: offered %,d changes/s for %d s (measured) after %d s (warm-up, not measured) in transactions of %d rows, %d cores; %d idle topics; connector %s; pipeline options %s%n",
        rate, seconds, warmup, batch, Runtime.getRuntime().availableProcessors(), idleTopics, debezium, pipelineArgs);
    System.out.println("| runner | offered changes/s | visible | sustained changes/s | p50 ms | p90 ms | p99 ms | max ms | in Kafka p50 / p99 ms | pipeline JVM cores |");
    System.out.println("|---|---|---|---|---|---|---|---|---|---|");
    for (String runner : runners) {
      System.out.println(run(runner.trim(), rate, seconds, warmup, batch, snapshotRows, idleTopics, debezium, pipelineArgs));
    }
    System.exit(0);
  }

  private static String run(
      String runner,
      int rate,
      int seconds,
      int warmup,
      int batch,
      long snapshotRows,
      int idleTopics,
      Map<String, String> debezium,
      List<String> pipelineArgs)
      throws Exception {
    String id = "bench" + UUID.randomUUID().toString().replace("-", "").substring(0, 8);
    Services.createPostgresDatabase(id);
    try (Connection db = DriverManager.getConnection(Services.postgresJdbcUrl(id), Services.postgresUser(), Services.postgresPassword())) {
      try (Statement s = db.createStatement()) {
        s.execute("CREATE TABLE items (id BIGINT PRIMARY KEY, v BIGINT NOT NULL)");
        if (snapshotRows > 0) {
          s.execute("INSERT INTO items SELECT g, g * 7 FROM generate_series(" + SNAPSHOT_IDS + "::bigint, "
              + (SNAPSHOT_IDS + snapshotRows - 1) + ") g");
        }
      }
      Map<String, String> connector = Connectors.postgres(id, id, id, id, "public.items");
      connector.put("snapshot.mode", snapshotRows > 0 ? "initial" : "no_data");
      connector.putAll(debezium);
      Capture capture = Capture.start(id, connector);
      Path dir = Files.createTempDirectory(id);
      Path rules = dir.resolve("rules.yaml");
      Files.writeString(rules, "routes:\n  - name: items\n    tables: [\"" + id + ".public.items\"]\n"
          + "    cache: {key: \"item:{id}\", layout: hash}\nunrouted: {deadLetter: true}\n", StandardCharsets.UTF_8);
      if (idleTopics > 0) {
        String[] idle = new String[idleTopics];
        for (int i = 0; i < idleTopics; i++) {
          idle[i] = id + ".idle.t" + i;
        }
        Kafka.createTopics(idle);
      }
      Map<Long, Long> visibleNanos = new ConcurrentHashMap<>();
      String keyPrefix = id + ":item:";
      Thread listener = listen(keyPrefix, visibleNanos);
      Map<Long, Long> inKafkaNanos = new ConcurrentHashMap<>();
      Thread kafkaListener = null;
      AtomicBoolean listening = new AtomicBoolean(true);
      Runnable stop = start(runner, id, rules, dir, pipelineArgs);
      try {
        if (snapshotRows > 0) {
          System.out.println(snapshot(runner, snapshotRows, visibleNanos));
        }
        // Let the pipeline reach the topic: one row first, until it is visible.
        long firstRowDeadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(180);
        insert(db, List.of(0L));
        while (!visibleNanos.containsKey(0L)) {
          if (System.nanoTime() > firstRowDeadline) {
            throw new IllegalStateException(runner + ": the first row was not visible in Redis within 180 s");
          }
          Thread.sleep(100);
        }
        // The capture's topic exists now.
        kafkaListener = listenKafka(id + ".public.items", inKafkaNanos, listening);
        Map<Long, Long> committedNanos = new ConcurrentHashMap<>();
        long warmRows = (long) rate * warmup;
        long rows = (long) rate * seconds;
        long total = warmRows + rows;
        long start = System.nanoTime();
        long cpuStart = cpuNanos() - threadCpuNanos(kafkaListener);
        long next = 1;
        long periodNanos = TimeUnit.SECONDS.toNanos(1) * batch / rate;
        for (long tx = 0; next <= total; tx++) {
          long due = start + tx * periodNanos;
          long wait = due - System.nanoTime();
          if (wait > 0) {
            TimeUnit.NANOSECONDS.sleep(wait);
          }
          List<Long> ids = new ArrayList<>();
          for (int i = 0; i < batch && next <= total; i++) {
            ids.add(next++);
          }
          insert(db, ids);
          long committed = System.nanoTime();
          ids.forEach(i -> committedNanos.put(i, committed));
        }
        long offeredEnd = System.nanoTime();
        // The cores this JVM (the pipeline, and the benchmark's light workload, not its Kafka
        // consumer) used while offered.
        double cores = (cpuNanos() - threadCpuNanos(kafkaListener) - cpuStart) / (double) (offeredEnd - start);
        long deadline = offeredEnd + TimeUnit.SECONDS.toNanos(60);
        while (visibleNanos.size() - 1 < total && System.nanoTime() < deadline) {
          Thread.sleep(100);
        }
        long[] latencies = new long[(int) rows];
        long[] kafkaLatencies = new long[(int) rows];
        int n = 0;
        int k = 0;
        long measuredStart = committedNanos.getOrDefault(warmRows + 1, start);
        long lastVisible = measuredStart;
        // Per second of the measured workload (by commit): the longest latency, and the longest
        // to Kafka, to tell a stall of the capture from one of the pipeline.
        long[] worst = new long[seconds + 2];
        long[] worstKafka = new long[seconds + 2];
        for (long i = warmRows + 1; i <= total; i++) {
          long committed = committedNanos.get(i);
          int second = (int) Math.min(seconds + 1, Math.max(0, (committed - measuredStart) / 1_000_000_000L));
          Long seen = visibleNanos.get(i);
          if (seen != null) {
            latencies[n++] = seen - committed;
            lastVisible = Math.max(lastVisible, seen);
            worst[second] = Math.max(worst[second], seen - committed);
          }
          Long inKafka = inKafkaNanos.get(i);
          if (inKafka != null) {
            kafkaLatencies[k++] = inKafka - committed;
            worstKafka[second] = Math.max(worstKafka[second], inKafka - committed);
          }
        }
        StringBuilder slowest = new StringBuilder();
        java.util.stream.IntStream.range(0, worst.length)
            .boxed()
            .sorted((a, b) -> Long.compare(worst[b], worst[a]))
            .limit(3)
            .forEach(sec -> slowest.append(String.format(Locale.ROOT, "%ssecond %d: %.0f ms (in Kafka %.0f ms)",
                slowest.length() == 0 ? "" : "; ", sec, worst[sec] / 1e6, worstKafka[sec] / 1e6)));
        System.out.printf(Locale.ROOT, "%s: longest latencies by second of the measured workload: %s%n", runner, slowest);
        long[] sorted = Arrays.copyOf(latencies, n);
        Arrays.sort(sorted);
        long[] kafkaSorted = Arrays.copyOf(kafkaLatencies, k);
        Arrays.sort(kafkaSorted);
        double offered = total / ((offeredEnd - start) / 1e9);
        double sustained = n / ((lastVisible - measuredStart) / 1e9);
        return String.format(Locale.ROOT, "| %s | %,.0f | %,d of %,d | %,.0f | %s | %s | %s | %s | %s / %s | %.2f |",
            runner, offered, n, rows, sustained, ms(sorted, 0.50), ms(sorted, 0.90), ms(sorted, 0.99), ms(sorted, 1.0),
            ms(kafkaSorted, 0.50), ms(kafkaSorted, 0.99), cores);
      } finally {
        stop.run();
        listener.interrupt();
        // Not interrupted: a Kafka consumer interrupted while it closes logs an error.
        listening.set(false);
        if (kafkaListener != null) {
          kafkaListener.join(TimeUnit.SECONDS.toMillis(10));
        }
        capture.stop();
        Connectors.dropPostgresSlot(id);
      }
    }
  }

  /** Ids of the snapshot's rows start here, apart from the workload's. */
  private static final long SNAPSHOT_IDS = 1_000_000_000L;

  /** Waits until every snapshot row is visible; the time from the first to the last, and the rate. */
  private static String snapshot(String runner, long rows, Map<Long, Long> visibleNanos) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(Math.max(300, rows / 50));
    long seen = 0;
    long reported = System.nanoTime();
    while (System.nanoTime() < deadline) {
      seen = visibleNanos.keySet().stream().filter(k -> k >= SNAPSHOT_IDS).count();
      if (seen >= rows) {
        break;
      }
      if (System.nanoTime() - reported > TimeUnit.SECONDS.toNanos(15)) {
        System.out.printf(Locale.ROOT, "%s: snapshot rows visible %,d of %,d%n", runner, seen, rows);
        reported = System.nanoTime();
      }
      Thread.sleep(200);
    }
    long first = Long.MAX_VALUE;
    long last = Long.MIN_VALUE;
    for (Map.Entry<Long, Long> e : visibleNanos.entrySet()) {
      if (e.getKey() >= SNAPSHOT_IDS) {
        first = Math.min(first, e.getValue());
        last = Math.max(last, e.getValue());
      }
    }
    double secondsTaken = (last - first) / 1e9;
    return String.format(Locale.ROOT, "%s: snapshot of %,d rows: %,d visible, first to last %.1f s, %,.0f rows/s",
        runner, rows, seen, secondsTaken, seen / Math.max(secondsTaken, 1e-9));
  }

  private static String ms(long[] sorted, double q) {
    if (sorted.length == 0) {
      return "-";
    }
    int i = (int) Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1);
    return String.format(Locale.ROOT, "%.0f", sorted[Math.max(0, i)] / 1e6);
  }

  private static void insert(Connection db, List<Long> ids) throws Exception {
    db.setAutoCommit(false);
    try (PreparedStatement p = db.prepareStatement("INSERT INTO items VALUES (?, ?)")) {
      for (long i : ids) {
        p.setLong(1, i);
        p.setLong(2, i * 7);
        p.addBatch();
      }
      p.executeBatch();
    }
    db.commit();
    db.setAutoCommit(true);
  }

  /** Records when each cache hash {@code <keyPrefix><id>} is first written (keyspace notifications). */
  private static Thread listen(String keyPrefix, Map<Long, Long> visibleNanos) throws InterruptedException {
    try (Jedis admin = new Jedis(Services.redisHost(), Services.redisPort())) {
      admin.configSet("notify-keyspace-events", "Kh");
    }
    String channelPrefix = "__keyspace@0__:" + keyPrefix;
    CountDownLatch subscribed = new CountDownLatch(1);
    Thread t = new Thread(() -> {
      try (Jedis jedis = new Jedis(Services.redisHost(), Services.redisPort())) {
        jedis.psubscribe(new JedisPubSub() {
          @Override
          public void onPSubscribe(String pattern, int count) {
            subscribed.countDown();
          }

          @Override
          public void onPMessage(String pattern, String channel, String message) {
            long now = System.nanoTime();
            try {
              visibleNanos.putIfAbsent(Long.parseLong(channel.substring(channelPrefix.length())), now);
            } catch (NumberFormatException e) {
              // another key of the prefix (a fence): not a row
            }
          }
        }, channelPrefix + "*");
      } catch (RuntimeException e) {
        if (!Thread.currentThread().isInterrupted()) {
          throw e;
        }
      }
    }, "redis-notifications");
    t.setDaemon(true);
    t.start();
    subscribed.await(30, TimeUnit.SECONDS);
    return t;
  }

  /**
   * Records when each row's change is first readable from the capture's topic, by a plain consumer
   * polling it from the start: the part of the latency spent before the pipeline (the connector,
   * Connect's producer and the broker).
   */
  private static Thread listenKafka(String topic, Map<Long, Long> inKafkaNanos, AtomicBoolean listening) {
    Properties p = new Properties();
    p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, Services.kafkaBootstrap());
    p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    p.put(ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG, "20");
    Thread t = new Thread(() -> {
      try (KafkaConsumer<byte[], byte[]> consumer =
          new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
        TopicPartition partition = new TopicPartition(topic, 0);
        consumer.assign(List.of(partition));
        while (listening.get()) {
          for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(100))) {
            long now = System.nanoTime();
            long id = keyId(r.key());
            if (id >= 0) {
              inKafkaNanos.putIfAbsent(id, now);
            }
          }
        }
      }
    }, "kafka-arrivals");
    t.setDaemon(true);
    t.start();
    return t;
  }

  private static final byte[] ID_FIELD = "\"id\":".getBytes(StandardCharsets.US_ASCII);

  /**
   * The {@code id} of a change key ({@code {"schema":...,"payload":{"id":42}}}, or without the
   * schema), read off the bytes (a JSON parser here would take CPU from the pipeline it measures);
   * -1 when absent.
   */
  static long keyId(byte[] key) {
    if (key == null) {
      return -1;
    }
    for (int i = key.length - ID_FIELD.length; i >= 0; i--) {
      if (Arrays.equals(key, i, i + ID_FIELD.length, ID_FIELD, 0, ID_FIELD.length)) {
        long id = 0;
        int j = i + ID_FIELD.length;
        while (j < key.length && key[j] == ' ') {
          j++;
        }
        int digits = 0;
        for (; j < key.length && key[j] >= '0' && key[j] <= '9'; j++, digits++) {
          id = id * 10 + (key[j] - '0');
        }
        return digits == 0 ? -1 : id;
      }
    }
    return -1;
  }

  /** The CPU time a thread of this JVM has used. */
  private static long threadCpuNanos(Thread thread) {
    return Math.max(0, ManagementFactory.getThreadMXBean().getThreadCpuTime(thread.getId()));
  }

  /** The CPU time this JVM has used. */
  private static long cpuNanos() {
    return ((OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean())
        .getProcessCpuTime();
  }

  /** Starts the cdc pipeline on the runner, unbounded; returns how to stop it (Flink: at exit). */
  private static Runnable start(String runner, String id, Path rules, Path dir, List<String> pipelineArgs) {
    List<String> args = new ArrayList<>(List.of(
        "--source=kafka",
        "--kafkaBootstrapServers=" + Services.kafkaBootstrap(),
        "--inputTopic=" + java.util.regex.Pattern.quote(id) + "\\..+",
        "--inputOffsetReset=earliest",
        "--topicDiscoveryInterval=1s",
        "--maxInputDelay=1s",
        "--rules=" + rules,
        "--redisHost=" + Services.redisHost(),
        "--redisPort=" + Services.redisPort(),
        "--cacheKeyPrefix=" + id + ":",
        "--featureKeyPrefix=" + id + ":feature:",
        "--lakePath=" + dir.resolve("lake"),
        "--sink=none"));
    int cores = Runtime.getRuntime().availableProcessors();
    args.addAll(
        runner.equals("flink")
            ? List.of("--runner=FlinkRunner", "--flinkMaster=[local]", "--streaming=true", "--parallelism=" + cores)
            : List.of("--runner=DirectRunner", "--targetParallelism=" + cores));
    // A pipeline option given on the command line replaces the benchmark's own.
    for (String given : pipelineArgs) {
      String name = given.substring(0, given.indexOf('=') + 1);
      args.removeIf(a -> a.startsWith(name));
    }
    args.addAll(pipelineArgs);
    if (runner.equals("flink")) {
      CdcOptions options =
          PipelineOptionsFactory.fromArgs(CdcPipeline.withRunnerDefaults(args.toArray(String[]::new))).as(CdcOptions.class);
      // Prepared as `tributary cdc` prepares it (Launch.prepare: Flink settings Beam leaves unset).
      Pipeline pipeline = CdcPipeline.create(options);
      Launch.prepare(pipeline);
      Thread job = new Thread(() -> pipeline.run().waitUntilFinish(), "flink-cdc");
      job.setDaemon(true);
      job.start();
      return () -> {};
    }
    // As `tributary cdc` runs it: the Direct runner's element checks off unless the arguments say.
    CdcOptions options =
        PipelineOptionsFactory.fromArgs(Tributary.withRunnerDefaults(args.toArray(String[]::new))).as(CdcOptions.class);
    options.as(DirectOptions.class).setBlockOnRun(false);
    Pipeline pipeline = CdcPipeline.create(options);
    Launch.prepare(pipeline);
    PipelineResult result = pipeline.run();
    return () -> {
      try {
        result.cancel();
      } catch (java.io.IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
    };
  }
}
