package io.tributary.transforms.fraud;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import org.apache.beam.sdk.coders.AtomicCoder;
import org.apache.beam.sdk.coders.VarLongCoder;

/**
 * The state of one card in one currency, one entry of its bucket's card map in {@link ScoreFn}: the
 * scored {@link CardHistory}, the horizon (the earliest event time that can still be scored
 * exactly, or {@link #NONE} before the first release) and when the card's next expiry is due
 * ({@link #NONE} while it has none: the card has pending transactions, which set it when they are
 * released).
 *
 * <p>Mutable: {@link ScoreFn} changes a value it read and writes it back.
 */
final class CardState {
  static final long NONE = Long.MIN_VALUE;

  CardHistory history;
  long horizon;
  long expireAt;

  CardState(CardHistory history, long horizon, long expireAt) {
    this.history = history;
    this.horizon = horizon;
    this.expireAt = expireAt;
  }

  static CardState empty() {
    return new CardState(CardHistory.EMPTY, NONE, NONE);
  }

  /** The coder of card states: the history (delta-coded times, varint amounts), then the two times. */
  static final class Coder extends AtomicCoder<CardState> {
    static final Coder INSTANCE = new Coder();
    private static final long serialVersionUID = 2L;
    private static final VarLongCoder LONG = VarLongCoder.of();

    @Override
    public void encode(CardState value, OutputStream out) throws IOException {
      CardHistory.Coder.INSTANCE.encode(value.history, out);
      LONG.encode(value.horizon, out);
      LONG.encode(value.expireAt, out);
    }

    @Override
    public CardState decode(InputStream in) throws IOException {
      return new CardState(CardHistory.Coder.INSTANCE.decode(in), LONG.decode(in), LONG.decode(in));
    }

    @Override
    public void verifyDeterministic() {}
  }
}
