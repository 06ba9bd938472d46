package io.tributary.pipelines.io;

import org.apache.beam.sdk.options.Default;
import org.apache.beam.sdk.options.Description;

/** Where a pipeline writes results and failures: the same choices for every Tributary pipeline. */
public interface SinkOptions extends KafkaOptions, io.tributary.pipelines.dashboard.DashboardOptions {
  @Description(
      "Outputs, comma-separated: 'dashboard' (live web pages, see --dashboardPort; the default of"
          + " the activity pipeline), 'console' (a refreshing table, the default of the others),"
          + " 'kafka' (JSON to --outputTopic) and/or 'files' (JSON lines under --outputPath);"
          + " 'none' for no result output (the cdc pipeline still writes its lake and cache).")
  String getSink();

  void setSink(String sink);

  @Description(
      "The kinds of results written to the kafka and files sinks, comma-separated (default: every"
          + " kind the pipeline has, e.g. fraud's alerts and features). A large kind (per-event"
          + " features or sessions) left out keeps an exactly-once Kafka sink's transactions few.")
  String getOutputs();

  void setOutputs(String outputs);

  @Description("Kafka topic for results when --sink includes kafka.")
  String getOutputTopic();

  void setOutputTopic(String topic);

  @Description("Directory for results when --sink includes files.")
  String getOutputPath();

  void setOutputPath(String path);

  @Description("Length of the windows that group file output into files (e.g. 60s).")
  @Default.String("60s")
  String getFileWindow();

  void setFileWindow(String window);

  @Description(
      "Where failures (unparseable input, events beyond the allowed lateness) go: 'log' (one"
          + " WARN line each, the default), 'kafka' (--deadLetterTopic) or 'files'"
          + " (--deadLetterPath). Each keeps the original payload and the reason.")
  @Default.String("log")
  String getDeadLetter();

  void setDeadLetter(String deadLetter);

  @Description("Kafka topic for failures when --deadLetter=kafka.")
  String getDeadLetterTopic();

  void setDeadLetterTopic(String topic);

  @Description("Directory for failures when --deadLetter=files.")
  String getDeadLetterPath();

  void setDeadLetterPath(String path);
}
