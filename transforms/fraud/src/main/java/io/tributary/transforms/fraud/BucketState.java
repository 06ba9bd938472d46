package io.tributary.transforms.fraud;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.Comparator;
import java.util.TreeSet;
import org.apache.beam.sdk.coders.AtomicCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.coders.VarIntCoder;
import org.apache.beam.sdk.coders.VarLongCoder;

/**
 * The bookkeeping of one bucket of cards in {@link ScoreFn}: when its one timer is set and the
 * output timestamp it holds ({@link CardState#NONE} when it is not set), and the due expiries of
 * its cards, ordered by time, so that a timer finds the cards to expire without visiting the rest.
 *
 * <p>Mutable: {@link ScoreFn} changes a value it read and writes it back.
 */
final class BucketState {
  /** A card's next expiry. */
  record Expiry(long at, String card) {}

  private static final Comparator<Expiry> ORDER =
      Comparator.comparingLong(Expiry::at).thenComparing(Expiry::card);

  long timerAt;
  long hold;
  final TreeSet<Expiry> expiries;

  BucketState(long timerAt, long hold, TreeSet<Expiry> expiries) {
    this.timerAt = timerAt;
    this.hold = hold;
    this.expiries = expiries;
  }

  static BucketState empty() {
    return new BucketState(CardState.NONE, CardState.NONE, new TreeSet<>(ORDER));
  }

  /** The earliest expiry, or {@link CardState#NONE}. */
  long firstExpiry() {
    return expiries.isEmpty() ? CardState.NONE : expiries.first().at();
  }

  /** The coder of bucket states: the two times, then the expiries in order. */
  static final class Coder extends AtomicCoder<BucketState> {
    static final Coder INSTANCE = new Coder();
    private static final long serialVersionUID = 1L;
    private static final VarLongCoder LONG = VarLongCoder.of();
    private static final VarIntCoder INT = VarIntCoder.of();
    private static final StringUtf8Coder STRING = StringUtf8Coder.of();

    @Override
    public void encode(BucketState value, OutputStream out) throws IOException {
      LONG.encode(value.timerAt, out);
      LONG.encode(value.hold, out);
      INT.encode(value.expiries.size(), out);
      for (Expiry e : value.expiries) {
        LONG.encode(e.at(), out);
        STRING.encode(e.card(), out);
      }
    }

    @Override
    public BucketState decode(InputStream in) throws IOException {
      BucketState state = new BucketState(LONG.decode(in), LONG.decode(in), new TreeSet<>(ORDER));
      int n = INT.decode(in);
      for (int i = 0; i < n; i++) {
        state.expiries.add(new Expiry(LONG.decode(in), STRING.decode(in)));
      }
      return state;
    }

    @Override
    public void verifyDeterministic() {}
  }
}
