package io.tributary.transforms.sentiment;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The clauses of a sentence that names several tickers on both sides of a contrast ("Apple beat
 * estimates while Samsung missed", "Microsoft was upgraded; Google was cut to Hold"): each ticker
 * is scored on the clause that names it. Only contrasts split (a semicolon, while, whereas, but,
 * although, though, yet); "Apple and Microsoft rose" stays one clause.
 */
final class Clauses {
  private Clauses() {}

  private static final Pattern CONTRAST =
      Pattern.compile(";|,?\\s+(?:while|whereas|but|although|though|yet)\\s+", Pattern.CASE_INSENSITIVE);

  /**
   * Ticker to the clause that first names it, when the tickers of {@code mentions} (ticker to
   * position of first mention) fall in at least two clauses; otherwise empty (score the sentence).
   */
  static Map<String, String> ofTickers(String sentence, Map<String, Integer> mentions) {
    if (mentions.size() < 2) {
      return Map.of();
    }
    List<int[]> clauses = new ArrayList<>();
    Matcher m = CONTRAST.matcher(sentence);
    int start = 0;
    while (m.find()) {
      clauses.add(new int[] {start, m.start()});
      start = m.end();
    }
    if (clauses.isEmpty()) {
      return Map.of();
    }
    clauses.add(new int[] {start, sentence.length()});
    Map<String, String> out = new HashMap<>();
    Set<Integer> used = new HashSet<>();
    mentions.forEach((ticker, at) -> {
      for (int i = 0; i < clauses.size(); i++) {
        int[] c = clauses.get(i);
        if (at >= c[0] && at < c[1]) {
          out.put(ticker, sentence.substring(c[0], c[1]).trim());
          used.add(i);
          return;
        }
      }
    });
    return used.size() < 2 ? Map.of() : out;
  }
}
