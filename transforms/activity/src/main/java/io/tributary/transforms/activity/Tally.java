package io.tributary.transforms.activity;

import io.tributary.proto.activity.PageView;
import io.tributary.transforms.coders.MessageCoder;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import org.apache.beam.sdk.coders.AtomicCoder;
import org.apache.beam.sdk.coders.VarLongCoder;

/**
 * One page view on its way into the window aggregate, with what it changes in the count of active
 * users (see {@link Coverage}): {@code enter} is the first window start, in buckets, from which the
 * view's user counts through this view's bucket, and {@code leave} the first from which an
 * already counted later bucket of the user no longer counts, because this view now counts it
 * instead. Either is {@link #NONE} when there is no such change.
 */
record Tally(PageView view, long enter, long leave) {
  static final long NONE = Long.MIN_VALUE;

  static Tally of(PageView view) {
    return new Tally(view, NONE, NONE);
  }

  /** Encodes the view as its protocol buffer, then the two positions. */
  static final class Coder extends AtomicCoder<Tally> {
    static final Coder INSTANCE = new Coder();
    private static final long serialVersionUID = 1L;
    private static final MessageCoder<PageView> VIEW = MessageCoder.of(PageView.class);
    private static final VarLongCoder LONG = VarLongCoder.of();

    @Override
    public void encode(Tally value, OutputStream out) throws IOException {
      VIEW.encode(value.view(), out);
      LONG.encode(value.enter(), out);
      LONG.encode(value.leave(), out);
    }

    @Override
    public Tally decode(InputStream in) throws IOException {
      return new Tally(VIEW.decode(in), LONG.decode(in), LONG.decode(in));
    }

    @Override
    public void verifyDeterministic() throws NonDeterministicException {
      VIEW.verifyDeterministic();
    }
  }
}
