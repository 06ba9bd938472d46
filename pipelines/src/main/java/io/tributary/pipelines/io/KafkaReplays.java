package io.tributary.pipelines.io;

import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.coders.VarLongCoder;
import org.apache.beam.sdk.io.kafka.KafkaRecord;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.metrics.Metrics;
import org.apache.beam.sdk.state.StateSpec;
import org.apache.beam.sdk.state.StateSpecs;
import org.apache.beam.sdk.state.ValueState;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;

/**
 * Drops Kafka records delivered a second time after a job restored its state, so that every
 * (topic, partition, offset) reaches the pipeline once however often the job restarts.
 *
 * <p>Beam 2.62's Flink runner restores each source reader's partitions and positions from the
 * checkpoint or savepoint, and then assigns the same partitions again from the consumer's start
 * offsets ({@code --inputOffsetReset}, or the group's committed offsets): after every restart a
 * partition is read twice, once from where the job stopped and once from the start (apache/beam
 * issue 34890). A reader delivers a partition in offset order, so a record whose offset is not
 * above the highest one already passed on for its partition is a replay. The highest offset per
 * partition is keyed state, checkpointed with the readers' positions.
 *
 * <p>The dropped records are counted ({@code kafkaReplaysDropped}). Element timestamps are kept.
 * The input must reach the transform in each partition's offset order, as a Flink stream does
 * (first in, first out between two tasks); a batch job may regroup records, so {@link
 * #dropOnFlinkStreams} applies it only where the replays happen: Flink in streaming mode.
 */
public final class KafkaReplays<K, V>
    extends PTransform<PCollection<KafkaRecord<K, V>>, PCollection<KafkaRecord<K, V>>> {
  private KafkaReplays() {}

  public static <K, V> KafkaReplays<K, V> drop() {
    return new KafkaReplays<>();
  }

  /**
   * The records with {@link #drop()} applied when the pipeline runs on Flink in streaming mode
   * (an unbounded read, or {@code --streaming}); unchanged otherwise: other runners do not assign
   * restored partitions twice, and a Flink batch job restores nothing.
   */
  public static <K, V> PCollection<KafkaRecord<K, V>> dropOnFlinkStreams(
      PCollection<KafkaRecord<K, V>> records, String name) {
    org.apache.beam.sdk.options.PipelineOptions options = records.getPipeline().getOptions();
    boolean streaming =
        options.as(org.apache.beam.sdk.options.StreamingOptions.class).isStreaming()
            || records.isBounded() == PCollection.IsBounded.UNBOUNDED;
    return Launch.isFlink(options) && streaming ? records.apply(name, drop()) : records;
  }

  @Override
  public PCollection<KafkaRecord<K, V>> expand(PCollection<KafkaRecord<K, V>> records) {
    return records
        .apply("KeyByPartition", ParDo.of(new KeyByPartitionFn<K, V>()))
        .setCoder(KvCoder.of(StringUtf8Coder.of(), records.getCoder()))
        .apply("DropReplays", ParDo.of(new DropReplaysFn<K, V>()))
        .setCoder(records.getCoder());
  }

  /** Keys a record by its topic and partition. */
  static final class KeyByPartitionFn<K, V> extends DoFn<KafkaRecord<K, V>, KV<String, KafkaRecord<K, V>>> {
    @ProcessElement
    public void process(@Element KafkaRecord<K, V> record, OutputReceiver<KV<String, KafkaRecord<K, V>>> out) {
      out.output(KV.of(record.getTopic() + "/" + record.getPartition(), record));
    }
  }

  /** Passes a partition's records whose offsets are above the highest passed so far. */
  static final class DropReplaysFn<K, V> extends DoFn<KV<String, KafkaRecord<K, V>>, KafkaRecord<K, V>> {
    private final Counter dropped = Metrics.counter(KafkaReplays.class, "kafkaReplaysDropped");

    @StateId("highest")
    private final StateSpec<ValueState<Long>> highestSpec = StateSpecs.value(VarLongCoder.of());

    @ProcessElement
    public void process(
        @Element KV<String, KafkaRecord<K, V>> keyed,
        @StateId("highest") ValueState<Long> highest,
        OutputReceiver<KafkaRecord<K, V>> out) {
      KafkaRecord<K, V> record = keyed.getValue();
      Long passed = highest.read();
      if (passed != null && record.getOffset() <= passed) {
        dropped.inc();
        return;
      }
      highest.write(record.getOffset());
      out.output(record);
    }
  }
}
