package io.tributary.it;

import static io.tributary.it.CdcServices.awaitRecords;
import static io.tributary.it.CdcServices.check;
import static io.tributary.it.CdcServices.run;

import io.tributary.it.CdcServices.Change;
import io.tributary.it.CdcServices.Db;
import io.tributary.it.CdcServices.Table;
import io.tributary.it.CdcServices.Workload;
import io.tributary.it.cdc.Capture;
import io.tributary.pipelines.cdc.CdcOptions;
import io.tributary.pipelines.cdc.CdcPipeline;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The cdc pipeline end to end on real change capture, on the Direct runner and on embedded Flink
 * (after each phase, one run on each over the same topics):
 * five service databases (PostgreSQL: orders with an outbox, payments, shipping; MariaDB: users,
 * inventory) -> Debezium in a Kafka Connect worker ({@link Capture}) -> Kafka -> the cdc pipeline
 * reading the topics by pattern -> Redis cache, Parquet lake, feature store.
 *
 * <p>Phase 1: snapshot rows, then inserts, updates, deletes, a multi-row transaction with an
 * outbox insert; the pipeline reads exactly the records in the topics. Phase 2: the capture is
 * stopped, the workload goes on (columns added in both databases and rows using them), the capture
 * is started again (it resumes, no second snapshot), more changes follow, and the pipeline runs
 * again from the start of the topics (a replay of phase 1 plus the new changes). Phase 3: the
 * capture runs without flushing its offsets, changes follow in every database, and the worker is
 * killed (SIGKILL) and started again, so Debezium sends every change of the phase a second time;
 * the pipeline runs again from the start of the topics.
 *
 * <p>After each phase: the Kafka topics hold exactly the expected number of records (nothing lost
 * by the capture, and nothing repeated but what the kill makes it resend); the cache equals {@code SELECT *} of every cached table row for row
 * (deleted rows absent, their fences kept); the lake, read back with a Parquet reader, holds every
 * change exactly once (op and key per dataset) and the added columns' values; the online features
 * equal the current rows; nothing went to the dead letters.
 */
@Timeout(value = 5, unit = java.util.concurrent.TimeUnit.MINUTES)
class CdcEndToEndIT {
  /** The values of the columns added in phase 2, which the lake must hold from then on. */
  private static final Set<String> ADDED_COLUMNS =
      Set.of("orders 5 coupon=SPRING", "orders 1 coupon=WELCOME", "orders 6 coupon=SPRING",
          "users 103 email=dee@example.com", "users 102 email=cyd@example.com");

  private static final List<String> RUNNERS = List.of("DirectRunner", "FlinkRunner");

  @Test
  void cacheLakeAndFeaturesFollowTheDatabasesAcrossRestarts(@TempDir Path dir) throws Exception {
    try (CdcServices s = new CdcServices("e2e", dir)) {
      Table orderTable = s.orderTable;
      Table outboxTable = s.outboxTable;
      Table paymentTable = s.paymentTable;
      Table shipmentTable = s.shipmentTable;
      Table userTable = s.userTable;
      Table stockTable = s.stockTable;
      Db orders = s.orders;
      Db users = s.users;
      Db inventory = s.inventory;
      String topics = s.topics;
      Workload w = new Workload();
      // Rows before the capture starts: the connectors' snapshot (op r).
      w.snapshot(orderTable, 1, "INSERT INTO orders VALUES (1, 100, 'new', 19.90)");
      w.snapshot(orderTable, 2, "INSERT INTO orders VALUES (2, 101, 'paid', 5.00)");
      w.snapshot(paymentTable, 1, "INSERT INTO payments VALUES (1, 2, 500, 'card')");
      w.snapshot(shipmentTable, 1, "INSERT INTO shipments VALUES (1, 2, 'dhl', false)");
      w.snapshot(userTable, 100, "INSERT INTO users VALUES (100, 'ada', 'gold', 50)");
      w.snapshot(userTable, 101, "INSERT INTO users VALUES (101, 'bob', 'silver', NULL)");
      w.snapshot(stockTable, "A-1", "INSERT INTO stock VALUES ('A-1', 'north', 10)");
      w.snapshot(stockTable, "B-2", "INSERT INTO stock VALUES ('B-2', 'south', 4)");

      Capture capture = s.startCapture(Duration.ofSeconds(1));
      try {
        // Phase 1: inserts, updates, deletes, one multi-row transaction with an outbox insert.
        w.change(orderTable, 3, "c", "INSERT INTO orders VALUES (3, 100, 'new', 42.00)");
        w.change(userTable, 102, "c", "INSERT INTO users VALUES (102, 'cyd', 'bronze', 5)");
        w.change(stockTable, "C-3", "c", "INSERT INTO stock VALUES ('C-3', 'north', 7)");
        w.change(orderTable, 1, "u", "UPDATE orders SET status = 'paid' WHERE id = 1");
        w.change(userTable, 101, "u", "UPDATE users SET tier = 'gold', credits = 20 WHERE id = 101");
        w.change(shipmentTable, 1, "u", "UPDATE shipments SET delivered = true WHERE id = 1");
        w.change(paymentTable, 2, "c", "INSERT INTO payments VALUES (2, 1, 1990, NULL)");
        w.change(stockTable, "B-2", "d", "DELETE FROM stock WHERE sku = 'B-2'");
        w.change(orderTable, 2, "d", "DELETE FROM orders WHERE id = 2");
        w.transaction(
            orders,
            List.of(
                new Change(orderTable, 4, "c", "INSERT INTO orders VALUES (4, 102, 'new', 7.25)"),
                new Change(orderTable, 3, "u", "UPDATE orders SET status = 'cancelled' WHERE id = 3"),
                new Change(outboxTable, 1, "c",
                    "INSERT INTO outbox VALUES (1, 'order', '4', 'OrderPlaced', '{\"id\":4,\"total\":7.25}')")));
        w.transaction(
            inventory,
            List.of(
                new Change(stockTable, "A-1", "u", "UPDATE stock SET quantity = quantity - 3 WHERE sku = 'A-1'"),
                new Change(stockTable, "C-3", "u", "UPDATE stock SET quantity = quantity - 2 WHERE sku = 'C-3'"),
                new Change(stockTable, "D-4", "c", "INSERT INTO stock VALUES ('D-4', 'east', 1)")));
        w.change(userTable, 100, "d", "DELETE FROM users WHERE id = 100");

        long phase1 = awaitRecords(topics, w.records);
        runPhase(1, s, w, phase1, dir, Set.of());

        // Phase 2: the capture stops; changes and schema changes go on while it is down.
        capture.stop();
        run(orders, "ALTER TABLE orders ADD COLUMN coupon TEXT");
        run(users, "ALTER TABLE users ADD COLUMN email VARCHAR(64)");
        w.change(orderTable, 5, "c", "INSERT INTO orders VALUES (5, 101, 'new', 12.50, 'SPRING')");
        w.change(orderTable, 1, "u", "UPDATE orders SET coupon = 'WELCOME', total = 17.90 WHERE id = 1");
        w.change(userTable, 103, "c", "INSERT INTO users VALUES (103, 'dee', 'silver', 0, 'dee@example.com')");
        w.change(userTable, 102, "u", "UPDATE users SET email = 'cyd@example.com', tier = 'silver' WHERE id = 102");
        w.change(paymentTable, 1, "d", "DELETE FROM payments WHERE id = 1");
        w.change(shipmentTable, 2, "c", "INSERT INTO shipments VALUES (2, 4, 'ups', false)");
        w.change(stockTable, "D-4", "u", "UPDATE stock SET quantity = 0, warehouse = 'west' WHERE sku = 'D-4'");
        capture.start();
        // ... and after it resumed.
        w.transaction(
            orders,
            List.of(
                new Change(orderTable, 6, "c", "INSERT INTO orders VALUES (6, 103, 'new', 3.10, 'SPRING')"),
                new Change(outboxTable, 2, "c",
                    "INSERT INTO outbox VALUES (2, 'order', '6', 'OrderPlaced', '{\"id\":6,\"total\":3.10}')"),
                new Change(orderTable, 4, "d", "DELETE FROM orders WHERE id = 4")));
        w.change(userTable, 101, "d", "DELETE FROM users WHERE id = 101");
        w.change(stockTable, "A-1", "u", "UPDATE stock SET quantity = 12 WHERE sku = 'A-1'");
        w.change(paymentTable, 2, "u", "UPDATE payments SET method = 'paypal' WHERE id = 2");
        w.change(shipmentTable, 1, "d", "DELETE FROM shipments WHERE id = 1");

        long phase2 = awaitRecords(topics, w.records);
        // The pipelines start again from the beginning of the topics: phase 1 is replayed.
        runPhase(2, s, w, phase2, dir, ADDED_COLUMNS);

        // Phase 3: the worker flushes no offset of this phase, then dies by SIGKILL; its restart
        // sends the whole phase again. The cache (fenced), the features (versioned) and the lake
        // (redeliveries dropped) must hold each change once.
        capture.stop();
        capture.start(Duration.ofHours(1));
        long beforeKill = w.records;
        w.change(orderTable, 7, "c", "INSERT INTO orders VALUES (7, 100, 'new', 8.00, NULL)");
        w.change(orderTable, 5, "u", "UPDATE orders SET status = 'paid' WHERE id = 5");
        w.change(userTable, 104, "c", "INSERT INTO users VALUES (104, 'eve', 'gold', 9, NULL)");
        w.change(userTable, 103, "u", "UPDATE users SET credits = 30 WHERE id = 103");
        w.change(stockTable, "A-1", "u", "UPDATE stock SET quantity = 11 WHERE sku = 'A-1'");
        w.change(paymentTable, 3, "c", "INSERT INTO payments VALUES (3, 5, 1250, 'card')");
        w.change(shipmentTable, 2, "d", "DELETE FROM shipments WHERE id = 2");
        awaitRecords(topics, w.records);
        capture.kill();
        capture.start();
        long resent = w.records - beforeKill;
        long phase3 = awaitRecords(topics, w.records + resent);
        System.out.printf("phase 3: %d of the records sent again after the kill%n", resent);
        runPhase(3, s, w, phase3, dir, ADDED_COLUMNS);
      } finally {
        capture.stop();
      }
    }
  }

  /**
   * Runs the pipeline on each runner in turn over the first {@code records} records of the
   * topics, each with its own cache and feature prefix, lake and dead letters, and checks each.
   */
  private static void runPhase(int phase, CdcServices s, Workload w, long records, Path dir, Set<String> columns)
      throws Exception {
    for (String runner : RUNNERS) {
      String cachePrefix = "e2e-" + s.id + "-" + runner + ":";
      String featurePrefix = cachePrefix + "feature:";
      Path lake = dir.resolve(runner).resolve("lake" + phase);
      Path dead = dir.resolve(runner).resolve("dead" + phase);
      long t = System.nanoTime();
      runPipeline(runner, s.topics, records, s.rules, lake, dead, cachePrefix, featurePrefix);
      System.out.printf("%s phase %d: %d records, pipeline %.1f s%n", runner, phase, records, (System.nanoTime() - t) / 1e9);
      check(runner + " phase " + phase, s.tables, w, cachePrefix, featurePrefix, lake, dead, columns);
    }
  }

  private static void runPipeline(String runner, String topics, long records, Path rules, Path lake, Path dead,
      String cachePrefix, String featurePrefix) {
    List<String> args =
        new ArrayList<>(
            List.of(
                "--runner=" + runner,
                "--source=kafka",
                "--kafkaBootstrapServers=" + Services.kafkaBootstrap(),
                "--inputTopic=" + topics,
                "--inputOffsetReset=earliest",
                "--maxInputRecords=" + records,
                "--rules=" + rules,
                "--lakePath=" + lake,
                "--redisHost=" + Services.redisHost(),
                "--redisPort=" + Services.redisPort(),
                "--cacheKeyPrefix=" + cachePrefix,
                "--featureKeyPrefix=" + featurePrefix,
                "--deadLetter=files",
                "--deadLetterPath=" + dead));
    if (runner.equals("FlinkRunner")) {
      args.addAll(List.of("--flinkMaster=[local]", "--parallelism=2"));
    }
    CdcOptions options = PipelineOptionsFactory.fromArgs(args.toArray(String[]::new)).as(CdcOptions.class);
    CdcPipeline.create(options).run().waitUntilFinish();
  }

}
