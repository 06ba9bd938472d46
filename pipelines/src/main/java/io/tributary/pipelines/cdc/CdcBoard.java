package io.tributary.pipelines.cdc;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.tributary.io.redis.RedisSink;
import io.tributary.pipelines.dashboard.Board;
import io.tributary.pipelines.dashboard.Meter;
import io.tributary.pipelines.dashboard.Operated;
import io.tributary.pipelines.dashboard.PageJson;
import io.tributary.proto.cdc.ChangeEvent;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashMap;
import java.util.Map;
import java.util.NavigableMap;
import java.util.TreeMap;
import org.apache.beam.sdk.metrics.MetricQueryResults;
import org.apache.beam.sdk.transforms.DoFn;

/**
 * The model of the cdc page: changes per table (by operation) and per second, rows routed to the
 * lake, the cache and the feature store, the writes Redis applied or fenced (from the pipeline's
 * counters, where the runner reports them while running), and the dead-lettered count.
 *
 * <p>Rates are changes per second of wall-clock time over the last {@value #RATE_SECONDS} s,
 * computed once a second; the chart shows the total rate over the last {@value #CHART_MINUTES}
 * minutes.
 */
public final class CdcBoard implements Operated {
  static final int RATE_SECONDS = 10;
  static final int CHART_MINUTES = 30;
  private static final String[] OPS = {"c", "u", "d", "r", "t"};
  /** The board of this JVM, fed by the in-process pipeline's steps. */
  public static final Board<CdcBoard> BOARD = new Board<>("cdc", new CdcBoard());

  public static final Meter METER = Meter.named("cdc");

  /** Changes of one table, by operation (c, u, d, r, t) and tombstones. */
  private static final class TableCounts {
    final long[] byOp = new long[OPS.length];
    long tombstones;

    long total() {
      long sum = tombstones;
      for (long n : byOp) {
        sum += n;
      }
      return sum;
    }
  }

  private record Sample(long atMillis, Map<String, Long> totals) {}

  private final Map<String, TableCounts> tables = new TreeMap<>();
  private final Deque<Sample> samples = new ArrayDeque<>();
  private final NavigableMap<Long, Double> ratePerSecond = new TreeMap<>();
  private final Map<String, Double> rates = new HashMap<>();
  private long lakeRows;
  private long cacheMutations;
  private long featureRows;
  private Long cacheApplied;
  private Long fenced;
  private Meter.Reading ops;

  public void change(ChangeEvent c) {
    TableCounts t = tables.computeIfAbsent(c.getTableId().isEmpty() ? "?" : c.getTableId(), k -> new TableCounts());
    if (c.getTombstone()) {
      t.tombstones++;
    } else {
      int op = c.getOpValue() - 1; // CREATE = 1 ... TRUNCATE = 5
      if (op >= 0 && op < OPS.length) {
        t.byOp[op]++;
      }
    }
  }

  public void lakeRow() {
    lakeRows++;
  }

  public void cacheMutation() {
    cacheMutations++;
  }

  public void featureRow() {
    featureRows++;
  }

  public void clear() {
    tables.clear();
    samples.clear();
    ratePerSecond.clear();
    rates.clear();
    lakeRows = cacheMutations = featureRows = 0;
    cacheApplied = fenced = null;
    ops = null;
  }

  @Override
  public void operations(Meter.Reading reading) {
    ops = reading;
    long now = System.currentTimeMillis();
    Map<String, Long> totals = new HashMap<>();
    tables.forEach((name, t) -> totals.put(name, t.total()));
    samples.addLast(new Sample(now, totals));
    while (samples.size() > 1 && samples.peekFirst().atMillis() < now - RATE_SECONDS * 1000L) {
      samples.removeFirst();
    }
    Sample first = samples.peekFirst();
    double seconds = Math.max(1, now - first.atMillis()) / 1000.0;
    double all = 0;
    rates.clear();
    for (Map.Entry<String, Long> e : totals.entrySet()) {
      double rate = (e.getValue() - first.totals().getOrDefault(e.getKey(), 0L)) / seconds;
      rates.put(e.getKey(), samples.size() > 1 ? rate : 0.0);
      all += samples.size() > 1 ? rate : 0.0;
    }
    ratePerSecond.put(now / 1000 * 1000, all);
    ratePerSecond.headMap(now - CHART_MINUTES * 60_000L, false).clear();
  }

  @Override
  public void metrics(MetricQueryResults metrics) {
    String ns = RedisSink.METRICS_NAMESPACE;
    cacheApplied = Operated.counter(metrics, ns, "cache.applied") + Operated.counter(metrics, ns, "cache.deleted");
    fenced =
        Operated.counter(metrics, ns, "cache.fenced")
            + Operated.counter(metrics, ns, "features.fenced")
            + Operated.counter(metrics, ns, "latest.fenced");
  }

  @Override
  public ObjectNode toJson(ObjectMapper mapper) {
    ObjectNode root = mapper.createObjectNode();
    root.put("title", "Change data capture");
    root.put("subtitle", "Debezium changes routed to the lake, the Redis cache and the feature store");
    long changes = tables.values().stream().mapToLong(TableCounts::total).sum();
    PageJson.card(root, "changes", "Changes", changes, "integer");
    PageJson.card(root, "tables", "Tables", tables.size(), "integer");
    PageJson.card(root, "lake", "Rows to the lake", lakeRows, "integer");
    PageJson.card(root, "cache", "Cache writes", cacheMutations, "integer");
    PageJson.card(root, "features", "Feature rows", featureRows, "integer");
    PageJson.card(root, "applied", "Cache writes applied", cacheApplied, "integer");
    PageJson.card(root, "fenced", "Writes fenced (stale)", fenced, "integer");
    PageJson.chart(root, "Changes per second (wall clock, UTC)", ratePerSecond);
    ArrayNode rows =
        PageJson.table(
            root, "tables", "Changes per table", "table", "changes/s", "total", "create", "update",
            "delete", "read (snapshot)", "truncate", "tombstones");
    tables.forEach(
        (name, t) -> {
          ArrayNode row = rows.addArray();
          row.add(name);
          row.add(rates.getOrDefault(name, 0.0));
          row.add(t.total());
          for (long n : t.byOp) {
            row.add(n);
          }
          row.add(t.tombstones);
        });
    PageJson.ops(root, ops, 0);
    return root;
  }

  static final class ChangeFn extends DoFn<ChangeEvent, Void> {
    @ProcessElement
    public void process(@Element ChangeEvent c) {
      BOARD.quietly(b -> b.change(c));
    }
  }

  /** Counts elements of one routed output: {@code lake}, {@code cache} or {@code features}. */
  static final class RoutedFn<T> extends DoFn<T, Void> {
    private final String output;

    RoutedFn(String output) {
      this.output = output;
    }

    @ProcessElement
    public void process(@Element T element) {
      switch (output) {
        case "lake" -> BOARD.quietly(CdcBoard::lakeRow);
        case "cache" -> BOARD.quietly(CdcBoard::cacheMutation);
        default -> BOARD.quietly(CdcBoard::featureRow);
      }
    }
  }
}
