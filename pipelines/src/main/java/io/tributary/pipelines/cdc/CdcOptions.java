package io.tributary.pipelines.cdc;

import io.tributary.pipelines.io.FeatureStoreOptions;
import io.tributary.pipelines.io.SinkOptions;
import io.tributary.pipelines.io.SourceOptions;
import org.apache.beam.sdk.options.Default;
import org.apache.beam.sdk.options.Description;
import org.apache.beam.sdk.options.StreamingOptions;

/**
 * Options of the cdc pipeline. With {@code --source=kafka}, {@code --inputTopic} is a Java regular
 * expression of the Debezium topics to read (KafkaIO's topic pattern), e.g. {@code (orders|users)\..*};
 * with {@code --source=capture}, {@code --captureProperties} configures the embedded Debezium engine.
 */
public interface CdcOptions extends SourceOptions, SinkOptions, FeatureStoreOptions, StreamingOptions {
  @Description(
      "Routing rules file (YAML or JSON, see the README); default: the bundled rules of the"
          + " synthetic source's five services.")
  String getRules();

  void setRules(String path);

  @Description("Directory of the Parquet data lake (any Beam file system path).")
  @Default.String("target/lake")
  String getLakePath();

  void setLakePath(String path);

  @Description(
      "How long a lake file gathers rows after its first one before it is written (processing"
          + " time, e.g. 1m).")
  @Default.String("1m")
  String getLakeRotation();

  void setLakeRotation(String lakeRotation);

  @Description(
      "How long (event time) a lake row is remembered so that its redelivery by a restarted capture"
          + " is not written again (e.g. 10m; 0: no deduplication). Cover the longest capture outage"
          + " plus --maxInputDelay. A pipeline started afresh also reads the rows of the lake files"
          + " written within it, so what it reads again is not written twice.")
  @Default.String("10m")
  String getLakeDedupRetention();

  void setLakeDedupRetention(String retention);

  @Description(
      "Write every lake row to exactly one file across job failures and restores from checkpoints:"
          + " each file is written once the checkpoint holding its rows has completed (up to a"
          + " checkpoint interval later). Needs a runner that keeps input stable: Flink with"
          + " --checkpointingInterval, or Dataflow. Without it the lake is at least once across a"
          + " restore (rows of files written after the last checkpoint can be written again).")
  @Default.Boolean(false)
  boolean getLakeExactlyOnce();

  void setLakeExactlyOnce(boolean exactlyOnce);

  @Description(
      "How often the Kafka topics are listed to read topics created while the pipeline runs that"
          + " match --inputTopic, --logTopics or --sensorTopics (e.g. 30s; 0: the topics are found"
          + " once, at start). Runs bounded by --maxInputRecords find them once.")
  @Default.String("30s")
  String getTopicDiscoveryInterval();

  void setTopicDiscoveryInterval(String interval);

  @Description("How long the fence of a deleted cache row is kept (e.g. 7d; 0: forever).")
  @Default.String("7d")
  String getFenceTtl();

  void setFenceTtl(String fenceTtl);

  @Description("Prefix of every cache key (and its fence); empty by default.")
  @Default.String("")
  String getCacheKeyPrefix();

  void setCacheKeyPrefix(String prefix);

  @Description(
      "Kafka topics of JSON application log lines (comma-separated; --source=kafka), routed as"
          + " table id app.logs.")
  @Default.String("")
  String getLogTopics();

  void setLogTopics(String topics);

  @Description(
      "Kafka topics of JSON sensor readings (comma-separated; --source=kafka), aggregated per"
          + " device, metric and minute and routed as table id iot.sensor_minutes.")
  @Default.String("")
  String getSensorTopics();

  void setSensorTopics(String topics);

  @Description(
      "With --source=capture: a properties file of the Debezium connector (connector.class,"
          + " database.hostname, database.port, database.user, database.password, topic.prefix,"
          + " table.include.list, ...; Debezium's connector documentation lists them). Its 'name'"
          + " names the engine and keys its offsets (default: the file name).")
  String getCaptureProperties();

  void setCaptureProperties(String path);

  @Description(
      "With --source=capture: the file holding the capture's finalized offsets; a new run resumes"
          + " after them without a new snapshot.")
  String getCaptureOffsetStore();

  void setCaptureOffsetStore(String path);

  @Description("Synthetic source: changes per second of event time.")
  @Default.Integer(20)
  int getEventsPerSecond();

  void setEventsPerSecond(int rate);

  @Description("Synthetic source: rows per table.")
  @Default.Integer(50)
  int getRowsPerTable();

  void setRowsPerTable(int rows);

  @Description("Synthetic source: the orders change from which on orders have the added column coupon.")
  @Default.Integer(100)
  int getSchemaChangeAt();

  void setSchemaChangeAt(int change);
}
