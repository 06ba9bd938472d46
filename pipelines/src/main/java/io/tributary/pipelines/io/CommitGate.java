package io.tributary.pipelines.io;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.coders.VarLongCoder;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.metrics.Metrics;
import org.apache.beam.sdk.state.MapState;
import org.apache.beam.sdk.state.StateSpec;
import org.apache.beam.sdk.state.StateSpecs;
import org.apache.beam.sdk.state.TimeDomain;
import org.apache.beam.sdk.state.Timer;
import org.apache.beam.sdk.state.TimerSpec;
import org.apache.beam.sdk.state.TimerSpecs;
import org.apache.beam.sdk.state.ValueState;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.display.DisplayData;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionList;
import org.apache.beam.sdk.values.PDone;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.joda.time.Instant;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Commits a consumer group's Kafka offsets only once every sink has written what was read before
 * them: for a runner that keeps no state across a crash (the Direct runner), where KafkaIO's
 * commit on finalize runs as soon as a bundle has been read, while the records are still on their
 * way to the sinks or gathered in a sink's state (the lake's next file). After a {@code kill -9}
 * such a pipeline starts again from offsets whose records all reached every sink, so nothing is
 * lost; what it had written after them is written again, which the sinks take without harm (the
 * cache and features are fenced by source position, the lake drops rows it already holds).
 *
 * <p>Input: one mark per record read, {@code "<topic>\n<partition>"} and offset, stamped with the
 * record's read timestamp (see below). Beside them, the collections {@code written} that the
 * sinks output once they have written (file names, failures): no element of them is used, only
 * their watermark. The marks and those collections are flattened into one keyed step, so its
 * input watermark is the least of theirs. A step holds its output watermark while it has an
 * element pending, or rows in state behind a timer's output timestamp (the lake), so the
 * watermark of a sink's output passes a mark's timestamp only once every element derived from
 * records stamped before it has been written, late ones included (a late element holds back the
 * watermarks after it at the value they had). A mark is released when the input watermark passes
 * its timestamp; per partition the group's offset moves to the highest released offset plus one,
 * but never past a mark still held.
 *
 * <p>This needs the marks' timestamps not to decrease with the offset within a partition and
 * never to be behind the source's watermark: the reader stamps records with the time they were
 * read, or later ({@link KafkaDiscovery#withCommitsByGate}). Marks are kept per partition and second (the least
 * and greatest offset), so the state is small whatever the rate. A commit that fails (the broker
 * is away) is tried again a second later; the committed offset only ever moves forward.
 * Counters: {@code offsetCommits}, {@code offsetCommitFailures}.
 */
public final class CommitGate extends PTransform<PCollection<KV<String, Long>>, PDone> {
  private static final Logger LOG = LoggerFactory.getLogger(CommitGate.class);

  /** Namespace of the gate's counters. */
  public static final String METRICS_NAMESPACE = "tributary.kafka";

  /** Commits a partition's offset (the next record to read) for the group. */
  public interface Committer extends Serializable {
    void commit(String topic, int partition, long offset) throws Exception;

    /** Releases what the committer holds (a Kafka consumer). */
    default void close() {}
  }

  private final List<PCollection<?>> written;
  private final Committer committer;

  private CommitGate(List<PCollection<?>> written, Committer committer) {
    this.written = List.copyOf(written);
    this.committer = committer;
  }

  /**
   * Commits the marks to the group of {@code consumer} once every collection of {@code written}
   * has its watermark past them.
   */
  public static CommitGate after(List<PCollection<?>> written, String bootstrapServers, Sources.ConsumerSettings consumer) {
    if (!consumer.commits()) {
      throw new IllegalArgumentException("CommitGate needs a consumer group (--consumerGroup)");
    }
    return new CommitGate(written, new KafkaCommitter(bootstrapServers, consumer));
  }

  /** As {@link #after(List, String, Sources.ConsumerSettings)}, with any committer (tests). */
  public static CommitGate after(List<PCollection<?>> written, Committer committer) {
    return new CommitGate(written, committer);
  }

  /** The mark of a record: its topic and partition as one key, and its offset. */
  public static KV<String, Long> mark(String topic, int partition, long offset) {
    return KV.of(topic + "\n" + partition, offset);
  }

  @Override
  public PDone expand(PCollection<KV<String, Long>> marks) {
    KvCoder<String, Long> coder = KvCoder.of(StringUtf8Coder.of(), VarLongCoder.of());
    PCollectionList<KV<String, Long>> all = PCollectionList.of(marks);
    int i = 0;
    for (PCollection<?> w : written) {
      all = all.and(signal(w, "Written" + i++, coder));
    }
    GlobalFlatten.of("MarksAndWritten", all).apply("Release", ParDo.of(new ReleaseFn(committer)));
    return PDone.in(marks.getPipeline());
  }

  private static <T> PCollection<KV<String, Long>> signal(PCollection<T> w, String name, KvCoder<String, Long> coder) {
    return w.apply(name, ParDo.of(new WatermarkOnlyFn<T>())).setCoder(coder);
  }

  @Override
  public void populateDisplayData(DisplayData.Builder builder) {
    super.populateDisplayData(builder);
    builder.add(DisplayData.item("waitsFor", written.size()).withLabel("Collections waited for"));
  }

  /** Outputs nothing: its output carries the watermark of its input alone. */
  static final class WatermarkOnlyFn<T> extends DoFn<T, KV<String, Long>> {
    @ProcessElement
    public void process() {}
  }

  /**
   * Per partition: the marks by second (least and greatest offset), released by an event-time
   * timer at each second's end; commits as the class comment says.
   */
  static final class ReleaseFn extends DoFn<KV<String, Long>, Void> {
    private static final long SECOND = 1000;
    private final Committer committer;
    private final Counter commits = Metrics.counter(METRICS_NAMESPACE, "offsetCommits");
    private final Counter failures = Metrics.counter(METRICS_NAMESPACE, "offsetCommitFailures");

    /** End of second (exclusive) to the least and greatest offset marked in it. */
    @StateId("seconds")
    private final StateSpec<MapState<Long, KV<Long, Long>>> secondsSpec =
        StateSpecs.map(VarLongCoder.of(), KvCoder.of(VarLongCoder.of(), VarLongCoder.of()));

    @StateId("releaseAt")
    private final StateSpec<ValueState<Long>> releaseAtSpec = StateSpecs.value(VarLongCoder.of());

    /** The offset to commit (released), and the one last committed. */
    @StateId("offsets")
    private final StateSpec<ValueState<KV<Long, Long>>> offsetsSpec =
        StateSpecs.value(KvCoder.of(VarLongCoder.of(), VarLongCoder.of()));

    @TimerId("release")
    private final TimerSpec releaseSpec = TimerSpecs.timer(TimeDomain.EVENT_TIME);

    ReleaseFn(Committer committer) {
      this.committer = committer;
    }

    @ProcessElement
    public void process(
        @Element KV<String, Long> mark,
        @Timestamp Instant timestamp,
        @StateId("seconds") MapState<Long, KV<Long, Long>> seconds,
        @StateId("releaseAt") ValueState<Long> releaseAt,
        @TimerId("release") Timer release) {
      long end = Math.floorDiv(timestamp.getMillis(), SECOND) * SECOND + SECOND;
      KV<Long, Long> range = seconds.get(end).read();
      long offset = mark.getValue();
      seconds.put(
          end,
          range == null
              ? KV.of(offset, offset)
              : KV.of(Math.min(range.getKey(), offset), Math.max(range.getValue(), offset)));
      Long at = releaseAt.read();
      if (at == null || end < at) {
        releaseAt.write(end);
        release.withNoOutputTimestamp().set(new Instant(end));
      }
    }

    @OnTimer("release")
    public void onRelease(
        OnTimerContext context,
        @Key String partition,
        @StateId("seconds") MapState<Long, KV<Long, Long>> seconds,
        @StateId("releaseAt") ValueState<Long> releaseAt,
        @StateId("offsets") ValueState<KV<Long, Long>> offsets,
        @TimerId("release") Timer release) {
      long now = context.fireTimestamp().getMillis();
      long releasedMax = -1;
      long heldMin = Long.MAX_VALUE;
      long next = Long.MAX_VALUE;
      List<Long> released = new ArrayList<>();
      for (Map.Entry<Long, KV<Long, Long>> e : seconds.entries().read()) {
        if (e.getKey() <= now) {
          released.add(e.getKey());
          releasedMax = Math.max(releasedMax, e.getValue().getValue());
        } else {
          heldMin = Math.min(heldMin, e.getValue().getKey());
          next = Math.min(next, e.getKey());
        }
      }
      released.forEach(seconds::remove);
      KV<Long, Long> known = offsets.read();
      long target = known == null ? -1 : known.getKey();
      long committed = known == null ? -1 : known.getValue();
      if (releasedMax >= 0) {
        target = Math.max(target, Math.min(releasedMax + 1, heldMin));
      }
      if (target > committed) {
        int newline = partition.lastIndexOf('\n');
        try {
          committer.commit(partition.substring(0, newline), Integer.parseInt(partition.substring(newline + 1)), target);
          committed = target;
          commits.inc();
        } catch (Exception e) {
          failures.inc();
          LOG.warn("Committing offset {} of {} failed, trying again in a second: {}",
              target, partition.replace('\n', '/'), e.toString());
          next = Math.min(next, now + SECOND);
        }
      }
      offsets.write(KV.of(target, committed));
      if (next == Long.MAX_VALUE) {
        releaseAt.clear();
      } else {
        releaseAt.write(next);
        release.withNoOutputTimestamp().set(new Instant(next));
      }
    }

    @Teardown
    public void teardown() {
      committer.close();
    }
  }

  /** Commits with a Kafka consumer of the group (created on first use; it never polls). */
  static final class KafkaCommitter implements Committer {
    private static final long serialVersionUID = 1L;
    private final String bootstrapServers;
    private final Sources.ConsumerSettings settings;
    private transient Consumer<byte[], byte[]> consumer;

    KafkaCommitter(String bootstrapServers, Sources.ConsumerSettings settings) {
      this.bootstrapServers = bootstrapServers;
      this.settings = settings;
    }

    @Override
    public void commit(String topic, int partition, long offset) {
      if (consumer == null) {
        Map<String, Object> config = new java.util.HashMap<>(settings.config());
        config.put("bootstrap.servers", bootstrapServers);
        config.put("key.deserializer", org.apache.kafka.common.serialization.ByteArrayDeserializer.class.getName());
        config.put("value.deserializer", org.apache.kafka.common.serialization.ByteArrayDeserializer.class.getName());
        consumer = settings.factory().apply(config);
      }
      consumer.commitSync(
          Map.of(new TopicPartition(topic, partition), new OffsetAndMetadata(offset)), java.time.Duration.ofSeconds(10));
    }

    @Override
    public void close() {
      if (consumer != null) {
        consumer.close();
        consumer = null;
      }
    }
  }
}
