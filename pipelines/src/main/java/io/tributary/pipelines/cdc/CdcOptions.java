package io.tributary.pipelines.cdc;

import io.tributary.pipelines.io.SinkOptions;
import io.tributary.pipelines.io.SourceOptions;
import org.apache.beam.sdk.options.Default;
import org.apache.beam.sdk.options.Description;
import org.apache.beam.sdk.options.StreamingOptions;

/**
 * Options of the cdc pipeline. With {@code --source=kafka}, {@code --inputTopic} is a Java regular
 * expression of the Debezium topics to read (KafkaIO's topic pattern), e.g. {@code (orders|users)\..*}.
 */
public interface CdcOptions extends SourceOptions, SinkOptions, StreamingOptions {
  @Description(
      "Routing rules file (YAML or JSON, see the README); default: the bundled rules of the"
          + " synthetic source's five services.")
  String getRules();

  void setRules(String path);

  @Description("Directory of the Parquet data lake (any Beam file system path).")
  @Default.String("target/lake")
  String getLakePath();

  void setLakePath(String path);

  @Description("How much commit time one lake file covers, in seconds.")
  @Default.Integer(300)
  int getLakeWindowSeconds();

  void setLakeWindowSeconds(int seconds);

  @Description("Redis host of the cache and the online feature store.")
  @Default.String("127.0.0.1")
  String getRedisHost();

  void setRedisHost(String host);

  @Description("Redis port.")
  @Default.Integer(6379)
  int getRedisPort();

  void setRedisPort(int port);

  @Description("Redis password (AUTH); empty for none.")
  @Default.String("")
  String getRedisPassword();

  void setRedisPassword(String password);

  @Description("Connect to Redis over TLS.")
  @Default.Boolean(false)
  boolean getRedisSsl();

  void setRedisSsl(boolean ssl);

  @Description("Prefix of every cache key (and its fence); empty by default.")
  @Default.String("")
  String getCacheKeyPrefix();

  void setCacheKeyPrefix(String prefix);

  @Description("Prefix of the online feature hashes <prefix><entity_type>:<entity_id>.")
  @Default.String("feature:")
  String getFeatureKeyPrefix();

  void setFeatureKeyPrefix(String prefix);

  @Description("How long the fence of a deleted cache row is kept, in seconds (0: forever).")
  @Default.Long(7 * 24 * 3600)
  long getFenceTtlSeconds();

  void setFenceTtlSeconds(long seconds);

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

  @Description("Synthetic source: the random seed.")
  @Default.Long(42)
  long getSeed();

  void setSeed(long seed);

  @Description("Synthetic source: stop after this many changes (0: run forever, paced in real time).")
  @Default.Long(0)
  long getMaxEvents();

  void setMaxEvents(long events);

  @Description("Synthetic source: commit time of the first change of a bounded run.")
  @Default.Long(1_700_000_000_000L)
  long getStartMillis();

  void setStartMillis(long millis);
}
