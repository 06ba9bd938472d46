package io.tributary.pipelines.io;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.beam.sdk.transforms.SerializableFunction;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;

/**
 * Creates the Kafka consumers of every KafkaIO read of the pipelines ({@code
 * withConsumerFactoryFn}):
 *
 * <ul>
 *   <li>with the secret settings added to the config KafkaIO passes, so that they never reach
 *       KafkaIO's display data; {@link #toString} names the secret keys, never their values;
 *   <li>as {@link SteadyConsumer}s, which never report a partition they are assigned as missing.
 *       KafkaIO's splittable reader stops reading a partition for good when {@code
 *       partitionsFor(topic)} leaves it out, meant for deleted topics; a broker that is
 *       restarting, or has not loaded its metadata yet, can leave a partition out too, and the
 *       partition would never be read again.
 * </ul>
 */
public final class ConsumerFactory implements SerializableFunction<Map<String, Object>, Consumer<byte[], byte[]>> {
  private static final long serialVersionUID = 1L;

  private final TreeMap<String, String> secrets;

  ConsumerFactory(Map<String, String> secrets) {
    this.secrets = new TreeMap<>(secrets);
  }

  @Override
  public Consumer<byte[], byte[]> apply(Map<String, Object> config) {
    Map<String, Object> all = new HashMap<>(config);
    all.putAll(secrets);
    return new SteadyConsumer(all);
  }

  /** The secret settings (for tests). */
  Map<String, String> secrets() {
    return Collections.unmodifiableMap(secrets);
  }

  @Override
  public String toString() {
    return "ConsumerFactory(secret settings " + secrets.keySet() + ")";
  }

  /**
   * A {@link KafkaConsumer} whose {@code partitionsFor(topic)} always lists the partitions of
   * {@code topic} it is assigned, whatever the broker's metadata says at that moment. A reader of
   * a deleted topic therefore keeps polling (and finds nothing) instead of stopping.
   */
  static final class SteadyConsumer extends KafkaConsumer<byte[], byte[]> {
    SteadyConsumer(Map<String, Object> config) {
      super(withByteDeserializers(config));
    }

    private static Map<String, Object> withByteDeserializers(Map<String, Object> config) {
      Map<String, Object> all = new HashMap<>(config);
      all.putIfAbsent("key.deserializer", org.apache.kafka.common.serialization.ByteArrayDeserializer.class);
      all.putIfAbsent("value.deserializer", org.apache.kafka.common.serialization.ByteArrayDeserializer.class);
      return all;
    }

    @Override
    public List<PartitionInfo> partitionsFor(String topic) {
      return withAssigned(topic, super.partitionsFor(topic), assignment());
    }

    @Override
    public List<PartitionInfo> partitionsFor(String topic, Duration timeout) {
      return withAssigned(topic, super.partitionsFor(topic, timeout), assignment());
    }
  }

  /** {@code listed}, plus a partition entry for each partition of {@code topic} in {@code assigned} it lacks. */
  static List<PartitionInfo> withAssigned(
      String topic, List<PartitionInfo> listed, java.util.Set<TopicPartition> assigned) {
    List<PartitionInfo> out = null;
    for (TopicPartition p : assigned) {
      if (!p.topic().equals(topic) || listed.stream().anyMatch(i -> i.partition() == p.partition())) {
        continue;
      }
      if (out == null) {
        out = new ArrayList<>(listed);
      }
      out.add(new PartitionInfo(topic, p.partition(), null, new Node[0], new Node[0]));
    }
    return out == null ? listed : out;
  }
}
