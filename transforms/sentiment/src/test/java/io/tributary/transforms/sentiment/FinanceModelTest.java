package io.tributary.transforms.sentiment;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.closeTo;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.greaterThan;
import static org.hamcrest.Matchers.is;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class FinanceModelTest {
  private static final String[] POSITIVE = {"beats estimates", "raises guidance", "upgraded to buy", "record profit", "shares surge"};
  private static final String[] NEGATIVE = {"misses estimates", "cuts guidance", "downgraded to sell", "net loss widens", "shares plunge"};
  private static final String[] NEUTRAL = {"to present at conference", "names new director", "will report on Tuesday", "files annual report", "opens an office"};

  /** Labelled texts built from phrases of each class, in a seeded order. */
  private static List<FinanceModel.Example> corpus(long seed, int n) {
    Random random = new Random(seed);
    List<FinanceModel.Example> out = new ArrayList<>();
    String[][] phrases = {NEGATIVE, NEUTRAL, POSITIVE};
    for (int i = 0; i < n; i++) {
      // A neutral-heavy corpus, as real ones are.
      int label = random.nextInt(10) < 6 ? 1 : random.nextBoolean() ? 0 : 2;
      String text = "Company " + (char) ('A' + random.nextInt(26)) + " " + phrases[label][random.nextInt(5)];
      out.add(new FinanceModel.Example(FinanceFeatures.of(text), label, 1));
    }
    return out;
  }

  private static FinanceModel.Config config() {
    return new FinanceModel.Config(EnumSet.allOf(FinanceFeatures.Group.class), 1e-3, 2, 200, 1);
  }

  @Test
  void fitsSeparableTextsAndScoresUnseenOnesOfTheSameKind() {
    FinanceModel model = FinanceModel.fit(corpus(1, 600), config(), "test");
    int right = 0;
    List<FinanceModel.Example> unseen = corpus(2, 300);
    for (FinanceModel.Example e : unseen) {
      right += FinanceScorer.argmax(model.probabilities(e.features())) == e.label() ? 1 : 0;
    }
    assertThat("right of " + unseen.size() + " (seed 2)", right, is(unseen.size()));
  }

  @Test
  void fittingIsDeterministic() throws IOException {
    assertThat(text(FinanceModel.fit(corpus(3, 300), config(), "a")), is(text(FinanceModel.fit(corpus(3, 300), config(), "a"))));
  }

  @Test
  void writtenModelsReadBackWithTheSameProbabilities() throws IOException {
    FinanceModel model = FinanceModel.fit(corpus(4, 400), config(), "round trip");
    FinanceModel read = FinanceModel.read(new ByteArrayInputStream(text(model).getBytes(StandardCharsets.UTF_8)), "memory");
    assertThat(read.groups(), is(model.groups()));
    for (String s : List.of("Company Q beats estimates", "Company R cuts guidance", "Company S opens an office", "Nothing known")) {
      double[] a = model.probabilities(s);
      double[] b = read.probabilities(s);
      for (int k = 0; k < 3; k++) {
        // Weights are written with four decimals.
        assertThat(s, b[k], closeTo(a[k], 1e-3));
      }
    }
  }

  @Test
  void badModelFilesNameTheLine() {
    IOException e = assertThrows(IOException.class, () -> read("groups\trules\nrules:pos\t1\t2\n"));
    assertThat(e.getMessage(), containsString("line 2"));
    assertThat(assertThrows(IOException.class, () -> read("rules:pos\t1\t2\t3\n")).getMessage(), containsString("no 'groups' line"));
    assertThat(assertThrows(IOException.class, () -> read("groups\trules\nrules:pos\t1\tx\t3\n")).getMessage(), containsString("line 2"));
  }

  @Test
  void balancedWeightsGiveEveryCorpusAndClassTheSameTotal() {
    List<String> corpus = List.of("a", "a", "a", "a", "b", "b");
    List<Integer> label = List.of(1, 1, 1, 0, 1, 2);
    double[] w = FinanceModel.balancedWeights(corpus, label, 1);
    // Four cells of 6 examples: each cell totals 1.5.
    assertThat(w[0] + w[1] + w[2], closeTo(1.5, 1e-12));
    assertThat(w[3], closeTo(1.5, 1e-12));
    assertThat(w[4], closeTo(1.5, 1e-12));
    double[] none = FinanceModel.balancedWeights(corpus, label, 0);
    for (double x : none) {
      assertThat(x, is(1.0));
    }
  }

  @Test
  void theShippedModelReadsHeadlines() {
    FinanceModel shipped = FinanceModel.shipped();
    assertThat(shipped.size(), greaterThan(1000));
    assertThat(label(shipped, "Twitter tops user, sales expectations for 4Q"), is(2));
    assertThat(label(shipped, "$STML: Alliance Global Partners starts at Buy"), is(2));
    assertThat(label(shipped, "Torrent Pharma Q4 net dips 27.56% to Rs 42.84 crore"), is(0));
    assertThat(label(shipped, "Citi cuts price target on Nu Skin"), is(0));
    assertThat(label(shipped, "Is Apple a good stock to buy?"), is(1));
    // Mixed results are not positive.
    double[] mixed = shipped.probabilities("Molina Healthcare EPS beats by $0.07, misses on revenue");
    assertThat("mixed results " + java.util.Arrays.toString(mixed), FinanceScorer.argmax(mixed) != 2, is(true));
  }

  @Test
  void configurationsAreChecked() {
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> new FinanceModel.Config(EnumSet.allOf(FinanceFeatures.Group.class), 1e-3, 2, 10, 2));
    assertThat(e.getMessage(), containsString("balance in [0, 1]"));
  }

  private static int label(FinanceModel model, String text) {
    return FinanceScorer.argmax(model.probabilities(text));
  }

  private static FinanceModel read(String text) throws IOException {
    return FinanceModel.read(new ByteArrayInputStream(text.getBytes(StandardCharsets.UTF_8)), "memory");
  }

  private static String text(FinanceModel model) throws IOException {
    StringWriter w = new StringWriter();
    model.write(w, List.of("test"));
    return w.toString();
  }
}
