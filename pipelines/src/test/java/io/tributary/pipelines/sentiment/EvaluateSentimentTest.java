package io.tributary.pipelines.sentiment;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.is;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.tributary.transforms.sentiment.FinanceFeatures;
import io.tributary.transforms.sentiment.FinanceModel;
import io.tributary.transforms.sentiment.FinanceScorer;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The evaluation command on two small generated corpora in the two formats it reads. */
class EvaluateSentimentTest {
  private static final String[] POSITIVE = {"beats estimates", "raises its outlook", "is upgraded to buy", "posts record profit"};
  private static final String[] NEGATIVE = {"misses estimates", "cuts its outlook", "is downgraded to sell", "posts a wider loss"};
  private static final String[] NEUTRAL = {"will present at a conference", "names a new director", "files its annual report", "opens an office"};

  private static List<String[]> texts(long seed, int n, String style) {
    Random random = new Random(seed);
    String[][] phrases = {NEGATIVE, NEUTRAL, POSITIVE};
    List<String[]> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      int label = random.nextInt(10) < 6 ? 1 : random.nextBoolean() ? 0 : 2;
      String company = "Company" + (char) ('A' + random.nextInt(26)) + i;
      String text = style.equals("tweet")
          ? "$" + company.substring(7, 8) + " - " + company + " " + phrases[label][random.nextInt(4)] + " https://t.co/x" + i
          : "The company " + company + " said it " + phrases[label][random.nextInt(4)] + " .";
      out.add(new String[] {text, String.valueOf(label)});
    }
    return out;
  }

  private static String run(String... args) {
    ByteArrayOutputStream buffer = new ByteArrayOutputStream();
    PrintStream old = System.out;
    System.setOut(new PrintStream(buffer, true, StandardCharsets.UTF_8));
    try {
      EvaluateSentiment.run(args);
    } finally {
      System.setOut(old);
    }
    return buffer.toString(StandardCharsets.UTF_8);
  }

  @Test
  void tunesOnTwoCorporaReportsEveryFigureAndWritesAModel(@TempDir Path dir) throws IOException {
    Path bank = Files.createDirectories(dir.resolve("phrasebank"));
    StringBuilder csv = new StringBuilder("label,content\n");
    for (String[] t : texts(1, 400, "news")) {
      csv.append(EvaluateSentiment.LABELS[Integer.parseInt(t[1])]).append(",\"").append(t[0]).append("\"\n");
    }
    Files.writeString(bank.resolve("all-data.csv"), csv, StandardCharsets.ISO_8859_1);
    Path tweets = dir.resolve("tweets.csv");
    StringBuilder tw = new StringBuilder("text,label\n");
    // 0 bearish, 1 bullish, 2 neutral.
    String[] codes = {"0", "2", "1"};
    for (String[] t : texts(2, 400, "tweet")) {
      tw.append('"').append(t[0]).append("\",").append(codes[Integer.parseInt(t[1])]).append('\n');
    }
    Files.writeString(tweets, tw, StandardCharsets.UTF_8);
    Path model = dir.resolve("model.tsv");

    String out = run("--data=" + bank + "," + tweets, "--tune", "--modelOut=" + model);

    assertThat(out, containsString("PhraseBank: 400 texts"));
    assertThat(out, containsString("tweets: 400 texts"));
    assertThat(out, containsString("majority-class baseline: accuracy"));
    assertThat(out, containsString("PhraseBan -> tweets"));
    assertThat(out, containsString("chosen: groups="));
    assertThat(out, containsString("tweets, all (never fitted on)"));
    assertThat(out, containsString("accuracy above the majority baseline on PhraseBank"));
    assertThat(out, containsString("accuracy above the majority baseline on tweets, reweighed"));
    assertThat(out, containsString("F1 negative"));
    assertThat(out, containsString("Texts with each grammar marker"));
    assertThat(out, containsString("model written to " + model));
    // The separable generated texts are learned: every held-out text right for the fitted model.
    FinanceModel fitted = FinanceModel.read(model);
    int right = 0;
    List<String[]> unseen = texts(3, 100, "news");
    for (String[] t : unseen) {
      right += FinanceScorer.argmax(fitted.probabilities(t[0])) == Integer.parseInt(t[1]) ? 1 : 0;
    }
    assertThat("right of " + unseen.size() + " unseen texts (seed 3)", right, is(unseen.size()));
  }

  @Test
  void countsTheTextsOfEachGrammarMarkerByClass() {
    List<EvaluateSentiment.Example> examples = List.of(
        EvaluateSentiment.Example.of("news", "Is Acme a good stock to buy?", 1),
        EvaluateSentiment.Example.of("news", "Mexico's central bank cuts interest rates", 1),
        EvaluateSentiment.Example.of("news", "The Fed cuts rates as the economy slows", 0),
        EvaluateSentiment.Example.of("news", "Acme beats estimates", 2));
    Map<String, FinanceFeatures.Vector> features = new HashMap<>();
    examples.forEach(e -> features.put(e.text(), FinanceFeatures.of(e.text())));
    ByteArrayOutputStream buffer = new ByteArrayOutputStream();
    PrintStream old = System.out;
    System.setOut(new PrintStream(buffer, true, StandardCharsets.UTF_8));
    try {
      EvaluateSentiment.printMarkers(List.of(new EvaluateSentiment.Corpus("news", examples)), features);
    } finally {
      System.setOut(old);
    }
    String out = buffer.toString(StandardCharsets.UTF_8);
    assertThat(out, containsString("question 1 (0 / 1 / 0)"));
    assertThat(out, containsString("policy 2 (1 / 1 / 0)"));
    assertThat(out, containsString("hedge 0 (0 / 0 / 0)"));
  }

  @Test
  void aBadFileIsNamedWithWhatWasExpected(@TempDir Path dir) throws IOException {
    Path tweets = dir.resolve("tweets.csv");
    Files.writeString(tweets, "tweet,sentiment\nhello,1\n", StandardCharsets.UTF_8);
    UncheckedIOException e = assertThrows(UncheckedIOException.class, () -> run("--data=" + tweets));
    assertThat(e.getMessage(), containsString(tweets.toString()));
    assertThat(e.getMessage(), containsString("expected the header 'text,label'"));

    Files.writeString(tweets, "text,label\nhello,7\n", StandardCharsets.UTF_8);
    e = assertThrows(UncheckedIOException.class, () -> run("--data=" + tweets));
    assertThat(e.getMessage(), containsString("record 1 after the header"));
    assertThat(e.getMessage(), containsString("label 0 (bearish), 1 (bullish) or 2 (neutral)"));

    e = assertThrows(UncheckedIOException.class, () -> run("--data=" + dir));
    assertThat(e.getMessage(), containsString("without all-data.csv"));
  }

  /**
   * Texts of three kinds whose look per class is known (likelihoods {@code L[class][kind]}); a
   * model fitted with equal class shares gives the exact probabilities {@code L[y][x] / sum}. Drawn
   * with other shares, the estimate from the probabilities alone is the shares' maximum likelihood
   * estimate: the {@code s} with {@code sum_y s[y] L[y][x]} equal to each kind's observed share
   * (within 1e-3), and so near the shares drawn (within 0.05, as kinds tell classes apart only in
   * part).
   */
  @Test
  void classSharesOfUnlabelledTextsAreEstimatedFromAModelsProbabilities() {
    double[][] likelihood = {{0.7, 0.2, 0.1}, {0.2, 0.6, 0.2}, {0.1, 0.2, 0.7}};
    double[] fitted = {1.0 / 3, 1.0 / 3, 1.0 / 3};
    double[][] drawn = {{0.1, 0.7, 0.2}, {0.25, 0.5, 0.25}, {0.6, 0.3, 0.1}};
    int n = 20_000;
    for (long seed = 1; seed <= 3; seed++) {
      Random random = new Random(seed);
      for (double[] shares : drawn) {
        List<double[]> probabilities = new ArrayList<>();
        int[] classes = new int[3];
        double[] kinds = new double[3];
        for (int i = 0; i < n; i++) {
          int y = pick(random, shares);
          int x = pick(random, likelihood[y]);
          classes[y]++;
          kinds[x] += 1.0 / n;
          double sum = likelihood[0][x] + likelihood[1][x] + likelihood[2][x];
          probabilities.add(new double[] {likelihood[0][x] / sum, likelihood[1][x] / sum, likelihood[2][x] / sum});
        }
        double[] estimated = EvaluateSentiment.estimateShares(probabilities, fitted);
        String context = String.format("seed %d, shares %s, estimated %s", seed, java.util.Arrays.toString(shares),
            java.util.Arrays.toString(estimated));
        for (int x = 0; x < 3; x++) {
          double explained = 0;
          for (int y = 0; y < 3; y++) {
            explained += estimated[y] * likelihood[y][x];
          }
          assertThat(String.format("%s: kind %d observed %.4f, explained %.4f", context, x, kinds[x], explained),
              Math.abs(explained - kinds[x]) < 1e-3, is(true));
        }
        for (int y = 0; y < 3; y++) {
          assertThat(String.format("%s: class %d drawn %.4f", context, y, classes[y] / (double) n),
              Math.abs(estimated[y] - classes[y] / (double) n) < 0.05, is(true));
        }
      }
    }
    // Reweighing to the shares fitted with changes nothing.
    double[] p = {0.2, 0.5, 0.3};
    double[] same = EvaluateSentiment.reweigh(p, fitted, fitted);
    for (int k = 0; k < 3; k++) {
      assertThat("class " + k, Math.abs(same[k] - p[k]) < 1e-12, is(true));
    }
  }

  private static int pick(Random random, double[] shares) {
    double u = random.nextDouble();
    for (int k = 0; k < shares.length - 1; k++) {
      u -= shares[k];
      if (u < 0) {
        return k;
      }
    }
    return shares.length - 1;
  }

  @Test
  void tuningNeedsTwoCorpora(@TempDir Path dir) throws IOException {
    Path tweets = dir.resolve("tweets.csv");
    Files.writeString(tweets, "text,label\nAcme beats estimates,1\nAcme opens an office,2\n", StandardCharsets.UTF_8);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> run("--data=" + tweets, "--tune"));
    assertThat(e.getMessage(), containsString("give two corpora"));
  }
}
