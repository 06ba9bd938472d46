package io.tributary.io.lake;

import com.google.auto.value.AutoValue;
import io.tributary.proto.common.Failure;
import io.tributary.proto.sinks.LakeRow;
import io.tributary.proto.values.Column;
import io.tributary.proto.values.ColumnSchema;
import io.tributary.proto.values.Value;
import io.tributary.transforms.coders.MessageCoder;
import io.tributary.transforms.errors.Failures;
import io.tributary.transforms.values.Values;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.WritableByteChannel;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.apache.avro.LogicalTypes;
import org.apache.avro.Schema;
import org.apache.avro.SchemaBuilder;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;
import org.apache.beam.sdk.coders.BooleanCoder;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.ListCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.coders.VarIntCoder;
import org.apache.beam.sdk.coders.VarLongCoder;
import org.apache.beam.sdk.io.FileSystems;
import org.apache.beam.sdk.io.fs.EmptyMatchTreatment;
import org.apache.beam.sdk.io.fs.MatchResult;
import org.apache.beam.sdk.io.fs.ResolveOptions.StandardResolveOptions;
import org.apache.beam.sdk.io.fs.ResourceId;
import org.apache.beam.sdk.io.parquet.ParquetIO;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.metrics.Metrics;
import org.apache.beam.sdk.state.BagState;
import org.apache.beam.sdk.state.MapState;
import org.apache.beam.sdk.state.StateSpec;
import org.apache.beam.sdk.state.StateSpecs;
import org.apache.beam.sdk.state.TimeDomain;
import org.apache.beam.sdk.state.Timer;
import org.apache.beam.sdk.state.TimerSpec;
import org.apache.beam.sdk.state.TimerSpecs;
import org.apache.beam.sdk.state.ValueState;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.WithFailures;
import org.apache.beam.sdk.transforms.display.DisplayData;
import org.apache.beam.sdk.transforms.windowing.GlobalWindow;
import org.apache.beam.sdk.transforms.windowing.GlobalWindows;
import org.apache.beam.sdk.transforms.windowing.Window;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionTuple;
import org.apache.beam.sdk.values.TupleTag;
import org.apache.beam.sdk.values.TupleTagList;
import org.joda.time.Duration;
import org.joda.time.Instant;

/**
 * The data lake: an append-only changelog of {@link LakeRow}s in Parquet files (written with
 * Beam's {@link ParquetIO} sink through Beam's {@link FileSystems}, so any Beam filesystem
 * works), one dataset per table, partitioned Hive-style by commit time:
 *
 * <pre>{@code
 * <directory>/table=<dataset>/dt=2024-03-01/hr=10/part-<schema version>-<run>-<shard>-<sequence>.parquet
 * }</pre>
 *
 * <pre>{@code
 * PCollection<Failure> unwritable =
 *     routed.lake().apply("Lake", LakeSink.write("/data/lake").withRotation(Duration.standardMinutes(1)))
 *         .failures();
 * }</pre>
 *
 * <p>Each file has the columns {@code _op} (c, u, d, r, t), {@code _position} (the source position
 * order key), {@code _commit_time} (timestamp-millis) and then the
 * row's columns in table order, all nullable. Column types follow the change's schema: integers
 * long, float/double double, boolean, bytes, dates int (date), times long (time-micros), wall-clock
 * timestamps long (local-timestamp-micros), zoned timestamps long (timestamp-micros), and
 * decimals, JSON, UUIDs, strings, structs and columns of unknown type (records read without
 * schemas) as strings ({@link Values#toText}).
 *
 * <p>Schema changes: the Avro schema is derived from each row's declared columns, and rows of
 * different column lists go to different files (the schema version is in the file name), so a
 * column added upstream appears in the files written after it, while earlier files keep their
 * columns; readers that merge schemas by name (Spark, Trino, DuckDB) see the new column as null in
 * old files.
 *
 * <p>Nothing is late: the rows are gathered per file in the global window, in the state of a
 * keyed step, and a file is written once per {@link #withRotation rotation} (default 1 minute of
 * processing time after its first row), when it reaches {@link #withMaxRowsPerFile} rows, and
 * when the input ends. The watermark therefore never drops a row, however far behind it the row's
 * commit time is (a capture that was down, a replay): the row goes to the next file of its commit
 * hour's partition. A file's name holds the run (a random id per pipeline construction: the one
 * that wrote the file key's first file) and a sequence number, both kept in the file key's state,
 * so files of a later run, or of later rows of an hour already written, never replace earlier
 * ones, while a retried write replaces its own file with the same rows. Across a job failure and
 * restore from a checkpoint the lake is at least once (the restored job may cut the rows it
 * gathers again into files differently), or exactly once {@link #withExactlyOnce with stable
 * input}. Files appear atomically (written under a hidden temporary name, then renamed). Works
 * bounded and unbounded, the same way on every runner (no trigger, no continuation trigger).
 * The output is the path of each file written, relative to the directory; counters {@code files}
 * and {@code rows}.
 *
 * <p>Redeliveries are written once: a row with a source position that equals, in every field, a
 * row written less than the {@link #withDeduplication retention} (default 10 minutes of event time)
 * before it is dropped (counter {@code redeliveries}). This removes what a capture restart sends
 * again (Debezium resends the changes after its last flushed offset, with the same positions and
 * images), while two different changes at one position (the rows of one snapshot) are both
 * written. Rows without a position (event streams) are never deduplicated. A pipeline started
 * afresh (after a crash, or a Direct runner's restart from committed offsets) first reads the rows
 * of each dataset's files written within the retention, so the changes it reads again and had
 * already written are not written twice (counters {@code filesRead}, {@code redeliveries}).
 *
 * <p>Watermark: while a file key gathers rows, the step holds its output watermark at the earliest
 * timestamp among them (late rows included), so the watermark after the sink passes a row's
 * timestamp only once the row is in a file; a {@code CommitGate} waits for that before it commits
 * the offsets of the records read.
 *
 * <p>Failures: a row the Parquet writer cannot take (no dataset, a value that does not fit its
 * declared type, e.g. text in an int64 column) goes to {@code failures()} with its bytes and the
 * reason, before any file is opened; it never fails a bundle (counter {@code unwritable}).
 */
@AutoValue
public abstract class LakeSink
    extends PTransform<PCollection<LakeRow>, WithFailures.Result<PCollection<String>, Failure>> {

  /** The step name in failure records. */
  public static final String STEP = "WriteLake";

  /** Namespace of the sink's counters. */
  public static final String METRICS_NAMESPACE = "tributary.lake";

  /** Writes the changelog under {@code directory} (any Beam filesystem path). */
  public static LakeSink write(String directory) {
    return new AutoValue_LakeSink.Builder()
        .setDirectory(directory)
        .setRotation(Duration.standardMinutes(1))
        .setDeduplication(Duration.standardMinutes(10))
        .setShards(1)
        .setMaxRowsPerFile(1_000_000)
        .setExactlyOnce(false)
        .build();
  }

  abstract String getDirectory();

  abstract Duration getRotation();

  abstract Duration getDeduplication();

  abstract int getShards();

  abstract int getMaxRowsPerFile();

  abstract boolean getExactlyOnce();

  abstract Builder toBuilder();

  @AutoValue.Builder
  abstract static class Builder {
    abstract Builder setDirectory(String d);

    abstract Builder setRotation(Duration d);

    abstract Builder setDeduplication(Duration d);

    abstract Builder setShards(int n);

    abstract Builder setMaxRowsPerFile(int n);

    abstract Builder setExactlyOnce(boolean exactlyOnce);

    abstract LakeSink build();
  }

  /**
   * How long (processing time) a partition's file gathers rows after its first one before it is
   * written (default 1 minute): the lake's latency, against the number of files.
   */
  public LakeSink withRotation(Duration rotation) {
    return toBuilder().setRotation(rotation).build();
  }

  /**
   * How long (event time: the watermark past a row's timestamp) a row is remembered to recognize
   * its redelivery (default 10 minutes; {@link Duration#ZERO}: no deduplication). Set it above
   * the longest capture outage to be bridged plus the source's delay; the state holds one
   * fingerprint per row written within it.
   */
  public LakeSink withDeduplication(Duration retention) {
    return toBuilder().setDeduplication(retention).build();
  }

  /**
   * Files per partition, schema version and rotation (default 1): rows are spread over the shards
   * by a hash of their bytes, so that more workers can write one busy partition.
   */
  public LakeSink withShards(int shards) {
    return toBuilder().setShards(shards).build();
  }

  /**
   * Most rows in one file (default 1,000,000): a file is written when its partition has gathered
   * this many rows, even before the rotation time is up.
   */
  public LakeSink withMaxRowsPerFile(int rows) {
    return toBuilder().setMaxRowsPerFile(rows).build();
  }

  /**
   * Whether every row is in exactly one file across job failures and restores (default false: at
   * least once across a restore from a checkpoint). When on, each file is written only once the
   * runner has made its rows durable ({@link DoFn.RequiresStableInput}): on Flink, once the
   * checkpoint holding them completes, so a file appears up to a checkpoint interval later, and the
   * job needs checkpointing; on Dataflow the runner keeps the input stable itself; the Direct
   * runner, which keeps no state across a crash, writes as before. Batches awaiting their
   * checkpoint are held in the runner's state, up to {@link #withMaxRowsPerFile} rows each.
   *
   * <p>On Beam 2.62's Flink runner, run such a job with {@code --numConcurrentCheckpoints=8} (the
   * pipelines' launcher sets it): with Flink's default of one concurrent checkpoint the runner
   * keeps two buffers of held input, and after a restore or a checkpoint that did not complete it
   * can release input before its own checkpoint completes.
   */
  public LakeSink withExactlyOnce(boolean exactlyOnce) {
    return toBuilder().setExactlyOnce(exactlyOnce).build();
  }

  @Override
  public WithFailures.Result<PCollection<String>, Failure> expand(PCollection<LakeRow> input) {
    if (!getRotation().isLongerThan(Duration.ZERO)) {
      throw new IllegalArgumentException("LakeSink: rotation must be positive, got " + getRotation());
    }
    if (getShards() <= 0) {
      throw new IllegalArgumentException("LakeSink: shards must be positive, got " + getShards());
    }
    if (getMaxRowsPerFile() <= 0) {
      throw new IllegalArgumentException("LakeSink: rows per file must be positive, got " + getMaxRowsPerFile());
    }
    if (getDeduplication().isShorterThan(Duration.ZERO)) {
      throw new IllegalArgumentException("LakeSink: deduplication retention must not be negative, got " + getDeduplication());
    }
    PCollectionTuple checked =
        input.apply(
            "CheckRows",
            ParDo.of(new CheckRowFn()).withOutputTags(WRITABLE, TupleTagList.of(UNWRITABLE)));
    PCollection<Failure> failures = checked.get(UNWRITABLE).setCoder(Failures.coder());
    PCollection<LakeRow> rows = checked.get(WRITABLE).setCoder(MessageCoder.of(LakeRow.class));
    if (getDeduplication().isLongerThan(Duration.ZERO)) {
      rows =
          rows.apply("KeyByDataset", ParDo.of(new KeyByDatasetFn()))
              .setCoder(KvCoder.of(StringUtf8Coder.of(), MessageCoder.of(LakeRow.class)))
              .apply("DropRedeliveries", ParDo.of(new DropRedeliveriesFn(getDirectory(), getDeduplication())))
              .setCoder(MessageCoder.of(LakeRow.class));
    }
    String run = UUID.randomUUID().toString().replace("-", "").substring(0, 12);
    PCollection<KV<String, LakeRow>> byFile =
        rows.apply("Rotate", Window.<LakeRow>into(new GlobalWindows()))
            .apply("KeyByFile", ParDo.of(new KeyByFileFn(getShards())))
            .setCoder(KvCoder.of(StringUtf8Coder.of(), MessageCoder.of(LakeRow.class)));
    PCollection<KV<String, Long>> files;
    if (getExactlyOnce()) {
      files =
          byFile
              .apply("GatherFiles", ParDo.of(new GatherFilesFn(run, getRotation(), getMaxRowsPerFile())))
              .setCoder(KvCoder.of(StringUtf8Coder.of(), ListCoder.of(MessageCoder.of(LakeRow.class))))
              .apply("WriteFiles", ParDo.of(new WriteBatchFn(getDirectory())));
    } else {
      files =
          byFile.apply(
              "WriteFiles", ParDo.of(new WriteFilesFn(getDirectory(), run, getRotation(), getMaxRowsPerFile())));
    }
    PCollection<String> written =
        files
            .setCoder(KvCoder.of(StringUtf8Coder.of(), VarLongCoder.of()))
            .apply("CountFiles", ParDo.of(new CountFilesFn()))
            .setCoder(StringUtf8Coder.of());
    return WithFailures.Result.of(written, failures);
  }

  private static final TupleTag<LakeRow> WRITABLE = new TupleTag<LakeRow>() {};
  private static final TupleTag<Failure> UNWRITABLE = new TupleTag<Failure>() {};

  /**
   * A row's identity for the redelivery check, as it is in a file: the first 128 bits of SHA-256
   * over its dataset and its Avro record (the file's columns, {@code _op}, {@code _position} and
   * {@code _commit_time} among them) in Avro's binary encoding. The same for a row and for the
   * record a Parquet reader reads back from its file, so files already written can be recognized.
   */
  static String fingerprint(String dataset, GenericRecord record) {
    try {
      MessageDigest sha = MessageDigest.getInstance("SHA-256");
      sha.update(dataset.getBytes(java.nio.charset.StandardCharsets.UTF_8));
      sha.update((byte) 0);
      java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
      org.apache.avro.io.BinaryEncoder encoder = org.apache.avro.io.EncoderFactory.get().binaryEncoder(bytes, null);
      new org.apache.avro.generic.GenericDatumWriter<GenericRecord>(record.getSchema()).write(record, encoder);
      encoder.flush();
      return HexFormat.of().formatHex(sha.digest(bytes.toByteArray()), 0, 16);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is missing from this JVM", e);
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  /**
   * Keys each row by its dataset. One key per dataset keeps the Direct runner fast: it copies a
   * key's state and evaluates a bundle per key and bundle, so that 16 keys per dataset made a
   * 20,000-change run 1.5x slower than one key; the step itself needs a fraction of a core per
   * dataset at thousands of rows per second.
   */
  static final class KeyByDatasetFn extends DoFn<LakeRow, KV<String, LakeRow>> {
    @ProcessElement
    public void process(@Element LakeRow row, OutputReceiver<KV<String, LakeRow>> out) {
      out.output(KV.of(row.getDataset(), row));
    }
  }

  /**
   * Drops a positioned row equal to one seen within the retention (event time past the row's
   * timestamp). The fingerprints are pruned by one event-time timer per key, at most four times
   * per retention; works in the global window, so it never drops a row for lateness.
   *
   * <p>Across restarts: the first row of a dataset that the step sees with empty state (a
   * pipeline started afresh, after a crash or not) has the step read the rows of the dataset's
   * files written within the retention before (by the files' modification time), whose
   * fingerprints it then keeps as it keeps its own, for the retention after the later of their
   * commit time and their file's. So a restarted pipeline that reads again what it had written
   * (the Direct runner after a {@code kill -9}) writes none of it twice (counter {@code
   * redeliveriesOfFiles}; {@code filesRead}).
   */
  static final class DropRedeliveriesFn extends DoFn<KV<String, LakeRow>, LakeRow> {
    private final String directory;
    private final long retentionMillis;
    private final Counter redeliveries = Metrics.counter(METRICS_NAMESPACE, "redeliveries");
    private final Counter filesRead = Metrics.counter(METRICS_NAMESPACE, "filesRead");
    private transient Map<LakeRow, Schema> schemas;

    @StateId("seeded")
    private final StateSpec<ValueState<Boolean>> seededSpec = StateSpecs.value(BooleanCoder.of());

    @StateId("seen")
    private final StateSpec<MapState<String, Long>> seenSpec =
        StateSpecs.map(StringUtf8Coder.of(), VarLongCoder.of());

    @StateId("pruneAt")
    private final StateSpec<ValueState<Long>> pruneAtSpec = StateSpecs.value(VarLongCoder.of());

    @TimerId("prune")
    private final TimerSpec pruneSpec = TimerSpecs.timer(TimeDomain.EVENT_TIME);

    DropRedeliveriesFn(String directory, Duration retention) {
      this.directory = directory;
      this.retentionMillis = retention.getMillis();
    }

    @Setup
    public void setup() {
      schemas = schemaCache();
    }

    @ProcessElement
    public void process(
        @Element KV<String, LakeRow> element,
        @Timestamp Instant timestamp,
        @StateId("seen") MapState<String, Long> seen,
        @StateId("pruneAt") ValueState<Long> pruneAt,
        @StateId("seeded") ValueState<Boolean> seeded,
        @TimerId("prune") Timer prune,
        OutputReceiver<LakeRow> out)
        throws IOException {
      LakeRow row = element.getValue();
      if (seeded.read() == null) {
        seeded.write(true);
        long earliest = seed(element.getKey(), seen);
        if (earliest != Long.MAX_VALUE && pruneAt.read() == null) {
          schedule(earliest, pruneAt, prune);
        }
      }
      if (row.getPosition().isEmpty()) {
        out.output(row);
        return;
      }
      String id = fingerprint(row.getDataset(), toRecord(schemaOf(schemas, row), row));
      if (seen.get(id).read() != null) {
        redeliveries.inc();
        return;
      }
      long expiry = expiry(timestamp.getMillis());
      seen.put(id, expiry);
      if (pruneAt.read() == null) {
        schedule(expiry, pruneAt, prune);
      }
      out.output(row);
    }

    /**
     * Adds the fingerprints of the positioned rows in the dataset's files modified within the
     * retention; returns the earliest expiry added (or Long.MAX_VALUE).
     */
    private long seed(String dataset, MapState<String, Long> seen) throws IOException {
      long since = System.currentTimeMillis() - retentionMillis;
      long earliest = Long.MAX_VALUE;
      String pattern = directory.replaceAll("/+$", "") + "/table=" + dataset + "/dt=*/hr=*/part-*.parquet";
      for (MatchResult.Metadata file : FileSystems.match(pattern, EmptyMatchTreatment.ALLOW).metadata()) {
        if (file.lastModifiedMillis() < since) {
          continue;
        }
        filesRead.inc();
        for (GenericRecord record : ParquetFiles.read(file.resourceId())) {
          Object position = record.get(POSITION);
          if (position == null || position.toString().isEmpty()) {
            continue;
          }
          Object commit = record.get(COMMIT_TIME);
          long written = Math.max(commit instanceof Long c ? c : 0L, file.lastModifiedMillis());
          long expiry = expiry(written);
          seen.put(fingerprint(dataset, record), expiry);
          earliest = Math.min(earliest, expiry);
        }
      }
      return earliest;
    }

    @OnTimer("prune")
    public void onPrune(
        OnTimerContext context,
        @StateId("seen") MapState<String, Long> seen,
        @StateId("pruneAt") ValueState<Long> pruneAt,
        @TimerId("prune") Timer prune) {
      long now = context.fireTimestamp().getMillis();
      long next = Long.MAX_VALUE;
      List<String> expired = new ArrayList<>();
      for (Map.Entry<String, Long> e : seen.entries().read()) {
        if (e.getValue() <= now) {
          expired.add(e.getKey());
        } else {
          next = Math.min(next, e.getValue());
        }
      }
      expired.forEach(seen::remove);
      if (next == Long.MAX_VALUE) {
        pruneAt.clear();
      } else {
        schedule(next, pruneAt, prune);
      }
    }

    private long expiry(long timestampMillis) {
      long max = GlobalWindow.INSTANCE.maxTimestamp().getMillis();
      return timestampMillis > max - retentionMillis ? max : timestampMillis + retentionMillis;
    }

    // Rounded up to a quarter of the retention, so that a key's timer fires a few times per retention.
    private void schedule(long expiry, ValueState<Long> pruneAt, Timer prune) {
      long step = Math.max(1, retentionMillis / 4);
      long max = GlobalWindow.INSTANCE.maxTimestamp().getMillis();
      long at = expiry >= max - step ? max : Math.floorDiv(expiry, step) * step + step;
      pruneAt.write(at);
      prune.withNoOutputTimestamp().set(new Instant(at));
    }
  }

  /**
   * Why a row cannot be written, or null: an empty dataset, or a value that does not fit its
   * declared column type (the same conversion the file writer makes).
   */
  public static String check(LakeRow row) {
    return check(row, r -> avroSchema(r.getDataset(), r.getSchemaList()));
  }

  /** As {@link #check(LakeRow)}, with the Avro schema of a row from {@code schemaOf}. */
  private static String check(LakeRow row, java.util.function.Function<LakeRow, Schema> schemaOf) {
    if (row.getDataset().isEmpty()) {
      return "lake row has no dataset";
    }
    try {
      toRecord(schemaOf.apply(row), row);
      return null;
    } catch (RuntimeException e) {
      return "lake row of dataset '" + row.getDataset() + "' does not fit its schema: " + e.getMessage();
    }
  }

  /** Avro schemas by dataset and declared columns, the least recently used dropped past 256. */
  static Map<LakeRow, Schema> schemaCache() {
    return new java.util.LinkedHashMap<>(16, 0.75f, true) {
      @Override
      protected boolean removeEldestEntry(Map.Entry<LakeRow, Schema> eldest) {
        return size() > 256;
      }
    };
  }

  /** The Avro schema of a row's dataset and columns, from {@code cache} (see {@link #schemaCache}). */
  static Schema schemaOf(Map<LakeRow, Schema> cache, LakeRow row) {
    LakeRow key = LakeRow.newBuilder().setDataset(row.getDataset()).addAllSchema(row.getSchemaList()).build();
    return cache.computeIfAbsent(key, k -> avroSchema(k.getDataset(), k.getSchemaList()));
  }

  /**
   * Sends rows the Parquet writer would reject to the failure output with the reason, so that one
   * bad row never fails (and retries forever) a bundle of files.
   */
  static final class CheckRowFn extends DoFn<LakeRow, LakeRow> {
    private final Counter unwritable = Metrics.counter(METRICS_NAMESPACE, "unwritable");
    private transient Map<LakeRow, Schema> schemas;

    @Setup
    public void setup() {
      schemas = schemaCache();
    }

    @ProcessElement
    public void process(@Element LakeRow row, MultiOutputReceiver out) {
      String reason = check(row, r -> schemaOf(schemas, r));
      if (reason == null) {
        out.get(WRITABLE).output(row);
      } else {
        unwritable.inc();
        out.get(UNWRITABLE).output(Failures.of(STEP, reason, row.toByteArray(), row.getCommitTimeMillis()));
      }
    }
  }

  @Override
  public void populateDisplayData(DisplayData.Builder builder) {
    super.populateDisplayData(builder);
    builder
        .add(DisplayData.item("directory", getDirectory()))
        .add(DisplayData.item("rotation", getRotation()))
        .add(DisplayData.item("deduplication", getDeduplication()))
        .add(DisplayData.item("shards", getShards()))
        .add(DisplayData.item("maxRowsPerFile", getMaxRowsPerFile()))
        .add(DisplayData.item("exactlyOnce", getExactlyOnce()));
  }

  // ---------------------------------------------------------------------------------------------

  /**
   * Keys each row by the file it goes to: dataset, schema version, commit hour and shard. The
   * shard is a hash of the row's bytes, so a row keeps its shard wherever it is keyed.
   */
  static final class KeyByFileFn extends DoFn<LakeRow, KV<String, LakeRow>> {
    private final int shards;

    KeyByFileFn(int shards) {
      this.shards = shards;
    }

    @ProcessElement
    public void process(@Element LakeRow row, OutputReceiver<KV<String, LakeRow>> out) {
      int shard = shards == 1 ? 0 : Math.floorMod(Arrays.hashCode(row.toByteArray()), shards);
      out.output(KV.of(fileKey(row, shard), row));
    }
  }

  /** {@code <partition path>/part-<schema version>}, then the shard: what one writer key writes. */
  static String fileKey(LakeRow row, int shard) {
    return partitionPath(row.getDataset(), row.getCommitTimeMillis())
        + "/part-"
        + schemaVersion(row.getSchemaList())
        + "\n"
        + shard;
  }

  private static String schemaVersion(List<ColumnSchema> columns) {
    return columns.isEmpty() ? "0000000000000000" : Values.fingerprint(columns);
  }

  /** The Hive-style directory of a partition: {@code table=<dataset>/dt=<date>/hr=<hour>}. */
  public static String partitionPath(String dataset, long commitTimeMillis) {
    ZonedDateTime t = java.time.Instant.ofEpochMilli(commitTimeMillis).atZone(ZoneOffset.UTC);
    return String.format(
        Locale.ROOT, "table=%s/dt=%s/hr=%02d", dataset, t.toLocalDate(), t.getHour());
  }

  /**
   * Gathers the rows of one file key (partition, schema version, shard) in state and hands them on
   * as one file ({@link #emit}) when the rotation time has passed since the first row (a
   * processing-time timer), when the file is full, or when the input ends (window expiration).
   * State and timer are the runner's own, so the same code rotates on every runner, bounded or
   * unbounded, with no trigger and no further GroupByKey.
   *
   * <p>The name is {@code <partition>/part-<schema version>-<run>-<shard>-<sequence>.parquet},
   * the run (the one that wrote the key's first file) and the sequence kept in the key's state, so
   * a job restored from a checkpoint names its next file as the crashed job named the file it
   * made after that checkpoint, and a retried bundle names its file as the failed attempt did.
   */
  abstract static class FileBatchFn<OutputT> extends DoFn<KV<String, LakeRow>, OutputT> {
    private final String run;
    private final Duration rotation;
    private final int maxRows;

    @StateId("rows")
    private final StateSpec<BagState<LakeRow>> rowsSpec = StateSpecs.bag(MessageCoder.of(LakeRow.class));

    @StateId("count")
    private final StateSpec<ValueState<Integer>> countSpec = StateSpecs.value(VarIntCoder.of());

    /** The run that named the key's first file, and the sequence number of its last file. */
    @StateId("file")
    private final StateSpec<ValueState<KV<String, Long>>> fileSpec =
        StateSpecs.value(KvCoder.of(StringUtf8Coder.of(), VarLongCoder.of()));

    @TimerId("rotate")
    private final TimerSpec rotateSpec = TimerSpecs.timer(TimeDomain.PROCESSING_TIME);

    /**
     * Holds the step's output watermark at the earliest timestamp of the rows gathered (see {@link
     * #hold}). An event-time timer, since runners hold the watermark for those (the Direct runner
     * for no other kind); set for the end of the global window, where it writes what is left.
     */
    @TimerId("hold")
    private final TimerSpec holdSpec = TimerSpecs.timer(TimeDomain.EVENT_TIME);

    /** The output timestamp the hold timer holds at: the earliest timestamp of the rows gathered. */
    @StateId("holdAt")
    private final StateSpec<ValueState<Long>> holdAtSpec = StateSpecs.value(VarLongCoder.of());

    FileBatchFn(String run, Duration rotation, int maxRows) {
      this.run = run;
      this.rotation = rotation;
      this.maxRows = maxRows;
    }

    /** Hands on the file {@code name} with its rows, all of {@code first}'s schema. */
    abstract void emit(String name, LakeRow first, Iterable<LakeRow> rows, OutputReceiver<OutputT> out)
        throws IOException;

    @ProcessElement
    public void process(
        @Element KV<String, LakeRow> element,
        @Timestamp Instant timestamp,
        @StateId("rows") BagState<LakeRow> rows,
        @StateId("count") ValueState<Integer> count,
        @StateId("file") ValueState<KV<String, Long>> file,
        @StateId("holdAt") ValueState<Long> holdAt,
        @TimerId("rotate") Timer rotate,
        @TimerId("hold") Timer hold,
        OutputReceiver<OutputT> out)
        throws IOException {
      rows.add(element.getValue());
      Integer before = count.read();
      int n = before == null ? 1 : before + 1;
      if (n == 1) {
        rotate.offset(rotation).setRelative();
      }
      hold(timestamp, holdAt, hold);
      if (n >= maxRows) {
        flushAndRelease(element.getKey(), rows, count, file, holdAt, rotate, hold, out);
      } else {
        count.write(n);
      }
    }

    /**
     * Holds the output watermark at the earliest timestamp of the rows gathered, late rows
     * included (a timer's output timestamp), so that the watermark after the sink passes a row's
     * timestamp only once its file is written: what a commit of the input's offsets after the
     * sinks waits for. A timer's output timestamp may not be before the row being processed, so
     * the hold moves only when a row earlier than all before it comes.
     */
    private void hold(Instant timestamp, ValueState<Long> holdAt, Timer hold) {
      Long at = holdAt.read();
      if (at == null || timestamp.getMillis() < at) {
        holdAt.write(timestamp.getMillis());
        hold.withOutputTimestamp(timestamp).set(GlobalWindow.INSTANCE.maxTimestamp());
      }
    }

    @OnTimer("rotate")
    public void onRotate(
        @Key String key,
        @StateId("rows") BagState<LakeRow> rows,
        @StateId("count") ValueState<Integer> count,
        @StateId("file") ValueState<KV<String, Long>> file,
        @StateId("holdAt") ValueState<Long> holdAt,
        @TimerId("rotate") Timer rotate,
        @TimerId("hold") Timer hold,
        OutputReceiver<OutputT> out)
        throws IOException {
      flushAndRelease(key, rows, count, file, holdAt, rotate, hold, out);
    }

    @OnTimer("hold")
    public void onHold(
        @Key String key,
        @StateId("rows") BagState<LakeRow> rows,
        @StateId("count") ValueState<Integer> count,
        @StateId("file") ValueState<KV<String, Long>> file,
        @StateId("holdAt") ValueState<Long> holdAt,
        @TimerId("rotate") Timer rotate,
        @TimerId("hold") Timer hold,
        OutputReceiver<OutputT> out)
        throws IOException {
      flushAndRelease(key, rows, count, file, holdAt, rotate, hold, out);
    }

    /** Writes the file of what is gathered, clears both timers and releases the hold. */
    private void flushAndRelease(
        String key,
        BagState<LakeRow> rows,
        ValueState<Integer> count,
        ValueState<KV<String, Long>> file,
        ValueState<Long> holdAt,
        Timer rotate,
        Timer hold,
        OutputReceiver<OutputT> out)
        throws IOException {
      flush(key, rows, count, file, out);
      rotate.clear();
      hold.clear();
      holdAt.clear();
    }

    @OnWindowExpiration
    public void onExpiration(
        @Key String key,
        @StateId("rows") BagState<LakeRow> rows,
        @StateId("count") ValueState<Integer> count,
        @StateId("file") ValueState<KV<String, Long>> file,
        OutputReceiver<OutputT> out)
        throws IOException {
      flush(key, rows, count, file, out);
    }

    private void flush(
        String key,
        BagState<LakeRow> rows,
        ValueState<Integer> count,
        ValueState<KV<String, Long>> file,
        OutputReceiver<OutputT> out)
        throws IOException {
      Iterable<LakeRow> batch = rows.read();
      java.util.Iterator<LakeRow> it = batch.iterator();
      if (!it.hasNext()) {
        count.clear();
        return;
      }
      LakeRow first = it.next();
      KV<String, Long> last = file.read();
      String owner = last == null ? run : last.getKey();
      long next = last == null ? 0 : last.getValue() + 1;
      int newline = key.lastIndexOf('\n');
      String name =
          String.format(
              Locale.ROOT,
              "%s-%s-%s-%06d.parquet",
              key.substring(0, newline),
              owner,
              key.substring(newline + 1),
              next);
      emit(name, first, batch, out);
      file.write(KV.of(owner, next));
      rows.clear();
      count.clear();
    }
  }

  /**
   * Writes each file as soon as its rows are gathered. A write that fails is retried with the
   * state it had, so it writes the same rows under the same name again. A job restored from a
   * checkpoint replaces the file the crashed job wrote after that checkpoint, but may cut the rows
   * into files differently the second time: across such a crash the lake is at least once (see
   * {@link GatherFilesFn} for exactly once).
   */
  static final class WriteFilesFn extends FileBatchFn<KV<String, Long>> {
    private final ParquetFiles files;

    WriteFilesFn(String directory, String run, Duration rotation, int maxRows) {
      super(run, rotation, maxRows);
      this.files = new ParquetFiles(directory);
    }

    @Override
    void emit(String name, LakeRow first, Iterable<LakeRow> rows, OutputReceiver<KV<String, Long>> out)
        throws IOException {
      out.output(KV.of(name, files.write(name, first, rows)));
    }
  }

  /**
   * Hands each file on, name and rows, to {@link WriteBatchFn}, whose input is stable: the runner
   * keeps the batch durably before the file is written (on Flink, the file is written once the
   * checkpoint that holds the batch has completed). A job restored from a checkpoint either
   * writes a batch of that checkpoint again, same name and same rows, or never wrote the batches
   * made after it, whose rows its restored state and replayed input gather again: every row is in
   * exactly one file.
   */
  static final class GatherFilesFn extends FileBatchFn<KV<String, List<LakeRow>>> {
    GatherFilesFn(String run, Duration rotation, int maxRows) {
      super(run, rotation, maxRows);
    }

    @Override
    void emit(String name, LakeRow first, Iterable<LakeRow> rows, OutputReceiver<KV<String, List<LakeRow>>> out) {
      List<LakeRow> batch = new ArrayList<>();
      rows.forEach(batch::add);
      out.output(KV.of(name, batch));
    }
  }

  /**
   * Writes the files {@link GatherFilesFn} made, from stable input (see there); gives each file's
   * name and rows to {@link CountFilesFn}.
   */
  static final class WriteBatchFn extends DoFn<KV<String, List<LakeRow>>, KV<String, Long>> {
    private final ParquetFiles files;

    WriteBatchFn(String directory) {
      this.files = new ParquetFiles(directory);
    }

    @ProcessElement
    @RequiresStableInput
    public void process(@Element KV<String, List<LakeRow>> batch, OutputReceiver<KV<String, Long>> out) throws IOException {
      List<LakeRow> rows = batch.getValue();
      out.output(KV.of(batch.getKey(), files.write(batch.getKey(), rows.get(0), rows)));
    }
  }

  /**
   * Counts the files written and their rows ({@code files}, {@code rows}); gives each file's name.
   * A step of its own: on Flink the runner releases the stable input of {@link WriteBatchFn} when
   * a checkpoint completes, outside the scope in which Beam records metrics, so counts made there
   * would be lost.
   */
  static final class CountFilesFn extends DoFn<KV<String, Long>, String> {
    private final Counter written = Metrics.counter(METRICS_NAMESPACE, "files");
    private final Counter rowsWritten = Metrics.counter(METRICS_NAMESPACE, "rows");

    @ProcessElement
    public void process(@Element KV<String, Long> file, OutputReceiver<String> out) {
      written.inc();
      rowsWritten.inc(file.getValue());
      out.output(file.getKey());
    }
  }

  /**
   * Writes a file of rows under the directory: first under a hidden temporary name ({@code
   * .part-...parquet.<random>.tmp}, ignored by Parquet readers), then renamed, so readers never
   * see a partial file and a file written again is replaced whole.
   */
  static final class ParquetFiles implements java.io.Serializable {
    private static final long serialVersionUID = 1L;
    private final String directory;

    ParquetFiles(String directory) {
      this.directory = directory;
    }

    /**
     * Writes the rows (all of {@code first}'s schema) to {@code name} under the directory; returns
     * how many.
     */
    long write(String name, LakeRow first, Iterable<LakeRow> rows) throws IOException {
      ResourceId dir = FileSystems.matchNewResource(directory, true);
      String[] parts = name.split("/");
      for (int i = 0; i < parts.length - 1; i++) {
        dir = dir.resolve(parts[i], StandardResolveOptions.RESOLVE_DIRECTORY);
      }
      String file = parts[parts.length - 1];
      ResourceId target = dir.resolve(file, StandardResolveOptions.RESOLVE_FILE);
      ResourceId temp =
          dir.resolve("." + file + "." + UUID.randomUUID() + ".tmp", StandardResolveOptions.RESOLVE_FILE);
      Schema schema = avroSchema(first.getDataset(), first.getSchemaList());
      ParquetIO.Sink parquet = ParquetIO.sink(schema);
      long n = 0;
      try (WritableByteChannel channel = FileSystems.create(temp, "application/octet-stream")) {
        parquet.open(channel);
        for (LakeRow row : rows) {
          parquet.write(toRecord(schema, row));
          n++;
        }
        parquet.flush();
      }
      FileSystems.rename(List.of(temp), List.of(target));
      return n;
    }

    /** The records of a file of the lake, with the schema it was written with. */
    static List<GenericRecord> read(ResourceId file) throws IOException {
      List<GenericRecord> records = new ArrayList<>();
      try (org.apache.parquet.hadoop.ParquetReader<GenericRecord> reader =
          org.apache.parquet.avro.AvroParquetReader.<GenericRecord>builder(new ChannelInputFile(file))
              .withDataModel(org.apache.avro.generic.GenericData.get())
              .build()) {
        for (GenericRecord r = reader.read(); r != null; r = reader.read()) {
          records.add(r);
        }
      }
      return records;
    }
  }

  /** A file of any Beam filesystem as Parquet's input (its channel must be seekable, as local and object stores' are). */
  static final class ChannelInputFile implements org.apache.parquet.io.InputFile {
    private final ResourceId file;

    ChannelInputFile(ResourceId file) {
      this.file = file;
    }

    @Override
    public long getLength() throws IOException {
      return FileSystems.matchSingleFileSpec(file.toString()).sizeBytes();
    }

    @Override
    public org.apache.parquet.io.SeekableInputStream newStream() throws IOException {
      java.nio.channels.SeekableByteChannel channel = (java.nio.channels.SeekableByteChannel) FileSystems.open(file);
      return new org.apache.parquet.io.DelegatingSeekableInputStream(java.nio.channels.Channels.newInputStream(channel)) {
        @Override
        public long getPos() throws IOException {
          return channel.position();
        }

        @Override
        public void seek(long position) throws IOException {
          channel.position(position);
        }
      };
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Avro schema and records.

  /** Name of the op column. */
  public static final String OP = "_op";
  /** Name of the source position column. */
  public static final String POSITION = "_position";
  /** Name of the commit time column. */
  public static final String COMMIT_TIME = "_commit_time";

  /** The Avro schema of a dataset's files for a column list (see the class comment). */
  public static Schema avroSchema(String dataset, List<ColumnSchema> columns) {
    SchemaBuilder.FieldAssembler<Schema> fields =
        SchemaBuilder.record(avroName(dataset)).namespace("io.tributary.lake").fields();
    fields.requiredString(OP);
    fields.requiredString(POSITION);
    fields
        .name(COMMIT_TIME)
        .type(LogicalTypes.timestampMillis().addToSchema(Schema.create(Schema.Type.LONG)))
        .noDefault();
    Set<String> seen = new HashSet<>(List.of(OP, POSITION, COMMIT_TIME));
    for (ColumnSchema c : columns) {
      if (!seen.add(c.getName())) {
        continue;
      }
      Schema type = Schema.createUnion(Schema.create(Schema.Type.NULL), columnType(c));
      fields.name(avroFieldName(c.getName())).type(type).withDefault(null);
    }
    return fields.endRecord();
  }

  private static Schema columnType(ColumnSchema c) {
    switch (c.getLogical()) {
      case "io.debezium.time.Date":
      case "org.apache.kafka.connect.data.Date":
        return LogicalTypes.date().addToSchema(Schema.create(Schema.Type.INT));
      case "io.debezium.time.Time":
      case "org.apache.kafka.connect.data.Time":
      case "io.debezium.time.MicroTime":
      case "io.debezium.time.NanoTime":
        return LogicalTypes.timeMicros().addToSchema(Schema.create(Schema.Type.LONG));
      case "io.debezium.time.Timestamp":
      case "org.apache.kafka.connect.data.Timestamp":
      case "io.debezium.time.MicroTimestamp":
      case "io.debezium.time.NanoTimestamp":
        return LogicalTypes.localTimestampMicros().addToSchema(Schema.create(Schema.Type.LONG));
      case "io.debezium.time.ZonedTimestamp":
        return LogicalTypes.timestampMicros().addToSchema(Schema.create(Schema.Type.LONG));
      case "org.apache.kafka.connect.data.Decimal":
      case "io.debezium.data.VariableScaleDecimal":
        return Schema.create(Schema.Type.STRING);
      default:
        break;
    }
    switch (c.getType()) {
      case "int8":
      case "int16":
      case "int32":
      case "int64":
        return Schema.create(Schema.Type.LONG);
      case "float32":
      case "float64":
        return Schema.create(Schema.Type.DOUBLE);
      case "boolean":
        return Schema.create(Schema.Type.BOOLEAN);
      case "bytes":
        return Schema.create(Schema.Type.BYTES);
      default:
        return Schema.create(Schema.Type.STRING);
    }
  }

  /** The Avro record of a row under {@code schema} (from {@link #avroSchema}). */
  public static GenericRecord toRecord(Schema schema, LakeRow row) {
    GenericData.Record record = new GenericData.Record(schema);
    record.put(OP, row.getOp());
    record.put(POSITION, row.getPosition());
    record.put(COMMIT_TIME, row.getCommitTimeMillis());
    Map<String, Value> values = new HashMap<>();
    for (Column c : row.getColumnsList()) {
      values.put(avroFieldName(c.getName()), c.getValue());
    }
    for (Schema.Field f : schema.getFields()) {
      if (f.pos() < 3) {
        continue;
      }
      Value v = values.get(f.name());
      record.put(f.pos(), v == null || Values.isNull(v) ? null : avroValue(f.schema().getTypes().get(1), v));
    }
    return record;
  }

  private static Object avroValue(Schema type, Value v) {
    switch (type.getType()) {
      case LONG:
        switch (v.getKindCase()) {
          case INT_VALUE:
            return v.getIntValue();
          case TIME_MICROS:
            return v.getTimeMicros();
          case TIMESTAMP_VALUE:
            return v.getTimestampValue().getMicros();
          default:
            throw new IllegalArgumentException("cannot store " + v.getKindCase() + " as long");
        }
      case INT:
        if (v.getKindCase() == Value.KindCase.DATE_DAYS) {
          return v.getDateDays();
        }
        throw new IllegalArgumentException("cannot store " + v.getKindCase() + " as a date");
      case DOUBLE:
        return v.getKindCase() == Value.KindCase.INT_VALUE ? (double) v.getIntValue() : v.getDoubleValue();
      case BOOLEAN:
        return v.getBoolValue();
      case BYTES:
        return ByteBuffer.wrap(v.getBytesValue().toByteArray());
      default:
        return Values.toText(v);
    }
  }

  private static String avroName(String dataset) {
    String name = dataset.replaceAll("[^A-Za-z0-9_]", "_");
    return Character.isDigit(name.charAt(0)) ? "_" + name : name;
  }

  /** Avro field names allow only letters, digits and '_', not starting with a digit. */
  public static String avroFieldName(String column) {
    String name = column.replaceAll("[^A-Za-z0-9_]", "_");
    return name.isEmpty() || Character.isDigit(name.charAt(0)) ? "_" + name : name;
  }
}
