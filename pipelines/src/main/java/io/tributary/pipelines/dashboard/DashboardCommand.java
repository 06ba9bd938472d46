package io.tributary.pipelines.dashboard;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.util.JsonFormat;
import io.tributary.pipelines.activity.ActivityBoard;
import io.tributary.pipelines.activity.ActivityPipeline;
import io.tributary.pipelines.io.KafkaOptions;
import io.tributary.pipelines.io.OptionsCheck;
import io.tributary.proto.activity.ActivitySnapshot;
import io.tributary.proto.activity.SessionSummary;
import io.tributary.proto.activity.ViewCount;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.beam.sdk.options.Default;
import org.apache.beam.sdk.options.Description;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code tributary dashboard}: the dashboard of a pipeline that runs elsewhere (a Flink cluster,
 * Dataflow), served from the results it writes to Kafka ({@code --sink=kafka}).
 *
 * <pre>
 * tributary dashboard --kafkaBootstrapServers=broker:9092 --inputTopic=activity
 * </pre>
 *
 * <p>For the activity page it reads the snapshot topic and, beside it, {@code <topic>.sessions}
 * and {@code <topic>.trend} (the pipeline's own topic names), from their beginning by default, so
 * the page shows the same state as an in-process run. It reads every partition without a
 * consumer group (it commits nothing). A record that is not a result is logged with its topic,
 * partition and offset and counted on the page (operations strip), never dropped silently.
 */
public final class DashboardCommand implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(DashboardCommand.class);

  /** Options of {@code tributary dashboard}. */
  public interface Options extends KafkaOptions, DashboardOptions {
    @Description("Which page the topics feed: 'activity'.")
    @Default.String("activity")
    String getPage();

    void setPage(String page);

    @Description(
        "The pipeline's result topic (its --outputTopic); for activity, <topic>.sessions and"
            + " <topic>.trend are read too.")
    String getInputTopic();

    void setInputTopic(String topic);

    @Description("Read the topics from their beginning (default), or only what is written from now on.")
    @Default.Boolean(true)
    boolean getFromBeginning();

    void setFromBeginning(boolean fromBeginning);

    @Description("Source to read: 'kafka' (the only one).")
    @Default.String("kafka")
    String getSource();

    void setSource(String source);
  }

  private final DashboardServer server;
  private final Thread reader;
  private final AtomicBoolean running = new AtomicBoolean(true);

  private DashboardCommand(DashboardServer server, Options options, List<String> topics, Board<ActivityBoard> board) {
    this.server = server;
    this.reader = new Thread(() -> read(options, topics, board), "tributary-dashboard-kafka");
    this.reader.setDaemon(true);
  }

  /** Checks the options; one exception names every bad one. */
  static void validate(Options options) {
    OptionsCheck check = new OptionsCheck();
    check.choices(options.getSource(), "source", Set.of("kafka"));
    check.choices(options.getPage(), "page", Set.of("activity"));
    check.requireSet(options.getKafkaBootstrapServers(), "kafkaBootstrapServers", "to read results from Kafka");
    check.requireSet(options.getInputTopic(), "inputTopic", "(the pipeline's --outputTopic)");
    check.throwIfInvalid();
  }

  /** Starts the server and the topic reader. */
  public static DashboardCommand start(Options options) {
    validate(options);
    Board<ActivityBoard> board = ActivityBoard.BOARD;
    board.update(
        m -> {
          m.clear();
          m.fromResults();
        });
    String topic = options.getInputTopic();
    List<String> topics =
        List.of(topic, topic + ActivityPipeline.SESSIONS_TOPIC_SUFFIX, topic + ActivityPipeline.TREND_TOPIC_SUFFIX);
    DashboardServer server =
        DashboardServer.start(options.getDashboardHost(), options.getDashboardPort(), List.of(board), () -> {});
    DashboardCommand command = new DashboardCommand(server, options, topics, board);
    command.reader.start();
    return command;
  }

  public DashboardServer server() {
    return server;
  }

  private void read(Options options, List<String> topics, Board<ActivityBoard> board) {
    Properties props = new Properties();
    props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, options.getKafkaBootstrapServers());
    props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
    props.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
    props.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
    JsonFormat.Parser parser = JsonFormat.parser().ignoringUnknownFields();
    try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(props)) {
      List<TopicPartition> partitions = new ArrayList<>();
      while (running.get() && partitions.isEmpty()) {
        for (String t : topics) {
          List<PartitionInfo> infos = consumer.partitionsFor(t, Duration.ofSeconds(10));
          if (infos != null) {
            infos.forEach(p -> partitions.add(new TopicPartition(p.topic(), p.partition())));
          }
        }
        if (partitions.isEmpty()) {
          LOG.info("waiting for topics {} to exist", topics);
          Thread.sleep(1000);
        }
      }
      consumer.assign(partitions);
      if (options.getFromBeginning()) {
        consumer.seekToBeginning(partitions);
      } else {
        consumer.seekToEnd(partitions);
      }
      while (running.get()) {
        for (ConsumerRecord<String, String> r : consumer.poll(Duration.ofMillis(200))) {
          try {
            apply(parser, topics, r, board);
          } catch (InvalidProtocolBufferException | RuntimeException e) {
            LOG.warn("{}/{}@{}: not a result of the activity pipeline: {}", r.topic(), r.partition(), r.offset(), e.getMessage());
            board.update(m -> m.unreadable());
          }
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (RuntimeException e) {
      if (running.get()) {
        LOG.error("reading {} failed; the page keeps its last state", topics, e);
      }
    }
  }

  private static void apply(
      JsonFormat.Parser parser, List<String> topics, ConsumerRecord<String, String> r, Board<ActivityBoard> board)
      throws InvalidProtocolBufferException {
    if (r.value() == null) {
      throw new IllegalArgumentException("empty record");
    }
    if (r.topic().equals(topics.get(0))) {
      ActivitySnapshot.Builder b = ActivitySnapshot.newBuilder();
      parser.merge(r.value(), b);
      long now = System.currentTimeMillis();
      ActivitySnapshot s = b.build();
      board.update(m -> m.add(s, now));
    } else if (r.topic().equals(topics.get(1))) {
      SessionSummary.Builder b = SessionSummary.newBuilder();
      parser.merge(r.value(), b);
      SessionSummary s = b.build();
      board.quietly(m -> m.add(s));
    } else {
      ViewCount.Builder b = ViewCount.newBuilder();
      parser.merge(r.value(), b);
      ViewCount c = b.build();
      board.update(m -> m.add(c));
    }
  }

  @Override
  public void close() throws InterruptedException {
    running.set(false);
    reader.join(10_000);
    server.close();
  }

  /** {@code tributary dashboard [--option=value ...]}: serves until the process is stopped. */
  public static void run(String... args) {
    Options options = PipelineOptionsFactory.fromArgs(args).withValidation().as(Options.class);
    DashboardCommand command = start(options);
    System.out.println("Tributary " + options.getPage() + " dashboard: " + command.server.address(options.getPage()));
    try {
      command.reader.join();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
