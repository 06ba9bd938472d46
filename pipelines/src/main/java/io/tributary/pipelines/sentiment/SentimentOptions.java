package io.tributary.pipelines.sentiment;

import io.tributary.pipelines.io.SinkOptions;
import io.tributary.pipelines.io.SourceOptions;
import org.apache.beam.sdk.options.Default;
import org.apache.beam.sdk.options.Description;
import org.apache.beam.sdk.options.StreamingOptions;

/** Options of the market sentiment pipeline. */
public interface SentimentOptions extends SourceOptions, SinkOptions, StreamingOptions {
  @Description("Format of kafka and files input: 'json' (text items) or 'csv' (id,published,text[,tickers]).")
  @Default.String("json")
  String getInputFormat();

  void setInputFormat(String format);

  @Description("Scoring: 'combined' (CoreNLP + finance layer), 'corenlp' (stock model) or 'finance' (no model).")
  @Default.String("combined")
  String getMethod();

  void setMethod(String method);

  @Description("CoreNLP parser: 'sr' (shift-reduce, the fastest) or 'pcfg' (less memory, slower).")
  @Default.String("sr")
  String getParser();

  void setParser(String parser);

  @Description("Texts longer than this many characters are truncated (and counted).")
  @Default.Integer(5000)
  int getMaxTextChars();

  void setMaxTextChars(int chars);

  @Description("A ticker dictionary file (TICKER<TAB>name<TAB>alias|alias); empty: the shipped US large caps.")
  @Default.String("")
  String getTickerDictionary();

  void setTickerDictionary(String path);

  @Description("Per-ticker window length, in minutes.")
  @Default.Integer(60)
  int getWindowSizeMinutes();

  void setWindowSizeMinutes(int minutes);

  @Description("How often a window starts and the index refreshes, in minutes.")
  @Default.Integer(5)
  int getWindowPeriodMinutes();

  void setWindowPeriodMinutes(int minutes);

  @Description("The span before each window that forms its alert baseline, in minutes (a multiple of the period).")
  @Default.Integer(360)
  int getBaselineMinutes();

  void setBaselineMinutes(int minutes);

  @Description("How late, in seconds, a text may arrive and still update its windows and alerts.")
  @Default.Integer(0)
  int getAllowedLatenessSeconds();

  void setAllowedLatenessSeconds(int seconds);

  @Description("Alert when |z| of a window's mean against its baseline reaches this.")
  @Default.Double(3.0)
  double getShiftZScore();

  void setShiftZScore(double z);

  @Description("Fewest mentions in a window to alert on.")
  @Default.Integer(5)
  int getMinMentions();

  void setMinMentions(int n);

  @Description("Fewest mentions in the baseline to alert on.")
  @Default.Integer(10)
  int getMinBaselineMentions();

  void setMinBaselineMentions(int n);

  @Description("Smallest baseline standard deviation used in the z-score.")
  @Default.Double(0.1)
  double getMinStddev();

  void setMinStddev(double sd);

  @Description("Also keep the latest index per ticker in Redis at host:port (hash <redisKeyPrefix><TICKER>); empty: no Redis.")
  @Default.String("")
  String getRedis();

  void setRedis(String hostPort);

  @Description("Prefix of the Redis keys.")
  @Default.String("tributary:sentiment:")
  String getRedisKeyPrefix();

  void setRedisKeyPrefix(String prefix);

  @Description("Synthetic source: headlines per second (of event time for a bounded run).")
  @Default.Integer(2)
  int getItemsPerSecond();

  void setItemsPerSecond(int rate);

  @Description("Synthetic source: stop after this many headlines (0: run forever, paced in real time).")
  @Default.Long(0)
  long getMaxItems();

  void setMaxItems(long items);

  @Description("Synthetic source: the random seed; the same seed gives the same headlines.")
  @Default.Long(42)
  long getSeed();

  void setSeed(long seed);

  @Description("Synthetic source: publication time of the first headline of a bounded run, ms since the epoch.")
  @Default.Long(1_700_000_000_000L)
  long getStartMillis();

  void setStartMillis(long millis);
}
