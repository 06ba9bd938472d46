package io.tributary.pipelines.activity;

import io.tributary.proto.activity.PageView;
import io.tributary.pipelines.io.Synthetic;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.extensions.protobuf.ProtoCoder;
import java.util.SplittableRandom;

/**
 * Realistic page views as a pure function of (seed, index): page popularity is Zipf-distributed
 * (a few hot pages take most traffic), referrers mix direct traffic, search, social and internal
 * navigation, and each view is up to {@code maxDisorderMillis} earlier than its slot in the
 * stream, so views arrive out of order.
 *
 * <p>View {@code i} has slot time {@code start + i * 1000 / eventsPerSecond} and event time in
 * {@code [slot - maxDisorder, slot]}; hence every view after {@code i} has event time at least
 * {@code slot(i) - maxDisorder}, the watermark a source can promise.
 */
public final class PageViewGenerator implements Synthetic.Generator<PageView> {
  private static final long serialVersionUID = 1L;
  private static final String SITE = "https://shop.example.com";
  private static final String[] SEARCH = {
    "https://www.google.com/search?q=shop", "https://www.bing.com/search?q=shop",
    "https://duckduckgo.com/?q=shop"
  };
  private static final String[] SOCIAL = {
    "https://t.co/x1", "https://www.facebook.com/", "https://news.ycombinator.com/item?id=1",
    "https://www.reddit.com/r/shopping/", "https://www.linkedin.com/feed/"
  };
  private static final String[] AGENTS = {
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) Chrome/126.0",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) Safari/604.1",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) Safari/605.1.15",
    "Mozilla/5.0 (Linux; Android 14) Chrome/126.0 Mobile"
  };
  private static final String[] COUNTRIES = {"US", "DE", "GB", "FR", "IN", "BR", "JP", "CA"};

  private final long seed;
  private final Synthetic.Pacing pacing;
  private final int users;
  private final int pages;
  private transient double[] pageCdf;

  public PageViewGenerator(
      long seed, long startMillis, int eventsPerSecond, int users, int pages, int maxDisorderMillis) {
    if (users <= 0 || pages <= 0) {
      throw new IllegalArgumentException(
          "PageViewGenerator: users and pages must be positive, got " + users + " and " + pages);
    }
    this.seed = seed;
    this.pacing = Synthetic.Pacing.of("PageViewGenerator", startMillis, eventsPerSecond, maxDisorderMillis);
    this.users = users;
    this.pages = pages;
  }

  /** The slot time of view {@code index}. */
  @Override
  public long slotMillis(long index) {
    return pacing.slotMillis(index);
  }

  /** A lower bound of the event times of views {@code index} and later. */
  @Override
  public long watermarkMillis(long index) {
    return pacing.watermarkMillis(index);
  }

  @Override
  public long eventTimeMillis(PageView view) {
    return view.getEventTimeMillis();
  }

  @Override
  public Coder<PageView> coder() {
    return ProtoCoder.of(PageView.class);
  }

  /** View number {@code index}. */
  @Override
  public PageView at(long index) {
    SplittableRandom r = new SplittableRandom(seed * 0x9E3779B97F4A7C15L + index);
    int page = zipfPage(r.nextDouble());
    long time = pacing.eventTimeMillis(index, r);
    String path = page == 0 ? "/" : page < 8 ? "/category/" + page : "/product/" + page;
    String referrer;
    int channel = r.nextInt(100);
    if (channel < 35) {
      referrer = "";
    } else if (channel < 65) {
      referrer = SEARCH[r.nextInt(SEARCH.length)];
    } else if (channel < 85) {
      referrer = SOCIAL[r.nextInt(SOCIAL.length)];
    } else {
      referrer = SITE + "/category/" + r.nextInt(8);
    }
    return PageView.newBuilder()
        .setEventId(Long.toString(seed, 36) + "-" + index)
        .setUserId("user-" + r.nextInt(users))
        .setPage(SITE + path)
        .setReferrer(referrer)
        .setUserAgent(AGENTS[r.nextInt(AGENTS.length)])
        .setEventTimeMillis(time)
        .setCountry(COUNTRIES[r.nextInt(COUNTRIES.length)])
        .build();
  }

  private int zipfPage(double u) {
    if (pageCdf == null) {
      double[] cdf = new double[pages];
      double sum = 0;
      for (int k = 0; k < pages; k++) {
        sum += 1.0 / Math.pow(k + 1, 1.1);
        cdf[k] = sum;
      }
      for (int k = 0; k < pages; k++) {
        cdf[k] /= sum;
      }
      pageCdf = cdf;
    }
    int i = java.util.Arrays.binarySearch(pageCdf, u);
    return Math.min(pages - 1, i >= 0 ? i : -i - 1);
  }
}
