package io.tributary.pipelines.io;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.Optional;
import java.util.Set;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.io.FileIO;
import org.apache.beam.sdk.io.kafka.CustomTimestampPolicyWithLimitedDelay;
import org.apache.beam.sdk.io.kafka.KafkaIO;
import org.apache.beam.sdk.io.kafka.KafkaRecord;
import org.apache.beam.sdk.io.kafka.TimestampPolicy;
import org.apache.beam.sdk.io.kafka.TimestampPolicyFactory;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.SerializableFunction;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.joda.time.Duration;
import org.joda.time.Instant;

/** Reads raw JSON records from the source that {@link SourceOptions} names. */
public final class Sources {
  public static final String SYNTHETIC = "synthetic";
  public static final String KAFKA = "kafka";
  public static final String FILES = "files";
  /** The embedded Debezium capture, which the cdc pipeline alone reads. */
  public static final String CAPTURE = "capture";

  private Sources() {}

  /**
   * Checks the source options; the chosen source is returned. {@code extraSources} are the
   * pipeline's own sources beside synthetic, kafka and files; the pipeline checks their options.
   */
  static String check(SourceOptions options, OptionsCheck check, Set<String> extraSources) {
    Set<String> allowed = new java.util.TreeSet<>(extraSources);
    allowed.addAll(Set.of(SYNTHETIC, KAFKA, FILES));
    Set<String> chosen = check.choices(options.getSource(), "source", allowed);
    check.require(chosen.size() <= 1, "source", options.getSource(), "choose exactly one source");
    String source = chosen.isEmpty() ? SYNTHETIC : chosen.iterator().next();
    if (source.equals(KAFKA)) {
      check.requireSet(options.getKafkaBootstrapServers(), "kafkaBootstrapServers", "with --source=kafka");
      check.requireSet(options.getInputTopic(), "inputTopic", "with --source=kafka");
      check.duration(options.getMaxInputDelay(), "maxInputDelay");
      check.requireNonNegative(options.getMaxInputRecords(), "maxInputRecords");
      check.choices(options.getInputOffsetReset(), "inputOffsetReset", Set.of("earliest", "latest"));
      consumerProperties(options, check);
    }
    if (source.equals(FILES)) {
      check.requireSet(options.getInputFiles(), "inputFiles", "with --source=files");
    }
    check.requireNonNegative(options.getMaxEvents(), "maxEvents");
    return source;
  }

  /**
   * The raw records of a kafka or files source. Kafka records are timestamped with the event time
   * in their JSON (field {@code --eventTimeField}) and the watermark trails the largest one by
   * {@code --maxInputDelay}; a record without a readable event time keeps its Kafka
   * timestamp (it still reaches the parser, which reports it). A Kafka tombstone becomes an empty
   * payload, which the parser reports.
   */
  public static PCollection<byte[]> readJson(Pipeline pipeline, Routes routes, SourceOptions options) {
    String source = routes.source();
    if (source.equals(FILES)) {
      return pipeline
          .apply("MatchFiles", FileIO.match().filepattern(options.getInputFiles()))
          .apply("OpenFiles", FileIO.readMatches())
          .apply("ReadLines", ParDo.of(new ReadLinesFn()));
    }
    if (!source.equals(KAFKA)) {
      throw new IllegalArgumentException("--source=" + options.getSource() + " has no raw records");
    }
    KafkaIO.Read<byte[], byte[]> read =
        consumer(
            KafkaIO.<byte[], byte[]>read()
                .withBootstrapServers(options.getKafkaBootstrapServers())
                .withTopic(options.getInputTopic())
                .withKeyDeserializer(ByteArrayDeserializer.class)
                .withValueDeserializer(ByteArrayDeserializer.class),
            options)
            .withTimestampPolicyFactory(
                new EventTimePolicyFactory(
                    options.getEventTimeField(),
                    Durations.parse(options.getMaxInputDelay())));
    if (options.getMaxInputRecords() > 0) {
      read = read.withMaxNumRecords(options.getMaxInputRecords());
    }
    return KafkaReplays.dropOnFlinkStreams(pipeline.apply("ReadKafka", read), "DropKafkaReplays")
        .apply("RecordValues", ParDo.of(new RecordValueFn()));
  }

  /**
   * The consumer settings of a Kafka read: {@code auto.offset.reset} from {@code
   * --inputOffsetReset}, {@code --consumerProperties}, and with {@code --consumerGroup} the group
   * and offsets committed when the runner finalizes a checkpoint.
   */
  public static <K, V> KafkaIO.Read<K, V> consumer(KafkaIO.Read<K, V> read, SourceOptions options) {
    ConsumerSettings settings = consumerSettings(options);
    read = read.withConsumerConfigUpdates(settings.config()).withConsumerFactoryFn(settings.factory());
    return settings.commits() ? read.commitOffsetsInFinalize() : read;
  }

  /**
   * A Kafka read's consumer settings: {@code config}, which KafkaIO shows in its display data,
   * and {@code factory}, which creates the consumers with the password settings added.
   */
  public record ConsumerSettings(java.util.Map<String, Object> config, ConsumerFactory factory)
      implements java.io.Serializable {
    /** Whether a consumer group is set, whose offsets the read commits. */
    public boolean commits() {
      return config.containsKey("group.id");
    }
  }

  /**
   * The consumer settings of {@link #consumer}: {@code auto.offset.reset}, {@code
   * --consumerProperties}, and with {@code --consumerGroup} {@code group.id} with auto-commit off
   * (the reader commits when the runner finalizes a checkpoint). Settings of Kafka's password type
   * ({@code sasl.jaas.config}, {@code ssl.key.password}, ...) and any key naming a password are
   * kept apart, in the consumer factory.
   */
  public static ConsumerSettings consumerSettings(SourceOptions options) {
    java.util.Map<String, Object> config = new java.util.HashMap<>();
    java.util.Map<String, String> secrets = new java.util.TreeMap<>();
    consumerProperties(options, null).forEach((key, value) -> {
      if (isSecret(key)) {
        secrets.put(key, String.valueOf(value));
      } else {
        config.put(key, value);
      }
    });
    config.put("auto.offset.reset", options.getInputOffsetReset().trim().toLowerCase(java.util.Locale.ROOT));
    String group = options.getConsumerGroup();
    if (group != null && !group.isBlank()) {
      config.put("group.id", group.trim());
      config.put("enable.auto.commit", false);
    }
    return new ConsumerSettings(config, new ConsumerFactory(secrets));
  }

  /** Whether a consumer setting holds a secret: Kafka's password type, or a key naming one. */
  static boolean isSecret(String key) {
    org.apache.kafka.common.config.ConfigDef.ConfigKey known =
        org.apache.kafka.clients.consumer.ConsumerConfig.configDef().configKeys().get(key);
    String lower = key.toLowerCase(java.util.Locale.ROOT);
    return (known != null && known.type == org.apache.kafka.common.config.ConfigDef.Type.PASSWORD)
        || lower.contains("password")
        || lower.contains("secret")
        || lower.endsWith("jaas.config");
  }

  /**
   * {@code --consumerProperties} as a map; problems go to {@code check} (or an exception when it
   * is null). The group and auto-commit have options of their own and are refused here.
   */
  static java.util.Map<String, Object> consumerProperties(SourceOptions options, OptionsCheck check) {
    java.util.Map<String, Object> out = new java.util.TreeMap<>();
    String all = options.getConsumerProperties();
    if (all == null || all.isBlank()) {
      return out;
    }
    for (String pair : all.split(",")) {
      int eq = pair.indexOf('=');
      String key = eq < 0 ? pair.trim() : pair.substring(0, eq).trim();
      String problem = null;
      if (eq <= 0 || key.isEmpty()) {
        problem = "'" + pair.trim() + "' is not key=value";
      } else if (key.equals("group.id") || key.equals("enable.auto.commit")) {
        problem = "set " + key + " with --consumerGroup (offsets are committed when checkpoints are finalized)";
      }
      if (problem != null) {
        if (check == null) {
          throw new IllegalArgumentException("--consumerProperties=" + all + ": " + problem);
        }
        check.require(false, "consumerProperties", all, problem);
        continue;
      }
      out.put(key, pair.substring(eq + 1).trim());
    }
    return out;
  }

  /** Timestamps Kafka records with the event time field of their JSON value. */
  static final class EventTimePolicyFactory implements TimestampPolicyFactory<byte[], byte[]> {
    private final String field;
    private final Duration maxDelay;

    EventTimePolicyFactory(String field, Duration maxDelay) {
      this.field = field;
      this.maxDelay = maxDelay;
    }

    @Override
    public TimestampPolicy<byte[], byte[]> createTimestampPolicy(
        TopicPartition partition, Optional<Instant> previousWatermark) {
      return new CustomTimestampPolicyWithLimitedDelay<>(
          new EventTimeFn(field), maxDelay, previousWatermark);
    }
  }

  /** The event time in a record's JSON value, else the record's own timestamp. */
  static final class EventTimeFn implements SerializableFunction<KafkaRecord<byte[], byte[]>, Instant> {
    private static final ObjectMapper MAPPER = new ObjectMapper();
    private final String field;

    EventTimeFn(String field) {
      this.field = field;
    }

    @Override
    public Instant apply(KafkaRecord<byte[], byte[]> record) {
      Instant fallback = new Instant(record.getTimestamp());
      byte[] value = record.getKV().getValue();
      if (value == null) {
        return fallback;
      }
      try {
        JsonNode node = MAPPER.readTree(value).get(field);
        if (node == null) {
          return fallback;
        }
        if (node.isIntegralNumber()) {
          return new Instant(node.asLong());
        }
        return new Instant(java.time.Instant.parse(node.asText()).toEpochMilli());
      } catch (java.io.IOException | RuntimeException e) {
        return fallback;
      }
    }
  }

  static final class RecordValueFn extends DoFn<KafkaRecord<byte[], byte[]>, byte[]> {
    @ProcessElement
    public void process(@Element KafkaRecord<byte[], byte[]> record, OutputReceiver<byte[]> out) {
      byte[] value = record.getKV().getValue();
      out.output(value == null ? new byte[0] : value);
    }
  }

  /**
   * The lines of a file as they are on disk, without their line ends ({@code \n} or {@code
   * \r\n}): bytes, not text, so a line that is not valid UTF-8 reaches the parser (and the dead
   * letters) unchanged rather than with replacement characters. Compressed files are read
   * decompressed by their extension.
   */
  static final class ReadLinesFn extends DoFn<FileIO.ReadableFile, byte[]> {
    @ProcessElement
    public void process(@Element FileIO.ReadableFile file, OutputReceiver<byte[]> out) throws java.io.IOException {
      try (java.io.InputStream in = java.nio.channels.Channels.newInputStream(file.open())) {
        byte[] buffer = new byte[1 << 16];
        java.io.ByteArrayOutputStream line = new java.io.ByteArrayOutputStream();
        for (int n = in.read(buffer); n >= 0; n = in.read(buffer)) {
          int from = 0;
          for (int i = 0; i < n; i++) {
            if (buffer[i] == '\n') {
              line.write(buffer, from, i - from);
              out.output(withoutCr(line.toByteArray()));
              line.reset();
              from = i + 1;
            }
          }
          line.write(buffer, from, n - from);
        }
        if (line.size() > 0) {
          out.output(withoutCr(line.toByteArray()));
        }
      }
    }

    private static byte[] withoutCr(byte[] line) {
      return line.length > 0 && line[line.length - 1] == '\r' ? java.util.Arrays.copyOf(line, line.length - 1) : line;
    }
  }
}
