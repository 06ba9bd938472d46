package io.tributary.transforms.sentiment;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * Finds the stock tickers a sentence mentions.
 *
 * <p>A dictionary file has one company per line, {@code TICKER<TAB>Company name<TAB>alias|alias};
 * blank lines and lines starting with {@code #} are ignored. {@link #usLargeCaps()} is the shipped
 * dictionary of about 110 large US-listed companies; {@link #fromFile} reads your own.
 *
 * <p>A sentence mentions a ticker through, in this order of trust:
 *
 * <ol>
 *   <li>a <b>cashtag</b>, {@code $AAPL} or {@code $brk.b}: always taken, even for a ticker the
 *       dictionary does not know ({@code $5} is money, not a cashtag);
 *   <li>an <b>exchange prefix</b>, {@code NASDAQ:AAPL}, {@code (NYSE: KO)}: always taken;
 *   <li>a <b>company name or alias</b> of the dictionary, matched case-sensitively on word
 *       boundaries, longest first ("Bank of America", not "America");
 *   <li>a <b>bare symbol</b>, {@code AAPL}: taken only if it is written in capitals, has at least
 *       two letters, is in the dictionary, is not a common English word or finance abbreviation
 *       ({@link #COMMON_WORDS}: A, IT, ALL, ON, NOW, KEY, CEO, EPS, ...), and the sentence itself
 *       is not written in capitals (a shouted headline would make every word a symbol).
 * </ol>
 *
 * <p>So Agilent ({@code A}), Gartner ({@code IT}) or Allstate ({@code ALL}) are found by cashtag,
 * exchange prefix or name, never by the bare word. Tickers come out upper case, in order of first
 * mention, each once.
 */
public final class TickerDictionary implements Serializable {
  private static final long serialVersionUID = 1L;

  /** Words that are never taken as a bare symbol, though some are tickers. */
  public static final Set<String> COMMON_WORDS =
      Set.of(
          // English words and abbreviations that are (or look like) tickers.
          "A", "I", "AN", "AM", "AT", "BE", "BY", "DO", "GO", "HE", "IF", "IN", "IS", "IT", "ME",
          "MY", "NO", "OF", "OK", "ON", "OR", "SO", "TO", "UP", "US", "WE", "ALL", "ARE", "BIG",
          "CAN", "CAT", "FOR", "FUN", "HAS", "KEY", "LOW", "MAN", "NEW", "NOW", "ONE", "OUT", "SEE",
          "THE", "TWO", "WAS", "COST", "CASH", "LOVE", "REAL", "TRUE", "SHOP", "SNOW", "PM", "MO",
          "MA", "MS", "DE", "EL", "CL", "CEO", "CFO", "COO", "CTO",
          // Finance and news abbreviations.
          "AI", "EV", "EU", "UK", "USA", "IPO", "EPS", "ETF", "GDP", "CPI", "FED", "SEC", "FDA",
          "USD", "EUR", "GBP", "JPY", "ESG", "AGM", "YOY", "QOQ", "NYSE", "NASDAQ", "AMEX", "OTC",
          "LLC", "INC", "LTD", "PLC", "CORP", "Q1", "Q2", "Q3", "Q4", "FY", "H1", "H2", "EBIT",
          "EBITDA", "ROI", "ROE", "API", "TV", "PC", "NEWS", "UPDATE", "BREAKING");

  private static final Pattern CASHTAG =
      Pattern.compile("(?<![\\p{L}\\p{N}$])\\$([A-Za-z]{1,5}(?:\\.[A-Za-z])?)(?![\\p{L}\\p{N}])");
  private static final Pattern EXCHANGE =
      Pattern.compile(
          "\\b(?:NASDAQ|NYSE|NYSEARCA|NYSEAMERICAN|AMEX|OTC|BATS|TSX|LSE)\\s*:\\s*([A-Z]{1,5}(?:\\.[A-Z])?)(?![\\p{L}\\p{N}])");
  private static final Pattern BARE =
      Pattern.compile("(?<![\\p{L}\\p{N}$:.])([A-Z]{2,5}(?:\\.[A-Z])?)(?![\\p{L}\\p{N}])");

  /** Ticker to its company name. */
  private final TreeMap<String, String> companies;
  /** Name or alias to ticker. */
  private final TreeMap<String, String> aliases;
  // Names and aliases by their first character, longest first: built on first use.
  private transient volatile NameIndex namesByFirstChar;

  private TickerDictionary(Map<String, String> companies, Map<String, String> aliases) {
    this.companies = new TreeMap<>(companies);
    this.aliases = new TreeMap<>(aliases);
  }

  /** The shipped dictionary of large US-listed companies. */
  public static TickerDictionary usLargeCaps() {
    try (InputStream in = TickerDictionary.class.getResourceAsStream("us-large-caps.tsv")) {
      if (in == null) {
        throw new IllegalStateException("us-large-caps.tsv is missing from the classpath");
      }
      return parse(new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8)), "us-large-caps.tsv");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** A dictionary read from a file in the format described above. */
  public static TickerDictionary fromFile(Path path) {
    try (BufferedReader reader = Files.newBufferedReader(path, StandardCharsets.UTF_8)) {
      return parse(reader, path.toString());
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read ticker dictionary " + path, e);
    }
  }

  static TickerDictionary parse(BufferedReader reader, String name) throws IOException {
    Map<String, String> companies = new TreeMap<>();
    Map<String, String> aliases = new TreeMap<>();
    Tsv.read(reader, (number, line, fields) -> {
      String ticker = fields[0].trim().toUpperCase(Locale.ROOT);
      if (fields.length < 2 || !ticker.matches("[A-Z]{1,5}(\\.[A-Z])?")) {
        throw new IllegalArgumentException(
            name + " line " + number + ": expected TICKER<TAB>name[<TAB>alias|alias], got '" + line + "'");
      }
      companies.put(ticker, fields[1].trim());
      aliases.put(fields[1].trim(), ticker);
      if (fields.length > 2) {
        for (String alias : fields[2].split("\\|")) {
          if (!alias.isBlank()) {
            aliases.put(alias.trim(), ticker);
          }
        }
      }
    });
    return new TickerDictionary(companies, aliases);
  }

  /** The company name of a ticker, or null if the dictionary does not know it. */
  public String company(String ticker) {
    return companies.get(ticker);
  }

  /** Every ticker of the dictionary, sorted. */
  public Set<String> tickers() {
    return companies.keySet();
  }

  /** The tickers {@code sentence} mentions, upper case, in order of first mention. */
  public List<String> find(String sentence) {
    return new ArrayList<>(mentions(sentence).keySet());
  }

  /** The tickers {@code sentence} mentions, in order of first mention, each with that position. */
  public Map<String, Integer> mentions(String sentence) {
    // Position of first mention -> ticker; a ticker keeps its earliest position.
    TreeMap<Integer, String> found = new TreeMap<>();
    // Each pattern needs a character most sentences lack: skip its scan when that is absent.
    if (sentence.indexOf('$') >= 0) {
      Matcher m = CASHTAG.matcher(sentence);
      while (m.find()) {
        found.put(m.start(), m.group(1).toUpperCase(Locale.ROOT));
      }
    }
    if (sentence.indexOf(':') >= 0) {
      Matcher m = EXCHANGE.matcher(sentence);
      while (m.find()) {
        found.put(m.start(), m.group(1));
      }
    }
    findNames(sentence, found);
    if (!shouted(sentence)) {
      Matcher m = BARE.matcher(sentence);
      while (m.find()) {
        String symbol = m.group(1);
        if (companies.containsKey(symbol) && !COMMON_WORDS.contains(symbol)) {
          found.putIfAbsent(m.start(), symbol);
        }
      }
    }
    Map<String, Integer> first = new LinkedHashMap<>();
    found.forEach((at, ticker) -> first.putIfAbsent(ticker, at));
    return first;
  }

  /** True when most letters of the sentence are capitals (and there are enough to tell). */
  static boolean shouted(String sentence) {
    int upper = 0;
    int letters = 0;
    for (int i = 0; i < sentence.length(); i++) {
      char c = sentence.charAt(i);
      if (Character.isLetter(c)) {
        letters++;
        if (Character.isUpperCase(c)) {
          upper++;
        }
      }
    }
    return letters >= 12 && upper * 10 >= letters * 7;
  }

  /**
   * Company names and aliases, case-sensitive, as whole words: scanning from the left, at each
   * word start the longest name that fits wins and the scan resumes after it. A name is not
   * followed by a letter, digit, '&' or a hyphen and letter ("Apple-like" is not Apple), and not
   * preceded by a letter, digit or '&'.
   */
  void findNames(String sentence, Map<Integer, String> found) {
    NameIndex index = names();
    int n = sentence.length();
    int i = 0;
    while (i < n) {
      String match = null;
      List<String> candidates = i == 0 || !wordChar(sentence.charAt(i - 1)) ? index.startingWith(sentence.charAt(i)) : null;
      if (candidates != null) {
        for (String name : candidates) {
          int end = i + name.length();
          if (sentence.startsWith(name, i)
              && (end == n || !wordChar(sentence.charAt(end)) && !(sentence.charAt(end) == '-' && end + 1 < n && Character.isLetter(sentence.charAt(end + 1))))) {
            match = name;
            break;
          }
        }
      }
      if (match == null) {
        i++;
      } else {
        found.put(i, aliases.get(match));
        i += match.length();
      }
    }
  }

  private static boolean wordChar(char c) {
    return Character.isLetterOrDigit(c) || c == '&';
  }

  private NameIndex names() {
    NameIndex index = namesByFirstChar;
    if (index == null) {
      index = new NameIndex(aliases.keySet());
      namesByFirstChar = index;
    }
    return index;
  }

  /** Names by their first character, longest first; ASCII characters in an array (no boxing). */
  private static final class NameIndex {
    private final List<?>[] ascii = new List<?>[128];
    private final Map<Character, List<String>> other = new HashMap<>();

    NameIndex(Iterable<String> names) {
      Map<Character, List<String>> built = new HashMap<>();
      for (String name : names) {
        built.computeIfAbsent(name.charAt(0), c -> new ArrayList<>()).add(name);
      }
      built.forEach((first, list) -> {
        // Longest first, so that "Bank of America" wins over a shorter alias inside it.
        list.sort(Comparator.comparingInt(String::length).reversed().thenComparing(Comparator.naturalOrder()));
        List<String> frozen = List.copyOf(list);
        if (first < ascii.length) {
          ascii[first] = frozen;
        } else {
          other.put(first, frozen);
        }
      });
    }

    @SuppressWarnings("unchecked")
    @Nullable List<String> startingWith(char c) {
      return c < ascii.length ? (List<String>) ascii[c] : other.get(c);
    }
  }
}
