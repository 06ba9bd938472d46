package io.tributary.transforms.sentiment;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Finance-aware evidence for a sentence, without a model: a lexicon of market words and phrases,
 * negation, and rules for numbers and directions.
 *
 * <ul>
 *   <li><b>Words and phrases</b> carry a polarity: "beat estimates", "upgraded", "record revenue"
 *       are positive; "missed", "downgraded", "profit warning", "layoffs" negative.
 *   <li><b>Directions</b> ("rose", "fell", "narrowed", "up", "down") take the polarity of what
 *       moves: a rise of sales is good, a rise of a loss or of costs is bad, so a direction within
 *       four words after a <em>cost</em> noun (loss, costs, debt, ...) is inverted.
 *   <li><b>Numbers</b>: a signed percentage ("+12%", "-3.5 %") counts as a direction; so does a
 *       comparison of two amounts: "rose to EUR 13.1 mn from EUR 8.7 mn", "EUR 9.8 mn, compared to
 *       EUR 11.7 mn", "EUR 5.2 mn (EUR 4.1 mn)": the first amount against the second.
 *   <li><b>Negation</b> ("not", "no", "n't", "never", "without", "failed to") inverts the
 *       evidence of the next three words.
 * </ul>
 *
 * <p>The result is the positive and negative evidence of the sentence (sums of weights, each
 * {@code >= 0}); {@link FinanceScorer} turns evidence and CoreNLP's probabilities into classes.
 * Deterministic and thread-safe.
 */
public final class FinanceLexicon {
  private FinanceLexicon() {}

  /** The evidence found in one sentence. */
  public record Evidence(double positive, double negative, int hits) {
    /** positive - negative. */
    public double net() {
      return positive - negative;
    }
  }

  private static final Pattern TOKEN =
      Pattern.compile("[+-]?\\d+(?:[.,]\\d+)*\\s?%?|[\\p{L}]+(?:['’][\\p{L}]+)?|n['’]t|[()%]");

  // Words with a polarity of their own.
  private static final Map<String, Double> WORDS =
      Map.ofEntries(
          // positive
          Map.entry("beat", 1.5), Map.entry("beats", 1.5), Map.entry("exceeded", 1.5),
          Map.entry("exceeds", 1.5), Map.entry("surpassed", 1.5), Map.entry("outperform", 1.5),
          Map.entry("outperformed", 1.5), Map.entry("upgrade", 1.5), Map.entry("upgraded", 1.5),
          Map.entry("upgrades", 1.5), Map.entry("record", 0.8), Map.entry("profitable", 1.0),
          Map.entry("profitability", 0.5), Map.entry("strong", 1.0), Map.entry("stronger", 1.2),
          Map.entry("strongest", 1.2), Map.entry("robust", 1.0), Map.entry("solid", 0.8),
          Map.entry("boost", 1.0), Map.entry("boosted", 1.0), Map.entry("boosts", 1.0),
          Map.entry("success", 1.0), Map.entry("successful", 1.0), Map.entry("successfully", 1.0),
          Map.entry("win", 1.0), Map.entry("wins", 1.0), Map.entry("won", 1.0),
          Map.entry("awarded", 1.0), Map.entry("buy", 0.6), Map.entry("bullish", 1.5),
          Map.entry("optimistic", 1.2), Map.entry("positive", 1.0), Map.entry("favorable", 1.0),
          Map.entry("favourable", 1.0), Map.entry("expand", 1.0), Map.entry("expands", 1.0),
          Map.entry("expanded", 1.0), Map.entry("expansion", 1.0), Map.entry("expanding", 1.0), Map.entry("dividend", 0.3),
          Map.entry("breakthrough", 1.2), Map.entry("approval", 0.8), Map.entry("approved", 0.6),
          Map.entry("best", 1.0), Map.entry("better", 1.0), Map.entry("good", 0.8),
          Map.entry("excellent", 1.2), Map.entry("rebound", 1.0), Map.entry("rebounded", 1.0),
          Map.entry("recovery", 0.8), Map.entry("recovered", 0.8), Map.entry("momentum", 0.6),
          Map.entry("efficiency", 0.4), Map.entry("savings", 0.5), Map.entry("agreement", 0.6),
          Map.entry("contract", 0.6), Map.entry("order", 0.2), Map.entry("orders", 0.3),
          Map.entry("signed", 0.8), Map.entry("sign", 0.5), Map.entry("deal", 0.5), Map.entry("partnership", 0.6),
          Map.entry("cooperation", 0.5), Map.entry("strengthen", 1.0), Map.entry("strengthens", 1.0),
          Map.entry("strengthened", 1.0), Map.entry("bolster", 1.0), Map.entry("acquisition", 0.5),
          Map.entry("acquire", 0.4), Map.entry("acquires", 0.4), Map.entry("extends", 0.6), Map.entry("double", 1.0),
          Map.entry("largest", 0.5), Map.entry("leading", 0.5), Map.entry("widen", 0.3),
          Map.entry("highest", 0.8), Map.entry("high", 0.3), Map.entry("outpaced", 1.0),
          // negative
          Map.entry("miss", 1.5 * -1), Map.entry("missed", -1.5), Map.entry("misses", -1.5),
          Map.entry("downgrade", -1.5), Map.entry("downgraded", -1.5), Map.entry("downgrades", -1.5),
          Map.entry("warning", -1.2), Map.entry("warns", -1.2), Map.entry("warned", -1.2),
          Map.entry("weak", -1.0), Map.entry("weaker", -1.2), Map.entry("weakness", -1.0),
          Map.entry("layoff", -1.2), Map.entry("layoffs", -1.2), Map.entry("laid", -1.0),
          Map.entry("redundancies", -1.2), Map.entry("cuts", -0.8), Map.entry("cut", -0.8),
          Map.entry("lawsuit", -1.0), Map.entry("sued", -1.0), Map.entry("fine", -0.3),
          Map.entry("fined", -1.0), Map.entry("probe", -0.8), Map.entry("investigation", -0.8),
          Map.entry("bankruptcy", -1.5), Map.entry("bankrupt", -1.5), Map.entry("default", -1.0),
          Map.entry("impairment", -1.0), Map.entry("writedown", -1.0), Map.entry("recall", -1.0),
          Map.entry("bearish", -1.5), Map.entry("pessimistic", -1.2), Map.entry("negative", -1.0),
          Map.entry("worse", -1.2), Map.entry("worst", -1.2), Map.entry("poor", -1.0),
          Map.entry("difficult", -0.8), Map.entry("challenging", -0.6), Map.entry("uncertainty", -0.6),
          Map.entry("slowdown", -1.0), Map.entry("crisis", -1.0), Map.entry("disappointing", -1.2),
          Map.entry("disappointed", -1.2), Map.entry("sell", -0.6), Map.entry("closure", -0.8),
          Map.entry("close", -0.2), Map.entry("shut", -0.8), Map.entry("dismissed", -0.6),
          Map.entry("dispute", -0.8), Map.entry("delay", -0.8), Map.entry("delayed", -0.8),
          Map.entry("lowest", -0.8), Map.entry("scrapped", -1.0), Map.entry("halted", -1.0),
          Map.entry("suspended", -1.0), Map.entry("terminated", -0.6), Map.entry("fraud", -1.5),
          Map.entry("temporary", -0.2), Map.entry("underperform", -1.5), Map.entry("plummeted", -1.5));

  // Directions: the sign of a change, to be read against what changes.
  private static final Map<String, Double> DIRECTIONS =
      Map.ofEntries(
          Map.entry("rose", 1.0), Map.entry("rise", 1.0), Map.entry("rises", 1.0),
          Map.entry("rising", 1.0), Map.entry("risen", 1.0), Map.entry("increase", 1.0),
          Map.entry("increased", 1.0), Map.entry("increases", 1.0), Map.entry("increasing", 1.0),
          Map.entry("grew", 1.0), Map.entry("grow", 1.0), Map.entry("grows", 1.0),
          Map.entry("growing", 1.0), Map.entry("growth", 1.0), Map.entry("gain", 1.0),
          Map.entry("gains", 1.0), Map.entry("gained", 1.0), Map.entry("up", 0.8),
          Map.entry("higher", 1.0), Map.entry("improve", 1.0), Map.entry("improved", 1.2),
          Map.entry("improves", 1.2), Map.entry("improvement", 1.2), Map.entry("improving", 1.0),
          Map.entry("jump", 1.2), Map.entry("jumped", 1.2), Map.entry("jumps", 1.2),
          Map.entry("surge", 1.5), Map.entry("surged", 1.5), Map.entry("surges", 1.5),
          Map.entry("soar", 1.5), Map.entry("soared", 1.5), Map.entry("soars", 1.5),
          Map.entry("climb", 1.0), Map.entry("climbed", 1.0), Map.entry("climbs", 1.0),
          Map.entry("rally", 1.2), Map.entry("rallied", 1.2), Map.entry("doubled", 1.2),
          Map.entry("tripled", 1.2), Map.entry("advanced", 0.6), Map.entry("raised", 0.8),
          Map.entry("raise", 0.8), Map.entry("raises", 0.8), Map.entry("increasingly", 0.3),
          Map.entry("fell", -1.0), Map.entry("fall", -1.0), Map.entry("falls", -1.0),
          Map.entry("falling", -1.0), Map.entry("fallen", -1.0), Map.entry("decrease", -1.0),
          Map.entry("decreased", -1.0), Map.entry("decreases", -1.0), Map.entry("decreasing", -1.0),
          Map.entry("decline", -1.0), Map.entry("declined", -1.0), Map.entry("declines", -1.0),
          Map.entry("declining", -1.0), Map.entry("drop", -1.0), Map.entry("dropped", -1.0),
          Map.entry("drops", -1.0), Map.entry("down", -0.8), Map.entry("lower", -1.0),
          Map.entry("lowered", -1.0), Map.entry("reduced", -0.6), Map.entry("reduce", -0.5), Map.entry("reduces", -0.5), Map.entry("reducing", -0.5),
          Map.entry("reduction", -0.5), Map.entry("reductions", -0.5), Map.entry("plunge", -1.5), Map.entry("plunged", -1.5),
          Map.entry("plunges", -1.5), Map.entry("slump", -1.5), Map.entry("slumped", -1.5),
          Map.entry("tumble", -1.5), Map.entry("tumbled", -1.5), Map.entry("sank", -1.5),
          Map.entry("slid", -1.2), Map.entry("slipped", -1.0), Map.entry("shrank", -1.0),
          Map.entry("contracted", -1.0), Map.entry("narrowed", -1.0), Map.entry("narrow", -0.8),
          Map.entry("deteriorated", -1.2), Map.entry("weakened", -1.2), Map.entry("halved", -1.2),
          Map.entry("loss", -1.0), Map.entry("losses", -1.0), Map.entry("lost", -1.0),
          Map.entry("widened", 1.0), Map.entry("smaller", -0.6), Map.entry("larger", 0.6), Map.entry("bigger", 0.6));

  // Things whose rise is bad news: a direction after one of them is inverted.
  private static final Set<String> COSTS =
      Set.of("loss", "losses", "cost", "costs", "expense", "expenses", "debt", "debts",
          "unemployment", "deficit", "liabilities", "charges", "impairment", "writedowns",
          "layoffs", "inventories", "risk", "risks", "spending");

  // What a change of is neither good nor bad news: share capital, stakes, holdings.
  private static final Set<String> NEUTRAL_MEASURES = Set.of("capital", "stake", "stakes", "ownership", "holding", "index");

  // Amount units, for comparing "EUR 415,000 from EUR 7.4 million".
  private static final Map<String, Double> UNITS =
      Map.of("thousand", 1e3, "k", 1e3, "m", 1e6, "mn", 1e6, "mln", 1e6, "million", 1e6, "bn", 1e9, "bln", 1e9, "billion", 1e9);

  // Words that end the scope of a cost noun (a new clause).
  private static final Set<String> CLAUSE_BREAKS = Set.of("while", "but", "and", "whereas", "although");

  private static final Set<String> NEGATIONS =
      Set.of("not", "no", "never", "n't", "without", "neither", "nor", "cannot", "failed", "fail",
          "lack", "unable");

  // Phrases: checked before words, on the joined lower-case tokens.
  private static final Map<String, Double> PHRASES =
      Map.ofEntries(
          Map.entry("beat estimates", 2.0), Map.entry("beat expectations", 2.0),
          Map.entry("beat forecasts", 2.0), Map.entry("above expectations", 2.0),
          Map.entry("above estimates", 2.0), Map.entry("better than expected", 2.0),
          Map.entry("raised guidance", 2.0), Map.entry("raised its guidance", 2.0),
          Map.entry("raises guidance", 2.0), Map.entry("raised its outlook", 2.0),
          Map.entry("record revenue", 1.5), Map.entry("record profit", 1.5),
          Map.entry("all time high", 1.5), Map.entry("record high", 1.5),
          Map.entry("turned to a profit", 2.0), Map.entry("turned profitable", 2.0),
          Map.entry("missed estimates", -2.0), Map.entry("missed expectations", -2.0),
          Map.entry("below expectations", -2.0), Map.entry("below estimates", -2.0),
          Map.entry("worse than expected", -2.0), Map.entry("profit warning", -2.0),
          Map.entry("cut guidance", -2.0), Map.entry("cuts guidance", -2.0),
          Map.entry("lowered guidance", -2.0), Map.entry("lowered its guidance", -2.0),
          Map.entry("cut its outlook", -2.0), Map.entry("lowered its outlook", -2.0),
          Map.entry("week low", -1.0), Map.entry("turned to a loss", -2.0),
          Map.entry("laid off", -1.5), Map.entry("temporary layoffs", -1.5),
          Map.entry("job cuts", -1.5), Map.entry("cut jobs", -1.5));

  private static final Set<String> COMPARATORS = Set.of("from", "compared", "versus", "vs", "against", "(");

  /** The finance evidence of one sentence. */
  public static Evidence evidence(String sentence) {
    List<String> tokens = tokens(sentence);
    Tally tally = new Tally();
    int negateUntil = -1;
    int costAt = -100;
    boolean[] used = new boolean[tokens.size()];

    // A cost noun's own polarity ("loss") counts only if no direction word reads it ("loss narrowed").
    double pendingCost = 0;
    for (int i = 0; i < tokens.size(); i++) {
      String t = tokens.get(i);
      double polarity = 0;
      boolean phrase = false;
      for (int len = 4; len >= 2 && polarity == 0; len--) {
        if (i + len <= tokens.size()) {
          Double p = PHRASES.get(String.join(" ", tokens.subList(i, i + len)));
          if (p != null) {
            polarity = p;
            phrase = true;
            for (int k = i; k < i + len; k++) {
              used[k] = true;
            }
          }
        }
      }
      if (!phrase && used[i]) {
        continue;
      }
      if (NEGATIONS.contains(t)) {
        negateUntil = i + 3;
        continue;
      }
      if (CLAUSE_BREAKS.contains(t)) {
        costAt = -100;
      }
      if (!phrase) {
        if (COSTS.contains(t)) {
          Double own = DIRECTIONS.get(t);
          if (own != null && !costAhead(tokens, i)) {
            tally.add(pendingCost);
            pendingCost = own * (i <= negateUntil ? -0.8 : 1);
          }
          costAt = i;
          continue;
        } else if (DIRECTIONS.containsKey(t)) {
          if (nearNeutralMeasure(tokens, i)) {
            continue;
          }
          boolean aboutCost = i - costAt <= 4 || costAhead(tokens, i);
          if (i - costAt <= 4) {
            pendingCost = 0;
          }
          polarity = DIRECTIONS.get(t) * (aboutCost ? -1 : 1);
        } else if (WORDS.containsKey(t)) {
          polarity = WORDS.get(t);
        } else if (isSignedPercent(t)) {
          polarity = (t.startsWith("-") ? -1.0 : 1.0) * (i - costAt <= 4 ? -1 : 1);
        }
      }
      if (polarity == 0) {
        continue;
      }
      if (i <= negateUntil) {
        polarity = -polarity * 0.8;
      }
      tally.add(polarity);
    }
    tally.add(pendingCost);

    double comparison = comparison(tokens);
    if (comparison != 0) {
      // Inverted when the sentence is about a cost ("loss ... EUR 2 mn, compared to EUR 1 mn").
      boolean aboutCost = tokens.stream().anyMatch(COSTS::contains);
      tally.add(Math.signum(comparison) * (aboutCost ? -1 : 1));
    }
    return new Evidence(tally.positive, tally.negative, tally.hits);
  }

  /** Positive and negative evidence as it is found. */
  private static final class Tally {
    double positive;
    double negative;
    int hits;

    void add(double polarity) {
      if (polarity == 0) {
        return;
      }
      hits++;
      if (polarity > 0) {
        positive += polarity;
      } else {
        negative -= polarity;
      }
    }
  }

  // A cost noun within three words after i ("reduce fuel costs").
  private static boolean costAhead(List<String> tokens, int i) {
    for (int k = i + 1; k < Math.min(tokens.size(), i + 4); k++) {
      if (COSTS.contains(tokens.get(k))) {
        return DIRECTIONS.containsKey(tokens.get(i));
      }
    }
    return false;
  }

  // A share-capital or stake word within four words of i: its changes are neither good nor bad.
  private static boolean nearNeutralMeasure(List<String> tokens, int i) {
    for (int k = Math.max(0, i - 4); k < Math.min(tokens.size(), i + 5); k++) {
      if (NEUTRAL_MEASURES.contains(tokens.get(k))) {
        return true;
      }
    }
    return false;
  }

  /**
   * The first amount against the second, for "X from Y", "X compared to Y", "X (Y)", "to X from
   * Y"; positive when X is larger. 0 when there is no such pair.
   */
  static double comparison(List<String> tokens) {
    for (int i = 0; i < tokens.size(); i++) {
      if (!COMPARATORS.contains(tokens.get(i))) {
        continue;
      }
      Double before = numberBefore(tokens, i);
      Double after = numberAfter(tokens, i);
      if (before != null && after != null && !before.equals(after)) {
        return before - after;
      }
    }
    return 0;
  }

  // The nearest amount within four tokens before i, scaled by its unit.
  private static Double numberBefore(List<String> tokens, int i) {
    for (int k = i - 1; k >= Math.max(0, i - 4); k--) {
      Double n = number(tokens.get(k));
      if (n != null) {
        return n * unit(tokens, k + 1);
      }
    }
    return null;
  }

  private static double unit(List<String> tokens, int k) {
    return k < tokens.size() ? UNITS.getOrDefault(tokens.get(k), 1.0) : 1.0;
  }

  // The nearest amount within four tokens after i (skipping "to", "with", currency, "the" ...).
  private static Double numberAfter(List<String> tokens, int i) {
    for (int k = i + 1; k < Math.min(tokens.size(), i + 5); k++) {
      Double n = number(tokens.get(k));
      if (n != null) {
        return n * unit(tokens, k + 1);
      }
    }
    return null;
  }

  private static Double number(String token) {
    if (token.isEmpty() || !(Character.isDigit(token.charAt(0)) || token.length() > 1 && Character.isDigit(token.charAt(1)))) {
      return null;
    }
    String digits = token.replace("%", "").trim().replace(",", "");
    try {
      double value = Double.parseDouble(digits);
      // Years are dates, not amounts ("in 2008 from 2007" compares nothing).
      return value >= 1900 && value <= 2100 && !digits.contains(".") ? null : value;
    } catch (NumberFormatException e) {
      return null;
    }
  }

  private static boolean isSignedPercent(String token) {
    return (token.startsWith("+") || token.startsWith("-")) && token.endsWith("%");
  }

  /** Lower-case word, number and bracket tokens of a sentence. */
  static List<String> tokens(String sentence) {
    return tokens(TOKEN.matcher(sentence.toLowerCase(Locale.ROOT)));
  }

  /** The matches of {@code m}, with "n't" split off its word ("didn't" is "did", "n't"). */
  static List<String> tokens(Matcher m) {
    List<String> out = new ArrayList<>();
    while (m.find()) {
      String t = m.group().replace('’', '\'');
      if (t.endsWith("n't") && t.length() > 3) {
        out.add(t.substring(0, t.length() - 3));
        out.add("n't");
      } else {
        out.add(t);
      }
    }
    return out;
  }
}
