package io.tributary.transforms.sentiment;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The evidence a {@link FinanceModel} weighs, for one sentence: named features in {@link Group}s.
 *
 * <ul>
 *   <li>{@link Group#RULES}: the {@link FinanceLexicon}'s positive and negative evidence (market
 *       phrases, directions read against what moves, signed percentages, compared amounts).
 *   <li>{@link Group#AFINN}: the summed valences of the AFINN-165 word list with its financial
 *       market news additions (npm {@code afinn-165-financialmarketnews} 3.0.0, MIT; the resource
 *       {@code afinn-165-financialmarketnews.tsv} keeps its source and license), inverted within
 *       three words after a negation.
 *   <li>{@link Group#CATEGORIES}: counts of uncertainty, litigation and constraining words, in the
 *       style of the Loughran-McDonald categories (the lists here are this class's own).
 *   <li>{@link Group#GRAMMAR}: the grammar of headlines and tweets: analyst actions ("starts at
 *       Buy", "upgraded to Outperform", "cuts price target", "downgrade"), results against
 *       expectations ("tops", "beats", "misses"), both in one text (mixed, not positive), guidance
 *       ("raises outlook", "cuts forecast"), moves with a figure ("net dips 27.56%", "net up 37%"),
 *       the stock's own moves ("shares +4%", "stock rallies", "hits seven-year low"), what
 *       holders do ("hedge funds are dumping"), questions ("Is X a good stock to buy?"), hedges,
 *       monetary policy (whose polar words describe the policy) and negation.
 *   <li>{@link Group#WORDS}: lower-case words and word pairs, with cashtags, user names, numbers,
 *       percentages and links folded into placeholders and words after a negation marked.
 * </ul>
 *
 * <p>Deterministic and thread-safe; no model files.
 */
public final class FinanceFeatures {
  /** A family of features that a model configuration can switch on or off. */
  public enum Group {
    RULES("rules"),
    AFINN("afinn"),
    CATEGORIES("cat"),
    GRAMMAR("g"),
    WORDS("w");

    private final String prefix;

    Group(String prefix) {
      this.prefix = prefix;
    }

    /** The prefix of the group's feature names, before ':'. */
    public String prefix() {
      return prefix;
    }

    /** The group of a feature name; throws when the name has no known prefix. */
    public static Group of(String feature) {
      int colon = feature.indexOf(':');
      String prefix = colon < 0 ? feature : feature.substring(0, colon);
      for (Group g : values()) {
        if (g.prefix.equals(prefix)) {
          return g;
        }
      }
      throw new IllegalArgumentException("feature '" + feature + "' belongs to no group (prefixes: rules, afinn, cat, g, w)");
    }

    /** Groups named in a comma-separated list ("rules,afinn,grammar"); "all" for all. */
    public static Set<Group> parse(String list) {
      if (list.trim().equalsIgnoreCase("all")) {
        return EnumSet.allOf(Group.class);
      }
      Set<Group> out = EnumSet.noneOf(Group.class);
      for (String name : list.split(",")) {
        try {
          out.add(valueOf(name.trim().toUpperCase(Locale.ROOT)));
        } catch (IllegalArgumentException e) {
          throw new IllegalArgumentException(
              "unknown feature group '" + name.trim() + "'; groups: " + Arrays.toString(values()).toLowerCase(Locale.ROOT));
        }
      }
      return out;
    }
  }

  /** Sparse features: names and values, in the order found (a name may repeat; values add). */
  public static final class Vector {
    private final List<String> names = new ArrayList<>();
    private double[] values = new double[16];

    void add(String name, double value) {
      if (value != 0) {
        if (names.size() == values.length) {
          values = Arrays.copyOf(values, values.length * 2);
        }
        values[names.size()] = value;
        names.add(name);
      }
    }

    public int size() {
      return names.size();
    }

    public String name(int i) {
      return names.get(i);
    }

    public double value(int i) {
      return values[i];
    }

    /** The features of these groups only (and the bias). */
    public Vector only(Set<Group> groups) {
      Vector out = new Vector();
      for (int i = 0; i < names.size(); i++) {
        String name = names.get(i);
        if (name.equals("bias") || groups.contains(Group.of(name))) {
          out.add(name, values[i]);
        }
      }
      return out;
    }

    /** The value of a feature (summed over repeats), 0 when absent. */
    public double get(String name) {
      double sum = 0;
      for (int i = 0; i < names.size(); i++) {
        if (names.get(i).equals(name)) {
          sum += values[i];
        }
      }
      return sum;
    }

    @Override
    public String toString() {
      StringBuilder b = new StringBuilder("{");
      for (int i = 0; i < names.size(); i++) {
        b.append(i == 0 ? "" : ", ").append(names.get(i)).append('=').append(values[i]);
      }
      return b.append('}').toString();
    }
  }

  private FinanceFeatures() {}

  static final Map<String, Integer> AFINN = loadAfinn();

  private static final Set<String> NEGATIONS =
      Set.of("not", "no", "never", "n't", "without", "neither", "nor", "cannot", "failed", "fails", "fail", "unable", "lack", "lacks");

  private static final Set<String> UNCERTAINTY =
      Set.of("may", "might", "could", "possibly", "possible", "perhaps", "uncertain", "uncertainty", "uncertainties",
          "unclear", "unknown", "approximately", "roughly", "estimate", "estimated", "speculation", "speculative",
          "rumor", "rumour", "rumors", "rumours", "reportedly", "considering", "considers", "mulls", "mulling",
          "weighs", "weighing", "explores", "exploring", "eyes", "eyeing", "seeks", "seeking", "potential",
          "potentially", "likely", "unlikely", "expects", "expected", "anticipates", "anticipated", "volatile",
          "volatility", "doubt", "doubts", "risk", "risks", "risky", "if", "whether", "talks");

  private static final Set<String> LITIGATION =
      Set.of("lawsuit", "lawsuits", "sue", "sued", "sues", "suing", "court", "courts", "judge", "jury", "verdict",
          "probe", "probes", "investigation", "investigations", "investigating", "settlement", "settle", "settles",
          "settled", "fine", "fined", "fines", "penalty", "penalties", "antitrust", "subpoena", "indictment",
          "indicted", "alleged", "allegedly", "allegations", "fraud", "litigation", "plaintiff", "plaintiffs",
          "defendant", "appeal", "appeals", "ruling", "ruled", "regulator", "regulators", "sec", "doj", "ftc",
          "class-action", "charged", "charges", "lawyers", "attorney", "patent", "infringement");

  private static final Set<String> CONSTRAINING =
      Set.of("must", "required", "requires", "require", "requirement", "requirements", "obligation", "obligations",
          "obliged", "restrict", "restricted", "restriction", "restrictions", "limit", "limits", "limited",
          "limitation", "covenant", "covenants", "compliance", "comply", "mandatory", "prohibited", "prohibit",
          "ban", "bans", "banned", "cap", "capped", "curb", "curbs", "sanction", "sanctions", "tariff", "tariffs");

  private static final String RATING_UP =
      "(?:strong buy|buy|outperform|overweight|accumulate|add|positive|market outperform|sector outperform|top pick|conviction buy)";
  private static final String RATING_DOWN =
      "(?:strong sell|sell|underperform|underweight|reduce|negative|market underperform|sector underperform)";
  private static final String RATING_HOLD =
      "(?:neutral|hold|equal[- ]?weight|(?:market|mkt|sector)[- ]perform|in[- ]line|peer perform|mixed)";
  private static final String RAISE = "(?:raises?|raised|raising|lifts?|lifted|boosts?|boosted|hikes?|hiked|ups|bumps?|bumped|increases?|increased|ups)";
  private static final String CUT = "(?:cuts?|cutting|lowers?|lowered|lowering|slashes|slashed|trims?|trimmed|reduces?|reduced|decreases?|decreased)";
  private static final String TARGET = "(?:price target|target price|pt|price objective|target|estimates?|forecasts?)";
  private static final String EXPECTATIONS = "(?:estimates?|expectations?|consensus|forecasts?|views?|street|projections?|guidance)";
  private static final String GUIDANCE = "(?:guidance|outlook|forecasts?|view|fy|full[- ]year|annual|dividend|payout|buyback|targets?)";
  private static final String ACTION = "(?:starts?|started|initiates?|initiated|initiating|begins?|began|resumes?|resumed|assumes?|assumed|reinstates?|reinstated|coverage)";

  private static final Pattern ANALYST_UP =
      Pattern.compile(
          "\\bupgrade[sd]?\\b|\\bupgrading\\b"
              + "|\\b" + ACTION + "\\b[^.;]{0,40}?\\b(?:at|with an?|with|as|to)\\s+" + RATING_UP + "\\b"
              + "|\\b(?:reiterates?|reiterated|maintains?|maintained|keeps?|affirms?)\\b[^.;]{0,40}?\\b" + RATING_UP + "\\b"
              + "|\\b" + RAISE + "\\b[^.;]{0,40}?\\bto\\s+" + RATING_UP + "\\b"
              + "|\\b" + RAISE + "\\b[^.;]{0,50}?\\b(?:price target|target price|pt|price objective)\\b"
              + "|\\b(?:price target|pt|target price)\\s+(?:raised|increased|lifted|boosted|hiked)\\b");
  private static final Pattern ANALYST_DOWN =
      Pattern.compile(
          "\\bdowngrade[sd]?\\b|\\bdowngrading\\b"
              + "|\\b" + ACTION + "\\b[^.;]{0,40}?\\b(?:at|with an?|with|as|to)\\s+" + RATING_DOWN + "\\b"
              + "|\\b" + CUT + "\\b[^.;]{0,40}?\\bto\\s+(?:" + RATING_DOWN + "|" + RATING_HOLD + ")\\b"
              + "|\\b" + CUT + "\\b[^.;]{0,50}?\\b(?:price target|target price|pt|price objective)\\b"
              + "|\\b(?:price target|pt|target price)\\s+(?:cut|lowered|reduced|slashed|trimmed)\\b");
  // Market jargon for an analyst or investor turning bullish or bearish.
  private static final Pattern STANCE_UP =
      Pattern.compile(
          "\\b(?:new|another|gains? an?|adds? an?|returns to)\\s+(?:\\S+\\s+)?bull\\b|\\bbull camp\\b|\\bbulls? (?:sees?|says?|likes?|praises?|steps? (?:in|up|out))\\b"
              + "|\\b(?:constructive|upbeat|positive|bullish|optimistic) (?:on|about)\\b|\\b(?:likes|favou?rs|backs|recommends)\\b"
              + "|\\btop (?:\\S+\\s+)?pick\\b|\\b(?:rated|is an?|remains an?|a|as a) (?:strong )?buy\\b|\\bgoes long\\b|\\b(?:is |it's |its )?long on\\b"
              + "|\\bstreet[- ]high\\b|\\bsees? (?:\\S+\\s+)?upside\\b|\\bupside (?:seen|ahead|potential)\\b|\\boff the sidelines\\b");
  private static final Pattern STANCE_DOWN =
      Pattern.compile(
          "\\b(?:loses|lost) (?:an?|its|another) (?:\\S+\\s+)?bull\\b|\\b(?:new|another|gains? an?|adds? an?)\\s+(?:\\S+\\s+)?bear\\b|\\bbears? (?:sees?|says?|steps? (?:in|out|up)|emerges?)\\b"
              + "|\\b(?:cools|sours|turns cautious|turns negative|turns bearish|bearish|pessimistic|cautious|skeptical|sceptical) on\\b"
              + "|\\b(?:hits|moves to|heads to|to) the sidelines\\b|\\bsidelines\\b|\\breels? in\\b|\\bstreet[- ]low\\b"
              + "|\\b(?:cut|cuts|cutting|trim|trims|trimming|trimmed|lower|lowers|lowering|slash|slashes|slashing|reduce|reduces|reducing)\\s+(?:\\S+\\s+){0,2}(?:estimates?|forecasts?|targets?|views?)\\b"
              + "|\\b(?:targets?|estimates?|forecasts?) (?:\\S+\\s+)?(?:cut|trimmed|lowered|slashed|reduced)\\b|\\bsees? (?:\\S+\\s+)?downside\\b|\\bdownside (?:risk|seen|ahead)\\b"
              + "|\\bshort (?:seller|report|position)\\b|\\bdouble downgrade\\b");
  private static final Pattern ROUND_UP = Pattern.compile("\\bupgrades?\\b.*\\bdowngrades?\\b|\\bdowngrades?\\b.*\\bupgrades?\\b");
  private static final Pattern ANALYST_HOLD =
      Pattern.compile("\\b" + ACTION + "\\b[^.;]{0,40}?\\b(?:at|with an?|with|as)\\s+" + RATING_HOLD + "\\b");
  private static final Pattern BEAT =
      Pattern.compile(
          "\\b(?:beats?|beating|tops?|topped|topping|exceeds?|exceeded|surpass(?:es|ed)?|trounces?|crushes|crushed|smashes|tops)\\b[^.;]{0,40}?\\b"
              + EXPECTATIONS + "\\b"
              + "|\\b(?:ahead of|above)\\s+(?:the\\s+)?(?:street|" + EXPECTATIONS + ")"
              + "|\\b(?:eps|revenue|revenues|sales|earnings|profit|q[1-4]|quarter|results?)\\b[^.;]{0,40}?\\bbeats?\\b"
              + "|\\bbeats?\\s+(?:by|on)\\b");
  private static final Pattern MISS =
      Pattern.compile(
          "\\b(?:miss(?:es|ed)?|missing|lags?|lagged|trails?|trailed|disappoints?|disappointed|disappointing)\\b[^.;]{0,40}?\\b"
              + EXPECTATIONS + "\\b"
              + "|\\b(?:below|short of|falls short of|fell short of|shy of)\\s+(?:the\\s+)?(?:street|" + EXPECTATIONS + ")"
              + "|(?:\\bnot|n't|\\bnever|\\bfails? to|\\bfailed to)\\s+(?:meet|match|reach)\\b[^.;]{0,30}?\\b" + EXPECTATIONS + "\\b"
              + "|\\b(?:eps|revenue|revenues|sales|earnings|profit|q[1-4]|quarter|results?)\\b[^.;]{0,40}?\\bmiss(?:es|ed)?\\b"
              + "|\\bmiss(?:es|ed)?\\s+(?:by|on)\\b");
  private static final Pattern GUIDANCE_UP =
      Pattern.compile(
          "\\b(?:" + RAISE + "|reaffirms?|reaffirmed|reiterates?|above|beats?)\\b[^.;]{0,30}?\\b" + GUIDANCE + "\\b"
              + "|\\b" + GUIDANCE + "\\b\\s+(?:raised|lifted|boosted|hiked|increased|above)\\b");
  private static final Pattern GUIDANCE_DOWN =
      Pattern.compile(
          "\\b(?:" + CUT + "|withdraws?|withdrew|withdrawn|suspends?|suspended|pulls?|pulled|scraps?|scrapped|below|misses)\\b[^.;]{0,30}?\\b"
              + GUIDANCE + "\\b"
              + "|\\b" + GUIDANCE + "\\b\\s+(?:cut|lowered|reduced|slashed|trimmed|below|withdrawn|suspended)\\b"
              + "|\\bprofit warning\\b|\\bwarns?\\b");
  private static final String UP = "(?:up|rises?|rose|risen|rising|jumps?|jumped|soars?|soared|surges?|surged|climbs?|climbed|gains?|gained|rall(?:y|ies|ied)|spikes?|spiked|grows?|grew|grown|increases?|increased|advances?|advanced|higher|rebounds?|rebounded|leaps?|leapt|doubles?|doubled|skyrockets?|pops?|popped|adds|added)";
  private static final String DOWN = "(?:down|falls?|fell|fallen|falling|drops?|dropped|dips?|dipped|slips?|slipped|slides?|slid|sinks?|sank|sunk|plunges?|plunged|tumbles?|tumbled|declines?|declined|decreases?|decreased|lower|slumps?|slumped|plummets?|plummeted|sheds?|tanks?|tanked|crashes|crashed|loses|lost|halves|halved|shrinks?|shrank|contracts?|contracted)";
  private static final Pattern MOVE_UP = Pattern.compile("\\b" + UP + "\\b\\s+(?:by\\s+|about\\s+|over\\s+|nearly\\s+|almost\\s+|more than\\s+)?\\+?\\d[\\d.,]*\\s?(?:%|pc|percent|per cent|bps|x)");
  private static final Pattern MOVE_DOWN = Pattern.compile("\\b" + DOWN + "\\b\\s+(?:by\\s+|about\\s+|over\\s+|nearly\\s+|almost\\s+|more than\\s+)?-?\\d[\\d.,]*\\s?(?:%|pc|percent|per cent|bps|x)");
  // The stock itself moving: "shares +4%", "stock rallies", "shares slip 1% after hours".
  private static final String STOCK = "(?:shares?|stocks?|stock price|share price|units|adrs?)";
  private static final Pattern STOCK_UP =
      Pattern.compile("\\b" + STOCK + "\\s+(?:are\\s+|is\\s+)?(?:" + UP + "|ahead|firm(?:s|er)?|\\+\\d)");
  private static final Pattern STOCK_DOWN =
      Pattern.compile("\\b" + STOCK + "\\s+(?:are\\s+|is\\s+)?(?:" + DOWN + "|weaker|-\\d)");
  // A price at a high or a low ("hits seven-year low", "new intraday high"), breaking out or down.
  private static final String PERIOD = "(?:new|fresh|record|all-time|multi-year|[a-z0-9]+-(?:year|month|week|day)|52-week)";
  private static final Pattern HIGHS =
      Pattern.compile("\\b" + PERIOD + "\\s+(?:intraday\\s+|closing\\s+)?highs?\\b|\\b(?:breaks? out|broke out|breakout|gaps? up|gapped up)\\b");
  private static final Pattern LOWS =
      Pattern.compile("\\b" + PERIOD + "\\s+(?:intraday\\s+|closing\\s+)?lows?\\b|\\b(?:breaks? down|broke down|gaps? down|gapped down)\\b");
  // What holders do: "Hedge Funds Are Dumping X", "insiders are buying".
  private static final String HOLDERS = "(?:hedge funds?|insiders?|institutions|investors|funds|smart money)";
  private static final Pattern HOLDERS_BUY =
      Pattern.compile("\\b" + HOLDERS + "\\s+(?:are\\s+|have\\s+been\\s+)?(?:buying|bought|piling into|pile into|loading up|snapping up|scooping up|flocking to)\\b");
  private static final Pattern HOLDERS_SELL =
      Pattern.compile("\\b" + HOLDERS + "\\s+(?:are\\s+|have\\s+been\\s+)?(?:selling|sold|dumping|dumped|souring on|soured on|bailing on|fleeing|exiting|unloading)\\b");
  // Monetary policy: central banks, their officials' words and their instruments.
  private static final Pattern POLICY =
      Pattern.compile("\\b(?:fed|fed's|fomc|ecb|central banks?|central bank's|federal reserve|boe|boj|pboc|rbi|imf|riksbank|snb"
          + "|bank of (?:england|japan|canada|mexico|israel|korea|russia|thailand)|monetary policy|policymakers?"
          + "|rate cuts?|rate hikes?|interest rates?|key rate|qe|quantitative easing)\\b");
  private static final Pattern LOSS_CONTEXT = Pattern.compile("\\b(?:loss|losses|costs?|expenses?|debt|deficit|charges?|writedowns?|impairments?|unemployment|outflows?)\\b");
  private static final Pattern QUESTION =
      Pattern.compile("\\?\\s*(?:https?://\\S+\\s*)*$|^(?:\\$?[a-z.]+\\s*[:-]\\s*)?(?:is|are|should|can|could|will|would|does|do|did|why|what|how|which|who|where|when)\\b");
  private static final Pattern HEDGE =
      Pattern.compile("\\b(?:may|might|could|reportedly|rumou?rs?|said to|sources say|in talks|considering|mulls|weighs|explores|eyes|plans? to|seeks? to|aims? to|expects? to|set to|poised to)\\b");
  private static final Pattern LISTICLE =
      Pattern.compile("^\\s*(?:\\d+|three|four|five|six|seven|eight|nine|ten)\\s+(?:reasons?|stocks?|things|ways|charts?)\\b|\\b(?:stocks? to (?:buy|watch|avoid|sell)|top \\d+)\\b");
  private static final Pattern AVOID = Pattern.compile("\\b(?:stay away|avoid|steer clear|dump|sell now|short (?:it|this))\\b");

  private static final Pattern URL = Pattern.compile("https?://\\S+|www\\.\\S+");
  private static final Pattern WORD_TOKEN =
      Pattern.compile("\\$[a-z][a-z.]{0,9}\\b|@\\w+|[+-]?\\d+(?:[.,]\\d+)*\\s?%|[+-]?\\d+(?:[.,]\\d+)*|[\\p{L}]+(?:['’\\-][\\p{L}]+)*|[?!]");

  /** All features of a sentence, in all groups. */
  public static Vector of(String sentence) {
    return of(sentence, EnumSet.allOf(Group.class));
  }

  /** The features of a sentence in the given groups, always with the bias {@code bias} = 1. */
  public static Vector of(String sentence, Set<Group> groups) {
    Vector v = new Vector();
    v.add("bias", 1);
    // Lower case, links removed: what the word and grammar features read.
    String lower = URL.matcher(sentence.toLowerCase(Locale.ROOT).replace('’', '\'')).replaceAll(" ").trim();
    double[] evidence = new double[2];
    if (groups.contains(Group.RULES)) {
      FinanceLexicon.Evidence e = FinanceLexicon.evidence(sentence);
      v.add("rules:pos", e.positive());
      v.add("rules:neg", e.negative());
      evidence[0] += e.positive();
      evidence[1] += e.negative();
    }
    List<String> tokens = groups.contains(Group.AFINN) || groups.contains(Group.CATEGORIES) || groups.contains(Group.WORDS)
        ? wordTokens(lower)
        : List.of();
    if (groups.contains(Group.AFINN)) {
      double[] a = afinn(tokens, v);
      evidence[0] += a[0];
      evidence[1] += a[1];
    }
    if (groups.contains(Group.CATEGORIES)) {
      categories(tokens, v);
    }
    if (groups.contains(Group.GRAMMAR)) {
      double[] g = grammar(lower, v);
      // All polar evidence in one pair: a weight learned from one source's evidence carries to the
      // others, so rules that one corpus never shows still count when fitted on it.
      v.add("g:all_pos", g[2] * (evidence[0] + g[0]));
      v.add("g:all_neg", g[2] * (evidence[1] + g[1]));
    }
    if (groups.contains(Group.WORDS)) {
      words(tokens, v);
    }
    return v;
  }

  private static double[] afinn(List<String> tokens, Vector v) {
    double pos = 0;
    double neg = 0;
    int negateUntil = -1;
    for (int i = 0; i < tokens.size(); i++) {
      String t = tokens.get(i);
      if (NEGATIONS.contains(t)) {
        negateUntil = i + 3;
        continue;
      }
      Integer valence = AFINN.get(t);
      if (valence == null && i + 1 < tokens.size()) {
        valence = AFINN.get(t + " " + tokens.get(i + 1));
      }
      if (valence == null) {
        continue;
      }
      double s = i <= negateUntil ? -valence : valence;
      if (s > 0) {
        pos += s;
      } else {
        neg -= s;
      }
    }
    v.add("afinn:pos", pos / 3);
    v.add("afinn:neg", neg / 3);
    return new double[] {pos / 3, neg / 3};
  }

  private static void categories(List<String> tokens, Vector v) {
    int uncertainty = 0;
    int litigation = 0;
    int constraining = 0;
    for (String t : tokens) {
      uncertainty += UNCERTAINTY.contains(t) ? 1 : 0;
      litigation += LITIGATION.contains(t) ? 1 : 0;
      constraining += CONSTRAINING.contains(t) ? 1 : 0;
    }
    v.add("cat:uncertainty", Math.min(uncertainty, 3));
    v.add("cat:litigation", Math.min(litigation, 3));
    v.add("cat:constraining", Math.min(constraining, 3));
  }

  private static double[] grammar(String text, Vector v) {
    double pos = 0;
    double neg = 0;
    boolean down = ANALYST_DOWN.matcher(text).find() || STANCE_DOWN.matcher(text).find();
    // "downgraded to Outperform from Strong Buy" is a downgrade whatever the rating's name.
    boolean up = !text.contains("downgrade") && (ANALYST_UP.matcher(text).find() || STANCE_UP.matcher(text).find());
    // "Upgrades, downgrades for May 4": a round-up, neither.
    boolean roundUp = ROUND_UP.matcher(text).find();
    pos += up && !down && !roundUp ? 2 : 0;
    neg += down && !up && !roundUp ? 2 : 0;
    v.add("g:analyst_hold", !up && !down && ANALYST_HOLD.matcher(text).find() ? 1 : 0);
    boolean beat = BEAT.matcher(text).find();
    boolean miss = MISS.matcher(text).find();
    // "beats on EPS, misses on revenue": evidence both ways, so neither side wins.
    pos += beat ? 2 : 0;
    neg += miss ? 2 : 0;
    v.add("g:mixed", beat && miss || roundUp ? 1 : 0);
    boolean raise = GUIDANCE_UP.matcher(text).find();
    boolean cut = GUIDANCE_DOWN.matcher(text).find();
    pos += raise && !cut ? 1 : 0;
    neg += cut && !raise ? 1 : 0;
    boolean cost = LOSS_CONTEXT.matcher(text).find();
    boolean moveUp = MOVE_UP.matcher(text).find();
    boolean moveDown = MOVE_DOWN.matcher(text).find();
    if (moveUp != moveDown) {
      // A rising loss is bad news, a falling cost good news.
      if (moveUp != cost) {
        pos++;
      } else {
        neg++;
      }
    } else if (moveUp) {
      v.add("g:figure_mixed", 1);
    }
    neg += AVOID.matcher(text).find() ? 1 : 0;
    // The stock's own move, when no figure already counted it; and what its holders do.
    // (Each pattern runs only where a word it needs occurs: a plain search is much cheaper.)
    boolean stock = text.contains("share") || text.contains("stock") || text.contains("unit") || text.contains("adr");
    boolean extreme = text.contains("high") || text.contains("low") || text.contains("break") || text.contains("gap");
    boolean stockUp = stock && STOCK_UP.matcher(text).find() || extreme && HIGHS.matcher(text).find();
    boolean stockDown = stock && STOCK_DOWN.matcher(text).find() || extreme && LOWS.matcher(text).find();
    pos += stockUp && !stockDown && !moveUp ? 1 : 0;
    neg += stockDown && !stockUp && !moveDown ? 1 : 0;
    boolean holders = text.contains("fund") || text.contains("insider") || text.contains("institution")
        || text.contains("investor") || text.contains("smart money");
    pos += holders && HOLDERS_BUY.matcher(text).find() ? 1 : 0;
    neg += holders && HOLDERS_SELL.matcher(text).find() ? 1 : 0;
    v.add("g:pos", pos);
    v.add("g:neg", neg);
    boolean question = QUESTION.matcher(text).find();
    boolean hedge = HEDGE.matcher(text).find();
    v.add("g:question", question ? 1 : 0);
    v.add("g:hedge", hedge ? 1 : 0);
    v.add("g:listicle", LISTICLE.matcher(text).find() ? 1 : 0);
    boolean policy = POLICY.matcher(text).find();
    v.add("g:policy", policy ? 1 : 0);
    // A question asks rather than reports ("Is X a good stock to buy?"); a hedge reports less; the
    // polar words of monetary policy ("cuts rates", "stimulus", "crisis fight") describe the
    // policy, not a company's prospects.
    double damping = (question ? 0.3 : 1) * (hedge ? 0.7 : 1) * (policy ? 0.3 : 1);
    return new double[] {pos, neg, damping};
  }

  private static void words(List<String> tokens, Vector v) {
    int negateUntil = -1;
    String previous = "<s>";
    for (int i = 0; i < tokens.size(); i++) {
      String t = tokens.get(i);
      String folded = fold(t);
      if (NEGATIONS.contains(t)) {
        negateUntil = i + 3;
        v.add("w:" + folded, 1);
      } else {
        v.add(i <= negateUntil ? "w:not_" + folded : "w:" + folded, 1);
      }
      v.add("w:" + previous + "_" + folded, 1);
      previous = folded;
    }
  }

  // Placeholders for what varies without changing the sentiment: tickers, users, figures.
  private static String fold(String token) {
    char c = token.charAt(0);
    if (c == '$' && token.length() > 1 && Character.isLetter(token.charAt(1))) {
      return "<ticker>";
    }
    if (c == '@') {
      return "<user>";
    }
    if (token.endsWith("%")) {
      return c == '-' ? "<-pct>" : c == '+' ? "<+pct>" : "<pct>";
    }
    if (Character.isDigit(c) || (c == '+' || c == '-') && token.length() > 1) {
      return "<num>";
    }
    return token;
  }

  /** The word tokens of a lower-case text whose links are removed. */
  static List<String> wordTokens(String lower) {
    return FinanceLexicon.tokens(WORD_TOKEN.matcher(lower));
  }

  private static Map<String, Integer> loadAfinn() {
    Map<String, Integer> out = new HashMap<>();
    String resource = "afinn-165-financialmarketnews.tsv";
    try (InputStream in = FinanceFeatures.class.getResourceAsStream(resource)) {
      if (in == null) {
        throw new IllegalStateException("resource " + resource + " missing beside " + FinanceFeatures.class.getName());
      }
      Tsv.read(in, (n, line, f) -> {
        if (f.length != 2) {
          throw new IllegalStateException(resource + " line " + n + ": expected word<TAB>valence, got '" + line + "'");
        }
        out.put(f[0], Integer.parseInt(f[1].trim()));
      });
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return Map.copyOf(out);
  }
}
