package io.tributary.pipelines.io;

import org.apache.beam.sdk.options.Default;
import org.apache.beam.sdk.options.Description;
import org.apache.beam.sdk.options.PipelineOptions;

/** How to reach Kafka, shared by Kafka sources and sinks. */
public interface KafkaOptions extends PipelineOptions {
  @Description("Kafka bootstrap servers, host:port[,host:port...]; needed by kafka sources and sinks.")
  String getKafkaBootstrapServers();

  void setKafkaBootstrapServers(String servers);

  @Description(
      "Write every Kafka output with KafkaIO's exactly-once sink: Kafka transactions, each record"
          + " committed once however often the job restarts (read it with"
          + " isolation.level=read_committed). Needs a runner that keeps input stable across"
          + " retries: Flink with --checkpointingInterval, or Dataflow.")
  @Default.Boolean(false)
  boolean getKafkaExactlyOnce();

  void setKafkaExactlyOnce(boolean exactlyOnce);

  @Description(
      "With --kafkaExactlyOnce: the number of transactional writers per output topic (each one"
          + " Kafka producer and transaction at a time).")
  @Default.Integer(1)
  int getKafkaExactlyOnceShards();

  void setKafkaExactlyOnceShards(int shards);
}
