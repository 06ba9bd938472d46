package io.tributary.pipelines.io;

import java.lang.reflect.Field;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Future;
import org.apache.beam.sdk.transforms.SerializableFunction;
import org.apache.beam.vendor.guava.v32_1_2_jre.com.google.common.cache.Cache;
import org.apache.kafka.clients.consumer.ConsumerGroupMetadata;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.Callback;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.Metric;
import org.apache.kafka.common.MetricName;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.errors.InterruptException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The producer of each shard of Beam's exactly-once Kafka sink ({@code KafkaIO.write().withEOS},
 * given through {@code withProducerFactoryFn}): a {@link KafkaProducer} whose transactions end
 * cleanly, or whose writer is dropped, when a job attempt fails in the middle of one.
 *
 * <p>Why: Beam keeps each shard's writer and producer in a cache per JVM and group, and reuses it
 * in the next attempt of a restarted job on the same worker. When an attempt fails in the middle
 * of a transaction (on Flink, the tasks of a surviving TaskManager are cancelled and their thread
 * interrupted when another TaskManager dies), the cached producer is left inside that
 * transaction, and every later attempt fails at once ({@code Invalid transition attempted from
 * state IN_TRANSACTION to state IN_TRANSACTION}); Beam's own recovery for a broken producer never
 * runs, as the exception reaches it wrapped. This producer:
 *
 * <ul>
 *   <li>finishes {@code initTransactions}, {@code commitTransaction} and {@code abortTransaction}
 *       when its thread is interrupted (Kafka allows these calls to be retried), and interrupts the
 *       thread again afterwards, so a cancelled attempt leaves no transaction half-ended;
 *   <li>aborts, at the next {@code beginTransaction}, a transaction an attempt left open without
 *       committing (nothing of it is visible to readers; the restored job writes it again);
 *   <li>when a commit or abort failed otherwise (broker unreachable for {@code max.block.ms},
 *       producer fenced by a newer one with its transactional id), fails the next {@code
 *       beginTransaction} and drops the cached writers of its sink group, so that the retry
 *       opens new ones and resumes from the position committed in Kafka, which a reused writer's
 *       own record of its last commit could contradict.
 * </ul>
 */
final class TransactionalProducer<K, V> implements Producer<K, V> {
  private static final Logger LOG = LoggerFactory.getLogger(TransactionalProducer.class);

  /** Where the producer stands in its transactions. */
  enum State {
    /** Initialized, or its last transaction committed or aborted. */
    READY,
    /** A transaction began and has not ended. */
    OPEN,
    /** A commit, abort or initialization failed: its last transaction's outcome is unknown. */
    FAILED
  }

  /** The factory for {@code withProducerFactoryFn}, for the exactly-once sink group {@code group}. */
  static <K, V> SerializableFunction<Map<String, Object>, Producer<K, V>> factory(String group) {
    return new Factory<>(group, KafkaProducer::new);
  }

  static final class Factory<K, V> implements SerializableFunction<Map<String, Object>, Producer<K, V>> {
    private static final long serialVersionUID = 1L;
    private final String group;
    private final SerializableFunction<Map<String, Object>, Producer<K, V>> kafka;

    Factory(String group, SerializableFunction<Map<String, Object>, Producer<K, V>> kafka) {
      this.group = group;
      this.kafka = kafka;
    }

    @Override
    public Producer<K, V> apply(Map<String, Object> config) {
      return new TransactionalProducer<>(kafka.apply(config), group, String.valueOf(config.get(ProducerConfig.TRANSACTIONAL_ID_CONFIG)));
    }
  }

  private final Producer<K, V> kafka;
  private final String group;
  private final String transactionalId;
  private State state = State.READY;
  private RuntimeException failure;

  TransactionalProducer(Producer<K, V> kafka, String group, String transactionalId) {
    this.kafka = kafka;
    this.group = group;
    this.transactionalId = transactionalId;
  }

  State state() {
    return state;
  }

  @Override
  public void initTransactions() {
    ending(kafka::initTransactions);
  }

  @Override
  public void beginTransaction() {
    if (state == State.OPEN) {
      LOG.warn("Kafka producer {}: aborting the transaction an earlier attempt left open", transactionalId);
      try {
        ending(kafka::abortTransaction);
      } catch (RuntimeException e) {
        // FAILED now: handled below
      }
    }
    if (state == State.FAILED) {
      kafka.close(Duration.ZERO);
      boolean dropped = dropCachedWriters(group);
      throw new IllegalStateException(
          "Kafka producer " + transactionalId + ": its last transaction did not end cleanly ("
              + failure + "); "
              + (dropped
                  ? "the cached writers of sink group " + group + " are dropped, so that the retry resumes from the position committed in Kafka"
                  : "Beam's writer cache could not be cleared: restart the worker"),
          failure);
    }
    kafka.beginTransaction();
    state = State.OPEN;
  }

  @Override
  public void commitTransaction() {
    ending(kafka::commitTransaction);
  }

  @Override
  public void abortTransaction() {
    ending(kafka::abortTransaction);
  }

  /**
   * Runs a call that ends (or starts afresh) the producer's transactions to its end, retrying
   * when the thread is interrupted while it waits; the thread is interrupted again afterwards.
   * The producer is {@code READY} if the call succeeds, {@code FAILED} if it throws.
   */
  private void ending(Runnable call) {
    boolean interrupted = false;
    try {
      while (true) {
        try {
          call.run();
          state = State.READY;
          failure = null;
          return;
        } catch (InterruptException e) {
          interrupted = true;
          Thread.interrupted(); // Kafka sets the flag again; the retry must be able to wait
        }
      }
    } catch (RuntimeException e) {
      if (state != State.FAILED) {
        failure = e; // the first failure says why; an abort refused after it says less
      }
      state = State.FAILED;
      throw e;
    } finally {
      if (interrupted) {
        Thread.currentThread().interrupt();
      }
    }
  }

  /**
   * Drops Beam's cached shard writers of a sink group in this JVM ({@code
   * KafkaExactlyOnceSink.ExactlyOnceWriter.CACHE_BY_GROUP_ID}); false when this Beam version has
   * no such cache.
   */
  static boolean dropCachedWriters(String group) {
    Cache<String, ?> cache = beamWriterCache();
    if (cache == null) {
      return false;
    }
    cache.invalidate(group);
    return true;
  }

  /** Beam's per-JVM cache of exactly-once writers by sink group, or null if not found. */
  @SuppressWarnings("unchecked")
  static Cache<String, ?> beamWriterCache() {
    try {
      Field field =
          Class.forName("org.apache.beam.sdk.io.kafka.KafkaExactlyOnceSink$ExactlyOnceWriter")
              .getDeclaredField("CACHE_BY_GROUP_ID");
      field.setAccessible(true);
      return (Cache<String, ?>) field.get(null);
    } catch (ReflectiveOperationException | RuntimeException e) {
      LOG.error("Beam's exactly-once writer cache was not found", e);
      return null;
    }
  }

  @Override
  @SuppressWarnings("deprecation")
  public void sendOffsetsToTransaction(Map<TopicPartition, OffsetAndMetadata> offsets, String consumerGroupId) {
    kafka.sendOffsetsToTransaction(offsets, consumerGroupId);
  }

  @Override
  public void sendOffsetsToTransaction(Map<TopicPartition, OffsetAndMetadata> offsets, ConsumerGroupMetadata metadata) {
    kafka.sendOffsetsToTransaction(offsets, metadata);
  }

  @Override
  public Future<RecordMetadata> send(ProducerRecord<K, V> record) {
    return kafka.send(record);
  }

  @Override
  public Future<RecordMetadata> send(ProducerRecord<K, V> record, Callback callback) {
    return kafka.send(record, callback);
  }

  @Override
  public void flush() {
    kafka.flush();
  }

  @Override
  public List<PartitionInfo> partitionsFor(String topic) {
    return kafka.partitionsFor(topic);
  }

  @Override
  public Map<MetricName, ? extends Metric> metrics() {
    return kafka.metrics();
  }

  @Override
  public Uuid clientInstanceId(Duration timeout) {
    return kafka.clientInstanceId(timeout);
  }

  @Override
  public void close() {
    kafka.close();
  }

  @Override
  public void close(Duration timeout) {
    kafka.close(timeout);
  }
}
