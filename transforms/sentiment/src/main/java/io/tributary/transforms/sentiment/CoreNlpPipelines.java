package io.tributary.transforms.sentiment;

import edu.stanford.nlp.ling.CoreAnnotations;
import edu.stanford.nlp.neural.rnn.RNNCoreAnnotations;
import edu.stanford.nlp.pipeline.Annotation;
import edu.stanford.nlp.pipeline.StanfordCoreNLP;
import edu.stanford.nlp.sentiment.SentimentCoreAnnotations;
import edu.stanford.nlp.trees.Tree;
import edu.stanford.nlp.util.CoreMap;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.ConcurrentHashMap;
import org.ejml.simple.SimpleMatrix;

/**
 * One {@link StanfordCoreNLP} pipeline per configuration and JVM, shared by every DoFn instance
 * and thread of the JVM (loading the models takes seconds and hundreds of MB; annotating is
 * thread-safe). {@code StanfordCoreNLP} is not serializable, so DoFns carry a {@link Config} and
 * look the pipeline up here.
 *
 * <p>Model files are read from the classpath. The build unpacks only the files these
 * configurations load from CoreNLP's models jars: the sentiment model, the POS tagger, the PCFG
 * parser and the shift-reduce parser (85 MB instead of 900 MB of jars).
 *
 * <p><b>Default: the shift-reduce parser.</b> Measured on this project's 2-core machine under load
 * on Financial PhraseBank sentences, {@code tokenize,ssplit,pos,parse,sentiment} ran about 11x
 * faster with the shift-reduce parser than with the PCFG parser (19.4 against 1.75 sentences/s on
 * two threads), with the same quality (held-out accuracy 0.385 against 0.387 for CoreNLP alone,
 * 0.774 against 0.773 combined; see the README). It needs more heap: about 0.7 GB live against
 * 0.2 GB.
 */
public final class CoreNlpPipelines {
  /** CoreNLP's English PCFG parser: slower than shift-reduce, less memory. */
  public static final String PCFG_PARSER = "edu/stanford/nlp/models/lexparser/englishPCFG.ser.gz";

  /** CoreNLP's English shift-reduce parser (the default): fast, needs {@code pos}. */
  public static final String SHIFT_REDUCE_PARSER = "edu/stanford/nlp/models/srparser/englishSR.ser.gz";

  /** The default annotators; the shift-reduce parser needs the tagger's tags. */
  public static final String DEFAULT_ANNOTATORS = "tokenize,ssplit,pos,parse,sentiment";

  /** Annotators that only split sentences, for scoring without the sentiment model. */
  public static final String SPLIT_ONLY = "tokenize,ssplit";

  private static final ConcurrentHashMap<Config, StanfordCoreNLP> PIPELINES = new ConcurrentHashMap<>();

  private CoreNlpPipelines() {}

  /**
   * What to build: the annotators, the parser model and the longest sentence (in tokens) the
   * parser reads; longer sentences get no sentiment from CoreNLP.
   */
  public record Config(String annotators, String parseModel, int maxSentenceTokens)
      implements Serializable {
    /** The default: {@value #DEFAULT_ANNOTATORS} with the shift-reduce parser, sentences up to 80 tokens. */
    public static Config defaults() {
      return new Config(DEFAULT_ANNOTATORS, SHIFT_REDUCE_PARSER, 80);
    }

    /** Sentence splitting only (no parser, no sentiment model). */
    public static Config splitOnly() {
      return new Config(SPLIT_ONLY, PCFG_PARSER, 80);
    }

    /** True when the annotators include CoreNLP's sentiment model. */
    public boolean hasSentiment() {
      return List.of(annotators.split(",")).stream().map(String::trim).anyMatch("sentiment"::equals);
    }

    Properties properties() {
      Properties p = new Properties();
      p.setProperty("annotators", annotators);
      p.setProperty("tokenize.language", "en");
      p.setProperty("parse.model", parseModel);
      p.setProperty("parse.maxlen", Integer.toString(maxSentenceTokens));
      p.setProperty("parse.binaryTrees", "true");
      return p;
    }
  }

  /** One sentence of a text with CoreNLP's sentiment, if it has one. */
  public record Sentence(String text, int index, double[] probabilities) {
    /** True when CoreNLP gave this sentence class probabilities. */
    public boolean scored() {
      return probabilities != null;
    }
  }

  /** The pipeline for {@code config}, built on first use in this JVM. */
  public static StanfordCoreNLP get(Config config) {
    return PIPELINES.computeIfAbsent(config, c -> new StanfordCoreNLP(c.properties()));
  }

  /**
   * Splits {@code text} into sentences and, when the configuration has the sentiment annotator,
   * gives each its three class probabilities (negative, neutral, positive): CoreNLP's five classes
   * with the two negative and the two positive ones added up. A sentence the parser skipped (too
   * long) has none.
   */
  public static List<Sentence> annotate(Config config, String text) {
    Annotation annotation = new Annotation(text);
    get(config).annotate(annotation);
    List<Sentence> out = new ArrayList<>();
    List<CoreMap> sentences = annotation.get(CoreAnnotations.SentencesAnnotation.class);
    if (sentences == null) {
      return out;
    }
    boolean sentiment = config.hasSentiment();
    for (CoreMap sentence : sentences) {
      double[] probabilities = null;
      if (sentiment) {
        Tree tree = sentence.get(SentimentCoreAnnotations.SentimentAnnotatedTree.class);
        SimpleMatrix predictions = tree == null ? null : RNNCoreAnnotations.getPredictions(tree);
        if (predictions != null && predictions.getNumElements() == 5 && parsed(sentence, config.maxSentenceTokens())) {
          probabilities =
              new double[] {
                predictions.get(0) + predictions.get(1), predictions.get(2), predictions.get(3) + predictions.get(4)
              };
        }
      }
      out.add(new Sentence(sentence.get(CoreAnnotations.TextAnnotation.class), out.size(), probabilities));
    }
    return out;
  }

  // A sentence longer than parse.maxlen gets a flat placeholder tree whose sentiment means nothing.
  private static boolean parsed(CoreMap sentence, int maxTokens) {
    List<?> tokens = sentence.get(CoreAnnotations.TokensAnnotation.class);
    return tokens == null || tokens.size() <= maxTokens;
  }
}
