package io.tributary.transforms.activity;

import io.tributary.proto.activity.PageView;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/** Random page views over small key spaces, so that ties in counts are common. */
public final class RandomViews {
  private static final String[] REFERRERS = {
    "", "", "https://www.google.com/search?q=x", "https://news.ycombinator.com/item?id=1",
    "https://t.co/abc", "https://shop.example.com/cart", "android-app://com.slack"
  };

  private RandomViews() {}

  /** One view of a random user, page and referrer at the given time. */
  public static PageView at(Random random, long time, int users, int pages, int index) {
    int page = random.nextInt(pages);
    String path = random.nextInt(4) == 0 ? "https://shop.example.com/p/" + page + "?utm=1" : "/p/" + page;
    return PageView.newBuilder()
        .setEventId("v-" + index)
        .setUserId("u-" + random.nextInt(users))
        .setPage(path)
        .setReferrer(REFERRERS[random.nextInt(REFERRERS.length)])
        .setEventTimeMillis(time)
        .build();
  }

  /** {@code n} views with event times uniform in [start, start + span). */
  public static List<PageView> uniform(
      Random random, int n, long start, long span, int users, int pages) {
    List<PageView> out = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      out.add(at(random, start + random.nextLong(span), users, pages, i));
    }
    return out;
  }
}
