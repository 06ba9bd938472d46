package io.tributary.transforms.coders;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.tributary.proto.values.Column;
import io.tributary.transforms.values.Values;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.extensions.protobuf.ProtoCoder;
import org.apache.beam.sdk.testing.CoderProperties;
import org.apache.beam.sdk.util.SerializableUtils;
import org.junit.jupiter.api.Test;

class MessageCoderTest {
  private static final MessageCoder<Column> CODER = MessageCoder.of(Column.class);

  @Test
  void readsWhatProtoCoderWritesAndBackToBack() throws Exception {
    Random random = new Random(9);
    List<Column> columns = new ArrayList<>();
    for (int i = 0; i < 200; i++) {
      StringBuilder text = new StringBuilder();
      for (int j = random.nextInt(600); j > 0; j--) {
        text.append((char) ('a' + random.nextInt(26)));
      }
      columns.add(Column.newBuilder().setName("c" + i).setValue(Values.of(text.toString())).build());
    }
    for (Coder<Column>[] pair : pairs()) {
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      for (Column c : columns) {
        pair[0].encode(c, out);
      }
      ByteArrayInputStream in = new ByteArrayInputStream(out.toByteArray());
      for (Column c : columns) {
        assertEquals(c, pair[1].decode(in), pair[0] + " -> " + pair[1]);
      }
      assertEquals(-1, in.read());
    }
    CoderProperties.coderDecodeEncodeEqual(CODER, columns.get(7));
    CoderProperties.coderSerializable(CODER);
    assertEquals(CODER, SerializableUtils.clone(CODER));
  }

  @Test
  void aTruncatedMessageIsAnErrorNotAShortMessage() throws Exception {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    CODER.encode(Column.newBuilder().setName("name").setValue(Values.of("some text")).build(), out);
    byte[] bytes = out.toByteArray();
    byte[] cut = java.util.Arrays.copyOf(bytes, bytes.length - 3);
    EOFException e = assertThrows(EOFException.class, () -> CODER.decode(new ByteArrayInputStream(cut)));
    assertEquals("a Column of " + (bytes.length - 1) + " bytes ends after " + (bytes.length - 4), e.getMessage());
  }

  @SuppressWarnings("unchecked")
  private static List<Coder<Column>[]> pairs() {
    Coder<Column> proto = ProtoCoder.of(Column.class);
    return List.of(new Coder[] {proto, CODER}, new Coder[] {CODER, proto}, new Coder[] {CODER, CODER});
  }
}
