package io.tributary.transforms.cdc;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.protobuf.ByteString;
import io.tributary.proto.cdc.ConnectRecord;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;

/** Loads the change-event fixtures under {@code src/test/resources/debezium} (see its README). */
public final class Fixtures {
  private static final ObjectMapper MAPPER = new ObjectMapper();

  private Fixtures() {}

  /** The record of a fixture, e.g. {@code doc/postgresql/customers-create.schemas.json}. */
  public static ConnectRecord record(String path) {
    try (InputStream in = Fixtures.class.getResourceAsStream("/debezium/" + path)) {
      if (in == null) {
        throw new IllegalArgumentException("no fixture debezium/" + path);
      }
      JsonNode root = MAPPER.readTree(in);
      ConnectRecord.Builder r =
          ConnectRecord.newBuilder()
              .setTopic(root.get("topic").asText())
              .setPartition(root.path("partition").asInt(0))
              .setOffset(root.path("offset").asLong(0));
      if (!root.get("key").isNull()) {
        r.setKey(bytes(root.get("key")));
      }
      if (!root.get("value").isNull()) {
        r.setValue(bytes(root.get("value")));
      }
      return r.build();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The change event of a fixture, parsed as the pipeline parses it. */
  public static io.tributary.proto.cdc.ChangeEvent change(String path) {
    return CdcRoutingTest.fixture(path);
  }

  /** A record of the given topic with JSON text key and value (null for absent). */
  public static ConnectRecord record(String topic, long offset, String key, String value) {
    ConnectRecord.Builder r = ConnectRecord.newBuilder().setTopic(topic).setOffset(offset);
    if (key != null) {
      r.setKey(ByteString.copyFrom(key, StandardCharsets.UTF_8));
    }
    if (value != null) {
      r.setValue(ByteString.copyFrom(value, StandardCharsets.UTF_8));
    }
    return r.build();
  }

  private static ByteString bytes(JsonNode node) throws IOException {
    return ByteString.copyFrom(MAPPER.writeValueAsBytes(node));
  }
}
