package io.tributary.transforms.errors;

import com.google.protobuf.ByteString;
import io.tributary.proto.common.Failure;
import io.tributary.transforms.coders.MessageCoder;
import org.apache.beam.sdk.values.TupleTag;

/**
 * The one failure type of Tributary: every transform that parses input or calls out to a system
 * returns its good output and a {@link Failure} output that keeps the original bytes, the reason and
 * the step, in Beam's {@link org.apache.beam.sdk.transforms.WithFailures.Result}.
 */
public final class Failures {
  private Failures() {}

  /** The coder of failure records. */
  public static MessageCoder<Failure> coder() {
    return MessageCoder.of(Failure.class);
  }

  /** A fresh tag for the failure output of a multi-output DoFn. */
  public static TupleTag<Failure> tag() {
    return new TupleTag<Failure>() {};
  }

  /** A failure of {@code step} for {@code payload}, with no known event time. */
  public static Failure of(String step, String reason, byte[] payload) {
    return of(step, reason, payload, 0L);
  }

  /**
   * A failure of {@code step} for {@code payload} whose event time is known. A reason that quotes
   * an unpaired surrogate of the input (no UTF-8 encoding) shows it escaped ({@code \\ud800}), so
   * the reason reads the same after any sink; the payload keeps the input's bytes as they were.
   */
  public static Failure of(String step, String reason, byte[] payload, long eventTimeMillis) {
    return Failure.newBuilder()
        .setStep(step)
        .setReason(escapeUnpairedSurrogates(reason))
        .setPayload(ByteString.copyFrom(payload))
        .setEventTimeMillis(eventTimeMillis)
        .build();
  }

  static String escapeUnpairedSurrogates(String text) {
    int i = io.tributary.transforms.json.JsonFields.unpairedSurrogate(text);
    if (i < 0) {
      return text;
    }
    StringBuilder b = new StringBuilder(text.length() + 8);
    for (int k = 0; k < text.length(); k++) {
      char c = text.charAt(k);
      if (Character.isHighSurrogate(c) && k + 1 < text.length() && Character.isLowSurrogate(text.charAt(k + 1))) {
        b.append(c).append(text.charAt(++k));
      } else if (Character.isSurrogate(c)) {
        b.append(String.format(java.util.Locale.ROOT, "\\u%04x", (int) c));
      } else {
        b.append(c);
      }
    }
    return b.toString();
  }
}
