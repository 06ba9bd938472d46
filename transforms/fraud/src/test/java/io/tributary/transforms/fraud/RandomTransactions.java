package io.tributary.transforms.fraud;

import io.tributary.proto.fraud.Transaction;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/** Random card transactions for oracle tests: few cards, two currencies, spikes, ties, redeliveries. */
final class RandomTransactions {
  private static final String[] CURRENCIES = {"USD", "EUR"};

  private RandomTransactions() {}

  static Transaction txn(String id, String card, long amount, String currency, long time) {
    return Transaction.newBuilder()
        .setTransactionId(id)
        .setCardId(card)
        .setAmountMinor(amount)
        .setCurrency(currency)
        .setMerchant("m-" + (amount % 7))
        .setMerchantCategory("5411")
        .setCountry("US")
        .setEventTimeMillis(time)
        .build();
  }

  /**
   * {@code n} transactions over {@code [0, span)} on {@code cards} cards, about one in ten a spike
   * of 5-20x the usual amount, times on whole minutes about half the time (ties), and about one in
   * {@code redeliverEvery} delivered twice.
   */
  static List<Transaction> generate(Random random, int n, long span, int cards, int redeliverEvery) {
    List<Transaction> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      long time = random.nextLong(span);
      if (random.nextBoolean()) {
        time -= time % 60_000;
      }
      long amount = 500 + random.nextInt(2_000);
      if (random.nextInt(10) == 0) {
        amount *= 5 + random.nextInt(16);
      }
      Transaction t =
          txn(
              "t" + i,
              "card-" + random.nextInt(cards),
              amount,
              CURRENCIES[random.nextInt(8) == 0 ? 1 : 0],
              time);
      out.add(t);
      if (redeliverEvery > 0 && random.nextInt(redeliverEvery) == 0) {
        out.add(t);
      }
    }
    return out;
  }
}
