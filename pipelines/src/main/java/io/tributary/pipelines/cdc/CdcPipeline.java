package io.tributary.pipelines.cdc;

import io.tributary.features.FeatureStore;
import io.tributary.io.lake.LakeSink;
import io.tributary.io.redis.RedisSettings;
import io.tributary.io.redis.RedisSink;
import io.tributary.pipelines.Tributary;
import io.tributary.pipelines.io.CommitGate;
import io.tributary.pipelines.io.Durations;
import io.tributary.pipelines.io.GlobalFlatten;
import io.tributary.pipelines.io.KafkaDiscovery;
import io.tributary.pipelines.io.Launch;
import io.tributary.pipelines.io.OptionsCheck;
import io.tributary.pipelines.io.RedisOptions;
import io.tributary.pipelines.io.Routes;
import io.tributary.pipelines.io.Sinks;
import io.tributary.pipelines.io.Sources;
import io.tributary.pipelines.io.Synthetic;
import io.tributary.proto.cdc.ChangeEvent;
import io.tributary.proto.cdc.ConnectRecord;
import io.tributary.proto.common.Failure;
import io.tributary.proto.sinks.LakeRow;
import io.tributary.transforms.cdc.CdcRouting;
import io.tributary.transforms.cdc.CdcRules;
import io.tributary.transforms.cdc.DebeziumChanges;
import io.tributary.transforms.cdc.EventStreams;
import io.tributary.transforms.cdc.capture.DebeziumCapture;
import io.tributary.transforms.coders.MessageCoder;
import io.tributary.transforms.values.Values;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.io.kafka.KafkaIO;
import org.apache.beam.sdk.io.kafka.KafkaRecord;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.Flatten;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.WithFailures;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionList;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.checkerframework.checker.nullness.qual.Nullable;
import org.joda.time.Duration;

/**
 * The cdc pipeline: Debezium change events in; a Parquet changelog lake, a fenced Redis cache of
 * the current rows and an online + offline feature store out; failures to the dead-letter sink.
 *
 * <pre>
 * it/services.sh start                         # a private Redis (and Kafka) for trying it out
 * tributary cdc --redisPort=&lt;port&gt; --maxEvents=5000 --lakePath=/tmp/lake     # synthetic, bounded
 * tributary cdc --source=kafka --kafkaBootstrapServers=localhost:9092 \
 *     --inputTopic='(orders|users|payments|inventory|shipping)\..*' --rules=rules.yaml \
 *     --logTopics=app-logs --sensorTopics=sensor-readings --redisHost=cache --redisSsl=true
 * tributary cdc --source=capture --captureProperties=orders-db.properties \
 *     --captureOffsetStore=/var/lib/tributary/orders-offsets.json --rules=rules.yaml
 * </pre>
 *
 * <p>Sources: {@code synthetic} (the default), {@code kafka} (Debezium topics written by Kafka
 * Connect) or {@code capture}: Debezium's embedded engine reading PostgreSQL or MariaDB/MySQL
 * directly, without Kafka, configured by a properties file of the connector's own properties
 * ({@link DebeziumCapture}); its offsets are kept in {@code --captureOffsetStore}, finalized with
 * Beam's checkpoints, so a restarted pipeline resumes where the last one stopped.
 *
 * <p>Steps: (1) read {@link ConnectRecord}s (synthetic {@link ChangeGenerator}, or Kafka topics
 * matching {@code --inputTopic} with key, value, topic, partition, offset and timestamp) and parse
 * them ({@link DebeziumChanges#parse}); with Kafka, also log lines and sensor readings as change
 * events of {@code app.logs} and {@code iot.sensor_minutes}; (2) route by the rules ({@link
 * CdcRouting}); (3) write lake rows and the offline feature rows ({@link FeatureStore#toLake})
 * through {@link LakeSink}, cache mutations through {@link RedisSink}, feature rows through {@link
 * FeatureStore#writeOnline}; (4) every failure to the dead-letter sink; (5) on the Direct runner,
 * with a consumer group, the Kafka offsets committed once every sink has written what was read
 * ({@link CommitGate}), so that a restart after a crash loses nothing. {@code --sink} adds a view
 * of the parsed changes: console (one line per change), kafka or files (JSON).
 */
public final class CdcPipeline {
  /** The bundled rules of the synthetic source. */
  public static final String DEFAULT_RULES = "default-rules.yaml";

  /** The embedded capture source. */
  public static final String CAPTURE = Sources.CAPTURE;

  /** Table id of log lines read from --logTopics. */
  public static final String LOGS_STREAM = "app.logs";

  /** Table id of sensor aggregates of readings from --sensorTopics. */
  public static final String SENSORS_STREAM = "iot.sensor_minutes";

  private CdcPipeline() {}

  /**
   * The results of {@link #build}: the routed changes, every failure, and the sinks' outputs
   * (lake files, cache and feature failures), whose watermarks pass a change's timestamp once
   * the change is written.
   */
  public record Outputs(CdcRouting.Routed routed, PCollection<Failure> failures, List<PCollection<?>> written) {}

  /** Checks every option (not the servers); throws one exception naming each bad option and value. */
  public static Routes validate(CdcOptions options) {
    OptionsCheck check = new OptionsCheck();
    Routes routes = Routes.check(options, check, Set.of(CAPTURE), Set.of(Sinks.DASHBOARD));
    Sinks.checkOutputs(options, check, java.util.Set.of("changes"));
    check
        .require(!routes.source().equals(Sources.FILES), "source", options.getSource(),
            "the cdc pipeline reads 'synthetic', 'kafka' or 'capture' (Debezium records need key and value)")
        .requireSet(options.getLakePath(), "lakePath", "for the data lake")
        .requirePositive(options.getEventsPerSecond(), "eventsPerSecond")
        .requirePositive(options.getRowsPerTable(), "rowsPerTable")
        .requireNonNegative(options.getSchemaChangeAt(), "schemaChangeAt");
    check.positiveDuration(options.getLakeRotation(), "lakeRotation");
    check.duration(options.getLakeDedupRetention(), "lakeDedupRetention");
    check.require(
        !options.getLakeExactlyOnce() || !Launch.lacksStableInput(options),
        "lakeExactlyOnce",
        "true",
        "on Flink needs --checkpointingInterval: each lake file is written once the checkpoint"
            + " holding its rows has completed");
    check.duration(options.getTopicDiscoveryInterval(), "topicDiscoveryInterval");
    check.duration(options.getFenceTtl(), "fenceTtl");
    RedisOptions.check(options, check);
    if (routes.source().equals(CAPTURE)) {
      check.requireSet(options.getCaptureProperties(), "captureProperties", "with --source=capture");
      check.requireSet(options.getCaptureOffsetStore(), "captureOffsetStore", "with --source=capture");
      String file = options.getCaptureProperties();
      if (file != null && !file.isBlank()) {
        try {
          CaptureProperties.read(Path.of(file));
        } catch (IllegalArgumentException e) {
          check.require(false, "captureProperties", file, e.getMessage());
        }
      }
    }
    if (!routes.source().equals(Sources.KAFKA)) {
      check.require(options.getLogTopics().isBlank(), "logTopics", options.getLogTopics(), "needs --source=kafka");
      check.require(options.getSensorTopics().isBlank(), "sensorTopics", options.getSensorTopics(), "needs --source=kafka");
    }
    try {
      rules(options);
    } catch (CdcRules.InvalidRulesException e) {
      check.require(false, "rules", options.getRules() == null ? "(bundled)" : options.getRules(), e.getMessage());
    }
    check.throwIfInvalid();
    return routes;
  }

  /** The rules of {@code --rules}, or the bundled rules of the synthetic source. */
  public static CdcRules rules(CdcOptions options) {
    if (options.getRules() != null && !options.getRules().isBlank()) {
      return CdcRules.fromFile(Path.of(options.getRules()));
    }
    try (InputStream in = CdcPipeline.class.getResourceAsStream(DEFAULT_RULES)) {
      if (in == null) {
        throw new IllegalStateException("bundled rules " + DEFAULT_RULES + " are missing");
      }
      return CdcRules.parse(new String(in.readAllBytes(), StandardCharsets.UTF_8));
    } catch (IOException e) {
      throw new IllegalStateException("cannot read bundled rules " + DEFAULT_RULES, e);
    }
  }

  /** Routing and the three sinks, from parsed changes: what tests drive. */
  public static Outputs build(PCollection<ChangeEvent> changes, CdcOptions options) {
    CdcRouting.Routed routed = changes.apply("Route", CdcRouting.route(rules(options)));
    RedisSettings redis = RedisOptions.settings(options);

    PCollection<LakeRow> offlineFeatures = routed.features().apply("FeaturesToLake", FeatureStore.toLake());
    WithFailures.Result<PCollection<String>, Failure> lake =
        PCollectionList.of(routed.lake())
            .and(offlineFeatures)
            .apply("LakeRows", Flatten.pCollections())
            .apply(
                "Lake",
                LakeSink.write(options.getLakePath())
                    .withRotation(Durations.parse(options.getLakeRotation()))
                    .withDeduplication(Durations.parse(options.getLakeDedupRetention()))
                    .withExactlyOnce(options.getLakeExactlyOnce()));
    PCollection<Failure> lakeFailures = lake.failures();
    PCollection<Failure> cacheFailures =
        routed
            .cache()
            .apply(
                "Cache",
                RedisSink.write(redis)
                    .withKeyPrefix(options.getCacheKeyPrefix())
                    .withFenceTtl(Durations.parse(options.getFenceTtl())));
    PCollection<Failure> featureFailures =
        routed
            .features()
            .apply("OnlineFeatures", FeatureStore.writeOnline(redis).withKeyPrefix(options.getFeatureKeyPrefix()));
    PCollection<Failure> failures =
        GlobalFlatten.of(
            "SinkFailures",
            PCollectionList.of(routed.failures()).and(lakeFailures).and(cacheFailures).and(featureFailures));
    return new Outputs(routed, failures, List.of(lake.output(), cacheFailures, featureFailures));
  }

  /** The change events of {@link #changes} and the failures of parsing them, one collection per input. */
  public record Changes(PCollection<ChangeEvent> changes, List<PCollection<Failure>> failures) {}

  /**
   * Step 1 after reading: Debezium records parsed into change events, beside the change events of
   * log lines ({@code logs}, as table {@value #LOGS_STREAM}) and of per-minute sensor aggregates
   * ({@code sensors}, as table {@value #SENSORS_STREAM}) when those inputs are given (null: none).
   * The aggregates are windowed (fixed minutes, late revisions within the source's delay) while
   * the other changes are not; all of them are moved to the global window before they are joined,
   * which routing and the sinks expect (they window again as they need). What the Kafka inputs of
   * {@code --inputTopic}, {@code --logTopics} and {@code --sensorTopics} feed, and what tests drive
   * with created records.
   */
  public static Changes changes(
      PCollection<ConnectRecord> records,
      @Nullable PCollection<ConnectRecord> logs,
      @Nullable PCollection<ConnectRecord> sensors,
      CdcOptions options) {
    WithFailures.Result<PCollection<ChangeEvent>, Failure> parsed =
        records.apply("ParseChanges", DebeziumChanges.parse());
    List<PCollection<ChangeEvent>> changeLists = new ArrayList<>(List.of(parsed.output()));
    List<PCollection<Failure>> failureLists = new ArrayList<>(List.of(parsed.failures()));
    if (logs != null) {
      WithFailures.Result<PCollection<io.tributary.proto.cdc.LogLine>, Failure> lines =
          logs.apply("LogValues", ParDo.of(new ValueBytesFn())).apply("ParseLogs", EventStreams.parseLogs());
      changeLists.add(lines.output().apply("LogsAsChanges", EventStreams.logsAsChanges(LOGS_STREAM)));
      failureLists.add(lines.failures());
    }
    if (sensors != null) {
      WithFailures.Result<PCollection<io.tributary.proto.cdc.SensorReading>, Failure> readings =
          sensors.apply("SensorValues", ParDo.of(new ValueBytesFn())).apply("ParseReadings", EventStreams.parseReadings());
      changeLists.add(
          readings
              .output()
              // Readings up to the source's delay behind the records read with them revise their minute.
              .apply("AggregateReadings", EventStreams.aggregateReadings().withAllowedLateness(sensorLateness(options)))
              .apply("AggregatesAsChanges", EventStreams.aggregatesAsChanges(SENSORS_STREAM)));
      failureLists.add(readings.failures());
    }
    return new Changes(GlobalFlatten.of("AllChanges", PCollectionList.of(changeLists)), List.copyOf(failureLists));
  }

  /** The whole pipeline for the options: read, parse, route, write. */
  public static Pipeline create(CdcOptions options) {
    Routes routes = validate(options);
    RedisOptions.reachableSettings(options);
    return graph(options, routes);
  }

  /** The pipeline of checked options, without contacting any server (what {@link #create} runs). */
  static Pipeline graph(CdcOptions options, Routes routes) {
    Pipeline pipeline = Pipeline.create(options);

    // 1. Read Debezium records (and, from Kafka, logs and sensor readings) as change events. On a
    // runner that keeps no state across a crash, Kafka offsets are committed after the sinks (5.).
    List<PCollection<KV<String, Long>>> marks = gated(options, routes) ? new ArrayList<>() : null;
    PCollection<ConnectRecord> records;
    if (routes.source().equals(Sources.SYNTHETIC)) {
      ChangeGenerator generator = generator(options);
      records =
          pipeline.apply(
              "SyntheticChanges",
              options.getMaxEvents() > 0
                  ? Synthetic.bounded(generator, options.getMaxEvents())
                  : Synthetic.unbounded(generator));
    } else if (routes.source().equals(CAPTURE)) {
      records = pipeline.apply("Capture", capture(options));
    } else {
      records = readKafka(pipeline, "ReadDebezium", options, options.getInputTopic(), marks);
    }
    PCollection<ConnectRecord> logs =
        options.getLogTopics().isBlank()
            ? null
            : readKafka(pipeline, "ReadLogs", options, topicsPattern(options.getLogTopics()), marks);
    PCollection<ConnectRecord> sensors =
        options.getSensorTopics().isBlank()
            ? null
            : readKafka(pipeline, "ReadSensors", options, topicsPattern(options.getSensorTopics()), marks);
    Changes parsed = changes(records, logs, sensors, options);
    PCollection<ChangeEvent> changes = parsed.changes();
    List<PCollection<Failure>> failureLists = new ArrayList<>(parsed.failures());

    // 2.-3. Route and write the lake, the cache and the feature store.
    Outputs outputs = build(changes, options);
    failureLists.add(outputs.failures());

    // Optional views of the parsed changes.
    Set<String> sinks = routes.sinks();
    List<PCollection<?>> views = new ArrayList<>();
    if (sinks.contains(Sinks.CONSOLE)) {
      views.add(changes.apply("PrintChanges", ParDo.of(new PrintChangeFn())));
    }
    if (sinks.contains(Sinks.DASHBOARD)) {
      changes.apply("DashboardMeter", ParDo.of(new io.tributary.pipelines.dashboard.Meter.RecordFn<>("cdc", ChangeEvent::getTsMs)));
      changes.apply("DashboardChanges", ParDo.of(new CdcBoard.ChangeFn()));
      outputs.routed().lake().apply("DashboardLake", ParDo.of(new CdcBoard.RoutedFn<>("lake")));
      outputs.routed().cache().apply("DashboardCache", ParDo.of(new CdcBoard.RoutedFn<>("cache")));
      outputs.routed().features().apply("DashboardFeatures", ParDo.of(new CdcBoard.RoutedFn<>("features")));
    }
    if (marks == null) {
      Sinks.results(changes, "changes", "", routes, options);
    } else {
      views.addAll(Sinks.resultsWritten(changes, "changes", "", routes, options));
    }

    // 4. Every failure, with its payload and reason, to the dead-letter sink.
    if (marks == null) {
      Sinks.failures(PCollectionList.of(failureLists), routes, options);
    } else {
      // 5. The offsets of what every sink has written, committed to the consumer group.
      List<PCollection<?>> written = new ArrayList<>(outputs.written());
      written.addAll(views);
      written.add(Sinks.failuresWritten(PCollectionList.of(failureLists), routes, options));
      PCollectionList.of(marks)
          .apply("AllMarks", Flatten.pCollections())
          .apply(
              "CommitAfterSinks",
              CommitGate.after(written, options.getKafkaBootstrapServers(), Sources.consumerSettings(options)));
    }
    return pipeline;
  }

  /** The sensor aggregates' allowed lateness: the source's delay, at least the default minute. */
  static Duration sensorLateness(CdcOptions options) {
    Duration delay = Durations.parse(options.getMaxInputDelay());
    return delay.isLongerThan(Duration.standardMinutes(1)) ? delay : Duration.standardMinutes(1);
  }

  /**
   * The arguments with the cdc pipeline's runner defaults added: on Flink ({@code
   * --runner=FlinkRunner}), {@code --objectReuse=true} unless {@code --objectReuse} is given. Flink
   * otherwise copies every change between chained steps through its coder (encoded and decoded
   * again), which took about a third of the CPU of the task that parses, routes and writes a busy
   * topic's changes; its steps never change an element they were given or have output (protocol
   * buffers, copied bytes), which is what reuse needs.
   */
  public static String[] withRunnerDefaults(String... args) {
    boolean flink = Tributary.runner(args).map(r -> Tributary.namesRunner(r, "Flink")).orElse(false);
    if (!flink || Tributary.given(args, "--objectReuse")) {
      return args;
    }
    String[] result = Arrays.copyOf(args, args.length + 1);
    result[args.length] = "--objectReuse=true";
    return result;
  }

  /** Parses the arguments, builds the pipeline and runs it to completion. */
  public static PipelineResult run(String... given) {
    String[] args = withRunnerDefaults(given);
    CdcOptions options = PipelineOptionsFactory.fromArgs(args).withValidation().as(CdcOptions.class);
    Pipeline pipeline = create(options);
    if (validate(options).sinks().contains(Sinks.DASHBOARD)) {
      CdcBoard.BOARD.update(CdcBoard::clear);
      return io.tributary.pipelines.dashboard.Dashboards.run(
          pipeline, options, CdcBoard.BOARD, CdcBoard.METER, "change data capture", r -> {});
    }
    return Launch.run(pipeline, result -> {});
  }

  static ChangeGenerator generator(CdcOptions options) {
    boolean bounded = options.getMaxEvents() > 0;
    return new ChangeGenerator(
        options.getSeed(),
        bounded ? options.getStartMillis() : System.currentTimeMillis(),
        options.getEventsPerSecond(),
        options.getRowsPerTable(),
        options.getSchemaChangeAt());
  }

  /**
   * The embedded capture of {@code --captureProperties}, its offsets in {@code
   * --captureOffsetStore}; bounded by {@code --maxInputRecords} when set.
   */
  static DebeziumCapture.Read capture(CdcOptions options) {
    DebeziumCapture.Read read =
        DebeziumCapture.read()
            .withConnectorProperties(CaptureProperties.read(Path.of(options.getCaptureProperties())))
            .withOffsetStore(options.getCaptureOffsetStore());
    if (options.getMaxInputRecords() > 0) {
      read = read.withMaxRecords(options.getMaxInputRecords());
    }
    return read;
  }

  /** A regular expression matching exactly the comma-separated topics. */
  static String topicsPattern(String topics) {
    List<String> quoted = new ArrayList<>();
    for (String t : Arrays.asList(topics.split(","))) {
      if (!t.isBlank()) {
        quoted.add(java.util.regex.Pattern.quote(t.trim()));
      }
    }
    return String.join("|", quoted);
  }

  /**
   * Kafka records of the topics matching {@code pattern} as ConnectRecords, stamped with their
   * Kafka create time (the watermark trails it by --maxInputDelay); the change parser
   * restamps Debezium records with their commit time.
   */
  static KafkaIO.Read<byte[], byte[]> kafkaRead(CdcOptions options, String pattern) {
    KafkaIO.Read<byte[], byte[]> read =
        Sources.consumer(
                KafkaIO.<byte[], byte[]>read()
                    .withBootstrapServers(options.getKafkaBootstrapServers())
                    .withTopicPattern(pattern)
                    .withKeyDeserializer(ByteArrayDeserializer.class)
                    .withValueDeserializer(ByteArrayDeserializer.class),
                options)
            .withCreateTime(Durations.parse(options.getMaxInputDelay()));
    if (options.getMaxInputRecords() > 0) {
      read = read.withMaxNumRecords(options.getMaxInputRecords());
    }
    return read;
  }

  /**
   * Whether the Kafka offsets are committed by a {@link CommitGate} once the sinks have written:
   * on the Direct runner, which keeps its state in memory, for a consumer group's unbounded read
   * (the topics listed, {@link KafkaDiscovery}). Elsewhere they are committed when the runner
   * finalizes a checkpoint, which on Flink restores the state that goes with them.
   */
  static boolean gated(CdcOptions options, Routes routes) {
    return routes.source().equals(Sources.KAFKA)
        && options.getRunner().getSimpleName().equals("DirectRunner")
        && Sources.consumerSettings(options).commits()
        && discovers(options);
  }

  private static boolean discovers(CdcOptions options) {
    return options.getMaxInputRecords() == 0 && Durations.parse(options.getTopicDiscoveryInterval()).isLongerThan(Duration.ZERO);
  }

  /** The Kafka records of {@code pattern}; with {@code marks}, a mark per record added to it. */
  private static PCollection<ConnectRecord> readKafka(
      Pipeline pipeline, String name, CdcOptions options, String pattern, @Nullable List<PCollection<KV<String, Long>>> marks) {
    PCollection<KafkaRecord<byte[], byte[]>> records;
    if (discovers(options)) {
      KafkaDiscovery discovery =
          KafkaDiscovery.of(
              options.getKafkaBootstrapServers(), pattern, options,
              Durations.parse(options.getTopicDiscoveryInterval()), Durations.parse(options.getMaxInputDelay()));
      records = pipeline.apply(name, marks == null ? discovery : discovery.withCommitsByGate());
    } else {
      records = pipeline.apply(name, kafkaRead(options, pattern));
    }
    if (marks != null) {
      marks.add(records.apply(name + "Marks", ParDo.of(new MarkFn())));
    }
    return io.tributary.pipelines.io.KafkaReplays.dropOnFlinkStreams(records, name + "DropReplays")
        .apply(name + "AsConnectRecords", ParDo.of(new ToConnectRecordFn()))
        .setCoder(MessageCoder.of(ConnectRecord.class));
  }

  /** A record's mark for the {@link CommitGate}: topic and partition, offset, the record's timestamp. */
  static final class MarkFn extends DoFn<KafkaRecord<byte[], byte[]>, KV<String, Long>> {
    @ProcessElement
    public void process(@Element KafkaRecord<byte[], byte[]> record, OutputReceiver<KV<String, Long>> out) {
      out.output(CommitGate.mark(record.getTopic(), record.getPartition(), record.getOffset()));
    }
  }

  /** A Kafka record as a ConnectRecord; null key or value stays absent (tombstones). */
  static final class ToConnectRecordFn extends DoFn<KafkaRecord<byte[], byte[]>, ConnectRecord> {
    @ProcessElement
    public void process(@Element KafkaRecord<byte[], byte[]> record, OutputReceiver<ConnectRecord> out) {
      ConnectRecord.Builder r =
          ConnectRecord.newBuilder()
              .setTopic(record.getTopic())
              .setPartition(record.getPartition())
              .setOffset(record.getOffset())
              .setTimestampMillis(record.getTimestamp());
      if (record.getKV().getKey() != null) {
        r.setKey(com.google.protobuf.ByteString.copyFrom(record.getKV().getKey()));
      }
      if (record.getKV().getValue() != null) {
        r.setValue(com.google.protobuf.ByteString.copyFrom(record.getKV().getValue()));
      }
      out.output(r.build());
    }
  }

  /** The value of a log or sensor record; a null value becomes empty bytes, which the parser reports. */
  static final class ValueBytesFn extends DoFn<ConnectRecord, byte[]> {
    @ProcessElement
    public void process(@Element ConnectRecord record, OutputReceiver<byte[]> out) {
      out.output(record.hasValue() ? record.getValue().toByteArray() : new byte[0]);
    }
  }

  /** One console line per change: op, table, key and position. */
  static final class PrintChangeFn extends DoFn<ChangeEvent, Void> {
    @ProcessElement
    public void process(@Element ChangeEvent e) {
      StringBuilder key = new StringBuilder();
      for (io.tributary.proto.values.Column c : e.getPrimaryKeyList()) {
        key.append(key.length() == 0 ? "" : ",")
            .append(c.getName())
            .append('=')
            .append(io.tributary.transforms.values.Values.toText(c.getValue()));
      }
      System.out.printf(
          Locale.ROOT,
          "%-6s %-28s %-16s %s%n",
          e.getOp(),
          e.getTableId(),
          key,
          e.getSource().getPosition().getOrderKey());
    }
  }
}
