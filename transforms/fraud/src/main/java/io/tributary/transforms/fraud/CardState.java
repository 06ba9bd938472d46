package io.tributary.transforms.fraud;

import io.tributary.proto.fraud.Transaction;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.List;
import org.apache.beam.sdk.coders.AtomicCoder;
import org.apache.beam.sdk.coders.VarIntCoder;
import org.apache.beam.sdk.coders.VarLongCoder;

/**
 * All the state of one card in one currency, kept as one value so that a transaction costs one
 * state read and one write: the scored {@link CardHistory}, the transactions that arrived but are
 * not yet due ({@code pending}, in arrival order), the horizon (the earliest event time that can
 * still be scored exactly, or {@link Long#MIN_VALUE} before the first release) and when the card's
 * two timers are set ({@link Long#MIN_VALUE} when they are not).
 *
 * <p>Mutable: {@link ScoreFn} changes a value it read and writes it back.
 */
final class CardState {
  static final long NONE = Long.MIN_VALUE;

  CardHistory history;
  final List<Transaction> pending;
  long horizon;
  long releaseAt;
  long expireAt;

  CardState(CardHistory history, List<Transaction> pending, long horizon, long releaseAt, long expireAt) {
    this.history = history;
    this.pending = pending;
    this.horizon = horizon;
    this.releaseAt = releaseAt;
    this.expireAt = expireAt;
  }

  static CardState empty() {
    return new CardState(CardHistory.EMPTY, new ArrayList<>(2), NONE, NONE, NONE);
  }

  /** The earliest event time among the pending transactions; only when there are some. */
  long oldestPending() {
    long oldest = Long.MAX_VALUE;
    for (Transaction t : pending) {
      oldest = Math.min(oldest, t.getEventTimeMillis());
    }
    return oldest;
  }

  /**
   * The coder of card states: the history (delta-coded times, varint amounts), then each pending
   * transaction as its length-prefixed protocol buffer encoding, then the three times.
   */
  static final class Coder extends AtomicCoder<CardState> {
    static final Coder INSTANCE = new Coder();
    private static final long serialVersionUID = 1L;
    private static final VarIntCoder INT = VarIntCoder.of();
    private static final VarLongCoder LONG = VarLongCoder.of();

    @Override
    public void encode(CardState value, OutputStream out) throws IOException {
      CardHistory.Coder.INSTANCE.encode(value.history, out);
      INT.encode(value.pending.size(), out);
      for (Transaction t : value.pending) {
        t.writeDelimitedTo(out);
      }
      LONG.encode(value.horizon, out);
      LONG.encode(value.releaseAt, out);
      LONG.encode(value.expireAt, out);
    }

    @Override
    public CardState decode(InputStream in) throws IOException {
      CardHistory history = CardHistory.Coder.INSTANCE.decode(in);
      int n = INT.decode(in);
      List<Transaction> pending = new ArrayList<>(Math.max(2, n));
      for (int i = 0; i < n; i++) {
        Transaction t = Transaction.parseDelimitedFrom(in);
        if (t == null) {
          throw new IOException("card state ends after " + i + " of " + n + " pending transactions");
        }
        pending.add(t);
      }
      return new CardState(history, pending, LONG.decode(in), LONG.decode(in), LONG.decode(in));
    }

    @Override
    public void verifyDeterministic() {}
  }
}
