package io.tributary.pipelines.io;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;
import org.apache.beam.sdk.coders.ListCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.io.kafka.KafkaIO;
import org.apache.beam.sdk.io.kafka.KafkaRecord;
import org.apache.beam.sdk.io.kafka.KafkaSourceDescriptor;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.metrics.Metrics;
import org.apache.beam.sdk.state.StateSpec;
import org.apache.beam.sdk.state.StateSpecs;
import org.apache.beam.sdk.state.ValueState;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.PeriodicImpulse;
import org.apache.beam.sdk.transforms.SerializableFunction;
import org.apache.beam.sdk.transforms.WithKeys;
import org.apache.beam.sdk.transforms.display.DisplayData;
import org.apache.beam.sdk.transforms.splittabledofn.TimestampObservingWatermarkEstimator;
import org.apache.beam.sdk.transforms.splittabledofn.WatermarkEstimator;
import org.apache.beam.sdk.transforms.windowing.BoundedWindow;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PBegin;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.TypeDescriptors;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.joda.time.Duration;
import org.joda.time.Instant;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Kafka records of every topic matching a pattern, topics created while the pipeline runs
 * included: the topics are listed every {@code interval}, and each partition not seen before is
 * handed to KafkaIO's splittable reader ({@link KafkaIO#readSourceDescriptors()}).
 *
 * <p>Where a partition starts: at its consumer group's committed offset when there is one; else a
 * partition found by the first listing follows {@code auto.offset.reset} (--inputOffsetReset), and
 * one found later, which was created while the pipeline ran, starts at its beginning, so that none
 * of its records is skipped. With a consumer group the offsets are committed as the runner
 * finalizes its checkpoints, or by a {@link CommitGate} after the sinks ({@link #withCommitsByGate}). The partitions seen are kept in state, so a job restored from a
 * checkpoint does not hand them out again.
 *
 * <p>Timestamps and watermark, as {@code KafkaIO.read().withCreateTime(maxDelay)}: records carry
 * their Kafka create time; a partition's watermark trails the largest create time read by {@code
 * maxDelay}, and, when a read finds nothing new, the wall clock by {@code maxDelay} (an idle
 * partition does not hold the pipeline back).
 */
public final class KafkaDiscovery
    extends PTransform<PBegin, PCollection<KafkaRecord<byte[], byte[]>>> {
  private static final Logger LOG = LoggerFactory.getLogger(KafkaDiscovery.class);

  /** Namespace of the discovery counters. */
  public static final String METRICS_NAMESPACE = "tributary.kafka";

  private final String bootstrapServers;
  private final String pattern;
  private final Sources.ConsumerSettings consumer;
  private final Duration interval;
  private final Duration maxDelay;
  private final boolean gated;

  private KafkaDiscovery(
      String bootstrapServers,
      String pattern,
      Sources.ConsumerSettings consumer,
      Duration interval,
      Duration maxDelay,
      boolean gated) {
    this.bootstrapServers = bootstrapServers;
    this.pattern = pattern;
    this.consumer = consumer;
    this.interval = interval;
    this.maxDelay = maxDelay;
    this.gated = gated;
  }

  /**
   * Leaves committing the group's offsets to a {@link CommitGate} after the sinks (none is
   * committed on finalize), and stamps each record with the latest of its create time, the time
   * it is read and the timestamp of the record before it in its partition ({@link
   * NonDecreasingReadTime}), as the gate needs: timestamps that never decrease with the offset
   * and are never behind the watermark. (The cdc parser stamps changes with their commit time,
   * and logs and readings carry their own.)
   */
  public KafkaDiscovery withCommitsByGate() {
    return new KafkaDiscovery(bootstrapServers, pattern, consumer, interval, maxDelay, true);
  }

  /**
   * Reads the topics matching {@code pattern} (a Java regular expression over whole topic names)
   * with the consumer settings of {@link Sources#consumerSettings}, listing them every {@code
   * interval}.
   */
  public static KafkaDiscovery of(
      String bootstrapServers, String pattern, SourceOptions options, Duration interval, Duration maxDelay) {
    if (!interval.isLongerThan(Duration.ZERO)) {
      throw new IllegalArgumentException("KafkaDiscovery: the interval must be positive, got " + interval);
    }
    Pattern.compile(pattern);
    return new KafkaDiscovery(bootstrapServers, pattern, Sources.consumerSettings(options), interval, maxDelay, false);
  }

  @Override
  public PCollection<KafkaRecord<byte[], byte[]>> expand(PBegin input) {
    KafkaIO.ReadSourceDescriptors<byte[], byte[]> read =
        KafkaIO.<byte[], byte[]>readSourceDescriptors()
            .withBootstrapServers(bootstrapServers)
            .withKeyDeserializer(ByteArrayDeserializer.class)
            .withValueDeserializer(ByteArrayDeserializer.class)
            .withConsumerConfigUpdates(consumer.config())
            .withConsumerFactoryFn(consumer.factory())
            .withCreatWatermarkEstimatorFn(new DelayedWatermarkFn(maxDelay));
    read = gated ? read.withExtractOutputTimestampFn(new NonDecreasingReadTime()) : read.withCreateTime();
    if (consumer.commits() && !gated) {
      read = read.commitOffsets();
    }
    return input
        .apply("ListTopicsEvery" + interval, PeriodicImpulse.create().withInterval(interval))
        .apply("OneKey", WithKeys.<String, Instant>of("topics").withKeyType(TypeDescriptors.strings()))
        .apply("NewPartitions", ParDo.of(new NewPartitionsFn(bootstrapServers, pattern, consumer, gated)))
        .apply("ReadPartitions", read);
  }

  @Override
  public void populateDisplayData(DisplayData.Builder builder) {
    super.populateDisplayData(builder);
    builder
        .add(DisplayData.item("topicPattern", pattern))
        .add(DisplayData.item("interval", interval))
        .add(DisplayData.item("maxDelay", maxDelay))
        .add(DisplayData.item("commitOffsets", consumer.commits() && !gated))
        .add(DisplayData.item("commitsByGate", gated));
  }

  /**
   * A record's timestamp for a {@link CommitGate}: the latest of its create time, the time it is
   * read and the timestamp of the record before it in its partition. So timestamps never
   * decrease with the offset, and no record is behind its reader's watermark, which starts at the
   * time the partition was listed (KafkaIO's reader takes the listing's timestamp as its initial
   * watermark state, so records written before it would be late with their create time) and
   * trails the largest timestamp by the delay. The latest is kept per reader (a random id made
   * with the transform) and partition in this JVM, where a gate's runner (the Direct runner)
   * reads every partition.
   */
  static final class NonDecreasingReadTime
      implements org.apache.beam.sdk.transforms.SerializableFunction<KafkaRecord<byte[], byte[]>, Instant> {
    private static final java.util.concurrent.ConcurrentHashMap<String, Long> LATEST =
        new java.util.concurrent.ConcurrentHashMap<>();
    private final String reader = java.util.UUID.randomUUID().toString();

    @Override
    public Instant apply(KafkaRecord<byte[], byte[]> record) {
      String key = reader + "\n" + record.getTopic() + "\n" + record.getPartition();
      long stamp = Math.max(record.getTimestamp(), System.currentTimeMillis());
      return new Instant(LATEST.merge(key, stamp, Math::max));
    }
  }

  /**
   * Lists the partitions of the matching topics at each tick and emits a descriptor for each one
   * not emitted before (state: the partitions seen, as "topic/partition").
   */
  static final class NewPartitionsFn extends DoFn<KV<String, Instant>, KafkaSourceDescriptor> {
    private final String bootstrapServers;
    private final String pattern;
    private final Sources.ConsumerSettings settings;
    private final boolean gated;
    private final Counter discovered = Metrics.counter(METRICS_NAMESPACE, "partitionsDiscovered");
    private transient Pattern compiled;
    private transient Consumer<byte[], byte[]> consumer;

    @StateId("seen")
    private final StateSpec<ValueState<List<String>>> seenSpec =
        StateSpecs.value(ListCoder.of(StringUtf8Coder.of()));

    NewPartitionsFn(String bootstrapServers, String pattern, Sources.ConsumerSettings settings, boolean gated) {
      this.bootstrapServers = bootstrapServers;
      this.pattern = pattern;
      this.settings = settings;
      this.gated = gated;
    }

    @Setup
    public void setup() {
      compiled = Pattern.compile(pattern);
      Map<String, Object> config = new HashMap<>(settings.config());
      config.put("bootstrap.servers", bootstrapServers);
      config.put("key.deserializer", ByteArrayDeserializer.class.getName());
      config.put("value.deserializer", ByteArrayDeserializer.class.getName());
      config.put("enable.auto.commit", false);
      consumer = settings.factory().apply(config);
    }

    @ProcessElement
    public void process(
        @StateId("seen") ValueState<List<String>> seenState, OutputReceiver<KafkaSourceDescriptor> out) {
      List<String> seenList = seenState.read();
      boolean first = seenList == null;
      Set<String> seen = first ? new TreeSet<>() : new TreeSet<>(seenList);
      List<TopicPartition> found = new ArrayList<>();
      for (Map.Entry<String, List<PartitionInfo>> topic : consumer.listTopics().entrySet()) {
        if (!compiled.matcher(topic.getKey()).matches()) {
          continue;
        }
        for (PartitionInfo p : topic.getValue()) {
          TopicPartition tp = new TopicPartition(p.topic(), p.partition());
          if (!seen.contains(tp.toString())) {
            found.add(tp);
          }
        }
      }
      if (found.isEmpty() && !first) {
        return;
      }
      Map<TopicPartition, Long> starts = first ? Map.of() : startsOfNew(found);
      if (gated && settings.commits() && !found.isEmpty()) {
        starts = commitStarts(found, first, starts);
      }
      for (TopicPartition tp : found) {
        seen.add(tp.toString());
        out.output(KafkaSourceDescriptor.of(tp, starts.get(tp), null, null, null, null));
      }
      discovered.inc(found.size());
      if (!found.isEmpty()) {
        LOG.info("{} partition(s) of topics matching '{}' {}: {}", found.size(), pattern,
            first ? "at start" : "found while running", found);
      }
      seenState.write(new ArrayList<>(seen));
    }

    /** Where partitions found while running start: null (the group's offset) or their beginning. */
    private Map<TopicPartition, Long> startsOfNew(List<TopicPartition> found) {
      Map<TopicPartition, Long> starts = new HashMap<>(consumer.beginningOffsets(found));
      if (settings.commits()) {
        for (Map.Entry<TopicPartition, OffsetAndMetadata> c : consumer.committed(Set.copyOf(found)).entrySet()) {
          if (c.getValue() != null) {
            starts.remove(c.getKey());
          }
        }
      }
      return starts;
    }

    /**
     * With a commit gate, which commits only once the sinks have written, a partition that has no
     * committed offset gets its start committed at once: where the reader starts (the first
     * listing's by {@code auto.offset.reset}, a later one's at its beginning), before which
     * nothing will be read. So a pipeline killed before its first commit starts again there, and
     * not by the reset policy at a later end. The starts, made explicit, are returned.
     */
    private Map<TopicPartition, Long> commitStarts(List<TopicPartition> found, boolean first, Map<TopicPartition, Long> starts) {
      Map<TopicPartition, Long> fresh = new HashMap<>(starts);
      if (first) {
        Set<TopicPartition> uncommitted = new java.util.HashSet<>(found);
        for (Map.Entry<TopicPartition, OffsetAndMetadata> c : consumer.committed(Set.copyOf(found)).entrySet()) {
          if (c.getValue() != null) {
            uncommitted.remove(c.getKey());
          }
        }
        boolean latest = "latest".equals(String.valueOf(settings.config().get("auto.offset.reset")));
        if (!uncommitted.isEmpty()) {
          fresh.putAll(latest ? consumer.endOffsets(uncommitted) : consumer.beginningOffsets(uncommitted));
        }
      }
      if (!fresh.isEmpty()) {
        Map<TopicPartition, OffsetAndMetadata> commit = new HashMap<>();
        fresh.forEach((tp, offset) -> commit.put(tp, new OffsetAndMetadata(offset)));
        consumer.commitSync(commit);
        LOG.info("committed the start of {} partition(s) without a committed offset: {}", commit.size(), fresh);
      }
      return fresh;
    }

    @Teardown
    public void teardown() {
      if (consumer != null) {
        consumer.close();
      }
    }
  }

  /** Creates a {@link DelayedWatermark} from its state (the last watermark reported). */
  static final class DelayedWatermarkFn implements SerializableFunction<Instant, WatermarkEstimator<Instant>> {
    private final Duration maxDelay;

    DelayedWatermarkFn(Duration maxDelay) {
      this.maxDelay = maxDelay;
    }

    @Override
    public WatermarkEstimator<Instant> apply(Instant state) {
      return new DelayedWatermark(state, maxDelay);
    }
  }

  /**
   * A partition's watermark: the largest timestamp read trailed by the delay; after a read that
   * found nothing, the wall clock trailed by the delay. Never moves back.
   */
  static final class DelayedWatermark implements TimestampObservingWatermarkEstimator<Instant> {
    private final Duration maxDelay;
    private Instant watermark;
    private Instant largest;

    DelayedWatermark(Instant state, Duration maxDelay) {
      this.maxDelay = maxDelay;
      this.watermark = state == null ? BoundedWindow.TIMESTAMP_MIN_VALUE : state;
    }

    @Override
    public void observeTimestamp(Instant timestamp) {
      if (largest == null || timestamp.isAfter(largest)) {
        largest = timestamp;
      }
    }

    @Override
    public Instant currentWatermark() {
      Instant candidate = (largest == null ? Instant.now() : largest).minus(maxDelay);
      if (candidate.isAfter(watermark)) {
        watermark = candidate;
      }
      return watermark;
    }

    @Override
    public Instant getState() {
      return currentWatermark();
    }
  }
}
