package io.tributary.it;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * Topics, records in and records out on the test broker ({@link Services#kafkaBootstrap()}). The
 * broker outlives a test, so every test names its topics with {@link #uniqueTopic(String)}.
 */
public final class Kafka {
  private Kafka() {}

  /** {@code prefix} plus a random suffix: a topic no other test or run uses. */
  public static String uniqueTopic(String prefix) {
    return prefix + "-" + UUID.randomUUID().toString().substring(0, 8);
  }

  /** Creates single-partition topics. */
  public static void createTopics(String... topics) throws Exception {
    try (Admin admin = admin()) {
      List<NewTopic> list = new ArrayList<>();
      for (String t : topics) {
        list.add(new NewTopic(t, 1, (short) 1));
      }
      admin.createTopics(list).all().get();
      // Wait until every new partition has its leader, so the first produce finds it. Right after
      // creation the broker that answers may not know the topic yet: that is waited out too.
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
      for (String t : topics) {
        while (!hasLeaders(admin, t)) {
          if (System.nanoTime() > deadline) {
            throw new IllegalStateException("topic " + t + " has no leader after 30 s");
          }
          Thread.sleep(50);
        }
      }
    }
  }

  /** Whether the broker knows {@code topic} and every partition of it has a leader. */
  private static boolean hasLeaders(Admin admin, String topic) throws InterruptedException {
    try {
      return admin.describeTopics(List.of(topic)).allTopicNames().get().get(topic).partitions().stream()
          .allMatch(partition -> partition.leader() != null);
    } catch (ExecutionException e) {
      if (e.getCause() instanceof UnknownTopicOrPartitionException) {
        return false;
      }
      throw new IllegalStateException("describing topic " + topic, e.getCause());
    }
  }

  /** Produces values without keys, in order, and waits until all are acknowledged. */
  public static void produce(String topic, List<byte[]> values) throws Exception {
    Properties p = new Properties();
    p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, Services.kafkaBootstrap());
    p.put(ProducerConfig.ACKS_CONFIG, "all");
    // Right after a topic is created, the idempotent producer can resend a batch the broker has
    // already appended and then retry the resulting out-of-order sequence until its delivery
    // timeout (seen on new partitions of the test broker). One request in flight keeps the order
    // without it; a duplicate would show as an extra record in the tests' exact comparisons.
    p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, false);
    p.put(ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION, 1);
    p.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, 120_000);
    p.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 300_000);
    try (KafkaProducer<byte[], byte[]> producer =
        new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer())) {
      List<Future<?>> sent = new ArrayList<>();
      for (byte[] v : values) {
        sent.add(producer.send(new ProducerRecord<>(topic, v)));
      }
      for (Future<?> f : sent) {
        f.get();
      }
    }
  }

  /**
   * Reads a topic from the start until {@code count} records arrived or the deadline passed, then
   * two seconds longer so that records beyond the expected count are seen too.
   */
  public static List<byte[]> consume(String topic, int count, Duration deadline) {
    return consume(topic, count, deadline, false);
  }

  /**
   * {@link #consume(String, int, Duration)}; with {@code committedOnly}, as a consumer with {@code
   * isolation.level=read_committed}: only records of committed transactions, what readers of an
   * exactly-once sink's topic see.
   */
  public static List<byte[]> consume(String topic, int count, Duration deadline, boolean committedOnly) {
    Properties p = new Properties();
    if (committedOnly) {
      p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    }
    p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, Services.kafkaBootstrap());
    p.put(ConsumerConfig.GROUP_ID_CONFIG, "reader-" + UUID.randomUUID());
    p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    List<byte[]> out = new ArrayList<>();
    long end = System.nanoTime() + deadline.toNanos();
    try (KafkaConsumer<byte[], byte[]> consumer =
        new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
      consumer.subscribe(List.of(topic));
      while (out.size() < count && System.nanoTime() < end) {
        poll(consumer, out);
      }
      long extra = System.nanoTime() + Duration.ofSeconds(2).toNanos();
      while (System.nanoTime() < extra) {
        poll(consumer, out);
      }
    }
    return out;
  }

  /**
   * The records of committed transactions that a single-partition topic holds now: read with
   * {@code isolation.level=read_committed} from the start to the partition's last stable offset,
   * with no consumer group and no wait for later records (for progress checks while a job writes).
   */
  public static List<byte[]> committed(String topic) {
    Properties p = new Properties();
    p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, Services.kafkaBootstrap());
    List<byte[]> out = new ArrayList<>();
    try (KafkaConsumer<byte[], byte[]> consumer =
        new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
      TopicPartition partition = new TopicPartition(topic, 0);
      consumer.assign(List.of(partition));
      consumer.seekToBeginning(List.of(partition));
      // Under read_committed, the end offset is the last stable offset: everything before it is
      // committed or aborted, so the position reaches it once every committed record was read.
      long end = consumer.endOffsets(List.of(partition)).get(partition);
      long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
      while (consumer.position(partition) < end) {
        if (System.nanoTime() > deadline) {
          throw new IllegalStateException("reading " + topic + " to offset " + end + " took over 30 s");
        }
        poll(consumer, out);
      }
    }
    return out;
  }

  private static void poll(KafkaConsumer<byte[], byte[]> consumer, List<byte[]> out) {
    for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(500))) {
      out.add(r.value());
    }
  }

  /**
   * The options of a pipeline that reads the first {@code records} records of {@code topic} on the
   * test broker from the start, then stops: a bounded run over what a test produced.
   */
  public static List<String> boundedSourceArgs(String topic, int records) {
    return List.of(
        "--source=kafka",
        "--kafkaBootstrapServers=" + Services.kafkaBootstrap(),
        "--inputTopic=" + topic,
        "--inputOffsetReset=earliest",
        "--maxInputRecords=" + records);
  }

  /** An admin client of the test broker; close it. */
  public static Admin admin() {
    Properties p = new Properties();
    p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, Services.kafkaBootstrap());
    return Admin.create(p);
  }
}
