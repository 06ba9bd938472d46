package io.tributary.pipelines.io;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.apache.beam.vendor.guava.v32_1_2_jre.com.google.common.cache.LoadingCache;
import org.apache.kafka.clients.producer.MockProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.errors.InterruptException;
import org.apache.kafka.common.errors.ProducerFencedException;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;

class TransactionalProducerTest {
  private static final String TOPIC = "out";

  /** A mock whose first commit is interrupted while it waits, as Kafka's producer reports it. */
  private static final class InterruptedOnce extends MockProducer<String, String> {
    int commits;

    InterruptedOnce() {
      super(true, new StringSerializer(), new StringSerializer());
    }

    @Override
    public void commitTransaction() {
      if (commits++ == 0) {
        throw new InterruptException(new InterruptedException("task cancelled")); // sets the flag
      }
      super.commitTransaction();
    }
  }

  private static MockProducer<String, String> mock() {
    return new MockProducer<>(true, new StringSerializer(), new StringSerializer());
  }

  private static TransactionalProducer<String, String> wrap(MockProducer<String, String> mock, String group) {
    TransactionalProducer<String, String> producer = new TransactionalProducer<>(mock, group, "producer_0_for_" + group);
    producer.initTransactions();
    return producer;
  }

  private static List<String> committed(MockProducer<String, String> mock) {
    return mock.history().stream().map(ProducerRecord::value).toList();
  }

  @Test
  void anInterruptedCommitIsFinishedAndTheThreadInterruptedAgain() {
    InterruptedOnce mock = new InterruptedOnce();
    TransactionalProducer<String, String> producer = wrap(mock, "g-interrupt");
    producer.beginTransaction();
    producer.send(new ProducerRecord<>(TOPIC, "a"));
    producer.commitTransaction();
    assertTrue(Thread.interrupted(), "the interrupt is kept for the caller");
    assertEquals(2, mock.commits, "the commit was retried");
    assertEquals(TransactionalProducer.State.READY, producer.state());
    assertEquals(List.of("a"), committed(mock));
    producer.beginTransaction();
    producer.send(new ProducerRecord<>(TOPIC, "b"));
    producer.commitTransaction();
    assertEquals(List.of("a", "b"), committed(mock));
  }

  @Test
  void aTransactionLeftOpenIsAbortedAtTheNextBegin() {
    MockProducer<String, String> mock = mock();
    TransactionalProducer<String, String> producer = wrap(mock, "g-open");
    producer.beginTransaction();
    producer.send(new ProducerRecord<>(TOPIC, "abandoned"));
    // The attempt failed between its sends and its commit; the next attempt reuses the producer.
    producer.beginTransaction(); // the mock refuses to begin while a transaction is in flight
    producer.send(new ProducerRecord<>(TOPIC, "again"));
    producer.commitTransaction();
    assertEquals(List.of("again"), committed(mock), "records committed: the abandoned one was aborted");
  }

  @Test
  void aCommitThatTimedOutFailsTheNextBeginAndDropsTheGroupsCachedWriters() throws Exception {
    MockProducer<String, String> mock = mock();
    TransactionalProducer<String, String> producer = wrap(mock, "g-timeout");
    LoadingCache<String, ?> writers = (LoadingCache<String, ?>) TransactionalProducer.beamWriterCache();
    writers.getUnchecked("g-timeout");
    writers.getUnchecked("g-other");
    producer.beginTransaction();
    producer.send(new ProducerRecord<>(TOPIC, "a"));
    mock.commitTransactionException = new TimeoutException("broker unreachable");
    assertThrows(TimeoutException.class, producer::commitTransaction);
    assertEquals(TransactionalProducer.State.FAILED, producer.state());

    IllegalStateException e = assertThrows(IllegalStateException.class, producer::beginTransaction);
    assertThat(e.getMessage(), containsString("producer_0_for_g-timeout"));
    assertThat(e.getMessage(), containsString("broker unreachable"));
    assertThat(e.getMessage(), containsString("cached writers of sink group g-timeout are dropped"));
    assertFalse(writers.asMap().containsKey("g-timeout"), "the group's writers are dropped");
    assertTrue(writers.asMap().containsKey("g-other"), "another group's writers are kept");
    assertTrue(mock.closed(), "the producer is closed");
    assertThrows(IllegalStateException.class, producer::beginTransaction, "and stays failed");
    assertEquals(List.of(), committed(mock));
  }

  @Test
  void aFencedProducerFailsTheNextBeginAndDropsTheGroupsCachedWriters() {
    MockProducer<String, String> mock = mock();
    TransactionalProducer<String, String> producer = wrap(mock, "g-fenced");
    LoadingCache<String, ?> writers = (LoadingCache<String, ?>) TransactionalProducer.beamWriterCache();
    writers.getUnchecked("g-fenced");
    producer.beginTransaction();
    producer.send(new ProducerRecord<>(TOPIC, "a"));
    mock.fenceProducer(); // a newer producer with the same transactional id started elsewhere
    assertThrows(ProducerFencedException.class, producer::commitTransaction);
    assertThrows(ProducerFencedException.class, producer::abortTransaction, "Beam's abort after the failed commit");
    IllegalStateException e = assertThrows(IllegalStateException.class, producer::beginTransaction);
    assertThat(e.getMessage(), containsString("ProducerFencedException"));
    assertFalse(writers.asMap().containsKey("g-fenced"));
  }
}
