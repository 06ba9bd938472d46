package io.tributary.pipelines.activity;

import io.tributary.pipelines.io.SinkOptions;
import io.tributary.pipelines.io.SourceOptions;
import org.apache.beam.sdk.options.Default;
import org.apache.beam.sdk.options.Description;
import org.apache.beam.sdk.options.StreamingOptions;

/** Options of the web activity pipeline. */
public interface ActivityOptions extends SourceOptions, SinkOptions, StreamingOptions {
  @Description("Sliding window length (e.g. 5m).")
  @Default.String("5m")
  String getWindowSize();

  void setWindowSize(String windowSize);

  @Description("How often a window starts and the dashboard refreshes (e.g. 10s).")
  @Default.String("10s")
  String getWindowPeriod();

  void setWindowPeriod(String windowPeriod);

  @Description("How late a view may arrive and still update its windows and sessions (e.g. 0, 30s).")
  @Default.String("0")
  String getAllowedLateness();

  void setAllowedLateness(String allowedLateness);

  @Description("Inactivity that ends a user session (e.g. 30m).")
  @Default.String("30m")
  String getSessionGap();

  void setSessionGap(String sessionGap);

  @Description("How many pages and referrers to rank.")
  @Default.Integer(10)
  int getTopN();

  void setTopN(int n);

  @Description(
      "Count the distinct users of each window (exact; the costliest part of the rankings).")
  @Default.Boolean(true)
  boolean getActiveUsers();

  void setActiveUsers(boolean activeUsers);

  @Description("The site's own hosts, comma-separated: referrals from them are internal navigation.")
  @Default.String("")
  String getSiteHosts();

  void setSiteHosts(String hosts);

  @Description(
      "Synthetic source: page views per second of event time (default 200, which the Direct runner"
          + " sustains on 2 cores with its 30-minute session state, and 500 not).")
  @Default.Integer(200)
  int getEventsPerSecond();

  void setEventsPerSecond(int rate);

  @Description("Synthetic source: how far out of order views may be (e.g. 3s).")
  @Default.String("3s")
  String getMaxDisorder();

  void setMaxDisorder(String maxDisorder);

  @Description("Synthetic source: number of distinct pages (popularity is Zipf-distributed).")
  @Default.Integer(200)
  int getPages();

  void setPages(int pages);
}
