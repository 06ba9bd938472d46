package io.tributary.pipelines.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.transforms.windowing.BoundedWindow;
import org.joda.time.Duration;
import org.joda.time.Instant;
import org.junit.jupiter.api.Test;

class KafkaDiscoveryTest {
  private static final Duration DELAY = Duration.standardSeconds(30);

  /**
   * For a commit gate, records are stamped with the largest create time read so far in their
   * partition: a create time that goes back takes the one before it; partitions and readers apart.
   */
  @Test
  void gatedRecordsAreStampedWithTheLargestCreateTimeOfTheirPartition() {
    KafkaDiscovery.NonDecreasingCreateTime stamp = new KafkaDiscovery.NonDecreasingCreateTime();
    assertEquals(new Instant(5_000L), stamp.apply(record("t", 0, 0, 5_000L)));
    assertEquals(new Instant(5_000L), stamp.apply(record("t", 0, 1, 3_000L)));
    assertEquals(new Instant(2_000L), stamp.apply(record("t", 1, 0, 2_000L)));
    assertEquals(new Instant(7_000L), stamp.apply(record("t", 0, 2, 7_000L)));
    assertEquals(new Instant(1_000L), new KafkaDiscovery.NonDecreasingCreateTime().apply(record("t", 0, 0, 1_000L)));
  }

  private static org.apache.beam.sdk.io.kafka.KafkaRecord<byte[], byte[]> record(
      String topic, int partition, long offset, long createTime) {
    return new org.apache.beam.sdk.io.kafka.KafkaRecord<>(
        topic, partition, offset, createTime, org.apache.beam.sdk.io.kafka.KafkaTimestampType.CREATE_TIME,
        null, new byte[0], new byte[0]);
  }

  @Test
  void aPartitionsWatermarkTrailsTheLargestCreateTimeReadByTheDelay() {
    KafkaDiscovery.DelayedWatermark w = new KafkaDiscovery.DelayedWatermark(null, DELAY);
    w.observeTimestamp(new Instant(1_000_000L));
    w.observeTimestamp(new Instant(5_000_000L));
    w.observeTimestamp(new Instant(3_000_000L));
    assertEquals(new Instant(5_000_000L).minus(DELAY), w.currentWatermark());
    assertEquals(w.currentWatermark(), w.getState());
  }

  @Test
  void aReadThatFindsNothingMovesTheWatermarkToTheWallClockLessTheDelay() {
    Instant before = Instant.now().minus(DELAY);
    KafkaDiscovery.DelayedWatermark idle = new KafkaDiscovery.DelayedWatermark(new Instant(0L), DELAY);
    Instant w = idle.currentWatermark();
    assertTrue(!w.isBefore(before) && !w.isAfter(Instant.now().minus(DELAY)), "idle watermark " + w);
  }

  @Test
  void theWatermarkNeverMovesBack() {
    Instant restored = Instant.now().plus(Duration.standardHours(1));
    KafkaDiscovery.DelayedWatermark w = new KafkaDiscovery.DelayedWatermark(restored, DELAY);
    w.observeTimestamp(new Instant(1_000L));
    assertEquals(restored, w.currentWatermark());
    KafkaDiscovery.DelayedWatermark fresh = new KafkaDiscovery.DelayedWatermark(null, DELAY);
    assertTrue(fresh.currentWatermark().isAfter(BoundedWindow.TIMESTAMP_MIN_VALUE));
  }

  @Test
  void aBadPatternOrIntervalIsRefusedWithTheValue() {
    SourceOptions options = PipelineOptionsFactory.as(SourceOptions.class);
    IllegalArgumentException interval = assertThrows(IllegalArgumentException.class,
        () -> KafkaDiscovery.of("127.0.0.1:9", "a.*", options, Duration.ZERO, DELAY));
    assertTrue(interval.getMessage().contains("PT0S"), interval.getMessage());
    assertThrows(java.util.regex.PatternSyntaxException.class,
        () -> KafkaDiscovery.of("127.0.0.1:9", "a(", options, Duration.standardSeconds(1), DELAY));
  }
}
