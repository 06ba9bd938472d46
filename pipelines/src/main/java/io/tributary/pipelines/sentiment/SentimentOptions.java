package io.tributary.pipelines.sentiment;

import io.tributary.pipelines.io.RedisOptions;
import io.tributary.pipelines.io.SinkOptions;
import io.tributary.pipelines.io.SourceOptions;
import org.apache.beam.sdk.options.Default;
import org.apache.beam.sdk.options.Description;
import org.apache.beam.sdk.options.StreamingOptions;

/** Options of the market sentiment pipeline. */
public interface SentimentOptions extends SourceOptions, SinkOptions, RedisOptions, StreamingOptions {
  @Description("Length of each ticker window (e.g. 1h).")
  @Default.String("1h")
  String getWindowSize();

  void setWindowSize(String windowSize);

  @Description("How often a ticker window starts (e.g. 5m); at most --windowSize.")
  @Default.String("5m")
  String getWindowPeriod();

  void setWindowPeriod(String windowPeriod);

  @Description("Trailing history each window is compared with for shift alerts (e.g. 6h); a multiple of --windowPeriod.")
  @Default.String("6h")
  String getBaseline();

  void setBaseline(String baseline);

  @Description("How late a mention may arrive and still revise its windows (e.g. 0, 1m).")
  @Default.String("0")
  String getAllowedLateness();

  void setAllowedLateness(String allowedLateness);

  @Description("With --sink=redis: prefix of the latest index per ticker, hash <prefix><TICKER>, and of the set <prefix>tickers.")
  @Default.String("tributary:sentiment:")
  String getIndexKeyPrefix();

  void setIndexKeyPrefix(String prefix);

  @Description("Synthetic source: headlines per second of event time.")
  @Default.Integer(2)
  int getEventsPerSecond();

  void setEventsPerSecond(int rate);

  @Description("Format of kafka and files input: 'json' (text items) or 'csv' (id,published,text[,tickers]).")
  @Default.String("json")
  String getInputFormat();

  void setInputFormat(String format);

  @Description("Scoring: 'finance' (the finance model: lexicons, headline grammar, words; no parser), "
      + "'combined' (finance model x CoreNLP's sentiment model) or 'corenlp' (the stock CoreNLP model alone).")
  @Default.String("finance")
  String getMethod();

  void setMethod(String method);

  @Description("A finance model file of your own (from `tributary sentiment-eval --tune --modelOut=FILE`); "
      + "empty: the shipped model.")
  @Default.String("")
  String getFinanceModel();

  void setFinanceModel(String file);

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
}
