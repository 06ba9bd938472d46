package io.tributary.pipelines;

import io.tributary.pipelines.activity.ActivityPipeline;
import java.util.Arrays;

/**
 * Command line entry point: {@code Tributary <pipeline> [--option=value ...]}. Each pipeline
 * documents its options; {@code --help} lists them (Beam's standard help).
 */
public final class Tributary {
  private Tributary() {}

  public static void main(String[] args) throws Exception {
    if (args.length == 0 || args[0].startsWith("--")) {
      System.err.println("usage: tributary <pipeline> [--option=value ...]\npipelines: activity, sentiment, sentiment-eval");
      System.exit(2);
    }
    String[] rest = Arrays.copyOfRange(args, 1, args.length);
    try {
      switch (args[0]) {
        case "activity" -> {
          if (Arrays.asList(rest).contains("--help")) {
            org.apache.beam.sdk.options.PipelineOptionsFactory.register(
                io.tributary.pipelines.activity.ActivityOptions.class);
            org.apache.beam.sdk.options.PipelineOptionsFactory.fromArgs(
                    "--help=" + io.tributary.pipelines.activity.ActivityOptions.class.getName())
                .create();
            return;
          }
          ActivityPipeline.run(rest);
        }
        case "sentiment" -> {
          if (Arrays.asList(rest).contains("--help")) {
            org.apache.beam.sdk.options.PipelineOptionsFactory.register(
                io.tributary.pipelines.sentiment.SentimentOptions.class);
            org.apache.beam.sdk.options.PipelineOptionsFactory.fromArgs(
                    "--help=" + io.tributary.pipelines.sentiment.SentimentOptions.class.getName())
                .create();
            return;
          }
          io.tributary.pipelines.sentiment.SentimentPipeline.run(rest);
        }
        case "sentiment-eval" -> io.tributary.pipelines.sentiment.EvaluateSentiment.main(rest);
        default -> {
          System.err.println("unknown pipeline '" + args[0] + "'; pipelines: activity, sentiment, sentiment-eval");
          System.exit(2);
        }
      }
    } catch (IllegalArgumentException e) {
      System.err.println(e.getMessage());
      System.exit(2);
    }
  }
}
