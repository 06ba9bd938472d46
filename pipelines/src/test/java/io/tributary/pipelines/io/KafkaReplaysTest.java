package io.tributary.pipelines.io;

import io.tributary.testing.BeamTest;
import java.util.ArrayList;
import java.util.List;
import org.apache.beam.sdk.coders.ByteArrayCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.io.kafka.KafkaRecord;
import org.apache.beam.sdk.io.kafka.KafkaRecordCoder;
import org.apache.beam.sdk.io.kafka.KafkaTimestampType;
import org.apache.beam.sdk.testing.PAssert;
import org.apache.beam.sdk.testing.TestPipeline;
import org.apache.beam.sdk.testing.TestStream;
import org.apache.beam.sdk.transforms.MapElements;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.TypeDescriptors;
import org.joda.time.Instant;
import org.junit.jupiter.api.Test;

@BeamTest
class KafkaReplaysTest {
  /**
   * Two partitions as a restored job reads them: partition 0 from where the job stopped (offset
   * 5) and again from offset 0, the two readers interleaved; partition 1 again from 0 after 0-2.
   * Every offset passes once, in the order a reader first delivered it.
   */
  @Test
  void eachOffsetOfAPartitionPassesOnce(TestPipeline p) {
    List<KafkaRecord<String, byte[]>> delivered = new ArrayList<>();
    for (int o = 0; o < 5; o++) {
      delivered.add(record(0, o));
    }
    for (int o = 0; o < 3; o++) {
      delivered.add(record(1, o));
    }
    // After the restore: the restored reader (5..9) and the fresh one (0..9), interleaved.
    int restored = 5;
    int fresh = 0;
    while (restored < 10 || fresh < 10) {
      if (restored < 10) {
        delivered.add(record(0, restored++));
      }
      for (int k = 0; k < 2 && fresh < 10; k++) {
        delivered.add(record(0, fresh++));
      }
    }
    for (int o = 0; o < 4; o++) {
      delivered.add(record(1, o));
    }
    TestStream.Builder<KafkaRecord<String, byte[]>> stream =
        TestStream.create(KafkaRecordCoder.of(StringUtf8Coder.of(), ByteArrayCoder.of()));
    for (KafkaRecord<String, byte[]> r : delivered) {
      stream = stream.addElements(r);
    }
    PCollection<String> passed =
        p.apply(stream.advanceWatermarkToInfinity())
            .apply(KafkaReplays.drop())
            .apply(
                MapElements.into(TypeDescriptors.strings())
                    .via(r -> r.getPartition() + ":" + r.getOffset()));

    List<String> expected = new ArrayList<>();
    for (int o = 0; o < 10; o++) {
      expected.add("0:" + o);
    }
    for (int o = 0; o < 4; o++) {
      expected.add("1:" + o);
    }
    PAssert.that(passed).containsInAnyOrder(expected);
    p.run().waitUntilFinish();
  }

  private static KafkaRecord<String, byte[]> record(int partition, long offset) {
    return new KafkaRecord<>(
        "payments",
        partition,
        offset,
        1_700_000_000_000L + offset,
        KafkaTimestampType.CREATE_TIME,
        null,
        "k" + offset,
        new byte[] {(byte) offset});
  }
}
