package io.tributary.pipelines.fraud;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.tributary.pipelines.dashboard.Board;
import io.tributary.pipelines.dashboard.Meter;
import io.tributary.pipelines.dashboard.Operated;
import io.tributary.pipelines.dashboard.PageJson;
import io.tributary.proto.fraud.FraudAlert;
import io.tributary.proto.fraud.ScoredTransaction;
import io.tributary.proto.fraud.Transaction;
import io.tributary.transforms.fraud.Fraud;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Locale;
import java.util.NavigableMap;
import java.util.TreeMap;
import org.apache.beam.sdk.metrics.MetricQueryResults;
import org.apache.beam.sdk.transforms.DoFn;

/**
 * The model of the fraud page: a live feed of the newest {@value #FEED} alerts with their
 * explanation, alerts per minute of event time over the last {@value #CHART_MINUTES} minutes, the
 * counts of scored transactions and alerts, and, when the source knows which transactions are
 * fraud (the synthetic one), the rule's precision and recall so far.
 */
public final class FraudBoard implements Operated {
  static final int FEED = 50;
  static final int CHART_MINUTES = 30;
  /** The board of this JVM, fed by the in-process pipeline's steps. */
  public static final Board<FraudBoard> BOARD = new Board<>("fraud", new FraudBoard());

  public static final Meter METER = Meter.named("fraud");

  /** An alert and, when known, whether the transaction was fraud. */
  record Shown(FraudAlert alert, Boolean fraud) {}

  private final Deque<Shown> feed = new ArrayDeque<>();
  private final NavigableMap<Long, Long> perMinute = new TreeMap<>();
  private String rule = "";
  private long scored;
  private long alerts;
  private boolean truthKnown;
  private long injected;
  private long truePositives;
  private long falsePositives;
  private long late;
  private Meter.Reading ops;

  /** A scored transaction; {@code fraud} is the source's truth, null if unknown. */
  public void scored(ScoredTransaction t, Boolean fraud) {
    scored++;
    if (fraud != null) {
      truthKnown = true;
      injected += fraud ? 1 : 0;
      if (t.getFlagged()) {
        if (fraud) {
          truePositives++;
        } else {
          falsePositives++;
        }
      }
    }
  }

  /** An alert; {@code fraud} is the source's truth, null if unknown. */
  public void alert(FraudAlert alert, Boolean fraud) {
    alerts++;
    rule = alert.getRule();
    feed.addFirst(new Shown(alert, fraud));
    while (feed.size() > FEED) {
      feed.removeLast();
    }
    long minute = Math.floorDiv(alert.getTransaction().getEventTimeMillis(), 60_000L) * 60_000L;
    perMinute.merge(minute, 1L, Long::sum);
    perMinute.headMap(perMinute.lastKey() - CHART_MINUTES * 60_000L, false).clear();
  }

  public void clear() {
    feed.clear();
    perMinute.clear();
    rule = "";
    scored = alerts = injected = truePositives = falsePositives = late = 0;
    truthKnown = false;
    ops = null;
  }

  @Override
  public void operations(Meter.Reading reading) {
    ops = reading;
  }

  @Override
  public void metrics(MetricQueryResults metrics) {
    late = Operated.counter(metrics, Fraud.METRICS_NAMESPACE, "late");
  }

  @Override
  public ObjectNode toJson(ObjectMapper mapper) {
    ObjectNode root = mapper.createObjectNode();
    root.put("title", "Card fraud");
    root.put("subtitle", rule.isEmpty() ? "no alert yet" : "alert when " + rule);
    PageJson.card(root, "scored", "Transactions scored", scored, "integer");
    PageJson.card(root, "alerts", "Alerts", alerts, "integer");
    PageJson.card(root, "alertRate", "Alert rate", scored == 0 ? null : (double) alerts / scored, "percent");
    if (truthKnown) {
      long flagged = truePositives + falsePositives;
      PageJson.card(root, "injected", "Injected fraud", injected, "integer");
      PageJson.card(root, "precision", "Precision", flagged == 0 ? null : (double) truePositives / flagged, "percent");
      PageJson.card(root, "recall", "Recall", injected == 0 ? null : (double) truePositives / injected, "percent");
    }
    PageJson.chart(root, "Alerts per minute of event time (UTC)", perMinute);
    ArrayNode rows =
        PageJson.table(
            root, "alerts", "Latest alerts", "time (UTC)", "card", "amount", "merchant", "ratio",
            "preceding window", "transaction", "truth");
    for (Shown s : feed) {
      rows.add(row(rows, s));
    }
    PageJson.ops(root, ops, late);
    return root;
  }

  private static ArrayNode row(ArrayNode rows, Shown s) {
    FraudAlert a = s.alert();
    Transaction t = a.getTransaction();
    ArrayNode row = rows.arrayNode();
    row.add(Instant.ofEpochMilli(t.getEventTimeMillis()).toString());
    row.add(t.getCardId());
    row.add(amount(t.getAmountMinor()) + " " + t.getCurrency());
    row.add(
        (t.getMerchant().isEmpty() ? "?" : t.getMerchant())
            + " (" + (t.getMerchantCategory().isEmpty() ? "?" : t.getMerchantCategory())
            + ", " + (t.getCountry().isEmpty() ? "?" : t.getCountry()) + ")");
    row.add(String.format(Locale.ROOT, "%.1fx", a.getRatio()));
    row.add(
        "mean " + amount(a.getPreceding().getMeanMinor()) + " of " + a.getPreceding().getCount() + " in "
            + span(a.getPreceding().getWindowEndMillis() - a.getPreceding().getWindowStartMillis()));
    row.add(t.getTransactionId());
    row.add(s.fraud() == null ? "" : s.fraud() ? "fraud" : "legitimate");
    return row;
  }

  /** A window length in its largest whole unit, e.g. {@code 1 h}, {@code 90 min}. */
  static String span(long millis) {
    if (millis % 3_600_000 == 0) {
      return millis / 3_600_000 + " h";
    }
    if (millis % 60_000 == 0) {
      return millis / 60_000 + " min";
    }
    return millis % 1000 == 0 ? millis / 1000 + " s" : millis + " ms";
  }

  /** Minor units as a decimal amount with grouping, e.g. {@code 1,234.00}. */
  static String amount(double minor) {
    return String.format(Locale.ROOT, "%,.2f", minor / 100.0);
  }

  static final class ScoredFn extends DoFn<ScoredTransaction, Void> {
    private final TransactionGenerator truth;

    /** @param truth the synthetic source, which knows which transactions are fraud; or null */
    ScoredFn(TransactionGenerator truth) {
      this.truth = truth;
    }

    @ProcessElement
    public void process(@Element ScoredTransaction t) {
      Boolean fraud = truth == null ? null : truth.isInjectedFraud(t.getTransaction().getTransactionId());
      BOARD.quietly(m -> m.scored(t, fraud));
    }
  }

  static final class AlertFn extends DoFn<FraudAlert, Void> {
    private final TransactionGenerator truth;

    AlertFn(TransactionGenerator truth) {
      this.truth = truth;
    }

    @ProcessElement
    public void process(@Element FraudAlert a) {
      Boolean fraud = truth == null ? null : truth.isInjectedFraud(a.getTransaction().getTransactionId());
      BOARD.update(m -> m.alert(a, fraud));
    }
  }
}
