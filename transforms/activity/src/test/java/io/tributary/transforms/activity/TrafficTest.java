package io.tributary.transforms.activity;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class TrafficTest {
  @ParameterizedTest(name = "{0} -> {1}")
  @CsvSource({
    "https://shop.example.com/cart?step=2#top, /cart",
    "https://shop.example.com, /",
    "/pricing?utm=x, /pricing",
    "/docs#install, /docs",
    "'', /",
  })
  void pagesAreKeyedByPath(String page, String key) {
    assertEquals(key, Traffic.pageKey(page));
  }

  @ParameterizedTest(name = "{0} -> {1}")
  @CsvSource({
    "'', (direct)",
    "'   ', (direct)",
    "https://www.Google.com/search?q=x, google.com",
    "https://user:pw@news.ycombinator.com:443/item?id=1, news.ycombinator.com",
    "http://t.co, t.co",
    "android-app://com.slack/, com.slack",
    "WWW.Example.org, example.org",
    "'https://[2001:DB8::1]:8080/x', [2001:db8::1]",
    "'http://[::1]/', [::1]",
    "'https://user@[2001:db8::2]', [2001:db8::2]",
    "'https://[2001:db8::3', [2001:db8::3",
  })
  void referrersAreKeyedByHost(String referrer, String key) {
    assertEquals(key, Traffic.referrerKey(referrer));
  }

  @Test
  void selfReferralsAreInternalDirectNever() {
    assertTrue(Traffic.isInternal("https://shop.example.com/a", "shop.example.com", Set.of()));
    assertTrue(Traffic.isInternal("/a", "docs.example.com", Set.of("docs.example.com")));
    assertFalse(Traffic.isInternal("/a", "google.com", Set.of("docs.example.com")));
    assertFalse(Traffic.isInternal("https://shop.example.com/a", Traffic.DIRECT, Set.of()));
  }
}
