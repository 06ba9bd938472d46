package io.tributary.pipelines.io;

import org.apache.beam.sdk.options.Default;
import org.apache.beam.sdk.options.Description;

/**
 * Where a pipeline reads its input: the same choices for every Tributary pipeline (a pipeline may
 * add its own, such as the cdc pipeline's embedded capture).
 */
public interface SourceOptions extends KafkaOptions, SyntheticOptions {
  @Description(
      "Input: 'synthetic' (generated in the pipeline, the default), 'kafka' (JSON records of"
          + " --inputTopic) or 'files' (JSON lines matching --inputFiles).")
  @Default.String("synthetic")
  String getSource();

  void setSource(String source);

  @Description("Kafka topic to read when --source=kafka.")
  String getInputTopic();

  void setInputTopic(String topic);

  @Description("File pattern to read when --source=files, e.g. /data/views-*.jsonl.")
  String getInputFiles();

  void setInputFiles(String pattern);

  @Description(
      "JSON field holding each record's event time (ISO-8601 or epoch milliseconds); Kafka input is"
          + " timestamped with it, or with the record's Kafka timestamp when it is missing.")
  @Default.String("event_time")
  String getEventTimeField();

  void setEventTimeField(String field);

  @Description(
      "How far out of order Kafka input may be (e.g. 30s): the watermark trails the largest event"
          + " time read by this much.")
  @Default.String("30s")
  String getMaxInputDelay();

  void setMaxInputDelay(String delay);

  @Description(
      "Where Kafka input starts when its consumer group has no committed offset: 'latest' (only"
          + " new records, the default) or 'earliest' (the whole topic).")
  @Default.String("latest")
  String getInputOffsetReset();

  void setInputOffsetReset(String reset);

  @Description(
      "Kafka consumer group. With it, the offsets of what the pipeline has read are committed"
          + " to the group when the runner finalizes a checkpoint (Direct: after each bundle;"
          + " Flink: after each completed checkpoint), and a restarted pipeline continues from"
          + " them; --inputOffsetReset applies only where the group has no offset. Without it,"
          + " nothing is committed and every start follows --inputOffsetReset.")
  String getConsumerGroup();

  void setConsumerGroup(String group);

  @Description(
      "More Kafka consumer settings, comma-separated key=value (e.g."
          + " security.protocol=SSL,ssl.truststore.location=/etc/kafka/truststore.jks). Not"
          + " serialized with the options nor shown in display data; the consumer's password"
          + " settings (sasl.jaas.config, ssl.*.password) reach the consumers without passing"
          + " through KafkaIO's display data either.")
  @Default.String("")
  @com.fasterxml.jackson.annotation.JsonIgnore
  String getConsumerProperties();

  void setConsumerProperties(String properties);

  @Description("Stop after reading this many Kafka records (0: read forever).")
  @Default.Long(0)
  long getMaxInputRecords();

  void setMaxInputRecords(long records);
}
