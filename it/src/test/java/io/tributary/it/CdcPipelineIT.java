package io.tributary.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.tributary.io.redis.RedisSink;
import io.tributary.pipelines.cdc.CdcOptions;
import io.tributary.pipelines.cdc.CdcPipeline;
import io.tributary.pipelines.cdc.ChangeGenerator;
import io.tributary.proto.cdc.ConnectRecord;
import io.tributary.testing.Diff;
import io.tributary.transforms.cdc.SourcePositions;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.apache.avro.generic.GenericRecord;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.hadoop.conf.Configuration;
import org.apache.parquet.avro.AvroParquetReader;
import org.apache.parquet.hadoop.ParquetReader;
import org.apache.parquet.hadoop.util.HadoopInputFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import redis.clients.jedis.Jedis;

/**
 * The cdc pipeline end to end on its synthetic source against the test Redis, on the Direct runner
 * and on embedded Flink: the Redis cache equals the final tables (computed from the generated
 * Debezium JSON, not by the pipeline's code), fences hold the last position of every row, the
 * online features are those of each entity's newest change, and the Parquet lake read back holds
 * every change (and every offline feature row), with the added column in later orders files.
 *
 * <p>Also with Redis down for 30 s, both runners at once: the Redis server is stopped (SIGSTOP:
 * connections hang, as in a network outage) as the two pipelines start and resumed 30 s later, so
 * every cache and feature write meets the outage; with a retry budget longer than it ({@code
 * --redisMaxAttempts=10 --redisInitialBackoff=1s}) each run waits it out and ends with the same
 * cache, features and lake.
 */
@Timeout(value = 5, unit = java.util.concurrent.TimeUnit.MINUTES)
class CdcPipelineIT {
  private static final ObjectMapper MAPPER = new ObjectMapper();
  private static final int EVENTS = 1500;
  private static final int ROWS = 20;
  private static final int SCHEMA_CHANGE_AT = 150;
  private static final int OUTAGE_SECONDS = 30;

  /** Per service: cache key prefix, hash layout or not, cached fields (null: all). */
  private record CacheRule(String key, boolean hash, List<String> fields) {}

  private static final Map<String, CacheRule> CACHE =
      Map.of(
          "orders", new CacheRule("order:", true, null),
          "users", new CacheRule("user:", false, null),
          "payments", new CacheRule("payment:", false, null),
          "inventory", new CacheRule("stock:", true, List.of("sku", "quantity", "warehouse")),
          "shipping", new CacheRule("shipment:", true, null));

  private static final Map<String, String> DATASETS =
      Map.of("orders", "orders", "users", "users", "payments", "payments", "inventory", "stock", "shipping", "shipments");

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"DirectRunner", "FlinkRunner"})
  void cacheLakeAndFeaturesEqualTheGeneratedTables(String runner, @TempDir Path lake) throws Exception {
    Run run = new Run(runner, false, lake);
    long started = System.nanoTime();
    run.pipeline.run().waitUntilFinish();
    System.out.printf(Locale.ROOT, "cdc pipeline (%s): ran %.1f s%n", runner, (System.nanoTime() - started) / 1e9);
    run.check();
  }

  /**
   * Both runners at once through one outage: each pipeline runs in a thread of its own while Redis
   * is down for {@value #OUTAGE_SECONDS} s from their start, then each is checked as above.
   */
  @Test
  void bothRunnersWaitOutARedisOutage(@TempDir Path dir) throws Exception {
    List<Run> runs = new ArrayList<>();
    for (String runner : List.of("DirectRunner", "FlinkRunner")) {
      runs.add(new Run(runner, true, dir.resolve(runner)));
    }
    ExecutorService threads = Executors.newFixedThreadPool(runs.size());
    try {
      List<Future<Double>> seconds = new ArrayList<>();
      long started = System.nanoTime();
      try (RedisOutage outage = RedisOutage.start(Duration.ofSeconds(OUTAGE_SECONDS))) {
        for (Run run : runs) {
          seconds.add(threads.submit(() -> {
            run.pipeline.run().waitUntilFinish();
            return (System.nanoTime() - started) / 1e9;
          }));
        }
        for (Future<Double> s : seconds) {
          s.get(4, TimeUnit.MINUTES);
        }
      }
      for (int i = 0; i < runs.size(); i++) {
        double s = seconds.get(i).get();
        System.out.printf(Locale.ROOT, "cdc pipeline (%s), Redis down for %d s from its start: ran %.1f s%n",
            runs.get(i).runner, OUTAGE_SECONDS, s);
        assertTrue(s >= OUTAGE_SECONDS, runs.get(i).runner + " waited out the outage: " + s + " s");
      }
    } finally {
      threads.shutdownNow();
    }
    for (Run run : runs) {
      run.check();
    }
  }

  /** One pipeline run: its options, its cache and feature prefixes, its lake directory. */
  private static final class Run {
    final String runner;
    final String cachePrefix;
    final String featurePrefix;
    final Path lake;
    final org.apache.beam.sdk.Pipeline pipeline;

    Run(String runner, boolean outage, Path lake) {
      this.runner = runner;
      this.lake = lake;
      String run = UUID.randomUUID().toString().substring(0, 8);
      this.cachePrefix = "cdc-it-" + run + ":";
      this.featurePrefix = "cdc-it-" + run + ":feature:";
      List<String> args =
          new ArrayList<>(
              List.of(
                  "--runner=" + runner,
                  "--maxEvents=" + EVENTS,
                  "--rowsPerTable=" + ROWS,
                  "--schemaChangeAt=" + SCHEMA_CHANGE_AT,
                  "--eventsPerSecond=50",
                  "--lakePath=" + lake,
                  "--redisHost=" + Services.redisHost(),
                  "--redisPort=" + Services.redisPort(),
                  "--cacheKeyPrefix=" + cachePrefix,
                  "--featureKeyPrefix=" + featurePrefix,
                  "--sink=files",
                  "--outputPath=" + lake.resolve("changes-view"),
                  "--deadLetter=files",
                  "--deadLetterPath=" + lake.resolve("dead")));
      if (runner.equals("FlinkRunner")) {
        args.addAll(List.of("--flinkMaster=[local]", "--parallelism=2"));
      }
      if (outage) {
        args.addAll(List.of("--redisMaxAttempts=10", "--redisInitialBackoff=1s"));
      }
      CdcOptions options = PipelineOptionsFactory.fromArgs(args.toArray(String[]::new)).as(CdcOptions.class);
      this.pipeline = CdcPipeline.create(options);
    }

    /** The cache, features, lake and dead letters against the oracle. */
    void check() throws Exception {
      verify(runner, cachePrefix, lake);
    }
  }

  private static void verify(String runner, String cachePrefix, Path lake) throws Exception {
    // The oracle, from the generated records' JSON.
    ChangeGenerator generator = new ChangeGenerator(42, 1_700_000_000_000L, 50, ROWS, SCHEMA_CHANGE_AT);
    Map<String, String> expectedCache = new TreeMap<>();
    Map<String, String> expectedFeatures = new TreeMap<>();
    List<String> expectedLake = new ArrayList<>();
    for (long i = 0; i < EVENTS; i++) {
      ConnectRecord record = generator.at(i);
      JsonNode payload = MAPPER.readTree(record.getValue().toByteArray()).get("payload");
      String service = ChangeGenerator.service(i);
      String op = payload.get("op").asText();
      JsonNode row = op.equals("d") ? payload.get("before") : payload.get("after");
      String id = row.get("id").asText();
      String position = position(payload.get("source"));
      CacheRule rule = CACHE.get(service);
      String key = rule.key() + id;
      expectedCache.put(key + RedisSink.FENCE_SUFFIX, position);
      if (op.equals("d")) {
        expectedCache.remove(key);
      } else {
        expectedCache.put(key, rule.hash() ? hashText(row, rule.fields()) : MAPPER.readTree(row.toString()).toString());
      }
      expectedLake.add(DATASETS.get(service) + " " + op + " " + position + " id=" + id);
      // Features of one table's log are versioned by event time, origin (the table id) and position.
      JsonNode source = payload.get("source");
      String origin = source.get("db").asText() + "." + (source.hasNonNull("schema") ? source.get("schema").asText() + "." : "") + source.get("table").asText();
      String version = String.format(Locale.ROOT, "%020d@%s@%s", source.get("ts_ms").asLong(), origin, position);
      switch (service) {
        case "orders" -> {
          feature(expectedFeatures, "customer:" + row.get("customer_id").asText(), "last_order_total_cents", op, row.get("total_cents"), version);
          feature(expectedFeatures, "customer:" + row.get("customer_id").asText(), "last_order_status", op, row.get("status"), version);
          expectedLake.add("features_customer c " + position + " id=" + row.get("customer_id").asText());
        }
        case "users" -> {
          feature(expectedFeatures, "user:" + id, "tier", op, row.get("tier"), version);
          feature(expectedFeatures, "user:" + id, "active", op, row.get("active"), version);
          expectedLake.add("features_user c " + position + " id=" + id);
        }
        case "inventory" -> {
          feature(expectedFeatures, "sku:" + row.get("sku").asText(), "stock_quantity", op, row.get("quantity"), version);
          expectedLake.add("features_sku c " + position + " id=" + row.get("sku").asText());
        }
        default -> {}
      }
    }

    try (Jedis jedis = RedisSinkIT.jedis()) {
      Map<String, String> cache = new TreeMap<>();
      Map<String, String> features = new TreeMap<>();
      for (Map.Entry<String, String> e : RedisSinkIT.dump(jedis, cachePrefix).entrySet()) {
        if (e.getKey().startsWith("feature:")) {
          features.put(e.getKey().substring("feature:".length()), e.getValue().substring("hash ".length()));
          continue;
        }
        String value = e.getValue().substring(e.getValue().indexOf(' ') + 1);
        // Compare JSON documents as trees parsed the same way as the oracle's.
        cache.put(e.getKey(), value.startsWith("{\"") ? MAPPER.readTree(value).toString() : value);
      }
      assertEquals(expectedCache, cache, runner + " cache:\n" + Diff.of(expectedCache.entrySet(), cache.entrySet()));
      assertEquals(expectedFeatures, features, runner + " features:\n" + Diff.of(expectedFeatures.entrySet(), features.entrySet()));
      assertTrue(jedis.pttl(cachePrefix + "order:1:__v") != -2, "fence of order 1 exists");
    }

    List<String> actualLake = new ArrayList<>();
    Set<Boolean> ordersWithCoupon = new HashSet<>();
    try (Stream<Path> files = Files.walk(lake)) {
      for (Path f : (Iterable<Path>) files.filter(p -> p.toString().endsWith(".parquet"))::iterator) {
        String dataset = f.getParent().getParent().getParent().getFileName().toString().replace("table=", "");
        for (GenericRecord r : read(f)) {
          boolean feature = dataset.startsWith("features_");
          Object id = feature ? r.get("entity_id") : r.get("id");
          actualLake.add(dataset + " " + r.get("_op") + " " + r.get("_position") + " id=" + id);
          if (dataset.equals("orders")) {
            ordersWithCoupon.add(r.getSchema().getField("coupon") != null);
          }
        }
      }
    }
    Diff<String> lakeDiff = Diff.of(expectedLake, actualLake);
    assertTrue(lakeDiff.isEmpty(), runner + " lake: " + lakeDiff);
    assertEquals(Set.of(true, false), ordersWithCoupon, "orders files before and after the added column");
    try (Stream<Path> dead = Files.walk(lake.resolve("dead"))) {
      long lines = 0;
      for (Path f : (Iterable<Path>) dead.filter(Files::isRegularFile)::iterator) {
        lines += Files.readAllLines(f).stream().filter(l -> !l.isBlank()).count();
      }
      assertEquals(0, lines, "no failures");
    } catch (java.nio.file.NoSuchFileException e) {
      // No failure file at all: no failures.
    }
  }

  private static void feature(Map<String, String> expected, String entity, String name, String op, JsonNode value, String version) {
    Map<String, String> hash = new TreeMap<>(parse(expected.getOrDefault(entity, "{}")));
    hash.put(name + ":__t", version);
    if (op.equals("d") || value == null || value.isNull()) {
      hash.remove(name);
    } else {
      hash.put(name, value.asText());
    }
    expected.put(entity, hash.toString());
  }

  /** Parses a TreeMap's toString of simple values back (no commas or '=' in values here). */
  private static Map<String, String> parse(String text) {
    Map<String, String> out = new TreeMap<>();
    String body = text.substring(1, text.length() - 1);
    if (body.isEmpty()) {
      return out;
    }
    for (String entry : body.split(", ")) {
      int eq = entry.indexOf('=');
      out.put(entry.substring(0, eq), entry.substring(eq + 1));
    }
    return out;
  }

  private static String hashText(JsonNode row, List<String> fields) {
    Map<String, String> hash = new TreeMap<>();
    for (Iterator<Map.Entry<String, JsonNode>> it = row.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> f = it.next();
      if ((fields == null || fields.contains(f.getKey())) && !f.getValue().isNull()) {
        hash.put(f.getKey(), f.getValue().asText());
      }
    }
    return hash.toString();
  }

  /** The order key of a generated source block (PostgreSQL sequence + LSN, or binlog). */
  private static String position(JsonNode source) {
    if (source.has("lsn")) {
      JsonNode sequence;
      try {
        sequence = MAPPER.readTree(source.get("sequence").asText());
      } catch (IOException e) {
        throw new IllegalStateException(e);
      }
      return SourcePositions.postgres(source.get("lsn").asLong(), sequence.get(0).asLong(), 0).getOrderKey();
    }
    return SourcePositions.binlog(source.get("file").asText(), source.get("pos").asLong(), source.get("row").asInt(), "", 0)
        .getOrderKey();
  }

  /** Every record of a Parquet file. */
  static List<GenericRecord> read(Path file) throws IOException {
    List<GenericRecord> out = new ArrayList<>();
    try (ParquetReader<GenericRecord> reader =
        AvroParquetReader.<GenericRecord>builder(
                HadoopInputFile.fromPath(new org.apache.hadoop.fs.Path(file.toUri()), new Configuration()))
            .build()) {
      for (GenericRecord r = reader.read(); r != null; r = reader.read()) {
        out.add(r);
      }
    }
    return out;
  }
}
