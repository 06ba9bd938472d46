package io.tributary.pipelines.activity;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tributary.proto.activity.PageView;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class PageViewGeneratorTest {
  @Test
  void viewsKeepTheWatermarkPromiseAndTheDisorderBound() {
    PageViewGenerator g = new PageViewGenerator(5, 1_000_000, 1000, 100, 50, 2000);
    long minFutureTime = Long.MAX_VALUE;
    // Walk backwards: the watermark at i must not exceed any event time from i on.
    for (long i = 19_999; i >= 0; i--) {
      PageView v = g.at(i);
      assertTrue(v.getEventTimeMillis() <= g.slotMillis(i), "view " + i + " after its slot");
      assertTrue(v.getEventTimeMillis() >= g.slotMillis(i) - 2000, "view " + i + " beyond the disorder bound");
      minFutureTime = Math.min(minFutureTime, v.getEventTimeMillis());
      assertTrue(g.watermarkMillis(i) <= minFutureTime, "watermark at " + i + " passes a later view");
    }
  }

  @Test
  void sameSeedSameViewsAndPopularityIsSkewed() {
    PageViewGenerator a = new PageViewGenerator(9, 0, 100, 1000, 200, 0);
    PageViewGenerator b = new PageViewGenerator(9, 0, 100, 1000, 200, 0);
    Map<String, Integer> counts = new HashMap<>();
    for (long i = 0; i < 10_000; i++) {
      assertEquals(a.at(i), b.at(i));
      counts.merge(a.at(i).getPage(), 1, Integer::sum);
    }
    int home = counts.get("https://shop.example.com/");
    // Zipf(1.1) over 200 pages: the top page takes far more than a uniform share (50 of 10,000).
    assertTrue(home > 1000, "top page has " + home + " views");
  }
}
