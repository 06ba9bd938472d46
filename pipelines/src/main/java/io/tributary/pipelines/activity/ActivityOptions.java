package io.tributary.pipelines.activity;

import io.tributary.pipelines.io.SinkOptions;
import io.tributary.pipelines.io.SourceOptions;
import org.apache.beam.sdk.options.Default;
import org.apache.beam.sdk.options.Description;
import org.apache.beam.sdk.options.StreamingOptions;

/** Options of the web activity pipeline. */
public interface ActivityOptions extends SourceOptions, SinkOptions, StreamingOptions {
  @Description("Sliding window length, in seconds.")
  @Default.Integer(300)
  int getWindowSizeSeconds();

  void setWindowSizeSeconds(int seconds);

  @Description("How often a window starts and the dashboard refreshes, in seconds.")
  @Default.Integer(10)
  int getWindowPeriodSeconds();

  void setWindowPeriodSeconds(int seconds);

  @Description("How many pages and referrers to rank.")
  @Default.Integer(10)
  int getTopN();

  void setTopN(int n);

  @Description("How late, in seconds, a view may arrive and still update its windows and sessions.")
  @Default.Integer(0)
  int getAllowedLatenessSeconds();

  void setAllowedLatenessSeconds(int seconds);

  @Description("Inactivity that ends a user session, in minutes.")
  @Default.Integer(30)
  int getSessionGapMinutes();

  void setSessionGapMinutes(int minutes);

  @Description(
      "Count the distinct users of each window (exact; the costliest part of the rankings).")
  @Default.Boolean(true)
  boolean getActiveUsers();

  void setActiveUsers(boolean activeUsers);

  @Description("The site's own hosts, comma-separated: referrals from them are internal navigation.")
  @Default.String("")
  String getSiteHosts();

  void setSiteHosts(String hosts);

  @Description("Synthetic source: page views per second of event time.")
  @Default.Integer(500)
  int getEventsPerSecond();

  void setEventsPerSecond(int rate);

  @Description("Synthetic source: number of distinct users.")
  @Default.Integer(5000)
  int getUsers();

  void setUsers(int users);

  @Description("Synthetic source: number of distinct pages (popularity is Zipf-distributed).")
  @Default.Integer(200)
  int getPages();

  void setPages(int pages);

  @Description("Synthetic source: how far out of order views may be, in milliseconds.")
  @Default.Integer(3000)
  int getMaxDisorderMillis();

  void setMaxDisorderMillis(int millis);

  @Description("Synthetic source: the random seed; the same seed gives the same views.")
  @Default.Long(42)
  long getSeed();

  void setSeed(long seed);

  @Description(
      "Synthetic source: stop after this many views (0: run forever, paced in real time). A"
          + " bounded run is not paced and starts its event times at --startMillis.")
  @Default.Long(0)
  long getMaxEvents();

  void setMaxEvents(long events);

  @Description("Synthetic source: event time of the first view of a bounded run, ms since the epoch.")
  @Default.Long(1_700_000_000_000L)
  long getStartMillis();

  void setStartMillis(long millis);
}
