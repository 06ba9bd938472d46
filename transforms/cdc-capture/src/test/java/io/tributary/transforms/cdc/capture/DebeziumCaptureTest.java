package io.tributary.transforms.cdc.capture;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.util.SerializableUtils;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Validation, offset store and checkpoint behaviour of {@link DebeziumCapture} without a database. */
class DebeziumCaptureTest {
  private static final Map<String, String> POSTGRES =
      Map.of("connector.class", "io.debezium.connector.postgresql.PostgresConnector");

  @TempDir Path dir;

  @Test
  void rejectsPropertiesWithoutConnectorClass() {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                Pipeline.create(PipelineOptionsFactory.create())
                    .apply(
                        DebeziumCapture.read()
                            .withConnectorProperties(Map.of("topic.prefix", "x"))
                            .withOffsetStore(dir.resolve("o.json").toString())));
    assertThat(e.getMessage(), containsString("connector.class"));
  }

  @Test
  void rejectsAMissingOffsetStore() {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                Pipeline.create(PipelineOptionsFactory.create())
                    .apply(DebeziumCapture.read().withConnectorProperties(POSTGRES)));
    assertThat(e.getMessage(), containsString("withOffsetStore"));
  }

  @Test
  void rejectsANonPositiveMaxRecords() {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                Pipeline.create(PipelineOptionsFactory.create())
                    .apply(
                        DebeziumCapture.read()
                            .withConnectorProperties(POSTGRES)
                            .withOffsetStore(dir.resolve("o.json").toString())
                            .withMaxRecords(0)));
    assertThat(e.getMessage(), containsString("maxRecords must be positive, got 0"));
  }

  @Test
  void offsetKeysAndValuesAreWhatConnectStores() {
    CaptureOffsets codec = new CaptureOffsets("orders");
    assertThat(codec.key(Map.of("server", "pg")), equalTo("[\"orders\",{\"server\":\"pg\"}]"));
    assertThat(codec.value(Map.of("lsn", 42L)), equalTo("{\"lsn\":42}"));
  }

  @Test
  void finalizingWritesTheOffsetsAndRunsTheHookAndLaterCheckpointsReplaceThem() throws Exception {
    Path file = dir.resolve("sub").resolve("offsets.json");
    AtomicInteger hooks = new AtomicInteger();
    new CaptureCheckpoint(file.toString(), Map.of("[\"a\",{}]", "{\"lsn\":1}"), hooks::incrementAndGet)
        .finalizeCheckpoint();
    assertThat(CaptureOffsets.read(file), equalTo(Map.of("[\"a\",{}]", "{\"lsn\":1}")));
    assertThat(hooks.get(), equalTo(1));

    // A checkpoint that crossed a serialization boundary has no hook and still writes.
    CaptureCheckpoint later =
        SerializableUtils.clone(
            new CaptureCheckpoint(
                file.toString(),
                Map.of("[\"a\",{}]", "{\"lsn\":2}", "[\"b\",{}]", "{\"pos\":7}"),
                hooks::incrementAndGet));
    later.finalizeCheckpoint();
    assertThat(
        CaptureOffsets.read(file),
        equalTo(Map.of("[\"a\",{}]", "{\"lsn\":2}", "[\"b\",{}]", "{\"pos\":7}")));
    assertThat(hooks.get(), equalTo(1));
    assertThat(
        "no temporary files left",
        Files.list(file.getParent()).map(p -> p.getFileName().toString()).toList(),
        equalTo(List.of("offsets.json")));
  }

  @Test
  void anAbsentOffsetFileIsEmpty() {
    assertThat(CaptureOffsets.read(dir.resolve("none.json")), equalTo(Map.of()));
  }
}
