package io.tributary.it;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.greaterThan;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.protobuf.util.JsonFormat;
import io.tributary.pipelines.fraud.FraudOptions;
import io.tributary.pipelines.fraud.FraudPipeline;
import io.tributary.pipelines.fraud.TransactionGenerator;
import io.tributary.proto.fraud.FraudAlert;
import io.tributary.proto.fraud.Transaction;
import io.tributary.proto.sinks.FeatureRow;
import io.tributary.testing.Diff;
import io.tributary.transforms.fraud.FraudFeatures;
import io.tributary.transforms.fraud.FraudOracle;
import io.tributary.transforms.fraud.TransactionJson;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The fraud pipeline against the test Kafka broker, PostgreSQL and Redis ({@link Services}), on
 * the Direct runner and on embedded Flink: JSON transactions (and a bad record) produced to a
 * topic; alerts read back from Kafka and from the PostgreSQL table, and the cards' online features
 * in Redis, equal the brute-force oracle; a replay of the whole input leaves exactly one row per
 * alert in the table and the features as they were.
 */
@Timeout(value = 5, unit = java.util.concurrent.TimeUnit.MINUTES)
class FraudKafkaIT {
  private static final int TRANSACTIONS = 4000;

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"DirectRunner", "FlinkRunner"})
  void alertsInKafkaAndPostgresEqualTheOracleExactlyOnce(String runner) throws Exception {
    String in = Kafka.uniqueTopic("payments-" + runner);
    String out = Kafka.uniqueTopic("alerts-" + runner);
    String dead = Kafka.uniqueTopic("dead-" + runner);
    Kafka.createTopics(in, out, out + ".features", dead);
    String database = "fraud_" + runner.toLowerCase(Locale.ROOT).replace("runner", "");
    Services.createPostgresDatabase(database);
    String table = "alerts_" + Long.toHexString(System.nanoTime());
    String features = "it:fraud:" + table + ":";

    TransactionGenerator generator = new TransactionGenerator(21, 1_700_000_000_000L, 2, 30, 0.02, 2000);
    List<byte[]> records = new ArrayList<>();
    List<Transaction> transactions = new ArrayList<>();
    for (long i = 0; i < TRANSACTIONS; i++) {
      Transaction t = generator.at(i);
      transactions.add(t);
      records.add(TransactionJson.format(t));
    }
    records.add(1000, "{\"transaction_id\":\"x\",\"card_id\":\"c\",\"currency\":\"USD\",\"event_time\":0}".getBytes(UTF_8));
    Kafka.produce(in, records);

    List<String> args =
        new ArrayList<>(Kafka.boundedSourceArgs(in, records.size()));
    args.addAll(
            List.of(
                "--runner=" + runner,
                // Generated transactions are at most 2 s out of order: none is late.
                "--maxInputDelay=5s",
                "--sink=kafka,postgres,redis",
                "--outputTopic=" + out,
                "--redisHost=" + Services.redisHost(),
                "--redisPort=" + Services.redisPort(),
                "--featureKeyPrefix=" + features,
                "--postgresUrl=" + Services.postgresJdbcUrl(database),
                "--postgresUser=" + Services.postgresUser(),
                "--postgresPassword=" + Services.postgresPassword(),
                "--alertsTable=" + table,
                "--deadLetter=kafka",
                "--deadLetterTopic=" + dead));
    if (runner.equals("FlinkRunner")) {
      args.add("--flinkMaster=[local]");
      args.add("--parallelism=1");
    }
    FraudOptions options =
        PipelineOptionsFactory.fromArgs(args.toArray(new String[0])).as(FraudOptions.class);
    FraudOracle oracle =
        FraudOracle.inOrder(transactions, 3_600_000, 3.0, 3, FraudPipeline.score(options).rule());
    assertThat("the input exercises the rule", oracle.alerts.size(), greaterThan(20));

    FraudPipeline.create(options).run().waitUntilFinish();

    List<FraudAlert> alerts = new ArrayList<>();
    for (byte[] json : Kafka.consume(out, oracle.alerts.size(), Duration.ofSeconds(60))) {
      FraudAlert.Builder b = FraudAlert.newBuilder();
      JsonFormat.parser().merge(new String(json, UTF_8), b);
      alerts.add(b.build());
    }
    Diff<FraudAlert> diff = Diff.of(oracle.alerts, alerts);
    assertEquals(List.of(), diff.missing(), runner + ": alerts missing from topic " + out);
    assertEquals(List.of(), diff.unexpected(), runner + ": unexpected alerts in topic " + out);

    List<byte[]> failures = Kafka.consume(dead, 1, Duration.ofSeconds(30));
    assertEquals(1, failures.size(), runner + ": dead letters");
    assertThat(
        new ObjectMapper().readTree(failures.get(0)).get("reason").asText(),
        containsString("missing required field 'amount_minor'"));

    Map<String, Long> expectedRows = new TreeMap<>();
    oracle.alerts.forEach(
        a -> expectedRows.put(a.getTransaction().getTransactionId(), a.getTransaction().getAmountMinor()));
    assertEquals(expectedRows, rows(database, table), runner + ": rows of " + table);
    Map<String, Map<String, String>> cards = OnlineFeatures.expected(cardFeatures(oracle), features);
    OnlineFeatures.assertEqual(cards, OnlineFeatures.read(features), runner + ": card features in Redis");

    // A replay of the whole topic (a restarted job, a reprocessing) adds no row and leaves the
    // newest features.
    FraudPipeline.create(options).run().waitUntilFinish();
    assertEquals(expectedRows, rows(database, table), runner + ": rows of " + table + " after a replay");
    OnlineFeatures.assertEqual(cards, OnlineFeatures.read(features), runner + ": card features in Redis after a replay");
  }

  /** The feature rows of the oracle's scored transactions. */
  static List<FeatureRow> cardFeatures(FraudOracle oracle) {
    return oracle.scored.stream().map(FraudFeatures::featureRow).toList();
  }

  /** Transaction id to amount of every row; fails on a duplicate id (cannot happen with the key). */
  static Map<String, Long> rows(String database, String table) throws Exception {
    Map<String, Long> rows = new TreeMap<>();
    try (Connection c =
            DriverManager.getConnection(
                Services.postgresJdbcUrl(database), Services.postgresUser(), Services.postgresPassword());
        Statement s = c.createStatement();
        ResultSet r = s.executeQuery("SELECT transaction_id, amount_minor FROM " + table)) {
      while (r.next()) {
        if (rows.put(r.getString(1), r.getLong(2)) != null) {
          throw new AssertionError("two rows for " + r.getString(1));
        }
      }
    }
    return rows;
  }
}
