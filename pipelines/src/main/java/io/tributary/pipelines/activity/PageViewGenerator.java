package io.tributary.pipelines.activity;

import io.tributary.pipelines.io.Synthetic;
import io.tributary.proto.activity.PageView;
import io.tributary.transforms.coders.MessageCoder;
import java.util.Arrays;
import java.util.SplittableRandom;
import org.apache.beam.sdk.coders.Coder;

/**
 * Synthetic web traffic made of visits, as a pure function of (seed, index).
 *
 * <p><b>The model.</b> Visitors arrive in sessions. A session's length is heavy-tailed: half are
 * bounces (one view), the others {@code 2 + floor(Pareto(1.3))} views, at most {@value
 * #MAX_SESSION_VIEWS}. The first view's referrer is external (search or social, 60%) or empty
 * (direct, 40%); every later view follows an internal link, so its referrer is the previous
 * page. Pages are Zipf(1.1)-distributed over {@code pages} (the home page is the hottest). Views of
 * a session are seconds to minutes apart, and a visitor returns only after more than {@code
 * sessionGap}, so each generated visit is exactly one session of {@code WebActivity.sessionize()}
 * with that gap.
 *
 * <p><b>How an index maps to a view.</b> The stream is {@code lanes} interleaved lanes (view
 * {@code i} is slot {@code i / lanes} of lane {@code i % lanes}), about {@value
 * #LANE_SPACING_SECONDS} s apart within a lane. A lane's slots are cut into epochs of {@value
 * #EPOCH_SLOTS} slots; each epoch is filled with sessions of distinct visitors whose views are
 * shuffled over the epoch's slots. Visitors of a lane are drawn from pools that rotate per epoch,
 * so a pool comes back only after the session gap. Each epoch's plan is a function of (seed,
 * lane, epoch), computed once and cached.
 *
 * <p><b>Order.</b> View {@code i} has slot time {@code start + i * 1000 / eventsPerSecond} and
 * event time in {@code [slot - maxDisorder, slot]}; hence every view after {@code i} has event
 * time at least {@code slot(i) - maxDisorder}, the watermark a source can promise.
 *
 * <p><b>Expected figures</b> (printed by {@code PageViewGeneratorTest} for three seeds, which agree
 * within a point): bounce rate 51%, 2.3 views per session (the longest {@value
 * #MAX_SESSION_VIEWS}), mean duration of the sessions that are not bounces 137 s, 57% of the views
 * internal referrals, 18% of the visitors returning.
 */
public final class PageViewGenerator implements Synthetic.PacedGenerator<PageView> {
  private static final long serialVersionUID = 2L;
  static final String SITE = "https://shop.example.com";
  static final int EPOCH_SLOTS = 100;
  static final int LANE_SPACING_SECONDS = 3;
  static final int MAX_SESSION_VIEWS = 40;
  private static final double BOUNCE_SHARE = 0.5;
  private static final double LENGTH_TAIL = 1.3;
  /** Visitors per pool: at most one session per visitor and epoch. */
  private static final int POOL = 2 * EPOCH_SLOTS;

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
  private final int pages;
  private final int lanes;
  /** Epochs before a lane's visitor pool is used again: more than the session gap apart. */
  private final int pools;
  private transient double[] pageCdf;
  private transient Plan[] plans;

  /**
   * @param sessionGapMillis the gap that separates two visits of one visitor; must match the
   *     sessionizer's for generated visits to be its sessions
   */
  public PageViewGenerator(
      long seed,
      long startMillis,
      int eventsPerSecond,
      int pages,
      int maxDisorderMillis,
      long sessionGapMillis) {
    if (pages <= 0 || sessionGapMillis <= 0) {
      throw new IllegalArgumentException(
          "PageViewGenerator: pages and sessionGapMillis must be positive, got "
              + pages
              + " and "
              + sessionGapMillis);
    }
    this.seed = seed;
    this.pacing = Synthetic.Pacing.of("PageViewGenerator", startMillis, eventsPerSecond, maxDisorderMillis);
    this.pages = pages;
    this.lanes = Math.max(1, eventsPerSecond * LANE_SPACING_SECONDS);
    double epochMillis = EPOCH_SLOTS * lanes * pacing.millisPerEvent();
    // The last view of a visit and the first of the pool's next use are at least (pools - 1)
    // epochs apart in slot time, less the disorder of the later view.
    this.pools = (int) Math.ceil((sessionGapMillis + maxDisorderMillis + 1) / epochMillis) + 1;
  }

  @Override
  public Synthetic.Pacing pacing() {
    return pacing;
  }

  @Override
  public long eventTimeMillis(PageView view) {
    return view.getEventTimeMillis();
  }

  @Override
  public Coder<PageView> coder() {
    return MessageCoder.of(PageView.class);
  }

  /** View number {@code index}. */
  @Override
  public PageView at(long index) {
    int lane = (int) (index % lanes);
    long laneSlot = index / lanes;
    long epoch = laneSlot / EPOCH_SLOTS;
    int slot = (int) (laneSlot % EPOCH_SLOTS);
    Plan plan = plan(lane, epoch);
    int session = plan.sessionOf()[slot];
    int position = plan.positionOf()[slot];
    int[] path = plan.paths()[session];
    String referrer = position == 0 ? plan.entryReferrers()[session] : SITE + path(path[position - 1]);
    SplittableRandom r = new SplittableRandom(mix(seed, index));
    return PageView.newBuilder()
        .setEventId(Long.toString(seed, 36) + "-" + index)
        .setUserId(plan.users()[session])
        .setPage(SITE + path(path[position]))
        .setReferrer(referrer)
        .setUserAgent(AGENTS[plan.agents()[session]])
        .setEventTimeMillis(pacing.eventTimeMillis(index, r))
        .setCountry(COUNTRIES[plan.countries()[session]])
        .build();
  }

  /** The sessions of one lane and epoch, and which view of which session each slot holds. */
  private record Plan(
      long epoch,
      int[] sessionOf,
      int[] positionOf,
      int[][] paths,
      String[] users,
      String[] entryReferrers,
      int[] agents,
      int[] countries) {}

  private Plan plan(int lane, long epoch) {
    Plan[] cache = plans;
    if (cache == null) {
      cache = new Plan[lanes];
      plans = cache;
    }
    Plan plan = cache[lane];
    if (plan == null || plan.epoch() != epoch) {
      plan = newPlan(lane, epoch);
      cache[lane] = plan;
    }
    return plan;
  }

  private Plan newPlan(int lane, long epoch) {
    SplittableRandom r = new SplittableRandom(mix(mix(seed ^ 0x5DEECE66DL, lane), epoch));
    // Session lengths until the epoch is full; the last one is cut to fit.
    int[] lengths = new int[EPOCH_SLOTS];
    int sessions = 0;
    int filled = 0;
    while (filled < EPOCH_SLOTS) {
      int length = Math.min(sessionLength(r), EPOCH_SLOTS - filled);
      lengths[sessions++] = length;
      filled += length;
    }
    int[][] paths = new int[sessions][];
    String[] users = new String[sessions];
    String[] entryReferrers = new String[sessions];
    int[] agents = new int[sessions];
    int[] countries = new int[sessions];
    // Distinct visitors of this epoch's pool; the pool comes back every `pools` epochs.
    long pool = epoch % pools;
    int offset = r.nextInt(POOL);
    int[] slots = new int[EPOCH_SLOTS];
    int next = 0;
    for (int s = 0; s < sessions; s++) {
      int[] path = new int[lengths[s]];
      for (int k = 0; k < path.length; k++) {
        path[k] = zipfPage(r.nextDouble());
      }
      paths[s] = path;
      users[s] = "user-" + lane + "-" + pool + "-" + Math.floorMod(offset + s * 7919, POOL);
      entryReferrers[s] = entryReferrer(r);
      agents[s] = r.nextInt(AGENTS.length);
      countries[s] = r.nextInt(COUNTRIES.length);
      for (int k = 0; k < path.length; k++) {
        slots[next++] = s;
      }
    }
    // Shuffle the views over the epoch; a session's views keep their order.
    for (int i = EPOCH_SLOTS - 1; i > 0; i--) {
      int j = r.nextInt(i + 1);
      int t = slots[i];
      slots[i] = slots[j];
      slots[j] = t;
    }
    int[] seen = new int[sessions];
    int[] positions = new int[EPOCH_SLOTS];
    for (int slot = 0; slot < EPOCH_SLOTS; slot++) {
      positions[slot] = seen[slots[slot]]++;
    }
    return new Plan(epoch, slots, positions, paths, users, entryReferrers, agents, countries);
  }

  /** Half bounces; otherwise 2 + floor(Pareto(1.3)), at most {@link #MAX_SESSION_VIEWS}. */
  private static int sessionLength(SplittableRandom r) {
    if (r.nextDouble() < BOUNCE_SHARE) {
      return 1;
    }
    double pareto = Math.pow(1.0 - r.nextDouble(), -1.0 / LENGTH_TAIL) - 1.0;
    return (int) Math.min(MAX_SESSION_VIEWS, 2 + Math.floor(pareto));
  }

  private static String entryReferrer(SplittableRandom r) {
    int channel = r.nextInt(100);
    if (channel < 40) {
      return "";
    }
    return channel < 75 ? SEARCH[r.nextInt(SEARCH.length)] : SOCIAL[r.nextInt(SOCIAL.length)];
  }

  private static String path(int page) {
    return page == 0 ? "/" : page < 8 ? "/category/" + page : "/product/" + page;
  }

  private static long mix(long a, long b) {
    long z = a * 0x9E3779B97F4A7C15L + b;
    z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
    z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
    return z ^ (z >>> 31);
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
    int i = Arrays.binarySearch(pageCdf, u);
    return Math.min(pages - 1, i >= 0 ? i : -i - 1);
  }
}
