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
   * For a commit gate, records are stamped with the latest of their create time, the time they
   * are read and the stamp before them in their partition: an old create time (a record written
   * before the pipeline started) takes the read time; a create time that goes back takes the
   * stamp before it; partitions and readers apart.
   */
  @Test
  void gatedRecordsAreStampedNoEarlierThanTheirReadNorTheRecordBefore() {
    KafkaDiscovery.NonDecreasingReadTime stamp = new KafkaDiscovery.NonDecreasingReadTime();
    long before = System.currentTimeMillis();
    Instant old = stamp.apply(record("t", 0, 0, 5_000L));
    assertTrue(!old.isBefore(new Instant(before)) && !old.isAfter(Instant.now()), "an old record is stamped when read: " + old);
    long future = before + 3_600_000L;
    assertEquals(new Instant(future), stamp.apply(record("t", 0, 1, future)));
    assertEquals(new Instant(future), stamp.apply(record("t", 0, 2, future - 1_000_000L)), "a create time going back");
    assertEquals(new Instant(future + 5), stamp.apply(record("t", 0, 3, future + 5)));
    Instant other = stamp.apply(record("t", 1, 0, 5_000L));
    assertTrue(other.isBefore(new Instant(future)), "another partition keeps its own stamps: " + other);
    Instant otherReader = new KafkaDiscovery.NonDecreasingReadTime().apply(record("t", 0, 0, 5_000L));
    assertTrue(otherReader.isBefore(new Instant(future)), "another reader keeps its own stamps: " + otherReader);
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
