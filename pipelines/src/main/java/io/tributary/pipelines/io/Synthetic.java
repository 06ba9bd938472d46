package io.tributary.pipelines.io;

import java.io.Serializable;
import java.util.List;
import java.util.NoSuchElementException;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.coders.SerializableCoder;
import org.apache.beam.sdk.io.GenerateSequence;
import org.apache.beam.sdk.io.Read;
import org.apache.beam.sdk.io.UnboundedSource;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.values.PBegin;
import org.apache.beam.sdk.values.PCollection;
import org.joda.time.Instant;

/**
 * The synthetic source of every pipeline: records from a {@link Generator}, a pure function of an
 * index, each stamped with its event time.
 *
 * <ul>
 *   <li>{@link #bounded}: records {@code 0..n-1} as fast as the runner reads them (tests,
 *       benchmarks); splittable, so read in parallel.
 *   <li>{@link #unbounded}: records released as their slot time passes on the wall clock; the
 *       watermark is the generator's promise {@link Generator#watermarkMillis}, so no generated
 *       record is late.
 * </ul>
 */
public final class Synthetic {
  private Synthetic() {}

  /**
   * Record {@code i} of a stream paced at slot times: every record after {@code i} has an event
   * time at or after {@code watermarkMillis(i)}.
   */
  public interface Generator<T> extends Serializable {
    T at(long index);

    long slotMillis(long index);

    long watermarkMillis(long index);

    long eventTimeMillis(T record);

    Coder<T> coder();
  }

  /**
   * The slot times of a stream of {@code eventsPerSecond} records from {@code startMillis}, each
   * record's event time up to {@code maxDisorderMillis} before its slot: every record after {@code
   * i} has an event time at or after {@code slot(i) - maxDisorder}, the watermark a source can
   * promise.
   */
  public record Pacing(long startMillis, double millisPerEvent, int maxDisorderMillis)
      implements Serializable {
    /** Checks the arguments, naming the generator in the error. */
    public static Pacing of(String generator, long startMillis, int eventsPerSecond, int maxDisorderMillis) {
      if (eventsPerSecond <= 0 || maxDisorderMillis < 0) {
        throw new IllegalArgumentException(
            generator
                + ": eventsPerSecond must be positive and maxDisorderMillis not negative, got "
                + eventsPerSecond
                + " and "
                + maxDisorderMillis);
      }
      return new Pacing(startMillis, 1000.0 / eventsPerSecond, maxDisorderMillis);
    }

    public long slotMillis(long index) {
      return startMillis + (long) (index * millisPerEvent);
    }

    public long watermarkMillis(long index) {
      return slotMillis(index) - maxDisorderMillis;
    }

    /** Record {@code index}'s event time: its slot less a random part of the disorder bound. */
    public long eventTimeMillis(long index, java.util.SplittableRandom random) {
      return slotMillis(index) - (maxDisorderMillis == 0 ? 0 : random.nextInt(maxDisorderMillis + 1));
    }
  }

  /** The first {@code count} records of the generator. */
  public static <T> Bounded<T> bounded(Generator<T> generator, long count) {
    return new Bounded<>(generator, count);
  }

  /** An endless stream paced in real time: the generator's start should be about now. */
  public static <T> Read.Unbounded<T> unbounded(Generator<T> generator) {
    return Read.from(new Source<>(generator));
  }

  /** See {@link Synthetic#bounded}. */
  public static final class Bounded<T> extends PTransform<PBegin, PCollection<T>> {
    private final Generator<T> generator;
    private final long count;

    private Bounded(Generator<T> generator, long count) {
      this.generator = generator;
      this.count = count;
    }

    @Override
    public PCollection<T> expand(PBegin input) {
      return input
          .apply("Indexes", GenerateSequence.from(0).to(count))
          .apply("Generate", ParDo.of(new GenerateFn<>(generator)))
          .setCoder(generator.coder());
    }
  }

  static final class GenerateFn<T> extends DoFn<Long, T> {
    private final Generator<T> generator;

    GenerateFn(Generator<T> generator) {
      this.generator = generator;
    }

    @ProcessElement
    public void process(@Element Long index, OutputReceiver<T> out) {
      T record = generator.at(index);
      out.outputWithTimestamp(record, new Instant(generator.eventTimeMillis(record)));
    }
  }

  /** Where a reader resumes: the index of the next record. */
  static final class Checkpoint implements UnboundedSource.CheckpointMark, Serializable {
    private static final long serialVersionUID = 1L;
    final long next;

    Checkpoint(long next) {
      this.next = next;
    }

    @Override
    public void finalizeCheckpoint() {}

    @Override
    public boolean equals(Object o) {
      return o instanceof Checkpoint c && c.next == next;
    }

    @Override
    public int hashCode() {
      return Long.hashCode(next);
    }
  }

  static final class Source<T> extends UnboundedSource<T, Checkpoint> {
    private static final long serialVersionUID = 1L;
    private final Generator<T> generator;

    Source(Generator<T> generator) {
      this.generator = generator;
    }

    @Override
    public List<Source<T>> split(int desiredNumSplits, PipelineOptions options) {
      // One ordered stream: the watermark promise holds for a single reader.
      return List.of(this);
    }

    @Override
    public UnboundedReader<T> createReader(PipelineOptions options, Checkpoint checkpoint) {
      return new PacedReader<>(this, checkpoint == null ? 0 : checkpoint.next);
    }

    @Override
    public Coder<Checkpoint> getCheckpointMarkCoder() {
      return SerializableCoder.of(Checkpoint.class);
    }

    @Override
    public Coder<T> getOutputCoder() {
      return generator.coder();
    }
  }

  static final class PacedReader<T> extends UnboundedSource.UnboundedReader<T> {
    private final Source<T> source;
    private long next;
    private T current;

    PacedReader(Source<T> source, long next) {
      this.source = source;
      this.next = next;
    }

    @Override
    public boolean start() {
      return advance();
    }

    @Override
    public boolean advance() {
      if (System.currentTimeMillis() < source.generator.slotMillis(next)) {
        return false;
      }
      current = source.generator.at(next++);
      return true;
    }

    @Override
    public T getCurrent() {
      if (current == null) {
        throw new NoSuchElementException();
      }
      return current;
    }

    @Override
    public Instant getCurrentTimestamp() {
      return new Instant(source.generator.eventTimeMillis(getCurrent()));
    }

    @Override
    public Instant getWatermark() {
      return new Instant(source.generator.watermarkMillis(next));
    }

    @Override
    public Checkpoint getCheckpointMark() {
      return new Checkpoint(next);
    }

    @Override
    public Source<T> getCurrentSource() {
      return source;
    }

    @Override
    public void close() {}
  }
}
