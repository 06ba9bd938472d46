package io.tributary.transforms.activity;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.apache.beam.sdk.util.CoderUtils;
import org.junit.jupiter.api.Test;

/** The HyperLogLog++ accumulators of {@link ActivityCombineFn}: small while they hold few users. */
class ActivityCombineFnTest {
  private static final int PRECISION = 14;

  /**
   * A bundle's partial accumulator of a few users encodes in a few hundred bytes, not the {@code
   * 2^14} registers of a full sketch; merged partials of many users still count within the
   * sketch's error.
   */
  @Test
  void partialSketchesOfFewUsersStaySmallAndMergeIntoTheCount() throws Exception {
    ActivityCombineFn fn = new ActivityCombineFn(3, Set.of(), true, PRECISION);
    List<ActivityCombineFn.Accumulator> partials = new ArrayList<>();
    int users = 0;
    for (int bundle = 0; bundle < 2_000; bundle++) {
      ActivityCombineFn.Accumulator partial = fn.createAccumulator();
      for (int i = 0; i < 10; i++) {
        fn.addInput(partial, RankSlidingTest.view("user-" + users++, "/p" + i, "", 1_000));
      }
      partials.add(partial);
    }
    int size = CoderUtils.encodeToByteArray(ActivityCombineFn.AccumulatorCoder.INSTANCE, partials.get(0)).length;
    assertTrue(size < 512, "a partial accumulator of 10 users encodes in " + size + " bytes");

    ActivityCombineFn.Accumulator decoded = CoderUtils.decodeFromByteArray(
        ActivityCombineFn.AccumulatorCoder.INSTANCE,
        CoderUtils.encodeToByteArray(ActivityCombineFn.AccumulatorCoder.INSTANCE, partials.get(1)));
    assertEquals(10, fn.extractOutput(decoded).getActiveUsers(), "a decoded partial of 10 users");

    ActivityCombineFn.Accumulator merged = fn.mergeAccumulators(partials);
    long counted = fn.extractOutput(merged).getActiveUsers();
    // 20,000 users; standard error 0.8% at precision 14, and 3% is almost four of them.
    assertTrue(
        Math.abs(counted - users) <= 0.03 * users, "counted " + counted + " of " + users + " users");
  }
}
