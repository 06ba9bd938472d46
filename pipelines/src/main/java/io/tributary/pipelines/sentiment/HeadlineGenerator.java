package io.tributary.pipelines.sentiment;

import io.tributary.pipelines.io.Synthetic;
import io.tributary.proto.sentiment.Label;
import io.tributary.proto.sentiment.TextItem;
import io.tributary.transforms.coders.MessageCoder;
import java.util.List;
import java.util.SplittableRandom;
import org.apache.beam.sdk.coders.Coder;

/**
 * Synthetic market headlines with known labels and tickers: headline {@code i} is a pure function
 * of the seed and {@code i}, so runs and tests can check what the pipeline makes of them. Each
 * names one company by name or cashtag; its label is positive, negative or neutral in roughly
 * equal parts, and a few tickers have a bias, so their sentiment differs visibly.
 */
public final class HeadlineGenerator implements Synthetic.Generator<TextItem> {
  private static final long serialVersionUID = 1L;

  /** Company name and ticker pairs the generator writes about. */
  static final String[][] COMPANIES = {
    {"Apple", "AAPL"}, {"Microsoft", "MSFT"}, {"Nvidia", "NVDA"}, {"Amazon", "AMZN"}, {"Tesla", "TSLA"},
    {"Alphabet", "GOOGL"}, {"JPMorgan", "JPM"}, {"Exxon Mobil", "XOM"}, {"Pfizer", "PFE"}, {"Boeing", "BA"},
    {"Intel", "INTC"}, {"Walmart", "WMT"},
  };

  private static final List<String> POSITIVE =
      List.of(
          "%s beat estimates as quarterly revenue rose 12%%.",
          "%s shares surged after record quarterly revenue.",
          "Analysts upgraded %s after strong demand.",
          "%s raised guidance for the full year.",
          "%s operating profit increased to USD 5.2 bn from USD 4.1 bn.");
  private static final List<String> NEGATIVE =
      List.of(
          "%s missed estimates and shares fell 8%%.",
          "Analysts downgraded %s on weak demand.",
          "%s cut guidance and announced layoffs.",
          "%s issued a profit warning as costs rose.",
          "%s net loss widened to USD 2.3 bn from USD 1.1 bn.");
  private static final List<String> NEUTRAL =
      List.of(
          "%s will hold its annual meeting in April.",
          "%s named a new chief financial officer.",
          "%s said the plant will be located in Texas.",
          "%s publishes its quarterly report on Thursday.",
          "%s has offices in several countries.");

  private final long seed;
  private final long startMillis;
  private final int perSecond;

  public HeadlineGenerator(long seed, long startMillis, int perSecond) {
    this.seed = seed;
    this.startMillis = startMillis;
    this.perSecond = perSecond;
  }

  /** The label headline {@code i} was written with. */
  public Label labelAt(long i) {
    SplittableRandom r = random(i);
    int company = r.nextInt(COMPANIES.length);
    // Tickers 0-2 lean positive, 3-5 negative; the rest are balanced.
    int roll = r.nextInt(6) + (company < 3 ? 1 : company < 6 ? -1 : 0);
    return roll <= 1 ? Label.NEGATIVE : roll >= 4 ? Label.POSITIVE : Label.NEUTRAL;
  }

  /** The ticker headline {@code i} is about. */
  public String tickerAt(long i) {
    return COMPANIES[random(i).nextInt(COMPANIES.length)][1];
  }

  /** Headline {@code i}, published at {@code startMillis + i / perSecond}. */
  public TextItem itemAt(long i) {
    return itemAt(i, slotMillis(i));
  }

  @Override
  public TextItem at(long index) {
    return itemAt(index);
  }

  @Override
  public long slotMillis(long index) {
    return startMillis + index * 1000 / perSecond;
  }

  /** Headlines are published in index order: the next one is never before this one's slot. */
  @Override
  public long watermarkMillis(long index) {
    return slotMillis(index);
  }

  @Override
  public long eventTimeMillis(TextItem record) {
    return record.getPublishedMillis();
  }

  @Override
  public Coder<TextItem> coder() {
    return MessageCoder.of(TextItem.class);
  }

  /** Headline {@code i}, published at {@code publishedMillis}. */
  public TextItem itemAt(long i, long publishedMillis) {
    SplittableRandom r = random(i);
    String[] company = COMPANIES[r.nextInt(COMPANIES.length)];
    r.nextInt(6);
    Label label = labelAt(i);
    List<String> templates = label == Label.POSITIVE ? POSITIVE : label == Label.NEGATIVE ? NEGATIVE : NEUTRAL;
    String name = r.nextInt(4) == 0 ? "$" + company[1] : company[0];
    return TextItem.newBuilder()
        .setId("h-" + i)
        .setSource("synthetic")
        .setAuthor("generator")
        .setText(String.format(templates.get(r.nextInt(templates.size())), name))
        .setPublishedMillis(publishedMillis)
        .build();
  }

  private SplittableRandom random(long i) {
    return new SplittableRandom(seed * 0x9E3779B97F4A7C15L + i);
  }
}
