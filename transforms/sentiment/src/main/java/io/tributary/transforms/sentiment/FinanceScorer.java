package io.tributary.transforms.sentiment;

/**
 * Class probabilities (negative, neutral, positive) of a sentence, by one of three {@link
 * Method}s:
 *
 * <ul>
 *   <li>{@link Method#FINANCE} (the default): the shipped {@link FinanceModel} alone, a softmax
 *       model over {@link FinanceFeatures} (finance lexicons, headline grammar, words), no parser;
 *   <li>{@link Method#CORENLP}: CoreNLP's sentiment model alone (its five classes folded into
 *       three), trained on movie reviews;
 *   <li>{@link Method#COMBINED}: the finance model's probabilities times CoreNLP's raised to
 *       {@link #COMBINED_CORENLP_WEIGHT}, renormalized (a product of experts).
 * </ul>
 *
 * <p>{@code tributary sentiment-eval --coreNlp} measures all three on held-out texts of two
 * corpora and the CoreNLP weight that does best on tuning texts.
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

  /**
   * The exponent of CoreNLP's probabilities in {@link Method#COMBINED}: the best of 0, 0.25, ...,
   * 2 on tuning texts of both corpora, as {@code sentiment-eval --coreNlp} prints it.
   */
  public static final double COMBINED_CORENLP_WEIGHT = 0.25;

  private FinanceScorer() {}

  /**
   * Class probabilities of a sentence by {@code model} and CoreNLP. {@code coreNlp} may be null (CoreNLP not run, or the sentence
   * was too long to parse): {@link Method#COMBINED} then falls back to the finance model, and
   * {@link Method#CORENLP} says neutral.
   */
  public static double[] probabilities(Method method, FinanceModel model, String sentence, double[] coreNlp) {
    switch (method) {
      case CORENLP:
        return coreNlp == null ? new double[] {0, 1, 0} : coreNlp.clone();
      case FINANCE:
        return model.probabilities(sentence);
      default:
        return combine(model.probabilities(sentence), coreNlp, COMBINED_CORENLP_WEIGHT);
    }
  }

  /** {@code finance[k] * coreNlp[k]^weight}, renormalized; {@code finance} when coreNlp is null. */
  public static double[] combine(double[] finance, double[] coreNlp, double weight) {
    if (coreNlp == null || weight == 0) {
      return finance.clone();
    }
    double[] z = new double[3];
    for (int k = 0; k < 3; k++) {
      z[k] = Math.log(Math.max(finance[k], 1e-12)) + weight * Math.log(Math.max(coreNlp[k], 1e-12));
    }
    return FinanceModel.softmax(z);
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
}
