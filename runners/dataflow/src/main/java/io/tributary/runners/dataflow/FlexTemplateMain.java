package io.tributary.runners.dataflow;

import io.tributary.pipelines.Tributary;
import java.util.ArrayList;
import java.util.List;
import org.apache.beam.sdk.options.Description;
import org.apache.beam.sdk.options.PipelineOptions;

/**
 * The main class of the Flex Template image: {@code FlexTemplateMain --pipeline=fraud --opt=v ...}
 * runs {@code Tributary fraud --opt=v ...}. A Flex Template launcher passes every parameter as
 * {@code --name=value} and nothing positional, so the pipeline's name, {@link Tributary}'s first
 * argument, comes in as the {@code pipeline} parameter instead (see flex-template/launch.md).
 */
public final class FlexTemplateMain {
  /** The one option of its own: which pipeline to run. */
  public interface Options extends PipelineOptions {
    @Description("The pipeline to run: activity, fraud, sentiment or cdc.")
    String getPipeline();

    void setPipeline(String pipeline);
  }

  private FlexTemplateMain() {}

  public static void main(String[] args) {
    Tributary.main(tributaryArgs(args));
  }

  /** {@code --pipeline=name} moved to the front as the bare name; the other arguments as they were. */
  static String[] tributaryArgs(String[] args) {
    String pipeline = null;
    List<String> rest = new ArrayList<>();
    for (String arg : args) {
      if (arg.startsWith("--pipeline=")) {
        if (pipeline != null) {
          throw new IllegalArgumentException("--pipeline given twice: " + pipeline + " and " + arg.substring(11));
        }
        pipeline = arg.substring("--pipeline=".length());
      } else {
        rest.add(arg);
      }
    }
    if (pipeline == null || pipeline.isBlank()) {
      throw new IllegalArgumentException("--pipeline is required: activity, fraud, sentiment or cdc");
    }
    rest.add(0, pipeline);
    return rest.toArray(String[]::new);
  }
}
