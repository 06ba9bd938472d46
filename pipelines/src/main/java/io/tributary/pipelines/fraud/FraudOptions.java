package io.tributary.pipelines.fraud;

import io.tributary.pipelines.io.SinkOptions;
import io.tributary.pipelines.io.SourceOptions;
import org.apache.beam.sdk.options.Default;
import org.apache.beam.sdk.options.Description;
import org.apache.beam.sdk.options.StreamingOptions;

/** Options of the fraud pipeline. */
public interface FraudOptions extends SourceOptions, SinkOptions, StreamingOptions {
  @Description("Length of the spending history each transaction is compared with, in minutes.")
  @Default.Integer(60)
  int getWindowMinutes();

  void setWindowMinutes(int minutes);

  @Description("Flag a transaction whose amount exceeds this multiple of the card's mean.")
  @Default.Double(3.0)
  double getThreshold();

  void setThreshold(double threshold);

  @Description("Flag only cards with at least this many transactions in the window.")
  @Default.Integer(3)
  int getMinHistory();

  void setMinHistory(int transactions);

  @Description(
      "How late, in seconds, a transaction may arrive behind the watermark and still be scored in"
          + " order; every alert waits this long.")
  @Default.Integer(0)
  int getAllowedLatenessSeconds();

  void setAllowedLatenessSeconds(int seconds);

  @Description("How long an idle card remembers how far it was scored, in hours.")
  @Default.Integer(24)
  int getStateRetentionHours();

  void setStateRetentionHours(int hours);

  @Description("PostgreSQL JDBC URL of the alerts table (with --sink=postgres).")
  String getPostgresUrl();

  void setPostgresUrl(String url);

  @Description("PostgreSQL user (with --sink=postgres).")
  @Default.String("")
  String getPostgresUser();

  void setPostgresUser(String user);

  @Description("PostgreSQL password (with --sink=postgres).")
  @Default.String("")
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

  @Description("Synthetic source: number of cards.")
  @Default.Integer(5000)
  int getCards();

  void setCards(int cards);

  @Description("Synthetic source: share of transactions that are injected fraud, in [0, 1).")
  @Default.Double(0.005)
  double getFraudRate();

  void setFraudRate(double rate);

  @Description("Synthetic source: how far out of order transactions may be, in milliseconds.")
  @Default.Integer(2000)
  int getMaxDisorderMillis();

  void setMaxDisorderMillis(int millis);

  @Description("Synthetic source: the random seed; the same seed gives the same transactions.")
  @Default.Long(42)
  long getSeed();

  void setSeed(long seed);

  @Description(
      "Synthetic source: stop after this many transactions (0: run forever, paced in real time),"
          + " then print the rule's precision and recall on the injected fraud.")
  @Default.Long(0)
  long getMaxEvents();

  void setMaxEvents(long events);

  @Description("Synthetic source: event time of the first transaction of a bounded run.")
  @Default.Long(1_700_000_000_000L)
  long getStartMillis();

  void setStartMillis(long millis);
}
