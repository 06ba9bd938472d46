package io.tributary.pipelines.io;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Set;
import java.util.TreeMap;
import org.apache.beam.sdk.transforms.SerializableFunction;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecords;
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
 *       partition would never be read again;
 *   <li>whose polls return once their partitions are known to hold nothing more, so that a quiet
 *       partition gives its worker back soon.
 * </ul>
 */
public final class ConsumerFactory implements SerializableFunction<Map<String, Object>, Consumer<byte[], byte[]>> {
  private static final long serialVersionUID = 1L;

  /**
   * How long the broker holds a fetch of a partition that has nothing new ({@code
   * fetch.max.wait.ms}, unless the config sets it; Kafka's default is 500 ms): a poll of a quiet
   * partition returns once the broker has answered (see {@link SteadyConsumer#poll}).
   */
  static final int FETCH_MAX_WAIT_MS = 100;

  private final TreeMap<String, String> secrets;

  ConsumerFactory(Map<String, String> secrets) {
    this.secrets = new TreeMap<>(secrets);
  }

  @Override
  public Consumer<byte[], byte[]> apply(Map<String, Object> config) {
    Map<String, Object> all = new HashMap<>(config);
    all.putIfAbsent(ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG, FETCH_MAX_WAIT_MS);
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
   * a deleted topic therefore keeps polling (and finds nothing) instead of stopping. A {@link
   * #poll} returns as soon as its partitions are known to hold nothing more.
   */
  static final class SteadyConsumer extends KafkaConsumer<byte[], byte[]> {
    /**
     * How often a {@link #poll} checks whether its partitions have nothing more. KafkaIO's
     * splittable reader polls a quiet partition for 2 s (its whole-second {@code
     * withConsumerPollingTimeout}) before it gives the worker back, so a quiet partition held a
     * worker, and on the Direct runner every other partition's next read (see "Quiet topics" in
     * the README), that long.
     */
    static final Duration POLL_SLICE = Duration.ofMillis(50);

    private boolean delivered;

    SteadyConsumer(Map<String, Object> config) {
      super(withByteDeserializers(config));
    }

    private static Map<String, Object> withByteDeserializers(Map<String, Object> config) {
      Map<String, Object> all = new HashMap<>(config);
      all.putIfAbsent("key.deserializer", org.apache.kafka.common.serialization.ByteArrayDeserializer.class);
      all.putIfAbsent("value.deserializer", org.apache.kafka.common.serialization.ByteArrayDeserializer.class);
      return all;
    }

    /**
     * Until this consumer has returned records, polls in slices of {@link #POLL_SLICE} until
     * records arrive, the timeout ends, or every assigned partition is known to have nothing more
     * (its lag, from the last fetch, is 0): a reader's turn on a quiet partition ends once the
     * broker has said so. A consumer that has not fetched yet, or is behind, waits as a plain poll
     * would, so a partition's first fetch is never cut short; and once it has returned records,
     * every poll is a plain one, so a busy partition's turn goes on as KafkaIO's reader means it to.
     */
    @Override
    public ConsumerRecords<byte[], byte[]> poll(Duration timeout) {
      if (delivered) {
        return super.poll(timeout);
      }
      long deadline = System.nanoTime() + timeout.toNanos();
      while (true) {
        long left = deadline - System.nanoTime();
        ConsumerRecords<byte[], byte[]> records =
            super.poll(Duration.ofNanos(Math.max(0, Math.min(left, POLL_SLICE.toNanos()))));
        if (!records.isEmpty()) {
          delivered = true;
          return records;
        }
        if (left <= POLL_SLICE.toNanos() || caughtUp()) {
          return records;
        }
      }
    }

    /** Whether every assigned partition's lag is known and 0. */
    private boolean caughtUp() {
      Set<TopicPartition> assigned = assignment();
      for (TopicPartition p : assigned) {
        OptionalLong lag = currentLag(p);
        if (lag.isEmpty() || lag.getAsLong() > 0) {
          return false;
        }
      }
      return !assigned.isEmpty();
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
