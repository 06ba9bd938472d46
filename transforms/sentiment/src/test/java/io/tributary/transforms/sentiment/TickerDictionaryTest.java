package io.tributary.transforms.sentiment;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.contains;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.empty;
import static org.hamcrest.Matchers.is;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TickerDictionaryTest {
  private static final TickerDictionary US = TickerDictionary.usLargeCaps();

  @Test
  void cashtagsAreAlwaysTickersEvenUnknownOnesButMoneyIsNot() {
    assertThat(US.find("$AAPL up in early trade"), contains("AAPL"));
    assertThat(US.find("Buying more $brk.b and $nvda"), contains("BRK.B", "NVDA"));
    assertThat(US.find("$ZZZQ is a small cap"), contains("ZZZQ"));
    assertThat(US.find("Revenue of $5 billion and $12.5bn"), is(empty()));
  }

  @Test
  void exchangePrefixesAreAlwaysTickers() {
    assertThat(US.find("Coca-Cola (NYSE: KO) raised its dividend"), contains("KO"));
    assertThat(US.find("NASDAQ:AAPL and NYSE:IT"), contains("AAPL", "IT"));
  }

  @Test
  void namesThatStartWithALetterBeyondAsciiAreFound(@TempDir Path dir) throws IOException {
    Path file = dir.resolve("nordic.tsv");
    Files.writeString(file, "ORSTD\tØrsted\tØrsted A/S\nESSIL\tÉssilor\nAAA\tAlpha\n");
    TickerDictionary dictionary = TickerDictionary.fromFile(file);
    assertThat(dictionary.find("Ørsted A/S and Éssilor beat Alpha"), contains("ORSTD", "ESSIL", "AAA"));
    assertThat(dictionary.find("NordØrsted and Éssilors are other words"), is(empty()));
  }

  /**
   * The name scan against a regular expression of the same rules (an alternation of every name,
   * longest first, with look-around word boundaries) on random texts made of names, fragments of
   * names and separators.
   */
  @Test
  void theNameScanEqualsTheRegularExpressionOnRandomTexts() throws IOException {
    java.util.Map<String, String> aliases = new java.util.TreeMap<>();
    try (java.io.InputStream in = TickerDictionary.class.getResourceAsStream("us-large-caps.tsv")) {
      for (String line : new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8).split("\n")) {
        if (line.isBlank() || line.startsWith("#")) {
          continue;
        }
        String[] f = line.split("\t");
        aliases.put(f[1].trim(), f[0].trim());
        if (f.length > 2) {
          for (String a : f[2].split("\\|")) {
            aliases.put(a.trim(), f[0].trim());
          }
        }
      }
    }
    java.util.List<String> names = new java.util.ArrayList<>(aliases.keySet());
    names.sort(java.util.Comparator.comparingInt(String::length).reversed().thenComparing(java.util.Comparator.naturalOrder()));
    java.util.regex.Pattern oracle = java.util.regex.Pattern.compile(
        "(?<![\\p{L}\\p{N}&])(" + String.join("|", names.stream().map(java.util.regex.Pattern::quote).toList())
            + ")(?![\\p{L}\\p{N}&]|-[\\p{L}])");
    java.util.List<String> pieces = new java.util.ArrayList<>(names);
    for (String name : names) {
      pieces.add(name.substring(0, Math.max(1, name.length() / 2)));
      pieces.add(name.toLowerCase(java.util.Locale.ROOT));
    }
    pieces.addAll(java.util.List.of(" ", " ", ", ", "-", "-x", "&", "'s ", "1", "x", ". ", "(", ")"));
    long seed = 20261201;
    java.util.Random random = new java.util.Random(seed);
    for (int t = 0; t < 5_000; t++) {
      StringBuilder text = new StringBuilder();
      for (int k = random.nextInt(12); k >= 0; k--) {
        text.append(pieces.get(random.nextInt(pieces.size())));
      }
      String sentence = text.toString();
      java.util.LinkedHashSet<String> expected = new java.util.LinkedHashSet<>();
      java.util.regex.Matcher m = oracle.matcher(sentence);
      while (m.find()) {
        expected.add(aliases.get(m.group(1)));
      }
      // Names only: cashtags, exchange prefixes and bare symbols have their own tests.
      java.util.List<String> actual = namesOnly(sentence);
      assertThat("seed " + seed + ", text " + t + ": '" + sentence + "'", actual, is(new java.util.ArrayList<>(expected)));
    }
  }

  private static java.util.List<String> namesOnly(String sentence) {
    java.util.TreeMap<Integer, String> found = new java.util.TreeMap<>();
    US.findNames(sentence, found);
    return new java.util.ArrayList<>(new java.util.LinkedHashSet<>(found.values()));
  }

  @Test
  void companyNamesAndAliasesMatchCaseSensitivelyLongestFirst() {
    assertThat(US.find("Bank of America and Apple's iPhone sales"), contains("BAC", "AAPL"));
    assertThat(US.find("Google parent Alphabet"), contains("GOOGL"));
    assertThat(US.find("an apple pie and a target price"), is(empty()));
    assertThat(US.find("Gartner and Allstate and Agilent report"), contains("IT", "ALL", "A"));
  }

  @Test
  void bareSymbolsCountOnlyWhenKnownCapitalizedAndNotCommonWords() {
    assertThat(US.find("AAPL and MSFT rallied while TSLA slipped"), contains("AAPL", "MSFT", "TSLA"));
    assertThat(US.find("aapl is not a symbol in lower case"), is(empty()));
    // Tickers that are words: A (Agilent), IT (Gartner), ALL (Allstate), ON, NOW, KEY, LOW, COST.
    assertThat(US.find("A new IT budget: ALL eyes ON the Fed NOW, KEY rates LOW, COST up"), is(empty()));
    // Abbreviations that are no tickers here, and unknown capitals.
    assertThat(US.find("The CEO said EPS beat and the IPO of XYZW is near"), is(empty()));
  }

  @Test
  void aShoutedHeadlineYieldsNoBareSymbolsButKeepsCashtags() {
    assertThat(US.find("MARKETS RALLY AS GM AND FORD SHARES SURGE"), contains("GM"));
    assertThat(US.find("STOCKS TO WATCH TODAY: AAPL MSFT TSLA"), is(empty()));
    assertThat(US.find("$MSFT SHARES SURGE ON EARNINGS BEAT"), contains("MSFT"));
  }

  @Test
  void tickersComeOnceInOrderOfFirstMention() {
    assertThat(US.find("Microsoft beat; $MSFT up, Apple flat, MSFT again"), contains("MSFT", "AAPL"));
  }

  @Test
  void readsAUserDictionaryAndRejectsABadLine(@TempDir Path dir) throws IOException {
    Path good = dir.resolve("tickers.tsv");
    Files.writeString(good, "# mine\nACME\tAcme Corporation\tAcme|Road Runner Supplies\n\nZZ\tZed Zed\n");
    TickerDictionary mine = TickerDictionary.fromFile(good);
    assertThat(mine.find("Road Runner Supplies sued Acme Corporation; ZZ fell"), contains("ACME", "ZZ"));
    assertThat(mine.company("ZZ"), is("Zed Zed"));
    Path bad = dir.resolve("bad.tsv");
    Files.writeString(bad, "ACME\tAcme\nnot a ticker line\n");
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> TickerDictionary.fromFile(bad));
    assertThat(e.getMessage(), containsString("line 2: expected TICKER<TAB>name"));
  }
}
