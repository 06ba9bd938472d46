package io.tributary.transforms.coders;

import com.google.protobuf.CodedInputStream;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import com.google.protobuf.Parser;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.Objects;
import org.apache.beam.sdk.coders.CoderException;
import org.apache.beam.sdk.coders.CustomCoder;
import org.apache.beam.sdk.extensions.protobuf.ProtoCoder;

/**
 * A coder of protocol buffer messages with the wire format of Beam's {@link ProtoCoder} (the
 * message's length as a varint, then its bytes), so either reads what the other wrote, that
 * decodes from a byte array: {@code ProtoCoder} parses from the stream and allocates a 4 KiB
 * buffer per message, which for small messages costs more than the parse.
 *
 * <p>Not deterministic, as {@code ProtoCoder} (map fields have no canonical order): do not use it
 * for keys of messages with maps.
 */
public final class MessageCoder<T extends Message> extends CustomCoder<T> {
  private static final long serialVersionUID = 1L;
  private final Class<T> type;
  private transient Parser<T> parser;

  private MessageCoder(Class<T> type) {
    this.type = type;
  }

  /** The coder of messages of {@code type}. */
  public static <T extends Message> MessageCoder<T> of(Class<T> type) {
    return new MessageCoder<>(Objects.requireNonNull(type, "type"));
  }

  @SuppressWarnings("unchecked")
  private Parser<T> parser() {
    if (parser == null) {
      parser = (Parser<T>) com.google.protobuf.Internal.getDefaultInstance(type).getParserForType();
    }
    return parser;
  }

  @Override
  public void encode(T value, OutputStream out) throws IOException {
    if (value == null) {
      throw new CoderException("cannot encode a null " + type.getSimpleName());
    }
    value.writeDelimitedTo(out);
  }

  @Override
  public T decode(InputStream in) throws IOException {
    int first = in.read();
    if (first < 0) {
      throw new EOFException("no " + type.getSimpleName() + " left in the stream");
    }
    int length = CodedInputStream.readRawVarint32(first, in);
    byte[] bytes = in.readNBytes(length);
    if (bytes.length != length) {
      throw new EOFException(
          "a " + type.getSimpleName() + " of " + length + " bytes ends after " + bytes.length);
    }
    try {
      return parser().parseFrom(bytes);
    } catch (InvalidProtocolBufferException e) {
      throw new CoderException("cannot decode a " + type.getSimpleName() + ": " + e.getMessage(), e);
    }
  }

  @Override
  public void verifyDeterministic() throws NonDeterministicException {
    ProtoCoder.of(type).verifyDeterministic();
  }

  @Override
  public boolean equals(Object other) {
    return other instanceof MessageCoder<?> c && c.type.equals(type);
  }

  @Override
  public int hashCode() {
    return type.hashCode();
  }

  @Override
  public String toString() {
    return "MessageCoder<" + type.getName() + ">";
  }
}
