package io.tributary.transforms.sentiment;

import java.util.List;

/**
 * Turns a sentence's evidence into class probabilities (negative, neutral, positive), by one of
 * three {@link Method}s:
 *
 * <ul>
 *   <li>{@link Method#CORENLP}: CoreNLP's sentiment model alone (its five classes folded into
 *       three), trained on movie reviews;
 *   <li>{@link Method#FINANCE}: the {@link FinanceLexicon} alone, its positive and negative
 *       evidence mapped to probabilities by a softmax (multinomial logistic) layer;
 *   <li>{@link Method#COMBINED} (the default): one softmax layer over the finance evidence and
 *       CoreNLP's probabilities together.
 * </ul>
 *
 * <p>The layers' weights were fitted on the tuning part of the Financial PhraseBank (never on its
 * held-out part) by {@code tributary sentiment-eval --tune}, which prints them in the form below.
 */
public final class FinanceScorer {
  /** How a sentence is scored. */
  public enum Method {
    CORENLP,
    FINANCE,
    COMBINED;

    /** True when the method needs CoreNLP's sentiment model. */
    public boolean usesCoreNlp() {
      return this != FINANCE;
    }
  }

  /** Softmax weights per class (negative, neutral, positive) over {@link #financeFeatures}. */
  static final double[][] FINANCE_WEIGHTS = {
    {-1.192, -0.706, 1.846},
    {1.568, -0.812, -1.407},
    {-0.377, 1.519, -0.439},
  };

  /** Softmax weights per class (negative, neutral, positive) over {@link #combinedFeatures}. */
  static final double[][] COMBINED_WEIGHTS = {
    {-0.992, -0.683, 1.763, 0.368, -0.775},
    {1.864, -0.819, -1.377, -0.647, -0.261},
    {-0.872, 1.502, -0.386, 0.280, 1.037},
  };

  private FinanceScorer() {}

  /** Features of the finance layer: a bias, the positive and the negative evidence. */
  public static double[] financeFeatures(FinanceLexicon.Evidence e) {
    return new double[] {1, e.positive(), e.negative()};
  }

  /** Features of the combined layer: the finance features and CoreNLP's negative and positive probability. */
  public static double[] combinedFeatures(FinanceLexicon.Evidence e, double[] coreNlp) {
    return new double[] {1, e.positive(), e.negative(), coreNlp[0], coreNlp[2]};
  }

  /**
   * Class probabilities of a sentence. {@code coreNlp} may be null (CoreNLP not run, or the sentence
   * was too long to parse): {@link Method#COMBINED} then falls back to the finance layer, and
   * {@link Method#CORENLP} says neutral.
   */
  public static double[] probabilities(Method method, FinanceLexicon.Evidence evidence, double[] coreNlp) {
    switch (method) {
      case CORENLP:
        return coreNlp == null ? new double[] {0, 1, 0} : coreNlp.clone();
      case FINANCE:
        return softmax(FINANCE_WEIGHTS, financeFeatures(evidence));
      default:
        return coreNlp == null
            ? softmax(FINANCE_WEIGHTS, financeFeatures(evidence))
            : softmax(COMBINED_WEIGHTS, combinedFeatures(evidence, coreNlp));
    }
  }

  /** The index of the largest probability; ties go to neutral, then negative. */
  public static int argmax(double[] p) {
    int best = 1;
    for (int k : new int[] {0, 2}) {
      if (p[k] > p[best]) {
        best = k;
      }
    }
    return best;
  }

  /** Softmax of {@code weights x}. */
  public static double[] softmax(double[][] weights, double[] x) {
    double[] z = new double[weights.length];
    double max = Double.NEGATIVE_INFINITY;
    for (int k = 0; k < weights.length; k++) {
      for (int j = 0; j < x.length; j++) {
        z[k] += weights[k][j] * x[j];
      }
      max = Math.max(max, z[k]);
    }
    double sum = 0;
    for (int k = 0; k < z.length; k++) {
      z[k] = Math.exp(z[k] - max);
      sum += z[k];
    }
    for (int k = 0; k < z.length; k++) {
      z[k] /= sum;
    }
    return z;
  }

  /**
   * Fits softmax weights to labelled examples by full-batch gradient descent on the L2-regularized
   * log loss (the bias, feature 0, is not regularized). Deterministic.
   */
  public static double[][] fit(List<double[]> xs, List<Integer> labels, int classes, double l2, int iterations) {
    int d = xs.get(0).length;
    double[][] w = new double[classes][d];
    double rate = 0.5;
    int n = xs.size();
    for (int it = 0; it < iterations; it++) {
      double[][] grad = new double[classes][d];
      for (int i = 0; i < n; i++) {
        double[] x = xs.get(i);
        double[] p = softmax(w, x);
        for (int k = 0; k < classes; k++) {
          double err = p[k] - (labels.get(i) == k ? 1 : 0);
          for (int j = 0; j < d; j++) {
            grad[k][j] += err * x[j] / n;
          }
        }
      }
      for (int k = 0; k < classes; k++) {
        for (int j = 0; j < d; j++) {
          w[k][j] -= rate * (grad[k][j] + (j == 0 ? 0 : l2 * w[k][j]));
        }
      }
    }
    return w;
  }
}
