package io.tributary.pipelines.io;

import org.apache.beam.sdk.options.Description;
import org.apache.beam.sdk.options.PipelineOptions;

/** How to reach Kafka, shared by Kafka sources and sinks. */
public interface KafkaOptions extends PipelineOptions {
  @Description("Kafka bootstrap servers, host:port[,host:port...]; needed by kafka sources and sinks.")
  String getKafkaBootstrapServers();

  void setKafkaBootstrapServers(String servers);
}
