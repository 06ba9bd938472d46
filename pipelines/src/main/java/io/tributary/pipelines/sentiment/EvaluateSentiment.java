package io.tributary.pipelines.sentiment;

import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.dataformat.csv.CsvMapper;
import com.fasterxml.jackson.dataformat.csv.CsvParser;
import io.tributary.transforms.sentiment.CoreNlpPipelines;
import io.tributary.transforms.sentiment.FinanceFeatures;
import io.tributary.transforms.sentiment.FinanceModel;
import io.tributary.transforms.sentiment.FinanceScorer;
import java.io.IOException;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import java.util.function.Predicate;
import org.apache.beam.sdk.options.Default;
import org.apache.beam.sdk.options.Description;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.options.Validation;

/**
 * Scores labelled corpora and prints, per scorer variant, accuracy, macro-F1, per-class F1 and the
 * confusion matrix: on the held-out part of each corpus, and, for a model fitted on one corpus
 * alone, on all of the other; the majority-class baseline beside them. First, per corpus, how many
 * texts carry each grammar marker (question, hedge, monetary policy, listicle, mixed results) and
 * their classes: how each corpus labels the conventions the scorer builds in.
 *
 * <pre>
 * tributary sentiment-eval --data=DIR_OR_CSV[,DIR_OR_CSV] [--tune] [--modelOut=FILE] [--coreNlp]
 *     [--parser=sr|pcfg] [--cache=FILE] [--threads=N] [--showErrors=N]
 * </pre>
 *
 * <p>Corpora ({@code --data}, read in place, never copied): a Financial PhraseBank directory (its
 * {@code all-data.csv}, {@code label,content}, ISO-8859-1) or a finance-tweets CSV ({@code
 * text,label} with 0 bearish, 1 bullish, 2 neutral; UTF-8). A text is held out when the first byte
 * of the SHA-256 of its UTF-8 content is below 52 (about a fifth); the rest is the tuning part.
 *
 * <p>{@code --tune} chooses the {@link FinanceModel.Config} by cross-corpus figures: every
 * candidate is fitted on one corpus's tuning part and scored on the other's, both ways, and fitted
 * on the tuning parts without their validation folds and scored on each fold; the best mean of
 * macro-F1 and accuracy over these four wins (the held-out parts take no part); then it is fitted
 * on the tuning parts of all corpora (with the class weights of its {@code balance}) and written
 * to {@code --modelOut}. The chosen configuration fitted on one corpus alone is also scored on the
 * other with its probabilities reweighed to that corpus's class shares, as estimated from its
 * texts without labels ({@link #estimateShares}), to show what adapting to a corpus's class
 * balance would give. {@code --coreNlp} also scores CoreNLP alone and the combined method on the
 * held-out parts, and with {@code --tune} chooses the combined method's CoreNLP weight on part of
 * the tuning texts; {@code --cache} keeps CoreNLP's probabilities per text in a file so that
 * reruns skip CoreNLP.
 */
public final class EvaluateSentiment {
  static final String[] LABELS = {"negative", "neutral", "positive"};

  private EvaluateSentiment() {}

  /** One labelled text of a corpus. */
  record Example(String corpus, String text, int label, boolean heldOut, boolean validation) {
    /** A labelled text, its parts decided by the SHA-256 of its UTF-8 content (one digest). */
    static Example of(String corpus, String text, int label) {
      byte[] digest = sha256(text);
      // First byte below 52: held out (a fifth); second byte below 64: the tuning part's validation quarter.
      return new Example(corpus, text, label, (digest[0] & 0xff) < 52, (digest[1] & 0xff) < 64);
    }
  }

  /** A labelled corpus. */
  record Corpus(String name, List<Example> examples) {
    List<Example> heldOut() {
      return examples.stream().filter(Example::heldOut).toList();
    }

    List<Example> tuning() {
      return examples.stream().filter(e -> !e.heldOut()).toList();
    }

    /** The validation fold of the tuning part (about a quarter), for choosing a configuration. */
    List<Example> validation() {
      return examples.stream().filter(e -> !e.heldOut() && e.validation()).toList();
    }

    /** The tuning part without its validation fold. */
    List<Example> training() {
      return examples.stream().filter(e -> !e.heldOut() && !e.validation()).toList();
    }
  }

  /** The evaluation's options (see the class comment). */
  public interface Options extends PipelineOptions {
    @Description("Labelled corpora, comma-separated: a Financial PhraseBank directory (all-data.csv) or a tweets CSV (text,label).")
    @Validation.Required
    String getData();

    void setData(String paths);

    @Description("Choose the model configuration by cross-corpus figures and fit it on all tuning parts.")
    @Default.Boolean(false)
    boolean getTune();

    void setTune(boolean tune);

    @Description("With --tune: write the fitted model here (the form of the shipped finance-model.tsv).")
    String getModelOut();

    void setModelOut(String file);

    @Description("Also score CoreNLP alone and the combined method (slow: CoreNLP parses every held-out text).")
    @Default.Boolean(false)
    boolean getCoreNlp();

    void setCoreNlp(boolean coreNlp);

    @Description("CoreNLP parser: 'sr' (shift-reduce) or 'pcfg'.")
    @Default.String("sr")
    String getParser();

    void setParser(String parser);

    @Description("A file (outside the project) caching CoreNLP's probabilities per text and parser.")
    String getCache();

    void setCache(String file);

    @Description("Tuning texts per corpus scored by CoreNLP to choose the combined method's CoreNLP weight.")
    @Default.Integer(600)
    int getCoreNlpTuning();

    void setCoreNlpTuning(int n);

    @Description("Threads running CoreNLP; 0: one per core.")
    @Default.Integer(0)
    int getThreads();

    void setThreads(int threads);

    @Description("Print this many misclassified texts of each corpus's tuning part (shipped model).")
    @Default.Integer(0)
    int getShowErrors();

    void setShowErrors(int n);
  }

  public static void main(String[] args) {
    run(args);
  }

  /** Parses the options, scores the corpora and prints the figures. */
  public static void run(String... args) {
    Options options = PipelineOptionsFactory.fromArgs(args).withValidation().as(Options.class);
    try {
      evaluate(options);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    } catch (ExecutionException e) {
      throw new IllegalStateException(e.getCause());
    }
  }

  /** Figures of one scorer on one set of texts. */
  record Figures(int[][] confusion) {
    double accuracy() {
      return EvaluateSentiment.accuracy(confusion);
    }

    double macroF1() {
      return EvaluateSentiment.macroF1(confusion);
    }

    double f1(int k) {
      return EvaluateSentiment.f1(confusion, k);
    }

    int size() {
      int n = 0;
      for (int[] row : confusion) {
        for (int c : row) {
          n += c;
        }
      }
      return n;
    }
  }

  static Figures figures(List<Example> examples, Function<Example, double[]> probabilities) {
    int[][] m = new int[3][3];
    for (Example e : examples) {
      m[e.label()][FinanceScorer.argmax(probabilities.apply(e))]++;
    }
    return new Figures(m);
  }

  static void evaluate(Options opts) throws IOException, InterruptedException, ExecutionException {
    String parser = opts.getParser();
    if (!parser.equals("sr") && !parser.equals("pcfg")) {
      throw new IllegalArgumentException("--parser=" + parser + ": choose sr or pcfg");
    }
    List<Corpus> corpora = new ArrayList<>();
    for (String path : opts.getData().split(",")) {
      corpora.add(readCorpus(Path.of(path.trim())));
    }
    Map<String, FinanceFeatures.Vector> features = new ConcurrentHashMap<>();
    long start = System.nanoTime();
    for (Corpus c : corpora) {
      c.examples().parallelStream().forEach(e -> features.computeIfAbsent(e.text(), FinanceFeatures::of));
    }
    System.out.printf("features of %,d texts in %.1f s%n%n", features.size(), (System.nanoTime() - start) / 1e9);
    for (Corpus c : corpora) {
      int[] counts = new int[3];
      c.examples().forEach(e -> counts[e.label()]++);
      System.out.printf("%s: %,d texts (negative %,d, neutral %,d, positive %,d), %,d held out, %,d for tuning%n",
          c.name(), c.examples().size(), counts[0], counts[1], counts[2], c.heldOut().size(), c.tuning().size());
    }
    System.out.println();
    printMarkers(corpora, features);

    FinanceModel shipped = FinanceModel.shipped();
    System.out.println("== Shipped finance model (" + shipped + ")");
    Map<String, Figures> shippedHeld = new LinkedHashMap<>();
    for (Corpus c : corpora) {
      Figures majority = majority(c.tuning(), c.heldOut());
      Figures f = figures(c.heldOut(), e -> shipped.probabilities(features.get(e.text()).only(shipped.groups())));
      shippedHeld.put(c.name(), f);
      print(c.name() + ", held out", f, majority);
    }

    if (opts.getTune()) {
      tune(corpora, features, opts.getModelOut(), opts.getShowErrors());
    }

    if (opts.getCoreNlp()) {
      coreNlp(corpora, features, shipped, opts);
    }

    for (Corpus c : corpora) {
      showErrors("Misclassified texts of the " + c.name() + " tuning part (shipped model)", c.tuning(),
          scorer(shipped, features), opts.getShowErrors());
    }
    System.out.println("Reference: FinBERT (Araci, 2019) 0.86 accuracy / 0.84 F1 on Financial PhraseBank.");
  }

  /** The grammar markers: texts whose evidence the scorer weakens (questions, hedges, policy) or sets apart. */
  static final List<String> MARKERS = List.of("g:question", "g:hedge", "g:policy", "g:listicle", "g:mixed");

  /**
   * Per corpus, how many texts carry each grammar marker and their classes: the conventions a
   * marker stands for (a question is neutral, monetary policy is not a company's news), as each
   * corpus labels them.
   */
  static void printMarkers(List<Corpus> corpora, Map<String, FinanceFeatures.Vector> features) {
    System.out.println("== Texts with each grammar marker, by class (negative / neutral / positive)");
    for (Corpus c : corpora) {
      StringBuilder line = new StringBuilder(String.format(Locale.ROOT, "  %-10s", abbreviate(c.name())));
      for (String marker : MARKERS) {
        int[] counts = new int[3];
        for (Example e : c.examples()) {
          if (features.get(e.text()).get(marker) > 0) {
            counts[e.label()]++;
          }
        }
        line.append(String.format(Locale.ROOT, "  %s %,d (%,d / %,d / %,d)", marker.substring(2),
            counts[0] + counts[1] + counts[2], counts[0], counts[1], counts[2]));
      }
      System.out.println(line);
    }
    System.out.println();
  }

  /** The candidate configurations {@code --tune} compares. */
  static List<FinanceModel.Config> candidates() {
    List<FinanceModel.Config> out = new ArrayList<>();
    Set<FinanceFeatures.Group> rules = EnumSet.of(FinanceFeatures.Group.RULES);
    Set<FinanceFeatures.Group> noWords = EnumSet.complementOf(EnumSet.of(FinanceFeatures.Group.WORDS));
    Set<FinanceFeatures.Group> all = EnumSet.allOf(FinanceFeatures.Group.class);
    for (double balance : new double[] {1, 0.75, 0.5, 0.25, 0}) {
      for (Set<FinanceFeatures.Group> g : List.of(rules, noWords)) {
        out.add(new FinanceModel.Config(g, 1e-4, 1, 300, balance));
      }
      for (double l2 : new double[] {3e-4, 1e-3, 3e-3, 1e-2, 3e-2}) {
        out.add(new FinanceModel.Config(all, l2, 2, 300, balance));
      }
    }
    return out;
  }

  static FinanceModel fit(List<Example> examples, Map<String, FinanceFeatures.Vector> features, FinanceModel.Config config, String description) {
    double[] weights = FinanceModel.balancedWeights(
        examples.stream().map(Example::corpus).toList(), examples.stream().map(Example::label).toList(), config.balance());
    List<FinanceModel.Example> xs = new ArrayList<>();
    for (int i = 0; i < examples.size(); i++) {
      Example e = examples.get(i);
      xs.add(new FinanceModel.Example(features.get(e.text()).only(config.groups()), e.label(), weights[i]));
    }
    return FinanceModel.fit(xs, config, description);
  }

  static Function<Example, double[]> scorer(FinanceModel model, Map<String, FinanceFeatures.Vector> features) {
    return e -> model.probabilities(features.get(e.text()).only(model.groups()));
  }

  private static void tune(List<Corpus> corpora, Map<String, FinanceFeatures.Vector> features, String modelOut, int showErrors)
      throws IOException {
    if (corpora.size() < 2) {
      throw new IllegalArgumentException("--tune chooses by cross-corpus figures: give two corpora in --data");
    }
    // Held-out parts take no part in the choice: it is made on tuning parts only.
    List<Example> training = corpora.stream().flatMap(c -> c.training().stream()).toList();
    System.out.println("== Choosing the configuration by macro-F1 and accuracy on tuning texts never fitted on: fitted on one");
    System.out.println("   corpus's tuning part and scored on the other's (X -> Y), and fitted on the tuning parts without their");
    System.out.println("   validation folds and scored on each fold (all -> X); the held-out parts take no part. The score is the");
    System.out.println("   mean of macro-F1 and accuracy over the four (the two figures every corpus is reported with)");
    System.out.printf("  %-70s", "configuration");
    for (Corpus from : corpora) {
      for (Corpus to : corpora) {
        if (from != to) {
          System.out.printf(" %22s", abbreviate(from.name()) + " -> " + abbreviate(to.name()));
        }
      }
    }
    for (Corpus c : corpora) {
      System.out.printf(" %16s", "all -> " + abbreviate(c.name()));
    }
    System.out.printf(" %8s%n", "score");
    FinanceModel.Config best = null;
    double bestScore = -1;
    for (FinanceModel.Config config : candidates()) {
      double sum = 0;
      int n = 0;
      StringBuilder row = new StringBuilder(String.format(Locale.ROOT, "  %-70s", config));
      for (Corpus from : corpora) {
        FinanceModel m = fit(from.tuning(), features, config, "fitted on " + from.name());
        for (Corpus to : corpora) {
          if (from != to) {
            Figures cross = figures(to.tuning(), scorer(m, features));
            row.append(String.format(Locale.ROOT, " %16.3f/%.3f", cross.macroF1(), cross.accuracy()));
            sum += (cross.macroF1() + cross.accuracy()) / 2;
            n++;
          }
        }
      }
      FinanceModel fitted = fit(training, features, config, "fitted on the training folds");
      for (Corpus c : corpora) {
        Figures validation = figures(c.validation(), scorer(fitted, features));
        row.append(String.format(Locale.ROOT, " %10.3f/%.3f", validation.macroF1(), validation.accuracy()));
        sum += (validation.macroF1() + validation.accuracy()) / 2;
        n++;
      }
      double mean = sum / n;
      System.out.println(row.append(String.format(Locale.ROOT, " %8.3f", mean)));
      if (mean > bestScore + 1e-9) {
        bestScore = mean;
        best = config;
      }
    }
    List<Example> tuning = corpora.stream().flatMap(c -> c.tuning().stream()).toList();
    System.out.printf("  chosen: %s (score %.3f)%n%n", best, bestScore);

    for (Corpus from : corpora) {
      FinanceModel m = fit(from.tuning(), features, best, "fitted on " + from.name());
      System.out.println("== Chosen configuration fitted on " + from.name() + " alone");
      print(from.name() + ", held out", figures(from.heldOut(), scorer(m, features)), majority(from.tuning(), from.heldOut()));
      for (Corpus to : corpora) {
        if (to != from) {
          Figures f = figures(to.examples(), scorer(m, features));
          Figures majority = majority(to.examples(), to.examples());
          print(to.name() + ", all (never fitted on)", f, majority);
          System.out.printf("  accuracy above the majority baseline on %s: %+.3f%n%n", to.name(), f.accuracy() - majority.accuracy());
          // Label shift: the other corpus's class shares, estimated from its texts without labels.
          double[] trained = classShares(from.tuning(), best.balance());
          Function<Example, double[]> score = scorer(m, features);
          double[] estimated = estimateShares(to.examples().stream().map(score).toList(), trained);
          Figures shifted = figures(to.examples(), e -> reweigh(score.apply(e), estimated, trained));
          print(String.format(Locale.ROOT,
              "%s, all, probabilities reweighed to its class shares as estimated without labels"
                  + " (negative %.3f, neutral %.3f, positive %.3f; fitted with %.3f, %.3f, %.3f)",
              to.name(), estimated[0], estimated[1], estimated[2], trained[0], trained[1], trained[2]), shifted, majority);
          System.out.printf("  accuracy above the majority baseline on %s, reweighed: %+.3f%n%n", to.name(),
              shifted.accuracy() - majority.accuracy());
          showErrors("Misclassified texts of the " + to.name() + " tuning part, fitted on " + from.name(), to.tuning(), scorer(m, features), showErrors);
        }
      }
    }
    String names = String.join(" + ", corpora.stream().map(Corpus::name).toList());
    FinanceModel model = fit(tuning, features, best, "fitted on the tuning parts of " + names);
    System.out.println("== Chosen configuration fitted on the tuning parts of " + names + " (" + model.size() + " weights)");
    for (Corpus c : corpora) {
      print(c.name() + ", held out", figures(c.heldOut(), scorer(model, features)), majority(c.tuning(), c.heldOut()));
    }
    if (modelOut != null) {
      try (Writer w = Files.newBufferedWriter(Path.of(modelOut), StandardCharsets.UTF_8)) {
        model.write(w, List.of(
            "Finance sentiment model for io.tributary.transforms.sentiment.FinanceModel: feature<TAB>weights for negative, neutral, positive.",
            "Written by `tributary sentiment-eval --tune --modelOut=...` from the tuning parts (SHA-256 first byte >= 52) of:",
            "  " + names + ";",
            "the configuration chosen by the mean of macro-F1 and accuracy on tuning texts not fitted on ("
                + String.format(Locale.ROOT, "%.3f", bestScore) + ")."));
      }
      System.out.println("model written to " + modelOut);
      System.out.println();
    }
  }

  /** The class shares a model is fitted with: each class's share of the examples' weights. */
  static double[] classShares(List<Example> examples, double balance) {
    double[] weights = FinanceModel.balancedWeights(
        examples.stream().map(Example::corpus).toList(), examples.stream().map(Example::label).toList(), balance);
    double[] shares = new double[3];
    double total = 0;
    for (int i = 0; i < examples.size(); i++) {
      shares[examples.get(i).label()] += weights[i];
      total += weights[i];
    }
    for (int k = 0; k < 3; k++) {
      shares[k] /= total;
    }
    return shares;
  }

  /**
   * The class shares of unlabelled texts, estimated from a model's probabilities for them by
   * expectation maximization (Saerens, Latinne and Decaestecker, 2002): each text's probabilities
   * are reweighed by estimated over fitted shares ({@link #reweigh}) and the estimate becomes their
   * mean, until it moves by less than 1e-6 (at most 1,000 rounds). Exact for a calibrated model
   * whose classes keep their texts' look and change only their shares.
   */
  static double[] estimateShares(List<double[]> probabilities, double[] fitted) {
    double[] shares = fitted.clone();
    for (int round = 0; round < 1000; round++) {
      double[] next = new double[shares.length];
      for (double[] p : probabilities) {
        double[] q = reweigh(p, shares, fitted);
        for (int k = 0; k < q.length; k++) {
          next[k] += q[k] / probabilities.size();
        }
      }
      double moved = 0;
      for (int k = 0; k < next.length; k++) {
        moved = Math.max(moved, Math.abs(next[k] - shares[k]));
      }
      shares = next;
      if (moved < 1e-6) {
        break;
      }
    }
    return shares;
  }

  /** Probabilities of a model fitted with class shares {@code fitted}, for texts with shares {@code shares}. */
  static double[] reweigh(double[] p, double[] shares, double[] fitted) {
    double[] q = new double[p.length];
    double sum = 0;
    for (int k = 0; k < p.length; k++) {
      q[k] = p[k] * shares[k] / fitted[k];
      sum += q[k];
    }
    for (int k = 0; k < p.length; k++) {
      q[k] /= sum;
    }
    return q;
  }

  private static void coreNlp(List<Corpus> corpora, Map<String, FinanceFeatures.Vector> features, FinanceModel model, Options opts)
      throws IOException, InterruptedException, ExecutionException {
    String parser = opts.getParser();
    CoreNlpPipelines.Config config =
        new CoreNlpPipelines.Config(
            CoreNlpPipelines.DEFAULT_ANNOTATORS,
            parser.equals("sr") ? CoreNlpPipelines.SHIFT_REDUCE_PARSER : CoreNlpPipelines.PCFG_PARSER,
            80);
    List<Example> needed = new ArrayList<>();
    List<Example> tuningSample = new ArrayList<>();
    for (Corpus c : corpora) {
      needed.addAll(c.heldOut());
      List<Example> sample = c.tuning().subList(0, Math.min(opts.getCoreNlpTuning(), c.tuning().size()));
      tuningSample.addAll(sample);
    }
    needed.addAll(tuningSample);
    int threads = opts.getThreads() > 0 ? opts.getThreads() : Runtime.getRuntime().availableProcessors();
    long start = System.nanoTime();
    Map<String, double[]> core = coreNlpProbabilities(needed, config, parser, opts.getCache(), threads);
    System.out.printf("== CoreNLP (%s, parser %s): probabilities of %,d texts ready in %.1f s%n",
        config.annotators(), parser, core.size(), (System.nanoTime() - start) / 1e9);
    // The CoreNLP weight of the combined method, chosen on tuning texts only.
    double bestWeight = 0;
    double bestF1 = -1;
    for (double w = 0; w <= 2.001; w += 0.25) {
      double lambda = w;
      double f1 = figures(tuningSample, e -> FinanceScorer.combine(model.probabilities(features.get(e.text()).only(model.groups())), core.get(e.text()), lambda)).macroF1();
      System.out.printf(Locale.ROOT, "  CoreNLP weight %.2f: macro-F1 %.3f on %,d tuning texts%n", lambda, f1, tuningSample.size());
      if (f1 > bestF1 + 1e-9) {
        bestF1 = f1;
        bestWeight = lambda;
      }
    }
    System.out.printf(Locale.ROOT, "  best CoreNLP weight on tuning texts: %.2f (shipped: %.2f)%n%n", bestWeight, FinanceScorer.COMBINED_CORENLP_WEIGHT);
    for (Corpus c : corpora) {
      Figures majority = majority(c.tuning(), c.heldOut());
      print(c.name() + ", held out: CoreNLP alone (stock model, 5 classes folded into 3)", figures(c.heldOut(), e -> core.get(e.text())), majority);
      print(c.name() + ", held out: combined (shipped model x CoreNLP^" + FinanceScorer.COMBINED_CORENLP_WEIGHT + ")",
          figures(c.heldOut(), e -> FinanceScorer.combine(model.probabilities(features.get(e.text()).only(model.groups())), core.get(e.text()), FinanceScorer.COMBINED_CORENLP_WEIGHT)),
          majority);
    }
  }

  /** Prints up to {@code limit} misclassified texts; only ever given tuning parts. */
  private static void showErrors(String title, List<Example> tuning, Function<Example, double[]> scorer, int limit) {
    if (limit <= 0) {
      return;
    }
    System.out.println(title + " (held-out parts are never shown):");
    int shown = 0;
    for (Example e : tuning) {
      if (shown >= limit) {
        break;
      }
      double[] p = scorer.apply(e);
      int predicted = FinanceScorer.argmax(p);
      if (predicted != e.label()) {
        System.out.printf("  %s as %s (%.2f/%.2f/%.2f): %s%n", LABELS[e.label()], LABELS[predicted], p[0], p[1], p[2], e.text());
        shown++;
      }
    }
    System.out.println();
  }

  private static String abbreviate(String name) {
    return name.length() <= 9 ? name : name.substring(0, 9);
  }

  /** Always the most frequent class of {@code fitted}, scored on {@code scored}. */
  static Figures majority(List<Example> fitted, List<Example> scored) {
    int[] counts = new int[3];
    fitted.forEach(e -> counts[e.label()]++);
    int best = 1;
    for (int k : new int[] {0, 2}) {
      if (counts[k] > counts[best]) {
        best = k;
      }
    }
    double[] p = new double[3];
    p[best] = 1;
    return figures(scored, e -> p);
  }

  /** Prints accuracy, macro-F1, per-class F1 and the confusion matrix, with the majority baseline. */
  static void print(String name, Figures f, Figures majority) {
    System.out.printf("%s: %,d texts%n", name, f.size());
    System.out.printf("  accuracy %.3f  macro-F1 %.3f  F1 negative %.3f neutral %.3f positive %.3f%n",
        f.accuracy(), f.macroF1(), f.f1(0), f.f1(1), f.f1(2));
    System.out.printf("  majority-class baseline: accuracy %.3f  macro-F1 %.3f%n", majority.accuracy(), majority.macroF1());
    System.out.printf("  %-26s %9s %9s %9s%n", "true \\ predicted", LABELS[0], LABELS[1], LABELS[2]);
    for (int t = 0; t < 3; t++) {
      int[] row = f.confusion()[t];
      System.out.printf("  %-26s %9d %9d %9d%n", LABELS[t], row[0], row[1], row[2]);
    }
    System.out.println();
  }

  static double accuracy(int[][] m) {
    int right = 0;
    int all = 0;
    for (int t = 0; t < 3; t++) {
      for (int p = 0; p < 3; p++) {
        all += m[t][p];
        right += t == p ? m[t][p] : 0;
      }
    }
    return all == 0 ? 0 : (double) right / all;
  }

  static double f1(int[][] m, int k) {
    int tp = m[k][k];
    int predicted = m[0][k] + m[1][k] + m[2][k];
    int actual = m[k][0] + m[k][1] + m[k][2];
    double precision = predicted == 0 ? 0 : (double) tp / predicted;
    double recall = actual == 0 ? 0 : (double) tp / actual;
    return precision + recall == 0 ? 0 : 2 * precision * recall / (precision + recall);
  }

  static double macroF1(int[][] m) {
    return (f1(m, 0) + f1(m, 1) + f1(m, 2)) / 3;
  }

  private static byte[] sha256(String text) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /** A PhraseBank directory or a tweets CSV, told apart by what the path is and its header. */
  static Corpus readCorpus(Path path) throws IOException {
    if (Files.isDirectory(path)) {
      Path csv = path.resolve("all-data.csv");
      if (!Files.exists(csv)) {
        throw new IOException(path + ": a directory without all-data.csv (expected a Financial PhraseBank directory)");
      }
      return new Corpus("PhraseBank", readPhraseBank(csv));
    }
    if (!Files.exists(path)) {
      throw new IOException(path + ": no such file or directory");
    }
    return new Corpus("tweets", readTweets(path));
  }

  static List<Example> readPhraseBank(Path csv) throws IOException {
    List<Example> out = new ArrayList<>();
    // The file is ISO-8859-1 (a few accented names), not UTF-8.
    try (Reader reader = Files.newBufferedReader(csv, StandardCharsets.ISO_8859_1)) {
      readRows(csv, reader, "label,content", row -> {
        int label = List.of(LABELS).indexOf(row[0].trim());
        if (row.length != 2 || label < 0) {
          throw new IllegalArgumentException("expected label,content with a label in " + List.of(LABELS));
        }
        out.add(Example.of("PhraseBank", row[1], label));
        return true;
      });
    }
    return out;
  }

  static List<Example> readTweets(Path csv) throws IOException {
    List<Example> out = new ArrayList<>();
    // 0 bearish, 1 bullish, 2 neutral -> negative, positive, neutral.
    int[] classes = {0, 2, 1};
    try (Reader reader = Files.newBufferedReader(csv, StandardCharsets.UTF_8)) {
      readRows(csv, reader, "text,label", row -> {
        String l = row.length == 2 ? row[1].trim() : "";
        if (!l.equals("0") && !l.equals("1") && !l.equals("2")) {
          throw new IllegalArgumentException("expected text,label with label 0 (bearish), 1 (bullish) or 2 (neutral)");
        }
        out.add(Example.of("tweets", row[0], classes[Integer.parseInt(l)]));
        return true;
      });
    }
    return out;
  }

  private static void readRows(Path csv, Reader reader, String header, Predicate<String[]> row) throws IOException {
    try (MappingIterator<String[]> rows =
        new CsvMapper().readerFor(String[].class).with(CsvParser.Feature.WRAP_AS_ARRAY).readValues(reader)) {
      AtomicInteger line = new AtomicInteger();
      while (rows.hasNext()) {
        String[] r = rows.next();
        if (line.getAndIncrement() == 0) {
          if (!String.join(",", r).trim().equals(header)) {
            throw new IOException(csv + ": expected the header '" + header + "', got '" + String.join(",", r) + "'");
          }
          continue;
        }
        try {
          row.test(r);
        } catch (IllegalArgumentException e) {
          throw new IOException(csv + " record " + (line.get() - 1) + " after the header: " + e.getMessage() + ", got " + String.join(",", r), e);
        }
      }
    }
  }

  /** CoreNLP's probabilities per text (averaged over its sentences), from the cache or computed. */
  static Map<String, double[]> coreNlpProbabilities(
      List<Example> examples, CoreNlpPipelines.Config config, String parser, String cacheFile, int threads)
      throws IOException, InterruptedException, ExecutionException {
    Map<String, double[]> out = new ConcurrentHashMap<>();
    Map<String, double[]> cache = new ConcurrentHashMap<>();
    Path cachePath = cacheFile == null ? null : Path.of(cacheFile);
    if (cachePath != null && Files.exists(cachePath)) {
      for (String line : Files.readAllLines(cachePath, StandardCharsets.UTF_8)) {
        String[] f = line.split("\t");
        if (f.length == 5 && f[1].equals(parser)) {
          cache.put(f[0], new double[] {Double.parseDouble(f[2]), Double.parseDouble(f[3]), Double.parseDouble(f[4])});
        }
      }
    }
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    AtomicInteger done = new AtomicInteger();
    long start = System.nanoTime();
    try (Writer writer = cachePath == null ? Writer.nullWriter()
        : Files.newBufferedWriter(cachePath, StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND)) {
      List<Future<?>> jobs = new ArrayList<>();
      List<Example> distinct = examples.stream().filter(e -> out.putIfAbsent(e.text(), new double[0]) == null).toList();
      for (Example e : distinct) {
        String key = HexFormat.of().formatHex(sha256(e.text()));
        double[] cached = cache.get(key);
        if (cached != null) {
          out.put(e.text(), cached);
          continue;
        }
        jobs.add(pool.submit(() -> {
          double[] p = average(CoreNlpPipelines.annotate(config, e.text()));
          out.put(e.text(), p);
          synchronized (writer) {
            try {
              writer.write(String.format(Locale.ROOT, "%s\t%s\t%.17g\t%.17g\t%.17g%n", key, parser, p[0], p[1], p[2]));
            } catch (IOException io) {
              throw new UncheckedIOException(io);
            }
          }
          int n = done.incrementAndGet();
          if (n % 500 == 0) {
            System.out.printf("  CoreNLP: %,d texts parsed, %.1f texts/s%n", n, n / ((System.nanoTime() - start) / 1e9));
          }
        }));
      }
      System.out.printf("  CoreNLP: %,d texts to parse (%,d from the cache), %d threads%n", jobs.size(), distinct.size() - jobs.size(), threads);
      for (Future<?> job : jobs) {
        job.get();
      }
    } finally {
      pool.shutdown();
    }
    return out;
  }

  private static double[] average(List<CoreNlpPipelines.Sentence> sentences) {
    double[] sum = new double[3];
    int n = 0;
    for (CoreNlpPipelines.Sentence s : sentences) {
      if (s.scored()) {
        for (int k = 0; k < 3; k++) {
          sum[k] += s.probabilities()[k];
        }
        n++;
      }
    }
    if (n == 0) {
      return new double[] {0, 1, 0};
    }
    for (int k = 0; k < 3; k++) {
      sum[k] /= n;
    }
    return sum;
  }
}
