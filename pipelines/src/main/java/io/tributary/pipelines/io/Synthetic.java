package io.tributary.pipelines.io;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;
import java.util.NoSuchElementException;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.coders.SerializableCoder;
import org.apache.beam.sdk.coders.VarLongCoder;
import org.apache.beam.sdk.io.OffsetBasedSource;
import org.apache.beam.sdk.io.Read;
import org.apache.beam.sdk.io.UnboundedSource;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.windowing.BoundedWindow;
import org.apache.beam.sdk.values.PBegin;
import org.apache.beam.sdk.values.PCollection;
import org.joda.time.Instant;

/**
 * The synthetic source of every pipeline: records from a {@link Generator}, a pure function of an
 * index, each stamped with its event time.
 *
 * <ul>
 *   <li>{@link #bounded}: records {@code 0..n-1} as fast as the runner reads them (tests,
 *       benchmarks), generated in shards spread over the workers.
 *   <li>{@link #unbounded}: records released as their slot time passes on the wall clock; the
 *       watermark is the generator's promise {@link Generator#watermarkMillis}, so no generated
 *       record is late.
 *   <li>{@link #streamed}: records {@code 0..n-1} as an unbounded stream read as fast as the
 *       runner takes them, with the watermark of {@link #unbounded}: in streaming mode windows and
 *       timers fire as the data goes by, as they do on a live source, and the run ends after the
 *       last record (streaming benchmarks).
 *   <li>{@link #paced}: records {@code 0..n-1} released as in {@link #unbounded}, then the end of
 *       the run (tests of checkpoints and restarts).
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

  /** A generator whose slot times and watermark are those of its {@link Pacing}. */
  public interface PacedGenerator<T> extends Generator<T> {
    Pacing pacing();

    @Override
    default long slotMillis(long index) {
      return pacing().slotMillis(index);
    }

    @Override
    default long watermarkMillis(long index) {
      return pacing().watermarkMillis(index);
    }
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

  /**
   * The first {@code count} records paced in real time (one reader), then the end of time, which
   * ends the run: a live stream of known length, for runs that must checkpoint or fail while the
   * data goes by. The pace is the generator's slot times, counted from when the reader first
   * starts, however long the runner took to start it (a reader resumed from a checkpoint keeps that
   * schedule, so it finds the records due meanwhile as a backlog); event times are the
   * generator's.
   */
  public static <T> Read.Unbounded<T> paced(Generator<T> generator, long count) {
    if (count < 0) {
      throw new IllegalArgumentException("Synthetic.paced: count must not be negative, got " + count);
    }
    return Read.from(new Source<>(generator, true, count, 0, 1, 1));
  }

  /**
   * The first {@code count} records as an unbounded source read in {@code readers} interleaved
   * parts (reader {@code k} reads the indexes {@code k, k + readers, ...}), each as fast as the
   * runner takes it. A reader's watermark is the generator's promise at its next index, so no
   * record is late, and the end of time once it has read its part, which ends the run.
   */
  public static <T> Read.Unbounded<T> streamed(Generator<T> generator, long count, int readers) {
    if (count < 0 || readers <= 0) {
      throw new IllegalArgumentException(
          "Synthetic.streamed: count must not be negative and readers positive, got " + count + " and " + readers);
    }
    return Read.from(new Source<>(generator, false, count, 0, 1, readers));
  }

  /**
   * See {@link Synthetic#bounded}. The indexes are cut into shards of {@link #SHARD_SIZE}, and each
   * shard is generated in one loop. The shard numbers come from a {@link ShardSource}, which splits
   * into one source per shard, so each runner spreads them its own way: Flink hands the next shard
   * to whichever worker asks first, the Direct runner makes each shard a bundle, Dataflow
   * rebalances while it reads. (Records read one by one from a source each update Beam's metrics
   * on Flink: that took about two fifths of a bounded fraud run's CPU. Shards spread by a {@code
   * Reshuffle} with random keys land unevenly: 20 shards on two workers split 12 to 8 or worse
   * about half the time, and the job waits for the busier one.)
   */
  public static final class Bounded<T> extends PTransform<PBegin, PCollection<T>> {
    /** Records per shard: enough to make a shard's overhead negligible, few enough to spread. */
    static final int SHARD_SIZE = 10_000;

    private final Generator<T> generator;
    private final long count;
    private final int shardSize;

    private Bounded(Generator<T> generator, long count) {
      this(generator, count, SHARD_SIZE);
    }

    private Bounded(Generator<T> generator, long count, int shardSize) {
      if (count < 0 || shardSize <= 0) {
        throw new IllegalArgumentException(
            "Synthetic.bounded: count must not be negative and the shard size positive, got " + count + " and " + shardSize);
      }
      this.generator = generator;
      this.count = count;
      this.shardSize = shardSize;
    }

    /** The same records, generated in shards of {@code records} (tests). */
    Bounded<T> withShardSize(int records) {
      return new Bounded<>(generator, count, records);
    }

    @Override
    public PCollection<T> expand(PBegin input) {
      long shards = (count + shardSize - 1) / shardSize;
      return input
          .apply("Shards", Read.from(new ShardSource(0, shards)))
          .apply("Generate", ParDo.of(new GenerateShardFn<>(generator, count, shardSize)))
          .setCoder(generator.coder());
    }
  }

  /**
   * The shard numbers {@code [from, to)}. It splits into one source per shard, whatever bundle size
   * the runner asks for: a shard is already the unit of work, and small splits let a runner hand
   * them out as its workers free up.
   */
  static final class ShardSource extends OffsetBasedSource<Long> {
    private static final long serialVersionUID = 1L;

    ShardSource(long from, long to) {
      super(from, to, 1);
    }

    @Override
    public List<ShardSource> split(long desiredBundleSizeBytes, PipelineOptions options) {
      if (getEndOffset() - getStartOffset() <= 1) {
        return List.of(this);
      }
      List<ShardSource> shards = new ArrayList<>();
      for (long shard = getStartOffset(); shard < getEndOffset(); shard++) {
        shards.add(new ShardSource(shard, shard + 1));
      }
      return shards;
    }

    @Override
    public long getMaxEndOffset(PipelineOptions options) {
      return getEndOffset();
    }

    @Override
    public ShardSource createSourceForSubrange(long start, long end) {
      return new ShardSource(start, end);
    }

    @Override
    public BoundedReader<Long> createReader(PipelineOptions options) {
      return new ShardReader(this);
    }

    @Override
    public Coder<Long> getOutputCoder() {
      return VarLongCoder.of();
    }
  }

  static final class ShardReader extends OffsetBasedSource.OffsetBasedReader<Long> {
    private long current;

    ShardReader(ShardSource source) {
      super(source);
    }

    @Override
    protected long getCurrentOffset() {
      return current;
    }

    @Override
    protected boolean startImpl() {
      current = getCurrentSource().getStartOffset();
      return current < getCurrentSource().getEndOffset();
    }

    @Override
    protected boolean advanceImpl() {
      current++;
      return current < getCurrentSource().getEndOffset();
    }

    @Override
    public Long getCurrent() {
      return current;
    }

    @Override
    public void close() {}
  }

  /** The records of a shard (by its number), each stamped with its event time. */
  static final class GenerateShardFn<T> extends DoFn<Long, T> {
    private final Generator<T> generator;
    private final long count;
    private final int shardSize;

    GenerateShardFn(Generator<T> generator, long count, int shardSize) {
      this.generator = generator;
      this.count = count;
      this.shardSize = shardSize;
    }

    @ProcessElement
    public void process(@Element Long shard, OutputReceiver<T> out) {
      long first = shard * shardSize;
      long end = Math.min(count, first + shardSize);
      for (long index = first; index < end; index++) {
        T record = generator.at(index);
        out.outputWithTimestamp(record, new Instant(generator.eventTimeMillis(record)));
      }
    }
  }

  /**
   * Where a reader resumes: the index of the next record, and the shift of a finite paced stream's
   * schedule, kept so that a resumed reader finds the records due while it was down as a backlog,
   * as a restored job finds a live source's.
   */
  static final class Checkpoint implements UnboundedSource.CheckpointMark, Serializable {
    private static final long serialVersionUID = 2L;
    final long next;
    final long shift;

    Checkpoint(long next, long shift) {
      this.next = next;
      this.shift = shift;
    }

    @Override
    public void finalizeCheckpoint() {}

    @Override
    public boolean equals(Object o) {
      return o instanceof Checkpoint c && c.next == next && c.shift == shift;
    }

    @Override
    public int hashCode() {
      return Long.hashCode(next) * 31 + Long.hashCode(shift);
    }
  }

  static final class Source<T> extends UnboundedSource<T, Checkpoint> {
    private static final long serialVersionUID = 3L;
    private final Generator<T> generator;
    /** Whether records are released at their slot times on the wall clock. */
    private final boolean paced;
    /** How many records to read, or -1 for an endless stream. */
    private final long count;
    /** This part's first index and the step between its indexes. */
    private final int first;
    private final int step;
    /** Into how many parts a whole stream splits. */
    private final int parts;

    Source(Generator<T> generator) {
      this(generator, true, -1, 0, 1, 1);
    }

    Source(Generator<T> generator, boolean paced, long count, int first, int step, int parts) {
      this.generator = generator;
      this.paced = paced;
      this.count = count;
      this.first = first;
      this.step = step;
      this.parts = parts;
    }

    boolean paced() {
      return paced;
    }

    boolean endless() {
      return count < 0;
    }

    @Override
    public List<Source<T>> split(int desiredNumSplits, PipelineOptions options) {
      if (paced() || step > 1) {
        // One ordered stream: the watermark promise holds for a single reader.
        return List.of(this);
      }
      List<Source<T>> split = new ArrayList<>();
      for (int k = 0; k < parts; k++) {
        // A reader's part is a subsequence of the indexes, so the promise holds per reader.
        split.add(new Source<>(generator, false, count, k, parts, 1));
      }
      return split;
    }

    @Override
    public UnboundedReader<T> createReader(PipelineOptions options, Checkpoint checkpoint) {
      return checkpoint == null
          ? new PacedReader<>(this, first, -1)
          : new PacedReader<>(this, checkpoint.next, checkpoint.shift);
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
    /** How far (ms) a finite paced stream's slots are shifted to its first start; -1 until then. */
    private long shift;

    PacedReader(Source<T> source, long next, long shift) {
      this.source = source;
      this.next = next;
      this.shift = shift;
    }

    @Override
    public boolean start() {
      if (shift < 0) {
        boolean finitePaced = source.paced() && !source.endless() && next < source.count;
        shift = finitePaced ? Math.max(0, System.currentTimeMillis() - source.generator.slotMillis(next)) : 0;
      }
      return advance();
    }

    @Override
    public boolean advance() {
      if (!source.endless() && next >= source.count) {
        return false;
      }
      if (source.paced() && System.currentTimeMillis() < source.generator.slotMillis(next) + shift) {
        return false;
      }
      current = source.generator.at(next);
      next += source.step;
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
      if (!source.endless() && next >= source.count) {
        return BoundedWindow.TIMESTAMP_MAX_VALUE;
      }
      return new Instant(source.generator.watermarkMillis(next));
    }

    @Override
    public Checkpoint getCheckpointMark() {
      return new Checkpoint(next, shift);
    }

    @Override
    public Source<T> getCurrentSource() {
      return source;
    }

    @Override
    public void close() {}
  }
}
