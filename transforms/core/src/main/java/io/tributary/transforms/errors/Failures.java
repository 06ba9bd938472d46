package io.tributary.transforms.errors;

import com.google.protobuf.ByteString;
import io.tributary.proto.common.Failure;
import org.apache.beam.sdk.extensions.protobuf.ProtoCoder;
import org.apache.beam.sdk.values.TupleTag;

/**
 * The one failure type of Tributary: every transform that parses input or calls out to a system
 * returns its good output and a {@link Failure} output that keeps the original bytes, the reason and
 * the step, in Beam's {@link org.apache.beam.sdk.transforms.WithFailures.Result}.
 */
public final class Failures {
  private Failures() {}

  /** The coder of failure records. */
  public static ProtoCoder<Failure> coder() {
    return ProtoCoder.of(Failure.class);
  }

  /** A fresh tag for the failure output of a multi-output DoFn. */
  public static TupleTag<Failure> tag() {
    return new TupleTag<Failure>() {};
  }

  /** A failure of {@code step} for {@code payload}, with no known event time. */
  public static Failure of(String step, String reason, byte[] payload) {
    return of(step, reason, payload, 0L);
  }

  /** A failure of {@code step} for {@code payload} whose event time is known. */
  public static Failure of(String step, String reason, byte[] payload, long eventTimeMillis) {
    return Failure.newBuilder()
        .setStep(step)
        .setReason(reason)
        .setPayload(ByteString.copyFrom(payload))
        .setEventTimeMillis(eventTimeMillis)
        .build();
  }
}
