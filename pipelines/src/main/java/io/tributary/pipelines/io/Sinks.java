package io.tributary.pipelines.io;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import com.google.protobuf.util.JsonFormat;
import io.tributary.proto.common.Failure;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Set;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.io.TextIO;
import org.apache.beam.sdk.io.kafka.KafkaIO;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.windowing.FixedWindows;
import org.apache.beam.sdk.transforms.windowing.Window;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionList;
import org.apache.kafka.common.serialization.StringSerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Writes results and failures where {@link SinkOptions} says. */
public final class Sinks {
  public static final String CONSOLE = "console";
  /** The live web dashboard ({@code io.tributary.pipelines.dashboard}), in-process. */
  public static final String DASHBOARD = "dashboard";
  public static final String KAFKA = "kafka";
  public static final String FILES = "files";
  public static final String LOG = "log";
  /** No result sink: the pipeline writes only what its own options say (e.g. cdc's lake and cache). */
  public static final String NONE = "none";
  private static final com.fasterxml.jackson.databind.ObjectMapper MAPPER =
      new com.fasterxml.jackson.databind.ObjectMapper();

  private Sinks() {}

  /** Checks the result sink options; the chosen result sinks are returned. */
  static Set<String> check(SinkOptions options, OptionsCheck check, String defaultSink, Set<String> extraSinks) {
    Set<String> allowed = new java.util.TreeSet<>(extraSinks);
    allowed.addAll(Set.of(CONSOLE, KAFKA, FILES, NONE));
    String sink = options.getSink() == null ? defaultSink : options.getSink();
    Set<String> sinks = check.choices(sink, "sink", allowed);
    if (sinks.contains(NONE)) {
      check.require(sinks.size() == 1, "sink", sink, "'none' cannot be combined with other sinks");
      return Set.of();
    }
    if (sinks.contains(KAFKA)) {
      check.requireSet(options.getKafkaBootstrapServers(), "kafkaBootstrapServers", "with a kafka sink");
      check.requireSet(options.getOutputTopic(), "outputTopic", "with --sink=kafka");
    }
    if (sinks.contains(FILES)) {
      check.requireSet(options.getOutputPath(), "outputPath", "with --sink=files");
    }
    if (sinks.contains(DASHBOARD)) {
      check.require(
          options.getDashboardPort() >= 0 && options.getDashboardPort() <= 65535,
          "dashboardPort",
          Integer.toString(options.getDashboardPort()),
          "must be a TCP port (0 for any free one)");
      check.require(
          runsInThisProcess(options),
          "sink",
          sink,
          "the dashboard is fed by the pipeline's steps in this process, which --runner="
              + options.getRunner().getSimpleName()
              + " does not run here: write the results with --sink=kafka and serve them with"
              + " 'tributary dashboard'");
    }
    check.positiveDuration(options.getFileWindow(), "fileWindow");
    check.requirePositive(options.getKafkaExactlyOnceShards(), "kafkaExactlyOnceShards");
    return sinks;
  }

  /**
   * Whether the pipeline's steps run in this JVM: the Direct runner, or Flink with an embedded
   * cluster ({@code --flinkMaster} unset, {@code [local]} or {@code [auto]}). Read from the
   * options' JSON so that no runner's classes are needed.
   */
  static boolean runsInThisProcess(org.apache.beam.sdk.options.PipelineOptions options) {
    String runner = options.getRunner().getSimpleName();
    if (runner.equals("DirectRunner") || runner.equals("TestPipeline") || runner.equals("CrashingRunner")) {
      return true;
    }
    if (!runner.equals("FlinkRunner") && !runner.equals("TestFlinkRunner")) {
      return false;
    }
    com.fasterxml.jackson.databind.JsonNode master = MAPPER.valueToTree(options).path("options").path("flinkMaster");
    return master.isMissingNode() || master.isNull() || Set.of("[local]", "[auto]").contains(master.asText());
  }

  /**
   * Checks {@code --outputs} against the pipeline's result kinds; an unset option is every kind.
   */
  public static void checkOutputs(SinkOptions options, OptionsCheck check, Set<String> kinds) {
    if (options.getOutputs() != null) {
      check.choices(options.getOutputs(), "outputs", kinds);
    }
  }

  /** Whether {@code --outputs} names the kind; every kind when it is unset. */
  static boolean writes(SinkOptions options, String kind) {
    return options.getOutputs() == null
        || java.util.Arrays.stream(options.getOutputs().split(","))
            .anyMatch(k -> k.trim().equalsIgnoreCase(kind));
  }

  /** Checks the dead-letter options; the chosen target is returned. */
  static String checkDeadLetter(SinkOptions options, OptionsCheck check) {
    Set<String> chosen =
        check.choices(options.getDeadLetter(), "deadLetter", Set.of(LOG, KAFKA, FILES));
    check.require(chosen.size() <= 1, "deadLetter", options.getDeadLetter(), "choose exactly one");
    String target = chosen.isEmpty() ? LOG : chosen.iterator().next();
    if (target.equals(KAFKA)) {
      check.requireSet(options.getKafkaBootstrapServers(), "kafkaBootstrapServers", "with a kafka sink");
      check.requireSet(options.getDeadLetterTopic(), "deadLetterTopic", "with --deadLetter=kafka");
    }
    if (target.equals(FILES)) {
      check.requireSet(options.getDeadLetterPath(), "deadLetterPath", "with --deadLetter=files");
    }
    return target;
  }

  /** One line of JSON for a message: proto field names, no insignificant whitespace. */
  public static String toJson(Message message) {
    try {
      return JsonFormat.printer()
          .preservingProtoFieldNames()
          .omittingInsignificantWhitespace()
          .print(message);
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalStateException("cannot print " + message.getDescriptorForType().getName(), e);
    }
  }

  /**
   * Writes JSON lines to a Kafka topic; with {@code --kafkaExactlyOnce}, in Kafka transactions
   * whose sink group is named after the topic, so that a job resumed from a savepoint or
   * restarted from a checkpoint continues the same sequence and writes no record twice; its
   * producers are {@link TransactionalProducer}s, so that an attempt that fails in the middle of a
   * transaction does not break the next attempts on the same worker.
   */
  public static void toKafka(PCollection<String> json, String name, KafkaOptions options, String topic) {
    KafkaIO.Write<Void, String> write =
        KafkaIO.<Void, String>write()
            .withBootstrapServers(options.getKafkaBootstrapServers())
            .withTopic(topic)
            .withValueSerializer(StringSerializer.class);
    if (options.getKafkaExactlyOnce()) {
      String group = exactlyOnceGroup(topic);
      write =
          write
              .withEOS(options.getKafkaExactlyOnceShards(), group)
              .withProducerFactoryFn(TransactionalProducer.<Void, String>factory(group));
    }
    json.apply(name, write.values());
  }

  /** The exactly-once sink group of a topic: stable across restarts, one per topic. */
  static String exactlyOnceGroup(String topic) {
    return "tributary-eos-" + topic;
  }

  /**
   * Writes JSON lines under {@code directory/prefix}, one file per window of {@code
   * --fileWindow} (bounded or unbounded input alike).
   */
  public static org.apache.beam.sdk.io.WriteFilesResult<Void> toFiles(
      PCollection<String> json, String name, SinkOptions options, String directory, String prefix) {
    return json.apply(name + "/Window", Window.into(FixedWindows.of(Durations.parse(options.getFileWindow()))))
        .apply(
            name + "/Write",
            TextIO.write()
                .to(directory.replaceAll("/+$", "") + "/" + prefix)
                .withSuffix(".jsonl")
                .withWindowedWrites()
                .withNumShards(1)
                .withOutputFilenames());
  }

  /**
   * Writes one kind of result where the routes say, as JSON lines: to {@code <--outputTopic><topic
   * suffix>} with a kafka sink and under {@code <--outputPath>/<kind>/<kind>-*.jsonl} with a files
   * sink; nothing otherwise. {@code kind} also names the steps, e.g. {@code alerts}.
   */
  public static <T extends Message> void results(
      PCollection<T> results, String kind, String topicSuffix, Routes routes, SinkOptions options) {
    write(results, kind, topicSuffix, routes, options, false);
  }

  /**
   * As {@link #results}, and returns the collections whose watermarks pass a result's timestamp
   * once it is written (see {@link #failuresWritten}; Kafka without transactions): what a {@link
   * CommitGate} waits for. Empty when nothing is written.
   */
  public static <T extends Message> List<PCollection<?>> resultsWritten(
      PCollection<T> results, String kind, String topicSuffix, Routes routes, SinkOptions options) {
    return write(results, kind, topicSuffix, routes, options, true);
  }

  private static <T extends Message> List<PCollection<?>> write(
      PCollection<T> results, String kind, String topicSuffix, Routes routes, SinkOptions options, boolean signal) {
    List<PCollection<?>> written = new ArrayList<>();
    if (!routes.json() || !writes(options, kind)) {
      return written;
    }
    String name = Character.toUpperCase(kind.charAt(0)) + kind.substring(1);
    PCollection<String> json =
        results.apply(name + "ToJson", ParDo.of(new ToJsonFn<T>())).setCoder(StringUtf8Coder.of());
    if (routes.sinks().contains(KAFKA)) {
      String topic = options.getOutputTopic() + topicSuffix;
      if (signal) {
        written.add(json.apply(name + "ToKafka", ParDo.of(new FlushedProduceFn(options.getKafkaBootstrapServers(), topic))));
      } else {
        toKafka(json, name + "ToKafka", options, topic);
      }
    }
    if (routes.sinks().contains(FILES)) {
      written.add(
          toFiles(json, name + "ToFiles", options, options.getOutputPath(), kind + "/" + kind)
              .getPerDestinationOutputFilenames());
    }
    return written;
  }

  /**
   * Writes the failures of every step to the routes' dead-letter target: log, Kafka or files, as
   * JSON. The steps may be windowed in any way ({@link GlobalFlatten}).
   */
  public static void failures(PCollectionList<Failure> all, Routes routes, SinkOptions options) {
    write(all, routes, options, false);
  }

  /**
   * As {@link #failures}, and returns a collection whose watermark passes a failure's timestamp
   * once the failure is written (the log line, the file, or the Kafka record flushed to the
   * broker): what a {@link CommitGate} waits for. Kafka dead letters are then written by a step
   * that flushes its producer at the end of each bundle, without Kafka transactions.
   */
  public static PCollection<?> failuresWritten(PCollectionList<Failure> all, Routes routes, SinkOptions options) {
    return write(all, routes, options, true);
  }

  private static PCollection<?> write(PCollectionList<Failure> all, Routes routes, SinkOptions options, boolean signal) {
    PCollection<Failure> failures = GlobalFlatten.of("AllFailures", all);
    String target = routes.deadLetter();
    if (target.equals(LOG)) {
      return failures.apply("LogFailures", ParDo.of(new LogFailureFn()));
    }
    PCollection<String> json =
        failures.apply("FailuresToJson", ParDo.of(new FailureJsonFn())).setCoder(StringUtf8Coder.of());
    if (target.equals(KAFKA)) {
      if (signal) {
        return json.apply(
            "FailuresToKafka", ParDo.of(new FlushedProduceFn(options.getKafkaBootstrapServers(), options.getDeadLetterTopic())));
      }
      toKafka(json, "FailuresToKafka", options, options.getDeadLetterTopic());
      return null;
    }
    return toFiles(json, "FailuresToFiles", options, options.getDeadLetterPath(), "failures").getPerDestinationOutputFilenames();
  }

  /**
   * Sends each line to a Kafka topic and flushes at the end of the bundle, so that a bundle is
   * done only once the broker has acknowledged its records (a failed send fails the bundle).
   */
  static final class FlushedProduceFn extends DoFn<String, Void> {
    private final String bootstrapServers;
    private final String topic;
    private transient org.apache.kafka.clients.producer.KafkaProducer<Void, String> producer;
    private transient java.util.List<java.util.concurrent.Future<?>> sent;

    FlushedProduceFn(String bootstrapServers, String topic) {
      this.bootstrapServers = bootstrapServers;
      this.topic = topic;
    }

    @Setup
    public void setup() {
      java.util.Map<String, Object> config = new java.util.HashMap<>();
      config.put("bootstrap.servers", bootstrapServers);
      config.put("acks", "all");
      producer =
          new org.apache.kafka.clients.producer.KafkaProducer<>(
              config, new org.apache.kafka.common.serialization.VoidSerializer(), new StringSerializer());
    }

    @StartBundle
    public void start() {
      sent = new java.util.ArrayList<>();
    }

    @ProcessElement
    public void process(@Element String line) {
      sent.add(producer.send(new org.apache.kafka.clients.producer.ProducerRecord<>(topic, line)));
    }

    @FinishBundle
    public void finish() throws Exception {
      producer.flush();
      for (java.util.concurrent.Future<?> f : sent) {
        f.get();
      }
      sent.clear();
    }

    @Teardown
    public void teardown() {
      if (producer != null) {
        producer.close();
      }
    }
  }

  /** A failure as JSON; the payload as UTF-8 text when it is, else in base64. */
  static String failureJson(Failure f) {
    byte[] payload = f.getPayload().toByteArray();
    String text = new String(payload, StandardCharsets.UTF_8);
    boolean isText = java.util.Arrays.equals(text.getBytes(StandardCharsets.UTF_8), payload);
    com.fasterxml.jackson.databind.node.ObjectNode node = MAPPER.createObjectNode();
    node.put("step", f.getStep());
    node.put("reason", f.getReason());
    if (isText) {
      node.put("payload", text);
    } else {
      node.put("payload_base64", Base64.getEncoder().encodeToString(payload));
    }
    if (f.getEventTimeMillis() != 0) {
      node.put("event_time", java.time.Instant.ofEpochMilli(f.getEventTimeMillis()).toString());
    }
    return node.toString();
  }

  /** A message as one line of JSON (see {@link #toJson}). */
  public static final class ToJsonFn<T extends Message> extends DoFn<T, String> {
    @ProcessElement
    public void process(@Element T message, OutputReceiver<String> out) {
      out.output(toJson(message));
    }
  }

  static final class FailureJsonFn extends DoFn<Failure, String> {
    @ProcessElement
    public void process(@Element Failure failure, OutputReceiver<String> out) {
      io.tributary.pipelines.dashboard.Meter.deadLetter();
      out.output(failureJson(failure));
    }
  }

  static final class LogFailureFn extends DoFn<Failure, Void> {
    private static final Logger LOG = LoggerFactory.getLogger(Sinks.class);

    @ProcessElement
    public void process(@Element Failure failure) {
      io.tributary.pipelines.dashboard.Meter.deadLetter();
      LOG.warn("failure: {}", failureJson(failure));
    }
  }
}
