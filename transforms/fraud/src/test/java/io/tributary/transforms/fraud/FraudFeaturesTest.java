package io.tributary.transforms.fraud;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.tributary.proto.fraud.ScoredTransaction;
import io.tributary.proto.fraud.Transaction;
import io.tributary.proto.fraud.WindowStats;
import io.tributary.proto.sinks.FeatureRow;
import io.tributary.proto.values.Column;
import io.tributary.transforms.values.Values;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class FraudFeaturesTest {
  @Test
  void scoredTransactionBecomesCardFeaturesOfItsCurrencyAndWindow() {
    ScoredTransaction scored =
        ScoredTransaction.newBuilder()
            .setTransaction(
                Transaction.newBuilder()
                    .setTransactionId("t9")
                    .setCardId("card-7")
                    .setAmountMinor(4200)
                    .setCurrency("EUR")
                    .setEventTimeMillis(1_700_000_360_000L))
            .setPreceding(
                WindowStats.newBuilder()
                    .setWindowStartMillis(1_700_000_360_000L - 3_600_000L)
                    .setWindowEndMillis(1_700_000_360_000L)
                    .setCount(3)
                    .setSumMinor(3000)
                    .setMaxMinor(1500)
                    .setMeanMinor(1000.0))
            .build();
    FeatureRow row = FraudFeatures.featureRow(scored);
    assertEquals("card", row.getEntityType());
    assertEquals("card-7", row.getEntityId());
    assertEquals(1_700_000_360_000L, row.getEventTimeMillis());
    assertEquals("txn:t9", row.getPosition().getOrderKey());
    Map<String, String> features = new LinkedHashMap<>();
    for (Column c : row.getFeaturesList()) {
      features.put(c.getName(), Values.toText(c.getValue()));
    }
    assertEquals(
        Map.of(
            "txn_count_1h_EUR", "3",
            "txn_sum_minor_1h_EUR", "3000",
            "txn_mean_minor_1h_EUR", "1000.0",
            "txn_max_minor_1h_EUR", "1500",
            "last_amount_minor_EUR", "4200"),
        features);
  }

  @Test
  void windowLabels() {
    assertEquals("2h", FraudFeatures.windowLabel(7_200_000L));
    assertEquals("90m", FraudFeatures.windowLabel(5_400_000L));
    assertEquals("45s", FraudFeatures.windowLabel(45_000L));
    assertEquals("1500ms", FraudFeatures.windowLabel(1500L));
  }
}
