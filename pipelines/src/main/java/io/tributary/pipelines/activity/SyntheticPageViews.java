package io.tributary.pipelines.activity;

import io.tributary.proto.activity.PageView;
import java.io.Serializable;
import java.util.List;
import java.util.NoSuchElementException;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.coders.SerializableCoder;
import org.apache.beam.sdk.extensions.protobuf.ProtoCoder;
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
 * Page views from a {@link PageViewGenerator}, each stamped with its event time.
 *
 * <ul>
 *   <li>{@link #bounded}: views {@code 0..n-1} as fast as the runner reads them (tests,
 *       benchmarks); splittable, so read in parallel.
 *   <li>{@link #unbounded}: views released as their slot time passes on the wall clock, for a live
 *       dashboard; the watermark is the generator's promise {@code slot(next) - maxDisorder}, so no
 *       generated view is late.
 * </ul>
 */
public final class SyntheticPageViews {
  private SyntheticPageViews() {}

  /** The first {@code count} views of the generator. */
  public static Bounded bounded(PageViewGenerator generator, long count) {
    return new Bounded(generator, count);
  }

  /** See {@link SyntheticPageViews#bounded}. */
  public static final class Bounded extends PTransform<PBegin, PCollection<PageView>> {
    private final PageViewGenerator generator;
    private final long count;

    private Bounded(PageViewGenerator generator, long count) {
      this.generator = generator;
      this.count = count;
    }

    @Override
    public PCollection<PageView> expand(PBegin input) {
      return input
          .apply("Indexes", GenerateSequence.from(0).to(count))
          .apply("Generate", ParDo.of(new GenerateFn(generator)))
          .setCoder(ProtoCoder.of(PageView.class));
    }
  }

  /** An endless stream paced in real time: the generator's start must be about now. */
  public static Read.Unbounded<PageView> unbounded(PageViewGenerator generator) {
    return Read.from(new Source(generator));
  }

  static final class GenerateFn extends DoFn<Long, PageView> {
    private final PageViewGenerator generator;

    GenerateFn(PageViewGenerator generator) {
      this.generator = generator;
    }

    @ProcessElement
    public void process(@Element Long index, OutputReceiver<PageView> out) {
      PageView view = generator.viewAt(index);
      out.outputWithTimestamp(view, new Instant(view.getEventTimeMillis()));
    }
  }

  /** Where a reader resumes: the index of the next view. */
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

  static final class Source extends UnboundedSource<PageView, Checkpoint> {
    private static final long serialVersionUID = 1L;
    private final PageViewGenerator generator;

    Source(PageViewGenerator generator) {
      this.generator = generator;
    }

    @Override
    public List<Source> split(int desiredNumSplits, PipelineOptions options) {
      // One ordered stream: the watermark promise holds for a single reader.
      return List.of(this);
    }

    @Override
    public UnboundedReader<PageView> createReader(PipelineOptions options, Checkpoint checkpoint) {
      return new PacedReader(this, checkpoint == null ? 0 : checkpoint.next);
    }

    @Override
    public Coder<Checkpoint> getCheckpointMarkCoder() {
      return SerializableCoder.of(Checkpoint.class);
    }

    @Override
    public Coder<PageView> getOutputCoder() {
      return ProtoCoder.of(PageView.class);
    }
  }

  static final class PacedReader extends UnboundedSource.UnboundedReader<PageView> {
    private final Source source;
    private long next;
    private PageView current;

    PacedReader(Source source, long next) {
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
      current = source.generator.viewAt(next++);
      return true;
    }

    @Override
    public PageView getCurrent() {
      if (current == null) {
        throw new NoSuchElementException();
      }
      return current;
    }

    @Override
    public Instant getCurrentTimestamp() {
      return new Instant(getCurrent().getEventTimeMillis());
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
    public Source getCurrentSource() {
      return source;
    }

    @Override
    public void close() {}
  }
}
