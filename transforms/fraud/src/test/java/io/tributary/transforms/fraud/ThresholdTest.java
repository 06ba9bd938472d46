package io.tributary.transforms.fraud;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.math.BigDecimal;
import java.util.SplittableRandom;
import org.apache.beam.sdk.values.TupleTag;
import org.junit.jupiter.api.Test;

/** The fast threshold comparison agrees with exact decimal arithmetic, ties and near-ties included. */
class ThresholdTest {
  @Test
  void fastComparisonEqualsDecimalArithmeticOnRandomAndTiedInputs() {
    SplittableRandom random = new SplittableRandom(5);
    double[] thresholds = {3.0, 2.5, 3.1, 0.1, 7.77, 1e-3};
    int ties = 0;
    for (double threshold : thresholds) {
      CardScorer fn = scorer(threshold);
      for (int i = 0; i < 40_000; i++) {
        long count = 1 + random.nextInt(i % 3 == 0 ? 5 : 1_000_000);
        long sum = 1 + random.nextLong(i % 2 == 0 ? 100_000 : Long.MAX_VALUE / 2);
        long amount;
        if (i % 4 == 0) {
          // Exactly on the line where possible: amount = threshold * sum / count, and its neighbours.
          BigDecimal line = BigDecimal.valueOf(threshold).multiply(BigDecimal.valueOf(sum))
              .divide(BigDecimal.valueOf(count), java.math.RoundingMode.FLOOR);
          amount = Math.max(1, line.min(BigDecimal.valueOf(Long.MAX_VALUE / count)).longValue() + random.nextInt(3) - 1);
          ties++;
        } else {
          amount = 1 + random.nextLong(Long.MAX_VALUE / count);
        }
        boolean exact =
            BigDecimal.valueOf(amount).multiply(BigDecimal.valueOf(count))
                    .compareTo(BigDecimal.valueOf(threshold).multiply(BigDecimal.valueOf(sum)))
                > 0;
        assertEquals(
            exact,
            fn.above(amount, count, sum),
            "threshold " + threshold + ", amount " + amount + ", count " + count + ", sum " + sum + " (seed 5, case " + i + ")");
      }
    }
    assertEquals(thresholds.length * 10_000, ties);
  }

  private static CardScorer scorer(double threshold) {
    return new CardScorer(3_600_000, threshold, 1, "rule", new TupleTag<>(), new TupleTag<>(), new TupleTag<>());
  }
}
