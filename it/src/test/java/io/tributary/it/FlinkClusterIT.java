package io.tributary.it;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.greaterThan;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.google.protobuf.Message;
import com.google.protobuf.util.JsonFormat;
import io.tributary.pipelines.activity.PageViewGenerator;
import io.tributary.pipelines.fraud.FraudOptions;
import io.tributary.pipelines.fraud.FraudPipeline;
import io.tributary.pipelines.fraud.TransactionGenerator;
import io.tributary.proto.activity.ActivitySnapshot;
import io.tributary.proto.activity.PageView;
import io.tributary.proto.fraud.FraudAlert;
import io.tributary.proto.fraud.Transaction;
import io.tributary.testing.Diff;
import io.tributary.testing.Schedule;
import io.tributary.transforms.activity.ActivityOracle;
import io.tributary.transforms.activity.PageViewJson;
import io.tributary.transforms.fraud.FraudOracle;
import io.tributary.transforms.fraud.TransactionJson;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Function;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The pipelines deployed to the Flink session cluster of {@code it/services.sh} (a JobManager and
 * two TaskManagers) as users deploy them:
 *
 * <ul>
 *   <li>the launcher ({@code runners/bin/tributary --flinkMaster=...}, attached), Flink's client
 *       ({@code runners/bin/flink run}, attached) and the REST API ({@code /jars/:id/run}) each
 *       exit 0, a bounded job with checkpointing ends on its own, and each output equals the
 *       Direct runner's;
 *   <li>fraud and activity from Kafka with checkpoints every 5 s, written with the exactly-once
 *       Kafka sink, survive three {@code kill -9} of a TaskManager mid-stream (and, for fraud, a
 *       stop with a savepoint and a resume from it with {@code runners/bin/flink stop} and {@code
 *       run -d -s}, which exit 0): the committed output equals the brute-force
 *       oracle with nothing lost and nothing duplicated, and so do the idempotent sinks, the
 *       PostgreSQL alerts and the cards' online features in Redis;
 *   <li>the cdc job, reading a topic pattern, reads a topic created while it runs from its first
 *       record ({@link KafkaDiscoveryIT#scenario}).
 * </ul>
 *
 * <p>{@code -Dtributary.cluster.events=N} sets the number of page views of the activity failure
 * test, {@code -Dtributary.cluster.fraudEvents=N} the number of transactions of the fraud one (each
 * 500,000 by default).
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@Timeout(value = 15, unit = java.util.concurrent.TimeUnit.MINUTES)
class FlinkClusterIT {
  private static final int EVENTS = Integer.getInteger("tributary.cluster.events", 500_000);
  private static final int FRAUD_EVENTS = Integer.getInteger("tributary.cluster.fraudEvents", 500_000);
  /**
   * The share of fraud injected, and the rule's threshold: about 0.15% of transactions become
   * alerts, as each alert is a Kafka transaction of the exactly-once sink on Flink (about 20 a
   * second on the test broker).
   */
  private static final double FRAUD_RATE = 0.003;

  private static final double THRESHOLD = 8.0;
  private static final int KILLS = 3;
  private static final Pattern JOB_ID = Pattern.compile("JobID ([0-9a-f]{32})");
  private static final Pattern SAVEPOINT = Pattern.compile("Savepoint completed\\. Path: (\\S+)");

  private static FlinkCluster cluster;
  private static String jarId;

  @BeforeAll
  static void uploadJobJar() throws Exception {
    assertThat("the job jar is built (mvn package in runners/)", Files.size(FlinkCluster.JOB_JAR), greaterThan(0L));
    FlinkCluster.startMissing();
    cluster = FlinkCluster.fromServices();
    jarId = cluster.upload(FlinkCluster.JOB_JAR);
  }

  /** A failed test leaves no job behind to take the next test's slots. */
  @AfterEach
  void cancelLeftovers() throws Exception {
    cluster.cancelRunningJobs();
  }

  @Test
  @Order(1)
  void everyWayOfSubmittingExitsZeroAndEqualsDirect(@TempDir Path dir) throws Exception {
    // A small run over few cards (5,000 transactions, 500 cards: about 50 alerts): what differs
    // between the three submissions is the way in, not the volume.
    List<String> run =
        List.of(
            "--maxEvents=5000",
            "--cards=500",
            "--seed=7",
            "--sink=files",
            "--streaming=true",
            "--checkpointingInterval=2000");
    List<String> direct = new ArrayList<>(List.of("--maxEvents=5000", "--cards=500", "--seed=7", "--sink=files", "--runner=DirectRunner"));
    direct.add("--outputPath=" + dir.resolve("direct"));
    FraudPipeline.create(PipelineOptionsFactory.fromArgs(direct.toArray(new String[0])).as(FraudOptions.class))
        .run()
        .waitUntilFinish();

    // The launcher, attached: stages the job jar, waits, prints the run's summary; and Flink's
    // client, attached too (its detached form, run -d, resumes fraud from a savepoint below). Both
    // run while the REST API submits the third job.
    java.util.concurrent.CompletableFuture<FlinkCluster.Result> launcher =
        async(
            () ->
                FlinkCluster.exec(
                    concat(
                        List.of(FlinkCluster.ROOT.resolve("runners/bin/tributary").toString(), "fraud"),
                        run,
                        List.of("--runner=FlinkRunner", "--flinkMaster=" + cluster.rest(), "--parallelism=2",
                            "--outputPath=" + dir.resolve("launcher"))),
                    Duration.ofMinutes(8)));
    java.util.concurrent.CompletableFuture<FlinkCluster.Result> client =
        async(
            () ->
                FlinkCluster.flinkCommand(
                    concat(
                        List.of("run", FlinkCluster.JOB_JAR.toString(), "fraud"),
                        run,
                        List.of("--parallelism=1", "--outputPath=" + dir.resolve("client"))),
                    Duration.ofMinutes(8)));

    // The REST API, as a deploy script uses it.
    String restJob =
        cluster.run(jarId, concat(List.of("fraud"), run, List.of("--parallelism=1", "--outputPath=" + dir.resolve("rest"))));

    FlinkCluster.Result attached = launcher.get();
    assertEquals(0, attached.exitCode(), "runners/bin/tributary --flinkMaster=...:\n" + attached.output());
    assertThat(attached.output(), containsString("Rule quality on the synthetic source"));
    FlinkCluster.Result clientRun = client.get();
    assertEquals(0, clientRun.exitCode(), "runners/bin/flink run:\n" + clientRun.output());
    assertThat(clientRun.output(), containsString("Rule quality on the synthetic source"));
    Matcher id = JOB_ID.matcher(clientRun.output());
    assertThat("the client names the job: " + clientRun.output(), id.find(), org.hamcrest.Matchers.is(true));
    for (String job : List.of(id.group(1), restJob)) {
      cluster.awaitState(job, Set.of("FINISHED"), Duration.ofMinutes(5));
    }
    for (String kind : List.of("alerts", "features")) {
      List<String> expected = lines(dir.resolve("direct").resolve(kind));
      assertThat(kind + " of the Direct run", expected.size(), greaterThan(0));
      for (String submission : List.of("launcher", "client", "rest")) {
        Diff<String> diff = Diff.of(expected, lines(dir.resolve(submission).resolve(kind)));
        assertEquals(List.of(), diff.missing(), kind + " missing from the " + submission + " run's output");
        assertEquals(List.of(), diff.unexpected(), kind + " unexpected in the " + submission + " run's output");
      }
    }
  }

  @Test
  @Order(2)
  void fraudSurvivesKilledTaskManagersAndASavepointExactlyOnce(@TempDir Path dir) throws Exception {
    String in = Kafka.uniqueTopic("cluster-payments");
    String out = Kafka.uniqueTopic("cluster-alerts");
    String dead = Kafka.uniqueTopic("cluster-dead");
    Kafka.createTopics(in, out, out + ".features", dead);
    Services.createPostgresDatabase("fraud_cluster");
    String table = "alerts_" + Long.toHexString(System.nanoTime());
    String features = "it:cluster:" + table + ":";

    // 200 transactions a second over 10,000 cards: about 70 per card and hour.
    TransactionGenerator generator = new TransactionGenerator(31, 1_700_000_000_000L, 200, 10_000, FRAUD_RATE, 2000);
    List<Transaction> transactions = new ArrayList<>(FRAUD_EVENTS);
    List<byte[]> records = new ArrayList<>(FRAUD_EVENTS);
    for (long i = 0; i < FRAUD_EVENTS; i++) {
      Transaction t = generator.at(i);
      transactions.add(t);
      records.add(TransactionJson.format(t));
    }
    Kafka.produce(in, records);
    records.clear();

    List<String> args =
        List.of(
            "fraud",
            "--source=kafka",
            "--kafkaBootstrapServers=" + Services.kafkaBootstrap(),
            "--inputTopic=" + in,
            "--inputOffsetReset=earliest",
            "--maxInputDelay=5s",
            "--sink=kafka,postgres,redis",
            // Beam's exactly-once Kafka sink commits a transaction per record on Flink: the
            // alerts only, not a features record per transaction; features go to Redis.
            "--outputs=alerts",
            "--redisHost=" + Services.redisHost(),
            "--redisPort=" + Services.redisPort(),
            "--featureKeyPrefix=" + features,
            "--outputTopic=" + out,
            "--kafkaExactlyOnce=true",
            "--postgresUrl=" + Services.postgresJdbcUrl("fraud_cluster"),
            "--postgresUser=" + Services.postgresUser(),
            "--postgresPassword=" + Services.postgresPassword(),
            "--alertsTable=" + table,
            "--threshold=" + THRESHOLD,
            "--deadLetter=kafka",
            "--deadLetterTopic=" + dead,
            "--streaming=true",
            "--checkpointingInterval=5000",
            "--parallelism=2");
    FraudOptions options =
        PipelineOptionsFactory.fromArgs(args.subList(1, args.size()).toArray(new String[0])).as(FraudOptions.class);
    FraudOracle oracle = FraudOracle.inOrder(transactions, 3_600_000, THRESHOLD, 3, FraudPipeline.score(options).rule());
    transactions.clear();
    Map<String, Map<String, String>> cards = OnlineFeatures.expected(FraudKafkaIT.cardFeatures(oracle), features);
    oracle.scored.clear();
    int expected = oracle.alerts.size();
    assertThat("the input exercises the rule", expected, greaterThan(100));

    // Started, stopped with a savepoint once it has committed alerts, resumed from the savepoint.
    String first = cluster.run(jarId, args);
    awaitFirstCommit(first, out);
    // As the README says: Flink's client lists the job, stops it with a savepoint and submits the
    // same arguments again from that savepoint.
    FlinkCluster.Result list = FlinkCluster.flinkCommand(List.of("list"), Duration.ofMinutes(2));
    assertThat("runners/bin/flink list:\n" + list.output(), list.output(), containsString(first));
    FlinkCluster.Result stop =
        FlinkCluster.flinkCommand(
            List.of("stop", "--savepointPath", dir.resolve("savepoints").toString(), first), Duration.ofMinutes(4));
    assertEquals(0, stop.exitCode(), "runners/bin/flink stop:\n" + stop.output());
    Matcher path = SAVEPOINT.matcher(stop.output());
    assertThat("the client names the savepoint: " + stop.output(), path.find(), org.hamcrest.Matchers.is(true));
    String savepoint = path.group(1);
    cluster.awaitState(first, Set.of("FINISHED"), Duration.ofMinutes(2));
    int beforeResume = Kafka.committed(out).size();
    FlinkCluster.Result resume =
        FlinkCluster.flinkCommand(
            concat(List.of("run", "-d", "-s", savepoint, FlinkCluster.JOB_JAR.toString()), args), Duration.ofMinutes(4));
    assertEquals(0, resume.exitCode(), "runners/bin/flink run -d -s:\n" + resume.output());
    assertThat(resume.output(), containsString("detached"));
    Matcher resumedId = JOB_ID.matcher(resume.output());
    assertThat("the client names the job: " + resume.output(), resumedId.find(), org.hamcrest.Matchers.is(true));
    String resumed = resumedId.group(1);

    Supplier<String> progress = () -> "committed alerts " + Kafka.committed(out).size() + " of " + expected;
    List<String> kills = killTaskManagers(resumed, out, expected, progress);
    awaitCount(out, expected, Duration.ofMinutes(8));
    // Still healthy (running, checkpointing) once every alert is out; then cancelled, which
    // commits nothing more.
    awaitCheckpoint(resumed);
    cluster.cancelRunningJobs();

    List<FraudAlert> alerts = parse(Kafka.consume(out, expected, Duration.ofSeconds(30), true), FraudAlert::newBuilder);
    Map<String, Long> expectedRows = new TreeMap<>();
    oracle.alerts.forEach(a -> expectedRows.put(a.getTransaction().getTransactionId(), a.getTransaction().getAmountMinor()));
    Map<String, Long> rows = FraudKafkaIT.rows("fraud_cluster", table);
    Map<String, Map<String, String>> stored = OnlineFeatures.read(features);
    report("fraud", FRAUD_EVENTS, oracle.alerts, alerts, kills, resumed,
        "savepoint " + savepoint + " taken after " + beforeResume + " committed alerts; PostgreSQL rows "
            + rows.size() + " of " + expectedRows.size() + "; Redis card hashes " + stored.size() + " of " + cards.size());
    assertEquals(expectedRows, rows, "rows of PostgreSQL table " + table);
    OnlineFeatures.assertEqual(cards, stored, "card features in Redis under " + features);
  }

  /** Topic discovery on the cluster: {@link KafkaDiscoveryIT#scenario} with the cdc job. */
  @Test
  @Order(4)
  void aTopicCreatedWhileTheJobRunsIsReadFromItsFirstRecord(@TempDir Path dir) throws Exception {
    KafkaDiscoveryIT.scenario("flink cluster", dir, args -> {
      String job = cluster.run(jarId, concat(List.of("cdc"), args,
          List.of("--streaming=true", "--checkpointingInterval=2000", "--parallelism=2")));
      cluster.awaitState(job, Set.of("RUNNING"), Duration.ofMinutes(2));
      return () -> {
        try {
          cluster.cancelRunningJobs();
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new java.io.IOException(e);
        }
      };
    });
  }

  @Test
  @Order(3)
  void activitySurvivesKilledTaskManagersExactlyOnce() throws Exception {
    String in = Kafka.uniqueTopic("cluster-views");
    String out = Kafka.uniqueTopic("cluster-activity");
    String dead = Kafka.uniqueTopic("cluster-activity-dead");
    Kafka.createTopics(in, out, out + ".sessions", out + ".trend", dead);

    PageViewGenerator generator = new PageViewGenerator(13, 1_700_000_000_000L, 500, 200, 3000, 1_800_000);
    List<Schedule.Arrival<PageView>> arrivals = new ArrayList<>(EVENTS);
    List<byte[]> records = new ArrayList<>(EVENTS);
    for (long i = 0; i < EVENTS; i++) {
      PageView v = generator.at(i);
      records.add(PageViewJson.format(v));
      arrivals.add(new Schedule.Arrival<>(v, v.getEventTimeMillis(), Long.MIN_VALUE));
    }
    Kafka.produce(in, records);
    records.clear();
    Map<Long, ActivitySnapshot> oracle = new TreeMap<>(ActivityOracle.snapshots(arrivals, 60_000, 20_000, 0, 5, Set.of()));
    arrivals.clear();

    List<String> args =
        List.of(
            "activity",
            "--source=kafka",
            "--kafkaBootstrapServers=" + Services.kafkaBootstrap(),
            "--inputTopic=" + in,
            "--inputOffsetReset=earliest",
            "--maxInputDelay=5s",
            "--sink=kafka",
            // The snapshots only: Beam's exactly-once Kafka sink commits a transaction per record.
            "--outputs=snapshots",
            "--outputTopic=" + out,
            "--kafkaExactlyOnce=true",
            "--deadLetter=kafka",
            "--deadLetterTopic=" + dead,
            "--windowSize=60s",
            "--windowPeriod=20s",
            "--topN=5",
            "--streaming=true",
            "--checkpointingInterval=5000",
            "--parallelism=2");
    String job = cluster.run(jarId, args);
    awaitFirstCommit(job, out);
    Supplier<String> progress = () -> "committed snapshots " + Kafka.committed(out).size() + " of " + oracle.size();
    List<String> kills = killTaskManagers(job, out, oracle.size(), progress);
    awaitCount(out, oracle.size(), Duration.ofMinutes(8));
    awaitCheckpoint(job);
    cluster.cancelRunningJobs();

    List<ActivitySnapshot> snapshots = new ArrayList<>();
    for (ActivitySnapshot s : FlinkClusterIT.<ActivitySnapshot>parse(Kafka.consume(out, oracle.size(), Duration.ofSeconds(30), true), ActivitySnapshot::newBuilder)) {
      snapshots.add(s.toBuilder().clearPane().build());
    }
    report("activity", EVENTS, List.copyOf(oracle.values()), snapshots, kills, job, "");
  }

  /**
   * Waits until the exactly-once sink has committed to the topic and a checkpoint has completed
   * after that, so that the sink's state is in every checkpoint the job may restore. Beam's
   * KafkaExactlyOnceSink refuses to go on when Kafka holds a shard's commit but the restored
   * state has no entry for the shard ("Kafka metadata exists for shard 0, but there is no stored
   * state for it"): on Flink that happens when a failure falls between a shard's first
   * transaction and the next checkpoint.
   */
  private static void awaitFirstCommit(String job, String topic) throws Exception {
    awaitCount(topic, 1, Duration.ofMinutes(4));
    awaitCheckpoint(job);
  }

  /** Waits until the job runs with every subtask and has completed a checkpoint since this call. */
  private static void awaitCheckpoint(String job) throws Exception {
    long before = cluster.completedCheckpoints(job);
    FlinkCluster.await(
        "a new checkpoint of job " + job,
        Duration.ofMinutes(4),
        () -> {
          try {
            return cluster.allRunning(job) && cluster.completedCheckpoints(job) > before;
          } catch (Exception e) {
            throw new IllegalStateException(e);
          }
        });
  }

  /**
   * Kills a TaskManager that runs the job's subtasks {@value #KILLS} times (the two in turn when
   * both do) with {@code kill -9}, spread over the output: kill k waits until the topic holds
   * k/(KILLS+1) of the expected records, the job runs again and has completed a checkpoint. Each
   * kill must fail the job (a subtask restarted: {@link FlinkCluster#attempts} grew); the
   * TaskManager is started again. Returns what the output held at each kill.
   */
  private static List<String> killTaskManagers(String job, String topic, int expected, Supplier<String> progress)
      throws Exception {
    List<String> kills = new ArrayList<>();
    for (int k = 0; k < KILLS; k++) {
      awaitCount(topic, (int) ((long) expected * (k + 1) / (KILLS + 1)), Duration.ofMinutes(8));
      awaitCheckpoint(job);
      List<String> hosts = List.copyOf(cluster.taskManagersOf(job));
      String taskManager = hosts.get(k % hosts.size());
      long attempts = cluster.attempts(job);
      kills.add(taskManager + " (of " + hosts + ") at " + progress.get());
      FlinkCluster.killTaskManager(taskManager);
      FlinkCluster.await(
          "job " + job + " to fail after the kill of " + taskManager,
          Duration.ofMinutes(2),
          () -> {
            try {
              return cluster.attempts(job) > attempts;
            } catch (Exception e) {
              throw new IllegalStateException(e);
            }
          });
      FlinkCluster.startMissing();
    }
    return kills;
  }

  /** Waits until a topic holds at least {@code count} committed records. */
  private static void awaitCount(String topic, int count, Duration deadline) throws Exception {
    FlinkCluster.await(
        count + " committed records in " + topic,
        deadline,
        () -> Kafka.committed(topic).size() >= count);
  }

  /**
   * Prints the comparison (events in, outputs, lost, duplicated) and fails if anything was lost,
   * duplicated or unexpected.
   */
  private static <T> void report(
      String pipeline, int events, List<T> expected, List<T> actual, List<String> kills, String job, String extra)
      throws Exception {
    Diff<T> diff = Diff.of(expected, actual);
    int duplicated = actual.size() - new HashSet<>(actual).size();
    System.out.printf(
        "%s on the Flink cluster: events in %d, outputs expected %d, committed %d, lost %d, duplicated %d,"
            + " unexpected %d; TaskManagers killed: %s; job restarts %d; %s%n",
        pipeline, events, expected.size(), actual.size(), diff.missing().size(), duplicated,
        diff.unexpected().size() - duplicated, kills, cluster.restarts(job), extra);
    assertEquals(List.of(), diff.missing().stream().limit(20).toList(), pipeline + ": outputs lost (first 20)");
    assertEquals(List.of(), diff.unexpected().stream().limit(20).toList(), pipeline + ": outputs duplicated or unexpected (first 20)");
  }

  private static <T extends Message> List<T> parse(List<byte[]> json, Supplier<? extends Message.Builder> builder)
      throws Exception {
    List<T> out = new ArrayList<>();
    for (byte[] j : json) {
      Message.Builder b = builder.get();
      JsonFormat.parser().merge(new String(j, UTF_8), b);
      @SuppressWarnings("unchecked")
      T message = (T) b.build();
      out.add(message);
    }
    return out;
  }

  /** The lines of every file under a directory. */
  private static List<String> lines(Path directory) throws Exception {
    if (!Files.isDirectory(directory)) {
      return List.of();
    }
    List<String> lines = new ArrayList<>();
    try (Stream<Path> files = Files.walk(directory)) {
      for (Path f : files.filter(Files::isRegularFile).filter(f -> !f.getFileName().toString().startsWith(".")).toList()) {
        lines.addAll(Files.readAllLines(f));
      }
    }
    return lines;
  }

  /** A command run on another thread. */
  private static java.util.concurrent.CompletableFuture<FlinkCluster.Result> async(
      java.util.concurrent.Callable<FlinkCluster.Result> command) {
    return java.util.concurrent.CompletableFuture.supplyAsync(
        () -> {
          try {
            return command.call();
          } catch (Exception e) {
            throw new IllegalStateException(e);
          }
        });
  }

  @SafeVarargs
  private static List<String> concat(List<String>... parts) {
    List<String> all = new ArrayList<>();
    for (List<String> p : parts) {
      all.addAll(p);
    }
    return all;
  }
}
