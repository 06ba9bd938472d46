package io.tributary.pipelines.sentiment;

import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.dataformat.csv.CsvMapper;
import com.fasterxml.jackson.dataformat.csv.CsvParser;
import io.tributary.transforms.sentiment.CoreNlpPipelines;
import io.tributary.transforms.sentiment.FinanceLexicon;
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
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Function;
import org.apache.beam.sdk.options.Default;
import org.apache.beam.sdk.options.Description;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.options.Validation;

/**
 * Scores the labelled Financial PhraseBank and prints accuracy, macro-F1 and a confusion matrix on
 * its held-out split for CoreNLP alone, the finance layer alone and both combined.
 *
 * <pre>
 * tributary sentiment-eval --data=/path/to/financial-phrasebank [--parser=sr|pcfg] [--tune]
 *     [--cache=/tmp/corenlp-cache.tsv] [--limit=N] [--threads=N] [--heldOutOnly] [--showErrors=N]
 * </pre>
 *
 * <p>The data is read from {@code --data} (its {@code all-data.csv}, {@code label,content},
 * ISO-8859-1) and never copied. A sentence is held out when the first byte of the SHA-256 of its
 * UTF-8 content is below 52 (the split of the data's README); the rest is the tuning part.
 * {@code --tune} fits the softmax weights of the finance and combined layers on the tuning part
 * only, prints them in the form {@link FinanceScorer} holds, and also reports the held-out figures
 * of those freshly fitted weights. {@code --cache} keeps CoreNLP's probabilities per sentence and
 * parser in a file (outside the project) so that reruns skip CoreNLP; {@code --heldOutOnly} runs
 * CoreNLP on the held-out part only (to compare parsers quickly).
 */
public final class EvaluateSentiment {
  static final String[] LABELS = {"negative", "neutral", "positive"};

  private EvaluateSentiment() {}

  /** One labelled sentence. */
  record Example(String text, int label, boolean heldOut) {}

  /** The evaluation's options (see the class comment). */
  public interface Options extends PipelineOptions {
    @Description("The financial-phrasebank directory (holding all-data.csv).")
    @Validation.Required
    String getData();

    void setData(String dir);

    @Description("CoreNLP parser: 'sr' (shift-reduce) or 'pcfg'.")
    @Default.String("sr")
    String getParser();

    void setParser(String parser);

    @Description("Fit the softmax weights on the tuning part, print them and their held-out figures.")
    @Default.Boolean(false)
    boolean getTune();

    void setTune(boolean tune);

    @Description("A file (outside the project) caching CoreNLP's probabilities per sentence and parser.")
    String getCache();

    void setCache(String file);

    @Description("Use the first N sentences only (in proportion from both parts); 0: all.")
    @Default.Integer(0)
    int getLimit();

    void setLimit(int limit);

    @Description("Threads running CoreNLP; 0: one per core.")
    @Default.Integer(0)
    int getThreads();

    void setThreads(int threads);

    @Description("Score the held-out part only (to compare parsers quickly; no --tune).")
    @Default.Boolean(false)
    boolean getHeldOutOnly();

    void setHeldOutOnly(boolean heldOutOnly);

    @Description("Print this many misclassified sentences of the tuning part.")
    @Default.Integer(0)
    int getShowErrors();

    void setShowErrors(int n);
  }

  public static void main(String[] args) {
    run(args);
  }

  /** Parses the options, scores the corpus and prints the figures. */
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

  static void evaluate(Options opts) throws IOException, InterruptedException, ExecutionException {
    String data = opts.getData();
    String parser = opts.getParser();
    if (!parser.equals("sr") && !parser.equals("pcfg")) {
      throw new IllegalArgumentException("--parser=" + parser + ": choose sr or pcfg");
    }
    int limit = opts.getLimit();
    int threads = opts.getThreads() > 0 ? opts.getThreads() : Runtime.getRuntime().availableProcessors();
    List<Example> all = read(Path.of(data, "all-data.csv"));
    if (opts.getHeldOutOnly()) {
      if (opts.getTune()) {
        throw new IllegalArgumentException("--tune needs the tuning part: drop --heldOutOnly");
      }
      all = all.stream().filter(Example::heldOut).toList();
    }
    List<Example> examples = all;
    if (limit > 0) {
      // Keep both parts in proportion: the first N of each.
      List<Example> cut = new ArrayList<>();
      long held = 0;
      long tune = 0;
      for (Example e : all) {
        if (e.heldOut() ? held++ < limit / 5 : tune++ < limit - limit / 5) {
          cut.add(e);
        }
      }
      examples = List.copyOf(cut);
    }
    report(examples, opts, parser, threads);
  }

  private static void report(List<Example> examples, Options opts, String parser, int threads)
      throws IOException, InterruptedException, ExecutionException {
    CoreNlpPipelines.Config config =
        new CoreNlpPipelines.Config(
            CoreNlpPipelines.DEFAULT_ANNOTATORS,
            parser.equals("sr") ? CoreNlpPipelines.SHIFT_REDUCE_PARSER : CoreNlpPipelines.PCFG_PARSER,
            80);
    long heldOut = examples.stream().filter(Example::heldOut).count();
    System.out.printf(
        "Financial PhraseBank: %,d sentences, %,d held out, %,d for tuning; CoreNLP %s, parser %s%n",
        examples.size(), heldOut, examples.size() - heldOut, config.annotators(), parser);

    long start = System.nanoTime();
    Map<String, double[]> coreNlp = coreNlpProbabilities(examples, config, parser, opts.getCache(), threads);
    System.out.printf("CoreNLP probabilities ready in %.1f s%n%n", (System.nanoTime() - start) / 1e9);

    List<double[]> evidenceFeatures = new ArrayList<>();
    List<double[]> combinedFeatures = new ArrayList<>();
    for (Example e : examples) {
      FinanceLexicon.Evidence ev = FinanceLexicon.evidence(e.text());
      evidenceFeatures.add(FinanceScorer.financeFeatures(ev));
      combinedFeatures.add(FinanceScorer.combinedFeatures(ev, coreNlp.get(e.text())));
    }

    report("CoreNLP alone (stock model, 5 classes folded into 3)", examples, i -> coreNlp.get(examples.get(i).text()));
    report("finance layer alone (lexicon, negation, numbers; shipped weights)", examples,
        i -> FinanceScorer.probabilities(FinanceScorer.Method.FINANCE, FinanceLexicon.evidence(examples.get(i).text()), null));
    report("combined (finance layer + CoreNLP; shipped weights)", examples,
        i -> FinanceScorer.probabilities(FinanceScorer.Method.COMBINED, FinanceLexicon.evidence(examples.get(i).text()), coreNlp.get(examples.get(i).text())));

    if (opts.getTune()) {
      List<double[]> fx = new ArrayList<>();
      List<double[]> cx = new ArrayList<>();
      List<Integer> y = new ArrayList<>();
      for (int i = 0; i < examples.size(); i++) {
        if (!examples.get(i).heldOut()) {
          fx.add(evidenceFeatures.get(i));
          cx.add(combinedFeatures.get(i));
          y.add(examples.get(i).label());
        }
      }
      double[][] fw = FinanceScorer.fit(fx, y, 3, 1e-3, 3000);
      double[][] cw = FinanceScorer.fit(cx, y, 3, 1e-3, 3000);
      System.out.println("Weights fitted on the tuning part (FinanceScorer form):");
      System.out.println("  FINANCE_WEIGHTS = " + java(fw));
      System.out.println("  COMBINED_WEIGHTS = " + java(cw));
      System.out.println();
      report("finance layer alone (weights fitted in this run)", examples, i -> FinanceScorer.softmax(fw, evidenceFeatures.get(i)));
      report("combined (weights fitted in this run)", examples, i -> FinanceScorer.softmax(cw, combinedFeatures.get(i)));
    }
    int showErrors = opts.getShowErrors();
    if (showErrors > 0) {
      // Tuning-part sentences only: the held-out part is never looked at.
      System.out.println("Misclassified sentences of the tuning part (combined, shipped weights):");
      int shown = 0;
      for (int i = 0; i < examples.size() && shown < showErrors; i++) {
        Example e = examples.get(i);
        FinanceLexicon.Evidence ev = FinanceLexicon.evidence(e.text());
        int predicted = FinanceScorer.argmax(FinanceScorer.probabilities(FinanceScorer.Method.COMBINED, ev, coreNlp.get(e.text())));
        if (!e.heldOut() && predicted != e.label()) {
          System.out.printf("  %s as %s (+%.1f -%.1f): %s%n", LABELS[e.label()], LABELS[predicted], ev.positive(), ev.negative(), e.text());
          shown++;
        }
      }
      System.out.println();
    }
    System.out.println("Reference: FinBERT (Araci, 2019) 0.86 accuracy / 0.84 F1 on this corpus.");
  }

  static String java(double[][] w) {
    StringBuilder b = new StringBuilder("{");
    for (double[] row : w) {
      b.append("{");
      for (int j = 0; j < row.length; j++) {
        b.append(String.format(Locale.ROOT, "%s%.3f", j == 0 ? "" : ", ", row[j]));
      }
      b.append("}, ");
    }
    return b.append("}").toString();
  }

  /** Prints accuracy, macro-F1 and the confusion matrix of the held-out part (and the tuning part's accuracy). */
  static void report(String name, List<Example> examples, Function<Integer, double[]> probabilities) {
    int[][] held = new int[3][3];
    int[][] tune = new int[3][3];
    for (int i = 0; i < examples.size(); i++) {
      int predicted = FinanceScorer.argmax(probabilities.apply(i));
      (examples.get(i).heldOut() ? held : tune)[examples.get(i).label()][predicted]++;
    }
    System.out.println(name);
    boolean tuned = accuracy(tune) > 0 || macroF1(tune) > 0;
    System.out.printf("  held out: accuracy %.3f  macro-F1 %.3f%s%n", accuracy(held), macroF1(held),
        tuned ? String.format("   (tuning part: accuracy %.3f  macro-F1 %.3f)", accuracy(tune), macroF1(tune)) : "");
    System.out.printf("  %-18s %9s %9s %9s%n", "held out: true \\ predicted", LABELS[0], LABELS[1], LABELS[2]);
    for (int t = 0; t < 3; t++) {
      System.out.printf("  %-26s %9d %9d %9d%n", LABELS[t], held[t][0], held[t][1], held[t][2]);
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

  static double macroF1(int[][] m) {
    double sum = 0;
    for (int k = 0; k < 3; k++) {
      int tp = m[k][k];
      int predicted = m[0][k] + m[1][k] + m[2][k];
      int actual = m[k][0] + m[k][1] + m[k][2];
      double precision = predicted == 0 ? 0 : (double) tp / predicted;
      double recall = actual == 0 ? 0 : (double) tp / actual;
      sum += precision + recall == 0 ? 0 : 2 * precision * recall / (precision + recall);
    }
    return sum / 3;
  }

  /** True when the first byte of SHA-256(UTF-8 text) is below 52: the README's held-out split. */
  static boolean heldOut(String text) {
    return (sha256(text)[0] & 0xff) < 52;
  }

  private static byte[] sha256(String text) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  static List<Example> read(Path csv) throws IOException {
    List<Example> out = new ArrayList<>();
    // The file is ISO-8859-1 (a few accented names), not UTF-8.
    try (Reader reader = Files.newBufferedReader(csv, StandardCharsets.ISO_8859_1);
        MappingIterator<String[]> rows =
            new CsvMapper().readerFor(String[].class).with(CsvParser.Feature.WRAP_AS_ARRAY).readValues(reader)) {
      boolean header = true;
      while (rows.hasNext()) {
        String[] row = rows.next();
        if (header) {
          header = false;
          continue;
        }
        int label = List.of(LABELS).indexOf(row[0].trim());
        if (row.length != 2 || label < 0) {
          throw new IOException(csv + ": expected label,content with a known label, got " + String.join(",", row));
        }
        out.add(new Example(row[1], label, heldOut(row[1])));
      }
    }
    return out;
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
    try (Writer writer = cachePath == null ? Writer.nullWriter()
        : Files.newBufferedWriter(cachePath, StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND)) {
      List<Future<?>> jobs = new ArrayList<>();
      for (Example e : examples) {
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
        }));
      }
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
