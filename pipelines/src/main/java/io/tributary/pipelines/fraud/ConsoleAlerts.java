package io.tributary.pipelines.fraud;

import io.tributary.proto.fraud.FraudAlert;
import io.tributary.proto.fraud.Transaction;
import io.tributary.proto.fraud.WindowStats;
import java.util.Locale;
import org.apache.beam.sdk.transforms.DoFn;

/** The console sink of the fraud pipeline: one line per alert on standard output. */
final class ConsoleAlerts {
  private ConsoleAlerts() {}

  /**
   * One alert as a line, e.g. {@code ALERT 2026-11-24T10:15:30Z card-17 1,234.00 USD at Gadget
   * World (5732, FR) = 7.4x the mean 166.00 of 12 in the preceding PT1H  [tx-123]}.
   */
  static String line(FraudAlert alert) {
    Transaction t = alert.getTransaction();
    WindowStats w = alert.getPreceding();
    return String.format(
        Locale.ROOT,
        "ALERT %s %s %,.2f %s at %s (%s, %s) = %.1fx the mean %,.2f of %d in the preceding %s  [%s]",
        java.time.Instant.ofEpochMilli(t.getEventTimeMillis()),
        t.getCardId(),
        t.getAmountMinor() / 100.0,
        t.getCurrency(),
        t.getMerchant().isEmpty() ? "?" : t.getMerchant(),
        t.getMerchantCategory().isEmpty() ? "?" : t.getMerchantCategory(),
        t.getCountry().isEmpty() ? "?" : t.getCountry(),
        alert.getRatio(),
        w.getMeanMinor() / 100.0,
        w.getCount(),
        java.time.Duration.ofMillis(w.getWindowEndMillis() - w.getWindowStartMillis()),
        t.getTransactionId());
  }

  /** Prints each alert. */
  static final class PrintFn extends DoFn<FraudAlert, Void> {
    @ProcessElement
    public void process(@Element FraudAlert alert) {
      System.out.println(line(alert));
    }
  }
}
