package io.tributary.runners.dataflow;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.tributary.pipelines.activity.ActivityOptions;
import io.tributary.pipelines.cdc.CdcOptions;
import io.tributary.pipelines.fraud.FraudOptions;
import io.tributary.pipelines.sentiment.SentimentOptions;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;
import org.apache.beam.sdk.options.PipelineOptions;
import org.junit.jupiter.api.Test;

/** flex-template/metadata.json against the pipelines' options, and the template's main class. */
class FlexTemplateTest {
  private static final List<Class<? extends PipelineOptions>> OPTIONS =
      List.of(ActivityOptions.class, FraudOptions.class, SentimentOptions.class, CdcOptions.class, FlexTemplateMain.Options.class);

  private static JsonNode metadata() throws IOException {
    return new ObjectMapper().readTree(Path.of("flex-template", "metadata.json").toFile());
  }

  private static Set<String> optionNames() {
    Set<String> names = new TreeSet<>();
    for (Class<? extends PipelineOptions> type : OPTIONS) {
      // Every getter of the interface and of those it extends, as Beam names the option.
      for (java.lang.reflect.Method m : type.getMethods()) {
        String name = m.getName();
        if (m.getParameterCount() == 0 && name.startsWith("get") && name.length() > 3) {
          names.add(java.beans.Introspector.decapitalize(name.substring(3)));
        } else if (m.getParameterCount() == 0 && name.startsWith("is") && name.length() > 2) {
          names.add(java.beans.Introspector.decapitalize(name.substring(2)));
        }
      }
    }
    return names;
  }

  @Test
  void everyParameterIsAnOptionOfAPipeline() throws IOException {
    JsonNode metadata = metadata();
    assertFalse(metadata.path("name").asText().isBlank(), "metadata.json has a name");
    assertFalse(metadata.path("description").asText().isBlank(), "metadata.json has a description");
    Set<String> options = optionNames();
    List<String> unknown = new ArrayList<>();
    Set<String> seen = new TreeSet<>();
    for (JsonNode p : metadata.path("parameters")) {
      String name = p.path("name").asText();
      assertTrue(seen.add(name), "parameter " + name + " is listed twice");
      for (String field : List.of("label", "helpText")) {
        assertFalse(p.path(field).asText().isBlank(), "parameter " + name + " has no " + field);
      }
      assertTrue(p.path("isOptional").isBoolean(), "parameter " + name + ": isOptional is not a boolean");
      p.path("regexes").forEach(r -> Pattern.compile(r.asText()));
      if (!options.contains(name)) {
        unknown.add(name);
      }
    }
    assertTrue(unknown.isEmpty(), "parameters that no pipeline has as an option: " + unknown);
    assertTrue(seen.size() >= 10, "the main options are listed: " + seen);
  }

  @Test
  void regexesAcceptTheDocumentedExamples() throws IOException {
    JsonNode metadata = metadata();
    for (String[] example : new String[][] {
        {"pipeline", "cdc"}, {"sink", "redis,kafka"}, {"kafkaBootstrapServers", "10.0.0.5:9092,10.0.0.6:9092"},
        {"windowSize", "5m"}, {"lakePath", "gs://bucket/tributary/lake"}, {"threshold", "2.5"}}) {
      for (JsonNode p : metadata.path("parameters")) {
        if (p.path("name").asText().equals(example[0])) {
          for (JsonNode r : p.path("regexes")) {
            assertTrue(Pattern.compile(r.asText()).matcher(example[1]).find(), example[0] + "=" + example[1] + " against " + r);
          }
        }
      }
    }
  }

  @Test
  void pipelineParameterBecomesTheFirstArgument() {
    assertArrayEquals(
        new String[] {"fraud", "--runner=DataflowRunner", "--maxEvents=10"},
        FlexTemplateMain.tributaryArgs(new String[] {"--runner=DataflowRunner", "--pipeline=fraud", "--maxEvents=10"}));
  }

  @Test
  void missingPipelineParameterIsNamed() {
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> FlexTemplateMain.tributaryArgs(new String[] {"--maxEvents=10"}));
    assertEquals("--pipeline is required: activity, fraud, sentiment or cdc", e.getMessage());
  }
}
