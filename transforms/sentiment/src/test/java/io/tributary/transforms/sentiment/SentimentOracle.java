package io.tributary.transforms.sentiment;

import io.tributary.proto.common.Failure;
import io.tributary.proto.sentiment.Contribution;
import io.tributary.proto.sentiment.Label;
import io.tributary.proto.sentiment.ScoredMention;
import io.tributary.proto.sentiment.ShiftAlert;
import io.tributary.proto.sentiment.TextItem;
import io.tributary.proto.sentiment.TickerWindow;
import io.tributary.testing.Schedule;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.values.Row;
import org.apache.beam.sdk.values.TupleTag;
import org.joda.time.Instant;

/**
 * Brute-force answers for the sentiment aggregations, written for clarity, not speed; public for
 * the integration tests, which feed it the mentions {@link #scored} computes from their texts.
 */
public final class SentimentOracle {
  private SentimentOracle() {}

  /**
   * The mentions {@code score} emits for {@code item}: its own DoFn, set up and called in this
   * thread, so that a test knows the exact scores a pipeline computes from the same texts. Throws
   * if the item goes to the failure output.
   */
  public static List<ScoredMention> scored(Sentiment.Score score, TextItem item) {
    TupleTag<ScoredMention> mentions = new TupleTag<>();
    TupleTag<Failure> failures = new TupleTag<>();
    ScoreFn fn =
        new ScoreFn(
            score.getDictionary(), score.getMethod(), score.getModel(), score.effectiveCoreNlp(), score.getMaxTextChars(), mentions, failures);
    fn.setup();
    Collect out = new Collect();
    fn.process(item, out);
    if (!out.values(failures).isEmpty()) {
      throw new IllegalStateException("scoring " + item.getId() + " failed: " + out.values(failures));
    }
    return out.values(mentions);
  }

  /** Keeps what a DoFn outputs, per tag. */
  private static final class Collect implements DoFn.MultiOutputReceiver {
    private final Map<TupleTag<?>, List<Object>> outputs = new java.util.HashMap<>();

    @SuppressWarnings("unchecked")
    <T> List<T> values(TupleTag<T> tag) {
      return (List<T>) outputs.getOrDefault(tag, List.of());
    }

    @Override
    public <T> DoFn.OutputReceiver<T> get(TupleTag<T> tag) {
      List<Object> list = outputs.computeIfAbsent(tag, t -> new ArrayList<>());
      return new ListReceiver<>(list);
    }

    @Override
    public <T> DoFn.OutputReceiver<Row> getRowReceiver(TupleTag<T> tag) {
      throw new UnsupportedOperationException("rows");
    }
  }

  /** Adds every output, whatever its timestamp, to a list. */
  private record ListReceiver<T>(List<Object> list) implements DoFn.OutputReceiver<T> {
    @Override
    public void output(T value) {
      list.add(value);
    }

    @Override
    public void outputWithTimestamp(T value, Instant timestamp) {
      list.add(value);
    }
  }

  /** Window key: ticker and window start. */
  public record Key(String ticker, long start) implements Comparable<Key>, java.io.Serializable {
    @Override
    public int compareTo(Key o) {
      int c = ticker.compareTo(o.ticker);
      return c != 0 ? c : Long.compare(start, o.start);
    }
  }

  /**
   * The final aggregate of every (ticker, window): every mention not dropped is counted in every
   * window that contains it. A mention is dropped when it arrived after the watermark passed the
   * end of the last window containing its bucket plus the allowed lateness.
   */
  public static Map<Key, TickerWindow> windows(
      List<Schedule.Arrival<ScoredMention>> arrivals, long size, long period, long lateness, int topK) {
    long bucket = java.math.BigInteger.valueOf(size).gcd(java.math.BigInteger.valueOf(period)).longValue();
    Map<Key, List<ScoredMention>> byWindow = new TreeMap<>();
    for (Schedule.Arrival<ScoredMention> a : arrivals) {
      long ts = a.eventTime();
      long bucketEnd = Math.floorDiv(ts, bucket) * bucket + bucket;
      if (bucketEnd - 1 + size - bucket + lateness < a.watermark()) {
        continue;
      }
      for (long start = Math.floorDiv(ts, period) * period; start > ts - size; start -= period) {
        byWindow.computeIfAbsent(new Key(a.value().getTicker(), start), k -> new ArrayList<>()).add(a.value());
      }
    }
    Map<Key, TickerWindow> out = new TreeMap<>();
    byWindow.forEach(
        (key, mentions) ->
            out.put(
                key,
                window(mentions, topK).toBuilder()
                    .setTicker(key.ticker())
                    .setWindowStartMillis(key.start())
                    .setWindowEndMillis(key.start() + size)
                    .build()));
    return out;
  }

  /** Statistics of a list of mentions, by direct summation of the rounded scores and sorting. */
  static TickerWindow window(List<ScoredMention> mentions, int topK) {
    long n = mentions.size();
    long sum = 0;
    long squares = 0;
    long weights = 0;
    long weighted = 0;
    long[] labels = new long[4];
    List<Contribution> all = new ArrayList<>();
    for (ScoredMention m : mentions) {
      long s = Math.round(m.getScore() * 1e6);
      sum += s;
      squares += s * s;
      weights += Math.round(m.getWeight() * 1e6);
      weighted += Math.round(m.getScore() * m.getWeight() * 1e6);
      labels[m.getLabel().getNumber()]++;
      all.add(
          Contribution.newBuilder()
              .setItemId(m.getItemId())
              .setSentenceIndex(m.getSentenceIndex())
              .setSentence(m.getSentence())
              .setScore(m.getScore())
              .setPublishedMillis(m.getPublishedMillis())
              .build());
    }
    double mean = n == 0 ? 0 : sum / 1e6 / n;
    double meanMicros = n == 0 ? 0 : (double) sum / n;
    double sd = n == 0 ? 0 : Math.sqrt(Math.max(0, (double) squares / n - meanMicros * meanMicros)) / 1e6;
    Comparator<Contribution> byScore =
        Comparator.comparingDouble(Contribution::getScore)
            .thenComparing(Contribution::getItemId)
            .thenComparingInt(Contribution::getSentenceIndex);
    List<Contribution> ascending = new ArrayList<>(all);
    ascending.sort(byScore);
    List<Contribution> descending = new ArrayList<>(all);
    descending.sort(
        Comparator.comparingDouble((Contribution c) -> -c.getScore())
            .thenComparing(Contribution::getItemId)
            .thenComparingInt(Contribution::getSentenceIndex));
    return TickerWindow.newBuilder()
        .setMentions(n)
        .setMeanScore(mean)
        .setWeightedScore(weights == 0 ? 0 : (double) weighted / weights)
        .setScoreStddev(sd)
        .setPositive(labels[Label.POSITIVE_VALUE])
        .setNeutral(labels[Label.NEUTRAL_VALUE])
        .setNegative(labels[Label.NEGATIVE_VALUE])
        .addAllMostPositive(descending.subList(0, (int) Math.min(topK, n)))
        .addAllMostNegative(ascending.subList(0, (int) Math.min(topK, n)))
        .build();
  }

  /**
   * Every alert of mentions that are all on time: for each ticker and window start s (a multiple
   * of the period) the current mentions of [s, s + size) against the baseline of [s - baseline, s).
   */
  public static Map<Key, ShiftAlert> alerts(
      List<ScoredMention> mentions, long size, long period, long baseline, double zThreshold,
      int minMentions, int minBaselineMentions, double minStddev, int topK) {
    Map<Key, ShiftAlert> out = new TreeMap<>();
    Map<String, List<ScoredMention>> byTicker = new TreeMap<>();
    mentions.forEach(m -> byTicker.computeIfAbsent(m.getTicker(), t -> new ArrayList<>()).add(m));
    byTicker.forEach(
        (ticker, list) -> {
          long min = list.stream().mapToLong(ScoredMention::getPublishedMillis).min().orElseThrow();
          long max = list.stream().mapToLong(ScoredMention::getPublishedMillis).max().orElseThrow();
          for (long s = Math.floorDiv(min - size, period) * period; s <= max; s += period) {
            long start = s;
            List<ScoredMention> current = new ArrayList<>();
            List<ScoredMention> base = new ArrayList<>();
            for (ScoredMention m : list) {
              long t = m.getPublishedMillis();
              if (t >= start && t < start + size) {
                current.add(m);
              } else if (t >= start - baseline && t < start) {
                base.add(m);
              }
            }
            if (current.size() < minMentions || base.size() < minBaselineMentions) {
              continue;
            }
            TickerWindow c = window(current, topK);
            TickerWindow b = window(base, topK);
            double sd = Math.max(b.getScoreStddev(), minStddev);
            double z = (c.getMeanScore() - b.getMeanScore()) / (sd / Math.sqrt(current.size()));
            if (Math.abs(z) < zThreshold) {
              continue;
            }
            out.put(
                new Key(ticker, start),
                ShiftAlert.newBuilder()
                    .setTicker(ticker)
                    .setWindowStartMillis(start)
                    .setWindowEndMillis(start + size)
                    .setBaselineStartMillis(start - baseline)
                    .setCurrentMentions(current.size())
                    .setCurrentMean(c.getMeanScore())
                    .setBaselineMentions(base.size())
                    .setBaselineMean(b.getMeanScore())
                    .setBaselineStddev(b.getScoreStddev())
                    .setZScore(z)
                    .addAllTopItems(z > 0 ? c.getMostPositiveList() : c.getMostNegativeList())
                    .build());
          }
        });
    return out;
  }

  /** A mention of {@code ticker} at {@code time} with the given score; label and weight follow from it. */
  static ScoredMention mention(String ticker, String itemId, long time, double score, double weight) {
    return ScoredMention.newBuilder()
        .setItemId(itemId)
        .setTicker(ticker)
        .setSentence("sentence of " + itemId)
        .setSentenceIndex(0)
        .setScore(score)
        .setLabel(score > 0.2 ? Label.POSITIVE : score < -0.2 ? Label.NEGATIVE : Label.NEUTRAL)
        .setWeight(weight)
        .setPublishedMillis(time)
        .build();
  }

  /**
   * Random mentions over {@code span} ms from {@code start} for {@code tickers} tickers; each
   * ticker's mood jumps between a few levels at random change points, so shifts occur.
   */
  static List<ScoredMention> random(Random random, int count, long start, long span, int tickers) {
    double[][] levels = new double[tickers][6];
    for (double[] l : levels) {
      for (int i = 0; i < l.length; i++) {
        l[i] = random.nextDouble() * 1.6 - 0.8;
      }
    }
    List<ScoredMention> out = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      int t = random.nextInt(tickers);
      long time = start + (long) (random.nextDouble() * span);
      double level = levels[t][(int) ((time - start) * levels[t].length / span)];
      double score = Math.max(-1, Math.min(1, level + random.nextGaussian() * 0.15));
      out.add(mention("T" + t, "i" + i, time, score, 0.34 + random.nextDouble() * 0.66));
    }
    return out;
  }

  /** Mentions at a time behind the watermark (possibly beyond the lateness). */
  static ScoredMention straggler(long watermark, Random random, long maxBehind, int tickers, int id) {
    return mention("T" + random.nextInt(tickers), "late" + id, watermark - 1 - (long) (random.nextDouble() * maxBehind),
        random.nextDouble() * 2 - 1, 0.5);
  }
}
