package io.tributary.pipelines.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tributary.pipelines.fraud.TransactionGenerator;
import io.tributary.proto.fraud.Transaction;
import io.tributary.testing.BeamTest;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.LongStream;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.testing.PAssert;
import org.apache.beam.sdk.testing.SourceTestUtils;
import org.apache.beam.sdk.testing.TestPipeline;
import org.apache.beam.sdk.transforms.Combine;
import org.apache.beam.sdk.transforms.Count;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.Sum;
import org.apache.beam.sdk.transforms.windowing.AfterWatermark;
import org.apache.beam.sdk.transforms.windowing.FixedWindows;
import org.apache.beam.sdk.transforms.windowing.GlobalWindows;
import org.apache.beam.sdk.transforms.windowing.Window;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.joda.time.Duration;
import org.joda.time.Instant;
import org.junit.jupiter.api.Test;

@BeamTest
class SyntheticTest {
  private static final TransactionGenerator GENERATOR =
      new TransactionGenerator(3, 1_700_000_000_000L, 100, 50, 0.01, 2000);

  @Test
  void boundedGivesEveryRecordOnceStampedWithItsEventTime(TestPipeline p) {
    // 2,503 records in shards of 100: 26 shards, the last one short.
    List<KV<String, Long>> expected = new ArrayList<>();
    for (long i = 0; i < 2503; i++) {
      Transaction t = GENERATOR.at(i);
      expected.add(KV.of(t.getTransactionId(), t.getEventTimeMillis()));
    }
    PCollection<KV<String, Long>> stamped =
        p.apply(Synthetic.bounded(GENERATOR, 2503).withShardSize(100)).apply("Stamps", ParDo.of(new StampFn()));
    PAssert.that(stamped).containsInAnyOrder(expected);
    PAssert.that(p.apply("None", Synthetic.bounded(GENERATOR, 0))).empty();
    p.run().waitUntilFinish();
  }

  @Test
  void shardSourceSplitsIntoOneSourcePerShardAndReadsEachOnce() throws Exception {
    PipelineOptions options = PipelineOptionsFactory.create();
    Synthetic.ShardSource source = new Synthetic.ShardSource(0, 7);
    // Whatever bundle size the runner asks for.
    for (long bytes : new long[] {1, 8, 1 << 20}) {
      List<Synthetic.ShardSource> splits = source.split(bytes, options);
      assertEquals(7, splits.size(), "splits for a desired bundle of " + bytes + " bytes");
      SourceTestUtils.assertSourcesEqualReferenceSource(source, splits, options);
    }
    assertEquals(LongStream.range(0, 7).boxed().toList(), SourceTestUtils.readFromSource(source, options));
    // A runner may split a reader while it reads (the Direct runner and Dataflow do).
    SourceTestUtils.assertSplitAtFractionExhaustive(source, options);
    Synthetic.ShardSource none = new Synthetic.ShardSource(0, 0);
    assertEquals(List.of(none), none.split(8, options));
    assertEquals(List.of(), SourceTestUtils.readFromSource(none, options));
  }

  @Test
  void boundedRefusesANegativeCount() {
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> Synthetic.bounded(GENERATOR, -1));
    assertTrue(e.getMessage().contains("-1"), e.getMessage());
  }

  /** A record's id and the timestamp it carries. */
  private static final class StampFn extends DoFn<Transaction, KV<String, Long>> {
    @ProcessElement
    public void process(@Element Transaction t, @Timestamp Instant timestamp, OutputReceiver<KV<String, Long>> out) {
      out.output(KV.of(t.getTransactionId(), timestamp.getMillis()));
    }
  }

  @Test
  void streamedReadsEveryRecordOnceInItsPartsAndEnds(TestPipeline p) {
    List<Transaction> expected = new ArrayList<>();
    for (long i = 0; i < 1000; i++) {
      expected.add(GENERATOR.at(i));
    }
    PCollection<Transaction> streamed = p.apply(Synthetic.streamed(GENERATOR, 1000, 3));
    PAssert.that(streamed).containsInAnyOrder(expected);
    // The watermark promise holds: windowed per second of event time, no record is late, and the
    // windows close because the stream ends.
    PCollection<Long> perSecond =
        streamed
            .apply(Window.into(FixedWindows.of(Duration.standardSeconds(1))))
            .apply(Combine.globally(Count.<Transaction>combineFn()).withoutDefaults());
    PAssert.that(
            perSecond
                .apply(
                    "Global",
                    Window.<Long>into(new GlobalWindows())
                        .triggering(AfterWatermark.pastEndOfWindow())
                        .withAllowedLateness(Duration.ZERO)
                        .discardingFiredPanes())
                .apply("Total", Sum.longsGlobally()))
        .containsInAnyOrder(1000L);
    p.run().waitUntilFinish();
  }

  @Test
  void pacedReleasesEachRecordOnceAtItsSlotAndEnds(TestPipeline p) {
    // 40 records at 100 a second from now: the run ends once the last slot (0.39 s on) passed.
    long start = System.currentTimeMillis();
    TransactionGenerator live = new TransactionGenerator(5, start, 100, 10, 0.01, 0);
    List<Transaction> expected = new ArrayList<>();
    for (long i = 0; i < 40; i++) {
      expected.add(live.at(i));
    }
    PAssert.that(p.apply(Synthetic.paced(live, 40))).containsInAnyOrder(expected);
    p.run().waitUntilFinish();
    long took = System.currentTimeMillis() - start;
    assertTrue(
        took >= live.slotMillis(39) - start, "the last record waits for its slot: the run took " + took + " ms");
  }
}
