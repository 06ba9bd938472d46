package io.tributary.transforms.fraud;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.Comparator;
import java.util.HashMap;
import java.util.Map;
import java.util.TreeSet;
import org.apache.beam.sdk.coders.AtomicCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.coders.VarIntCoder;
import org.apache.beam.sdk.coders.VarLongCoder;

/**
 * The state of one bucket of cards in {@link ScoreFn}, one value so that a transaction costs one
 * state read on arrival: its cards' states, when its one timer is set and the output timestamp it
 * holds ({@link CardState#NONE} when it is not set), and the due expiries of its cards, ordered by
 * time, so that a timer finds the cards to expire without visiting the rest. (One value rather than
 * a map state: Dataflow's Runner v2 has no map state.)
 *
 * <p>Mutable: {@link ScoreFn} changes a value it read and writes it back.
 */
final class BucketState {
  /** A card's next expiry. */
  record Expiry(long at, String card) {}

  private static final Comparator<Expiry> ORDER =
      Comparator.comparingLong(Expiry::at).thenComparing(Expiry::card);

  final Map<String, CardState> cards;
  long timerAt;
  long hold;
  final TreeSet<Expiry> expiries;

  BucketState(Map<String, CardState> cards, long timerAt, long hold, TreeSet<Expiry> expiries) {
    this.cards = cards;
    this.timerAt = timerAt;
    this.hold = hold;
    this.expiries = expiries;
  }

  static BucketState empty() {
    return new BucketState(new HashMap<>(), CardState.NONE, CardState.NONE, new TreeSet<>(ORDER));
  }

  /** The earliest expiry, or {@link CardState#NONE}. */
  long firstExpiry() {
    return expiries.isEmpty() ? CardState.NONE : expiries.first().at();
  }

  /** The coder of bucket states: the cards, the two times, then the expiries in order. */
  static final class Coder extends AtomicCoder<BucketState> {
    static final Coder INSTANCE = new Coder();
    private static final long serialVersionUID = 1L;
    private static final VarLongCoder LONG = VarLongCoder.of();
    private static final VarIntCoder INT = VarIntCoder.of();
    private static final StringUtf8Coder STRING = StringUtf8Coder.of();

    @Override
    public void encode(BucketState value, OutputStream out) throws IOException {
      INT.encode(value.cards.size(), out);
      for (Map.Entry<String, CardState> card : value.cards.entrySet()) {
        STRING.encode(card.getKey(), out);
        CardState.Coder.INSTANCE.encode(card.getValue(), out);
      }
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
      int cards = INT.decode(in);
      Map<String, CardState> map = new HashMap<>(Math.max(16, cards * 2));
      for (int i = 0; i < cards; i++) {
        map.put(STRING.decode(in), CardState.Coder.INSTANCE.decode(in));
      }
      BucketState state = new BucketState(map, LONG.decode(in), LONG.decode(in), new TreeSet<>(ORDER));
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
