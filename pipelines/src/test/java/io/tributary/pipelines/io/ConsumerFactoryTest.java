package io.tributary.pipelines.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;

import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;

/**
 * {@link ConsumerFactory}: its consumers never report an assigned partition missing, which
 * KafkaIO's splittable reader would take as a deleted topic and stop reading it for good.
 */
class ConsumerFactoryTest {
  private static PartitionInfo info(String topic, int partition) {
    return new PartitionInfo(topic, partition, null, new Node[0], new Node[0]);
  }

  private static List<String> names(List<PartitionInfo> infos) {
    return infos.stream().map(i -> i.topic() + "-" + i.partition()).sorted().toList();
  }

  @Test
  void anEmptyListingStillNamesTheAssignedPartitions() {
    // What a restarting broker answers for a moment: no partition of the topic.
    List<PartitionInfo> listed = ConsumerFactory.withAssigned(
        "orders", List.of(), Set.of(new TopicPartition("orders", 2), new TopicPartition("users", 0)));
    assertEquals(List.of("orders-2"), names(listed));
  }

  @Test
  void aCompleteListingIsReturnedAsItIs() {
    List<PartitionInfo> full = List.of(info("orders", 0), info("orders", 1));
    assertSame(full, ConsumerFactory.withAssigned("orders", full, Set.of(new TopicPartition("orders", 1))));
    assertSame(full, ConsumerFactory.withAssigned("orders", full, Set.of()));
  }

  @Test
  void aPartialListingGainsTheMissingAssignedPartition() {
    List<PartitionInfo> listed = ConsumerFactory.withAssigned(
        "orders", List.of(info("orders", 0)), Set.of(new TopicPartition("orders", 0), new TopicPartition("orders", 3)));
    assertEquals(List.of("orders-0", "orders-3"), names(listed));
  }

  @Test
  void theConsumersAreSteadyAndCarryTheSecretSettings() throws Exception {
    ConsumerFactory factory = new ConsumerFactory(Map.of("ssl.key.password", "k3y"));
    try (Consumer<byte[], byte[]> consumer =
        factory.apply(Map.of("bootstrap.servers", "127.0.0.1:1", "group.id", "steady-test"))) {
      assertInstanceOf(ConsumerFactory.SteadyConsumer.class, consumer);
      consumer.assign(List.of(new TopicPartition("orders", 4)));
      assertEquals(Set.of(new TopicPartition("orders", 4)), consumer.assignment());
    }
    assertEquals("ConsumerFactory(secret settings [ssl.key.password])", factory.toString());
  }
}
