package io.tributary.pipelines.fraud;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.allOf;
import static org.hamcrest.Matchers.greaterThan;
import static org.hamcrest.Matchers.lessThan;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tributary.proto.fraud.Transaction;
import org.junit.jupiter.api.Test;

class TransactionGeneratorTest {
  @Test
  void sameSeedSameTransactionsAndTheWatermarkPromiseHolds() {
    TransactionGenerator a = new TransactionGenerator(9, 0, 100, 500, 0.01, 2000);
    TransactionGenerator b = new TransactionGenerator(9, 0, 100, 500, 0.01, 2000);
    long minFuture = Long.MAX_VALUE;
    for (int i = 19_999; i >= 0; i--) {
      Transaction t = a.at(i);
      assertEquals(t, b.at(i));
      assertTrue(a.watermarkMillis(i) <= minFuture, "watermark at " + i + " passes a later transaction");
      minFuture = Math.min(minFuture, t.getEventTimeMillis());
      assertTrue(t.getAmountMinor() > 0);
    }
  }

  @Test
  void injectedFraudIsKnownByIdAndFarAboveTheCardsHabit() {
    TransactionGenerator g = new TransactionGenerator(9, 0, 100, 50, 0.01, 0);
    int fraud = 0;
    for (int i = 0; i < 50_000; i++) {
      Transaction t = g.at(i);
      assertEquals(g.isInjectedFraud(i), g.isInjectedFraud(t.getTransactionId()));
      if (g.isInjectedFraud(i)) {
        fraud++;
        assertTrue(t.getMerchantCategory().equals("5732") || t.getMerchantCategory().equals("5944")
            || t.getMerchant().equals("Gift Cards Online"), "fraud merchant of " + t);
      }
    }
    assertThat(fraud, allOf(greaterThan(400), lessThan(600)));
  }
}
