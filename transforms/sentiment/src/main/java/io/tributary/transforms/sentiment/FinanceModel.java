package io.tributary.transforms.sentiment;

import java.io.IOException;
import java.io.InputStream;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Collectors;

/**
 * A multinomial logistic (softmax) model over {@link FinanceFeatures}: per feature one weight for
 * each class (negative, neutral, positive), fitted by {@link #fit}, saved and loaded as TSV.
 *
 * <p>The shipped model ({@link #shipped()}, resource {@code finance-model.tsv}) was fitted by
 * {@code tributary sentiment-eval --tune} on the tuning parts (everything but the SHA-256
 * held-out fifth) of Financial PhraseBank and of the finance-tweets corpus, with class weights
 * most of the way to giving each class of each corpus the same total weight ({@code balance}
 * 0.75), so the model learns neither corpus's class balance in full. Its configuration (feature
 * groups, regularization, minimum word count, balance) was chosen by fitting on one corpus and
 * scoring the other, both ways, and on validation folds; the resource's header records it.
 *
 * <p>Immutable and thread-safe. A sentence's probabilities cost one feature extraction and one
 * hash lookup per feature.
 */
public final class FinanceModel implements Serializable {
  private static final long serialVersionUID = 1L;

  /** The number of classes: negative, neutral, positive. */
  public static final int CLASSES = 3;

  private static volatile FinanceModel shipped;

  private final Set<FinanceFeatures.Group> groups;
  private final Map<String, double[]> weights;
  private final String description;

  /**
   * How to fit: feature groups, L2 strength, minimum count of a word feature, steps, and how far
   * the examples' weights balance classes: {@code balance} 0 weighs every example 1, 1 gives
   * every (corpus, class) cell the same total weight, 0.5 lies between (see {@link
   * #balancedWeights}).
   */
  public record Config(Set<FinanceFeatures.Group> groups, double l2, int minWordCount, int epochs, double balance)
      implements Serializable {
    public Config {
      groups = groups.isEmpty() ? EnumSet.noneOf(FinanceFeatures.Group.class) : EnumSet.copyOf(groups);
      if (l2 < 0 || minWordCount < 1 || epochs < 1 || balance < 0 || balance > 1) {
        throw new IllegalArgumentException("Config: l2 >= 0, minWordCount >= 1, epochs >= 1 and balance in [0, 1], got "
            + l2 + ", " + minWordCount + ", " + epochs + ", " + balance);
      }
    }

    @Override
    public String toString() {
      return String.format(Locale.ROOT, "groups=%s l2=%s minWordCount=%d epochs=%d balance=%s",
          groups.stream().map(g -> g.prefix()).collect(Collectors.joining(",")), l2, minWordCount, epochs, balance);
    }
  }

  /** One labelled example: features, class (0 negative, 1 neutral, 2 positive) and weight. */
  public record Example(FinanceFeatures.Vector features, int label, double weight) {}

  FinanceModel(Set<FinanceFeatures.Group> groups, Map<String, double[]> weights, String description) {
    this.groups = groups.isEmpty() ? EnumSet.noneOf(FinanceFeatures.Group.class) : EnumSet.copyOf(groups);
    this.weights = Map.copyOf(weights);
    this.description = description;
  }

  /** The model shipped in the resource {@code finance-model.tsv}, loaded once. */
  public static FinanceModel shipped() {
    FinanceModel m = shipped;
    if (m == null) {
      synchronized (FinanceModel.class) {
        m = shipped;
        if (m == null) {
          String resource = "finance-model.tsv";
          try (InputStream in = FinanceModel.class.getResourceAsStream(resource)) {
            if (in == null) {
              throw new IllegalStateException("resource " + resource + " missing beside " + FinanceModel.class.getName());
            }
            m = read(in, resource);
          } catch (IOException e) {
            throw new UncheckedIOException(e);
          }
          shipped = m;
        }
      }
    }
    return m;
  }

  /** The feature groups this model reads (unmodifiable). */
  public Set<FinanceFeatures.Group> groups() {
    return Collections.unmodifiableSet(groups);
  }

  /** The number of weighted features. */
  public int size() {
    return weights.size();
  }

  /** Class probabilities (negative, neutral, positive) of a sentence. */
  public double[] probabilities(String sentence) {
    return probabilities(FinanceFeatures.of(sentence, groups));
  }

  /** Class probabilities of a feature vector; features the model has no weight for count 0. */
  public double[] probabilities(FinanceFeatures.Vector x) {
    return softmax(scores(x));
  }

  /** The unnormalized class scores (logits) of a feature vector. */
  public double[] scores(FinanceFeatures.Vector x) {
    double[] z = new double[CLASSES];
    for (int i = 0; i < x.size(); i++) {
      double[] w = weights.get(x.name(i));
      if (w != null) {
        double value = x.value(i);
        for (int k = 0; k < CLASSES; k++) {
          z[k] += w[k] * value;
        }
      }
    }
    return z;
  }

  static double[] softmax(double[] z) {
    double max = Math.max(z[0], Math.max(z[1], z[2]));
    double[] p = new double[CLASSES];
    double sum = 0;
    for (int k = 0; k < CLASSES; k++) {
      p[k] = Math.exp(z[k] - max);
      sum += p[k];
    }
    for (int k = 0; k < CLASSES; k++) {
      p[k] /= sum;
    }
    return p;
  }

  /**
   * Fits a model by full-batch Adam ({@code epochs} steps) on the weighted mean log loss plus
   * {@code l2 / 2 * |w|^2} (the bias is not regularized). Word features seen in fewer than {@code
   * minWordCount} examples are left out. Deterministic.
   */
  public static FinanceModel fit(List<Example> examples, Config config, String description) {
    Map<String, Integer> counts = new HashMap<>();
    for (Example e : examples) {
      for (int i = 0; i < e.features().size(); i++) {
        counts.merge(e.features().name(i), 1, Integer::sum);
      }
    }
    Map<String, Integer> index = new HashMap<>();
    List<String> names = new ArrayList<>();
    for (Map.Entry<String, Integer> c : new TreeMap<>(counts).entrySet()) {
      boolean word = c.getKey().startsWith("w:");
      if (!word || c.getValue() >= config.minWordCount()) {
        index.put(c.getKey(), names.size());
        names.add(c.getKey());
      }
    }
    int n = examples.size();
    int[][] ids = new int[n][];
    double[][] values = new double[n][];
    for (int e = 0; e < n; e++) {
      FinanceFeatures.Vector x = examples.get(e).features();
      List<Integer> is = new ArrayList<>();
      List<Double> vs = new ArrayList<>();
      for (int i = 0; i < x.size(); i++) {
        Integer id = index.get(x.name(i));
        if (id != null) {
          is.add(id);
          vs.add(x.value(i));
        }
      }
      ids[e] = is.stream().mapToInt(Integer::intValue).toArray();
      values[e] = vs.stream().mapToDouble(Double::doubleValue).toArray();
    }
    int d = names.size();
    double[][] w = new double[d][CLASSES];
    double[][] m1 = new double[d][CLASSES];
    double[][] m2 = new double[d][CLASSES];
    double totalWeight = examples.stream().mapToDouble(Example::weight).sum();
    double l2 = config.l2();
    int bias = index.getOrDefault("bias", -1);
    double rate = 0.05;
    double beta1 = 0.9;
    double beta2 = 0.999;
    double[] z = new double[CLASSES];
    double[][] grad = new double[d][CLASSES];
    // Words pay the full L2, the few dense evidence features a 30th of it: the evidence carries
    // the weight and words correct it, which is what carries over to text of another style.
    double[] penalty = new double[d];
    for (int f = 0; f < d; f++) {
      penalty[f] = f == bias ? 0 : names.get(f).startsWith("w:") ? l2 : l2 / 30;
    }
    // Full-batch Adam on: weighted mean log loss + l2 / 2 * |w|^2 (bias excluded). No randomness.
    for (int it = 1; it <= config.epochs(); it++) {
      for (double[] g : grad) {
        Arrays.fill(g, 0);
      }
      for (int e = 0; e < n; e++) {
        Example ex = examples.get(e);
        double share = ex.weight() / totalWeight;
        Arrays.fill(z, 0);
        for (int i = 0; i < ids[e].length; i++) {
          for (int k = 0; k < CLASSES; k++) {
            z[k] += w[ids[e][i]][k] * values[e][i];
          }
        }
        double[] p = softmax(z);
        for (int i = 0; i < ids[e].length; i++) {
          for (int k = 0; k < CLASSES; k++) {
            grad[ids[e][i]][k] += share * (p[k] - (ex.label() == k ? 1 : 0)) * values[e][i];
          }
        }
      }
      double c1 = 1 - Math.pow(beta1, it);
      double c2 = 1 - Math.pow(beta2, it);
      for (int f = 0; f < d; f++) {
        for (int k = 0; k < CLASSES; k++) {
          double g = grad[f][k] + penalty[f] * w[f][k];
          m1[f][k] = beta1 * m1[f][k] + (1 - beta1) * g;
          m2[f][k] = beta2 * m2[f][k] + (1 - beta2) * g * g;
          w[f][k] -= rate * (m1[f][k] / c1) / (Math.sqrt(m2[f][k] / c2) + 1e-8);
        }
      }
    }
    Map<String, double[]> weights = new HashMap<>();
    for (int f = 0; f < d; f++) {
      if (Math.abs(w[f][0]) + Math.abs(w[f][1]) + Math.abs(w[f][2]) > 1e-4) {
        weights.put(names.get(f), w[f]);
      }
    }
    return new FinanceModel(config.groups(), weights, description + "; " + config);
  }

  /**
   * Example weights {@code (mean cell count / count of the example's (corpus, class) cell)^balance}:
   * with {@code balance} 1 every cell has the same total weight (no class prior of any corpus is
   * learned), with 0 every example weighs 1. {@code corpus} and {@code label} are per example.
   */
  public static double[] balancedWeights(List<String> corpus, List<Integer> label, double balance) {
    Map<String, Integer> cells = new HashMap<>();
    for (int i = 0; i < corpus.size(); i++) {
      cells.merge(corpus.get(i) + "/" + label.get(i), 1, Integer::sum);
    }
    double mean = (double) corpus.size() / cells.size();
    double[] out = new double[corpus.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = Math.pow(mean / cells.get(corpus.get(i) + "/" + label.get(i)), balance);
    }
    return out;
  }

  /** Writes the model as TSV: comment lines, a {@code groups} line, then feature and three weights. */
  public void write(Writer out, List<String> comments) throws IOException {
    for (String c : comments) {
      out.write("# " + c + "\n");
    }
    out.write("# " + description + "\n");
    out.write("groups\t" + groups.stream().map(g -> g.name().toLowerCase(Locale.ROOT)).collect(Collectors.joining(",")) + "\n");
    for (Map.Entry<String, double[]> e : new TreeMap<>(weights).entrySet()) {
      double[] w = e.getValue();
      out.write(String.format(Locale.ROOT, "%s\t%.4f\t%.4f\t%.4f%n", e.getKey(), w[0], w[1], w[2]));
    }
  }

  /** Reads a model file written by {@link #write} (by {@code sentiment-eval --tune --modelOut}). */
  public static FinanceModel read(Path file) {
    try (InputStream in = Files.newInputStream(file)) {
      return read(in, file.toString());
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read the finance model " + file + ": " + e.getMessage(), e);
    }
  }

  /** Reads a model written by {@link #write}; errors name the source and line. */
  public static FinanceModel read(InputStream in, String source) throws IOException {
    List<Set<FinanceFeatures.Group>> groups = new ArrayList<>();
    Map<String, double[]> weights = new HashMap<>();
    Tsv.read(in, (n, line, f) -> {
      if (f[0].equals("groups") && f.length == 2) {
        groups.add(FinanceFeatures.Group.parse(f[1]));
        return;
      }
      if (f.length != 4) {
        throw new IOException(source + " line " + n + ": expected feature<TAB>negative<TAB>neutral<TAB>positive, got '" + line + "'");
      }
      try {
        if (!f[0].equals("bias")) {
          FinanceFeatures.Group.of(f[0]);
        }
        weights.put(f[0], new double[] {Double.parseDouble(f[1]), Double.parseDouble(f[2]), Double.parseDouble(f[3])});
      } catch (IllegalArgumentException e) {
        throw new IOException(source + " line " + n + ": " + e.getMessage() + " in '" + line + "'", e);
      }
    });
    if (groups.isEmpty()) {
      throw new IOException(source + ": no 'groups' line");
    }
    return new FinanceModel(groups.get(groups.size() - 1), weights, "read from " + source);
  }

  @Override
  public String toString() {
    return "FinanceModel{" + description + ", " + weights.size() + " weights}";
  }
}
