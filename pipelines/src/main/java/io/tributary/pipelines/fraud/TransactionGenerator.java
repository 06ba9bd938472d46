package io.tributary.pipelines.fraud;

import io.tributary.pipelines.io.Synthetic;
import io.tributary.proto.fraud.Transaction;
import io.tributary.transforms.coders.MessageCoder;
import java.util.SplittableRandom;
import org.apache.beam.sdk.coders.Coder;

/**
 * Card transactions as a pure function of (seed, index), with injected fraud whose ids are known.
 *
 * <p>Each card has a stable profile drawn from its number: a home currency (mostly USD, some EUR and
 * GBP), a home country and a typical amount (log-normal, median about 40 units). An ordinary
 * transaction's amount is the card's typical amount times log-normal noise (sigma 0.5), at a
 * grocery, restaurant, fuel or online merchant. About {@code fraudRate} of transactions are
 * injected fraud: 5-20 times the typical amount at an electronics or jewellery merchant abroad.
 * {@link #isInjectedFraud} tells them apart by transaction id, so the rule's precision and recall
 * can be measured.
 *
 * <p>Transaction {@code i} has slot time {@code start + i * 1000 / eventsPerSecond} and event time
 * in {@code [slot - maxDisorder, slot]}.
 */
public final class TransactionGenerator implements Synthetic.PacedGenerator<Transaction> {
  private static final long serialVersionUID = 1L;
  private static final String ID_PREFIX = "tx-";
  private static final String[][] MERCHANTS = {
    {"Corner Grocery", "5411"}, {"Fresh Market", "5411"}, {"Noodle Bar", "5812"},
    {"Cafe Central", "5814"}, {"Fuel Stop", "5541"}, {"Book Nook", "5942"},
    {"Online Store", "5999"}, {"Pharmacy Plus", "5912"}
  };
  private static final String[][] FRAUD_MERCHANTS = {
    {"Gadget World", "5732"}, {"Lux Jewels", "5944"}, {"Gift Cards Online", "5999"}
  };
  private static final String[] COUNTRIES = {"US", "DE", "GB", "FR", "CA", "ES", "NL", "JP"};

  private final long seed;
  private final Synthetic.Pacing pacing;
  private final int cards;
  private final double fraudRate;

  public TransactionGenerator(
      long seed, long startMillis, int eventsPerSecond, int cards, double fraudRate, int maxDisorderMillis) {
    if (cards <= 0 || fraudRate < 0 || fraudRate >= 1) {
      throw new IllegalArgumentException(
          "TransactionGenerator: cards must be positive and fraudRate in [0, 1), got "
              + cards + " and " + fraudRate);
    }
    this.seed = seed;
    this.pacing = Synthetic.Pacing.of("TransactionGenerator", startMillis, eventsPerSecond, maxDisorderMillis);
    this.cards = cards;
    this.fraudRate = fraudRate;
  }

  @Override
  public Synthetic.Pacing pacing() {
    return pacing;
  }

  @Override
  public long eventTimeMillis(Transaction t) {
    return t.getEventTimeMillis();
  }

  @Override
  public Coder<Transaction> coder() {
    return MessageCoder.of(Transaction.class);
  }

  /** Whether transaction {@code index} is injected fraud. */
  public boolean isInjectedFraud(long index) {
    return random(index).nextDouble() < fraudRate;
  }

  /** Whether the transaction with this id (as generated here) is injected fraud. */
  public boolean isInjectedFraud(String transactionId) {
    if (!transactionId.startsWith(ID_PREFIX)) {
      return false;
    }
    try {
      return isInjectedFraud(Long.parseLong(transactionId.substring(ID_PREFIX.length())));
    } catch (NumberFormatException e) {
      return false;
    }
  }

  @Override
  public Transaction at(long index) {
    SplittableRandom r = random(index);
    boolean fraud = r.nextDouble() < fraudRate;
    int card = r.nextInt(cards);
    SplittableRandom profile = new SplittableRandom(seed * 31 + card);
    int currencyDraw = profile.nextInt(20);
    String currency = currencyDraw < 16 ? "USD" : currencyDraw < 18 ? "EUR" : "GBP";
    String home = currency.equals("USD") ? "US" : currency.equals("GBP") ? "GB" : "DE";
    double typical = 4000 * Math.exp(0.8 * gaussian(profile));
    long time = pacing.eventTimeMillis(index, r);
    Transaction.Builder t =
        Transaction.newBuilder()
            .setTransactionId(ID_PREFIX + index)
            .setCardId("card-" + card)
            .setCurrency(currency)
            .setEventTimeMillis(time);
    if (fraud) {
      String[] merchant = FRAUD_MERCHANTS[r.nextInt(FRAUD_MERCHANTS.length)];
      return t.setAmountMinor(Math.max(1, Math.round(typical * (5 + 15 * r.nextDouble()))))
          .setMerchant(merchant[0])
          .setMerchantCategory(merchant[1])
          .setCountry(COUNTRIES[r.nextInt(COUNTRIES.length)])
          .build();
    }
    String[] merchant = MERCHANTS[r.nextInt(MERCHANTS.length)];
    return t.setAmountMinor(Math.max(1, Math.round(typical * Math.exp(0.5 * gaussian(r)))))
        .setMerchant(merchant[0])
        .setMerchantCategory(merchant[1])
        .setCountry(home)
        .build();
  }

  private SplittableRandom random(long index) {
    return new SplittableRandom(seed * 0x9E3779B97F4A7C15L + index);
  }

  /** A standard normal draw (Box-Muller), from a SplittableRandom that has no nextGaussian. */
  private static double gaussian(SplittableRandom r) {
    double u = 1 - r.nextDouble();
    double v = r.nextDouble();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }
}
