package io.tributary.pipelines.fraud;

import io.tributary.pipelines.io.FeatureStoreOptions;
import io.tributary.pipelines.io.SinkOptions;
import io.tributary.pipelines.io.SourceOptions;
import org.apache.beam.sdk.options.Default;
import org.apache.beam.sdk.options.Description;
import org.apache.beam.sdk.options.StreamingOptions;

/** Options of the fraud pipeline. */
public interface FraudOptions extends SourceOptions, SinkOptions, FeatureStoreOptions, StreamingOptions {
  @Description("Length of the spending history each transaction is compared with (e.g. 1h, 90m).")
  @Default.String("1h")
  String getWindowSize();

  void setWindowSize(String windowSize);

  @Description("How late a transaction may arrive behind the watermark and still be scored in order (e.g. 0, 30s); every alert waits this long.")
  @Default.String("0")
  String getAllowedLateness();

  void setAllowedLateness(String allowedLateness);

  @Description("How long an idle card remembers how far it was scored (e.g. 24h).")
  @Default.String("24h")
  String getStateRetention();

  void setStateRetention(String stateRetention);

  @Description("Flag a transaction whose amount exceeds this multiple of the card's mean.")
  @Default.Double(3.0)
  double getThreshold();

  void setThreshold(double threshold);

  @Description("Flag only cards with at least this many transactions in the window.")
  @Default.Integer(3)
  int getMinHistory();

  void setMinHistory(int transactions);

  @Description("PostgreSQL JDBC URL of the alerts table (with --sink=postgres).")
  String getPostgresUrl();

  void setPostgresUrl(String url);

  @Description("PostgreSQL user (with --sink=postgres).")
  @Default.String("")
  String getPostgresUser();

  void setPostgresUser(String user);

  @Description(
      "PostgreSQL password (with --sink=postgres). Never serialized with the options nor shown in"
          + " display data.")
  @Default.String("")
  @com.fasterxml.jackson.annotation.JsonIgnore
  String getPostgresPassword();

  void setPostgresPassword(String password);

  @Description("The alerts table, created if missing; one row per flagged transaction id.")
  @Default.String("fraud_alerts")
  String getAlertsTable();

  void setAlertsTable(String table);

  @Description("Synthetic source: transactions per second of event time.")
  @Default.Integer(200)
  int getEventsPerSecond();

  void setEventsPerSecond(int rate);

  @Description("Synthetic source: how far out of order transactions may be (e.g. 2s).")
  @Default.String("2s")
  String getMaxDisorder();

  void setMaxDisorder(String maxDisorder);

  @Description("Synthetic source: number of cards.")
  @Default.Integer(5000)
  int getCards();

  void setCards(int cards);

  @Description("Synthetic source: share of transactions that are injected fraud, in [0, 1).")
  @Default.Double(0.005)
  double getFraudRate();

  void setFraudRate(double rate);
}
