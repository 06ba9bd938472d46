package io.tributary.transforms.activity;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tributary.proto.activity.PageView;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.apache.beam.sdk.util.CoderUtils;
import org.junit.jupiter.api.Test;

/**
 * The per-bucket coverage counts of {@link UserTallyFn}, merged per window, equal the number of
 * distinct users of every window, for any arrival order of the views.
 */
class CoverageTest {
  @Test
  void mergedBucketCoverageEqualsDistinctUsersPerWindowInAnyArrivalOrder() throws Exception {
    int corrections = 0;
    for (long seed = 1; seed <= 300; seed++) {
      Random random = new Random(seed);
      int k = new int[] {1, 2, 3, 6, 30}[random.nextInt(5)];
      int buckets = 10 + random.nextInt(80);
      int users = 1 + random.nextInt(8);
      List<long[]> views = new ArrayList<>();
      for (int i = 0, n = random.nextInt(200); i < n; i++) {
        // Users active in runs and gaps, so that buckets fall between each other's windows.
        views.add(new long[] {random.nextInt(users), random.nextInt(buckets)});
      }
      Collections.shuffle(views, random);

      Map<Long, UserTallyFn.ActiveBuckets> byUser = new HashMap<>();
      Map<Long, Coverage> byBucket = new HashMap<>();
      for (long[] v : views) {
        UserTallyFn.ActiveBuckets active =
            byUser.getOrDefault(v[0], new UserTallyFn.ActiveBuckets(new long[0], Long.MIN_VALUE));
        int insert = active.insertionPoint(v[1]);
        if (insert < 0) {
          continue;
        }
        Tally tally = active.tally(PageView.getDefaultInstance(), insert, v[1], k);
        Coverage coverage = byBucket.computeIfAbsent(v[1], b -> new Coverage());
        coverage.add(tally.enter(), 1);
        if (tally.leave() != Tally.NONE) {
          coverage.add(tally.leave(), -1);
          corrections++;
        }
        byUser.put(v[0], active.with(insert, v[1], Long.MIN_VALUE));
      }

      for (long w = -k + 1; w < buckets; w++) {
        Coverage window = new Coverage();
        Set<Long> distinct = new HashSet<>();
        for (long b = w; b < w + k; b++) {
          if (byBucket.containsKey(b)) {
            // Through the coder, as between the steps of a pipeline.
            Coverage decoded =
                CoderUtils.decodeFromByteArray(
                    Coverage.Coder.INSTANCE, CoderUtils.encodeToByteArray(Coverage.Coder.INSTANCE, byBucket.get(b)));
            window.addAll(decoded);
          }
        }
        for (long[] v : views) {
          if (v[1] >= w && v[1] < w + k) {
            distinct.add(v[0]);
          }
        }
        assertEquals(
            distinct.size(),
            window.countUpTo(w),
            "distinct users of window " + w + " (" + k + " buckets), seed " + seed);
      }
    }
    assertTrue(corrections > 100, "the arrival orders exercise corrections: " + corrections);
  }

  @Test
  void prunedBucketsAreTheOldestAndTheInsertedBucketIsKept() {
    UserTallyFn.ActiveBuckets active = new UserTallyFn.ActiveBuckets(new long[] {1, 4, 9}, 77);
    UserTallyFn.ActiveBuckets inserted = active.with(active.insertionPoint(6), 6, 5);
    assertEquals(List.of(6L, 9L), boxed(inserted.buckets));
    assertEquals(77, inserted.expireAt);
    assertEquals(List.of(4L, 9L, 12L), boxed(active.with(active.insertionPoint(12), 12, 2).buckets));
    assertEquals(List.of(0L, 1L, 4L, 9L), boxed(active.with(0, 0, Long.MIN_VALUE).buckets));
    assertEquals(List.of(9L), boxed(active.with(-1, 0, 5).buckets));
  }

  private static List<Long> boxed(long[] values) {
    List<Long> out = new ArrayList<>();
    for (long v : values) {
      out.add(v);
    }
    return out;
  }
}
