package io.tributary.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tributary.pipelines.activity.PageViewGenerator;
import io.tributary.transforms.activity.PageViewJson;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Secrets never reach the logs or the dead letters: the pipelines run through the launcher with
 * logging at INFO (Kafka's clients print their whole config there), and everything they print and
 * every dead-letter file is searched for each secret. {@code SecretsTest} (pipelines) covers
 * display data and the serialized options.
 *
 * <ul>
 *   <li>activity reads a Kafka topic of good and bad records with Kafka passwords in {@code
 *       --consumerProperties}: it runs, dead-letters the bad records, and prints neither password;
 *   <li>fraud with a Redis password the test Redis refuses, and with a PostgreSQL password the
 *       test PostgreSQL refuses: each run fails with an error that names the option, not the
 *       password.
 * </ul>
 */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class SecretsIT {
  private static final Path LAUNCHER = FlinkCluster.ROOT.resolve("runners/bin/tributary");

  @Test
  void kafkaPasswordsAreNeitherLoggedNorDeadLettered(@TempDir Path dir) throws Exception {
    String truststore = "ts-" + UUID.randomUUID();
    String token = "tok-" + UUID.randomUUID();
    String topic = Kafka.uniqueTopic("secrets-views");
    Kafka.createTopics(topic);
    PageViewGenerator generator = new PageViewGenerator(3, 1_700_000_000_000L, 20, 40, 0, 1_800_000);
    List<byte[]> records = new ArrayList<>();
    for (int i = 0; i < 40; i++) {
      records.add(i % 4 == 0 ? ("{\"bad\": " + i).getBytes(StandardCharsets.UTF_8) : PageViewJson.format(generator.at(i)));
    }
    Kafka.produce(topic, records);
    List<String> command = new ArrayList<>(List.of(LAUNCHER.toString(), "activity"));
    command.addAll(Kafka.boundedSourceArgs(topic, records.size()));
    command.addAll(List.of(
        // Ignored by a PLAINTEXT consumer, but printed (masked or not) with its config.
        "--consumerProperties=ssl.truststore.password=" + truststore + ",custom.api.secret=" + token,
        "--sink=none", "--deadLetter=files", "--deadLetterPath=" + dir.resolve("dead")));
    Run run = launch(command);
    assertEquals(0, run.exitCode, "activity run:\n" + run.output);
    assertTrue(run.output.contains("ssl.truststore.password"), "the consumer config is logged at INFO:\n" + run.output);
    String dead = readAll(dir.resolve("dead"));
    assertTrue(dead.contains("\\\"bad\\\"") || dead.contains("bad"), "bad records dead-lettered: " + dead);
    for (String secret : List.of(truststore, token)) {
      assertNoSecret(secret, "activity output", run.output);
      assertNoSecret(secret, "activity dead letters", dead);
    }
    System.out.printf("secrets (activity, kafka): %d characters of INFO output and %d of dead letters hold neither password%n",
        run.output.length(), dead.length());
  }

  @Test
  void refusedRedisAndPostgresPasswordsAreNamedNotShown(@TempDir Path dir) throws Exception {
    String redis = "redis-" + UUID.randomUUID();
    Run redisRun = launch(List.of(LAUNCHER.toString(), "fraud", "--maxEvents=100", "--sink=redis",
        "--redisHost=" + Services.redisHost(), "--redisPort=" + Services.redisPort(), "--redisPassword=" + redis));
    assertNotEquals(0, redisRun.exitCode, "fraud with a refused Redis password:\n" + redisRun.output);
    assertTrue(redisRun.output.contains("--redisPassword"), "the error names the option:\n" + redisRun.output);
    assertNoSecret(redis, "fraud (redis) output", redisRun.output);

    String postgres = "pg-" + UUID.randomUUID();
    Run pgRun = launch(List.of(LAUNCHER.toString(), "fraud", "--maxEvents=100", "--sink=postgres",
        "--postgresUrl=" + Services.postgresJdbcUrl(Services.postgresDatabase()), "--postgresUser=" + Services.postgresUser(),
        "--postgresPassword=" + postgres, "--deadLetter=files", "--deadLetterPath=" + dir.resolve("dead")));
    // The test server trusts loopback connections, so a wrong password may still be let in: then
    // the run succeeds; either way the password is printed nowhere.
    assertNoSecret(postgres, "fraud (postgres) output", pgRun.output);
    assertNoSecret(postgres, "fraud (postgres) dead letters", readAll(dir.resolve("dead")));
    System.out.printf("secrets (fraud): refused Redis password: exit %d, option named, password not shown;"
        + " PostgreSQL password: exit %d, not shown%n", redisRun.exitCode, pgRun.exitCode);
  }

  private record Run(int exitCode, String output) {}

  /** Runs the launcher with logging at INFO; returns its exit code and everything it printed. */
  private static Run launch(List<String> command) throws Exception {
    ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
    builder.environment().put("JAVA_OPTS", "-Xmx1g -Dorg.slf4j.simpleLogger.defaultLogLevel=info");
    Process p = builder.start();
    byte[] out = p.getInputStream().readAllBytes();
    assertTrue(p.waitFor(3, TimeUnit.MINUTES), "no exit within 3 minutes: " + command);
    return new Run(p.exitValue(), new String(out, StandardCharsets.UTF_8));
  }

  private static void assertNoSecret(String secret, String where, String text) {
    int at = text.indexOf(secret);
    assertEquals(-1, at, where + " shows a secret: " + (at < 0 ? "" : text.substring(Math.max(0, at - 200), at + secret.length())));
  }

  /** Every file under dir, concatenated (empty when dir does not exist). */
  private static String readAll(Path dir) throws IOException {
    if (!Files.exists(dir)) {
      return "";
    }
    StringBuilder all = new StringBuilder();
    try (Stream<Path> files = Files.walk(dir)) {
      for (Path f : (Iterable<Path>) files.filter(Files::isRegularFile)::iterator) {
        all.append(new String(Files.readAllBytes(f), StandardCharsets.UTF_8)).append('\n');
      }
    }
    return all.toString();
  }
}
