package io.tributary.transforms.activity;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tributary.proto.activity.ActivitySnapshot;
import io.tributary.proto.activity.PageView;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

class UserIdsTest {
  private static final long SEED = 20261204L;

  @Test
  void unionCountsEqualASetOfAllIdsOnRandomParts() {
    Random random = new Random(SEED);
    for (int round = 0; round < 200; round++) {
      int users = 1 + random.nextInt(2000);
      List<UserIds> parts = new ArrayList<>();
      Set<String> expected = new HashSet<>();
      int partCount = random.nextInt(40);
      for (int p = 0; p < partCount; p++) {
        Set<String> part = randomIds(random, users, random.nextInt(300));
        parts.add(UserIds.ofDistinct(part));
        expected.addAll(part);
      }
      Set<String> more = randomIds(random, users, random.nextInt(100));
      expected.addAll(more);
      String at = "seed " + SEED + ", round " + round;
      assertEquals(expected.size(), UserIds.countUnion(parts, more), at);
      assertEquals(expected, new HashSet<>(UserIds.union(parts, more).ids()), at);
    }
  }

  @Test
  void slidingCountsEqualASetOfAllIdsWhetherWindowsSlideJumpOrComeOutOfOrder() {
    Random random = new Random(SEED);
    for (int round = 0; round < 40; round++) {
      int users = 1 + random.nextInt(3000);
      List<UserIds> buckets = new ArrayList<>();
      List<Set<String>> bucketIds = new ArrayList<>();
      for (int b = 0; b < 60; b++) {
        Set<String> ids = randomIds(random, users, random.nextInt(400));
        bucketIds.add(ids);
        buckets.add(UserIds.ofDistinct(ids));
      }
      // Fingerprints that collide often in every other round, so that probe chains are long.
      UserIds.Fingerprint fingerprint =
          round % 2 == 0 ? UserIds::fingerprint : (bytes, from, to) -> UserIds.fingerprint(bytes, from, to) & 7;
      UserIds.SlidingCount sliding = new UserIds.SlidingCount(fingerprint);
      int width = 1 + random.nextInt(12);
      int start = 0;
      for (int step = 0; step < 80; step++) {
        int move = random.nextInt(10);
        // Mostly slide by one; sometimes stay, jump or go back.
        start = move < 6 ? start + 1 : move < 7 ? start : move < 8 ? start - 1 - random.nextInt(3) : random.nextInt(60);
        start = Math.floorMod(start, 60 - width + 1);
        List<UserIds> parts = new ArrayList<>();
        Set<String> expected = new HashSet<>();
        for (int b = start; b < start + width; b++) {
          // Each window decodes its buckets again: parts must match by their bytes.
          parts.add(roundTrip(buckets.get(b)));
          expected.addAll(bucketIds.get(b));
        }
        if (random.nextInt(8) == 0) {
          parts.add(roundTrip(buckets.get(start)));
        }
        java.util.Collections.shuffle(parts, random);
        assertEquals(
            expected.size(),
            sliding.count(parts),
            "seed " + SEED + ", round " + round + ", step " + step + ", window at " + start + " of " + width);
      }
    }
  }

  private static UserIds roundTrip(UserIds ids) {
    try {
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      ids.encode(out);
      return UserIds.decode(new ByteArrayInputStream(out.toByteArray()));
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  @Test
  void idsWithEqualFingerprintsAreStillTwoUsers() {
    List<String> ids = new ArrayList<>();
    for (int i = 0; i < 100; i++) {
      ids.add("user-" + i);
    }
    UserIds.Fingerprint same = (bytes, from, to) -> 42L;
    // All in one probe chain, through several grows of the table.
    UserIds all = UserIds.ofDistinct(ids);
    UserIds again = UserIds.ofDistinct(List.of("user-7", "user-99", "ü-é"));
    assertEquals(101, UserIds.Union.of(List.of(all, again), Set.of(), same).size);
    assertEquals(102, UserIds.Union.of(List.of(all, again, all), Set.of("someone-else"), same).size);
    UserIds union = UserIds.Union.of(List.of(again, all), Set.of(), same).toUserIds();
    Set<String> expected = new HashSet<>(ids);
    expected.add("ü-é");
    assertEquals(expected, new HashSet<>(union.ids()));
  }

  @Test
  void decodingRejectsEntriesThatOverrunTheirBytes() throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    UserIds.ofDistinct(List.of("alice", "bob")).encode(out);
    byte[] good = out.toByteArray();
    assertEquals(List.of("alice", "bob"), UserIds.decode(new ByteArrayInputStream(good)).ids());
    byte[] moreThanThere = good.clone();
    moreThanThere[0] = 3;
    IOException e =
        assertThrows(IOException.class, () -> UserIds.decode(new ByteArrayInputStream(moreThanThere)));
    assertTrue(e.getMessage().contains("user id 2 of 3"), e.getMessage());
    byte[] fewer = good.clone();
    fewer[0] = 1;
    e = assertThrows(IOException.class, () -> UserIds.decode(new ByteArrayInputStream(fewer)));
    assertTrue(e.getMessage().contains("1 user ids take"), e.getMessage());
  }

  @Test
  void windowAccumulatorsShareBucketPartsAndCountTheirUnion() throws IOException {
    Random random = new Random(SEED);
    ActivityCombineFn fn = new ActivityCombineFn(3, Set.of("shop.example.com"), true, 0);
    List<ActivityCombineFn.Accumulator> buckets = new ArrayList<>();
    List<Set<String>> bucketUsers = new ArrayList<>();
    for (int b = 0; b < 30; b++) {
      ActivityCombineFn.Accumulator bucket = fn.createAccumulator();
      Set<String> users = randomIds(random, 500, 200);
      for (String user : users) {
        bucket = fn.addInput(bucket, view(user));
        bucket = fn.addInput(bucket, view(user));
      }
      buckets.add(fn.compact(bucket));
      bucketUsers.add(users);
    }
    for (int start = 0; start + 6 <= buckets.size(); start += 3) {
      ActivityCombineFn.Accumulator window = fn.createAccumulator();
      Set<String> expected = new HashSet<>();
      for (int b = start; b < start + 6; b++) {
        window = fn.mergeAccumulators(List.of(window, buckets.get(b)));
        expected.addAll(bucketUsers.get(b));
      }
      ActivitySnapshot snapshot = fn.extractOutput(window);
      assertEquals(expected.size(), snapshot.getActiveUsers(), "window from bucket " + start);
      ActivityCombineFn.Accumulator decoded = roundTrip(window);
      assertEquals(snapshot, fn.extractOutput(decoded), "window from bucket " + start + " after its coder");
      assertEquals(window.userParts.size(), decoded.userParts.size(), "parts of the window from bucket " + start);
    }
    for (int b = 0; b < buckets.size(); b++) {
      assertEquals(bucketUsers.get(b).size(), fn.extractOutput(buckets.get(b)).getActiveUsers(), "bucket " + b);
    }
  }

  @Test
  void theCoderKeepsUsersAddedOneByOneBesideTheParts() throws IOException {
    Random random = new Random(SEED + 1);
    ActivityCombineFn fn = new ActivityCombineFn(3, Set.of(), true, 0);
    for (int round = 0; round < 50; round++) {
      Set<String> expected = new HashSet<>();
      List<ActivityCombineFn.Accumulator> parts = new ArrayList<>();
      for (int p = 0; p < random.nextInt(5); p++) {
        ActivityCombineFn.Accumulator part = fn.createAccumulator();
        for (String user : randomIds(random, 300, 100)) {
          part = fn.addInput(part, view(user));
          expected.add(user);
        }
        parts.add(fn.compact(part));
      }
      ActivityCombineFn.Accumulator acc = fn.createAccumulator();
      for (String user : randomIds(random, 300, random.nextInt(100))) {
        acc = fn.addInput(acc, view(user));
        expected.add(user);
      }
      List<ActivityCombineFn.Accumulator> all = new ArrayList<>(List.of(acc));
      all.addAll(parts);
      ActivityCombineFn.Accumulator merged = fn.mergeAccumulators(all);
      assertEquals(expected.size(), fn.extractOutput(roundTrip(merged)).getActiveUsers(), "round " + round);
      assertEquals(expected.size(), fn.extractOutput(roundTrip(roundTrip(merged))).getActiveUsers(), "round " + round + ", coded twice");
    }
  }

  @Test
  void decodingRejectsACountOfPartsOutOfBounds() throws IOException {
    ActivityCombineFn fn = new ActivityCombineFn(3, Set.of(), true, 0);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ActivityCombineFn.AccumulatorCoder.INSTANCE.encode(fn.createAccumulator(), out);
    byte[] good = out.toByteArray();
    // Two empty count maps (a byte each), then the count of user parts: none.
    assertEquals(0, good[2]);
    byte[] tooMany = good.clone();
    tooMany[2] = 100;
    IOException e =
        assertThrows(
            IOException.class,
            () -> ActivityCombineFn.AccumulatorCoder.INSTANCE.decode(new ByteArrayInputStream(tooMany)));
    assertTrue(e.getMessage().contains("100 user parts"), e.getMessage());
  }

  @Test
  void aWindowOfManyLatePanesKeepsABoundedNumberOfParts() {
    ActivityCombineFn fn = new ActivityCombineFn(3, Set.of(), true, 0);
    ActivityCombineFn.Accumulator window = fn.createAccumulator();
    for (int pane = 0; pane < 10 * ActivityCombineFn.MAX_USER_PARTS; pane++) {
      ActivityCombineFn.Accumulator late = fn.addInput(fn.createAccumulator(), view("user-" + pane % 100));
      window = fn.mergeAccumulators(List.of(window, fn.compact(late)));
      assertTrue(window.userParts.size() <= ActivityCombineFn.MAX_USER_PARTS, "parts after pane " + pane);
      assertEquals(Math.min(pane + 1, 100), fn.extractOutput(window).getActiveUsers(), "users after pane " + pane);
    }
  }

  private static ActivityCombineFn.Accumulator roundTrip(ActivityCombineFn.Accumulator acc) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ActivityCombineFn.AccumulatorCoder.INSTANCE.encode(acc, out);
    return ActivityCombineFn.AccumulatorCoder.INSTANCE.decode(new ByteArrayInputStream(out.toByteArray()));
  }

  private static PageView view(String user) {
    return PageView.newBuilder().setUserId(user).setPage("/p").setReferrer("https://google.com/").build();
  }

  private static Set<String> randomIds(Random random, int users, int count) {
    Set<String> ids = new HashSet<>();
    for (int i = 0; i < count; i++) {
      ids.add("user-" + random.nextInt(users));
    }
    return ids;
  }
}
