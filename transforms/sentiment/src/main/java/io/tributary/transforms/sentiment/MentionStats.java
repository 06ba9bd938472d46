package io.tributary.transforms.sentiment;

import io.tributary.proto.sentiment.Contribution;
import io.tributary.proto.sentiment.Label;
import io.tributary.proto.sentiment.ScoredMention;
import io.tributary.proto.sentiment.TickerWindow;
import io.tributary.transforms.coders.MessageCoder;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import org.apache.beam.sdk.coders.AtomicCoder;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.coders.ListCoder;
import org.apache.beam.sdk.coders.VarIntCoder;
import org.apache.beam.sdk.coders.VarLongCoder;

/**
 * Mergeable statistics of a set of scored mentions: counts per label, sums of the scores and of
 * their squares, the weighted sum, and the {@code k} most positive and most negative mentions.
 *
 * <p>Sums are kept in integer millionths ({@link #micros}), so merging is exact and associative:
 * the result does not depend on how a runner splits and merges accumulators, and equals a
 * brute-force sum of the same rounded scores. Mutable; lives inside a combine only.
 */
final class MentionStats {
  static final Comparator<Contribution> MOST_POSITIVE =
      Comparator.comparingDouble(Contribution::getScore)
          .reversed()
          .thenComparing(Contribution::getItemId)
          .thenComparingInt(Contribution::getSentenceIndex);
  static final Comparator<Contribution> MOST_NEGATIVE =
      Comparator.comparingDouble(Contribution::getScore)
          .thenComparing(Contribution::getItemId)
          .thenComparingInt(Contribution::getSentenceIndex);

  final int k;
  long mentions;
  long positive;
  long neutral;
  long negative;
  long scoreMicros;
  long squareMicros;
  long weightMicros;
  long weightedMicros;
  final TreeSet<Contribution> mostPositive = new TreeSet<>(MOST_POSITIVE);
  final TreeSet<Contribution> mostNegative = new TreeSet<>(MOST_NEGATIVE);

  MentionStats(int k) {
    this.k = k;
  }

  /** A value in [-1, 1] (or a weight in [0, 1]) in integer millionths. */
  static long micros(double value) {
    return Math.round(value * 1_000_000);
  }

  MentionStats add(ScoredMention m) {
    long score = micros(m.getScore());
    mentions++;
    if (m.getLabel() == Label.POSITIVE) {
      positive++;
    } else if (m.getLabel() == Label.NEGATIVE) {
      negative++;
    } else {
      neutral++;
    }
    scoreMicros += score;
    squareMicros += score * score;
    weightMicros += micros(m.getWeight());
    weightedMicros += micros(m.getScore() * m.getWeight());
    Contribution c =
        Contribution.newBuilder()
            .setItemId(m.getItemId())
            .setSentenceIndex(m.getSentenceIndex())
            .setSentence(m.getSentence())
            .setScore(m.getScore())
            .setPublishedMillis(m.getPublishedMillis())
            .build();
    keep(mostPositive, c);
    keep(mostNegative, c);
    return this;
  }

  MentionStats merge(MentionStats other) {
    mentions += other.mentions;
    positive += other.positive;
    neutral += other.neutral;
    negative += other.negative;
    scoreMicros += other.scoreMicros;
    squareMicros += other.squareMicros;
    weightMicros += other.weightMicros;
    weightedMicros += other.weightedMicros;
    other.mostPositive.forEach(c -> keep(mostPositive, c));
    other.mostNegative.forEach(c -> keep(mostNegative, c));
    return this;
  }

  MentionStats copy() {
    return new MentionStats(k).merge(this);
  }

  private void keep(TreeSet<Contribution> top, Contribution c) {
    top.add(c);
    if (top.size() > k) {
      top.pollLast();
    }
  }

  double mean() {
    return mentions == 0 ? 0 : scoreMicros / 1e6 / mentions;
  }

  double weighted() {
    return weightMicros == 0 ? 0 : (double) weightedMicros / weightMicros;
  }

  /** Population standard deviation of the scores. */
  double stddev() {
    if (mentions == 0) {
      return 0;
    }
    double meanMicros = (double) scoreMicros / mentions;
    double variance = (double) squareMicros / mentions - meanMicros * meanMicros;
    return Math.sqrt(Math.max(0, variance)) / 1e6;
  }

  /** The window fields of the statistics (ticker, window and pane are left unset). */
  TickerWindow toWindow() {
    return TickerWindow.newBuilder()
        .setMentions(mentions)
        .setMeanScore(mean())
        .setWeightedScore(weighted())
        .setScoreStddev(stddev())
        .setPositive(positive)
        .setNeutral(neutral)
        .setNegative(negative)
        .addAllMostPositive(mostPositive)
        .addAllMostNegative(mostNegative)
        .build();
  }

  /** Encodes the statistics, the contributions as protobuf. */
  static final class StatsCoder extends AtomicCoder<MentionStats> {
    private static final Coder<List<Contribution>> CONTRIBUTIONS = ListCoder.of(MessageCoder.of(Contribution.class));
    private static final VarLongCoder LONG = VarLongCoder.of();

    @Override
    public void encode(MentionStats s, OutputStream out) throws IOException {
      VarIntCoder.of().encode(s.k, out);
      for (long v : new long[] {s.mentions, s.positive, s.neutral, s.negative, s.scoreMicros, s.squareMicros, s.weightMicros, s.weightedMicros}) {
        LONG.encode(v, out);
      }
      CONTRIBUTIONS.encode(new ArrayList<>(s.mostPositive), out);
      CONTRIBUTIONS.encode(new ArrayList<>(s.mostNegative), out);
    }

    @Override
    public MentionStats decode(InputStream in) throws IOException {
      MentionStats s = new MentionStats(VarIntCoder.of().decode(in));
      s.mentions = LONG.decode(in);
      s.positive = LONG.decode(in);
      s.neutral = LONG.decode(in);
      s.negative = LONG.decode(in);
      s.scoreMicros = LONG.decode(in);
      s.squareMicros = LONG.decode(in);
      s.weightMicros = LONG.decode(in);
      s.weightedMicros = LONG.decode(in);
      s.mostPositive.addAll(CONTRIBUTIONS.decode(in));
      s.mostNegative.addAll(CONTRIBUTIONS.decode(in));
      return s;
    }
  }

  /** Statistics per time bucket (bucket start in ms), for splitting a window into parts. */
  static final class Buckets {
    final TreeMap<Long, MentionStats> byStart = new TreeMap<>();

    /** The statistics of the buckets starting in [from, to). */
    MentionStats between(long from, long to, int k) {
      MentionStats out = new MentionStats(k);
      byStart.subMap(from, to).values().forEach(out::merge);
      return out;
    }
  }

  /** Encodes bucketed statistics. */
  static final class BucketsCoder extends AtomicCoder<Buckets> {
    private static final StatsCoder STATS = new StatsCoder();

    @Override
    public void encode(Buckets b, OutputStream out) throws IOException {
      VarIntCoder.of().encode(b.byStart.size(), out);
      for (Map.Entry<Long, MentionStats> e : b.byStart.entrySet()) {
        VarLongCoder.of().encode(e.getKey(), out);
        STATS.encode(e.getValue(), out);
      }
    }

    @Override
    public Buckets decode(InputStream in) throws IOException {
      Buckets b = new Buckets();
      int n = VarIntCoder.of().decode(in);
      for (int i = 0; i < n; i++) {
        b.byStart.put(VarLongCoder.of().decode(in), STATS.decode(in));
      }
      return b;
    }
  }
}
