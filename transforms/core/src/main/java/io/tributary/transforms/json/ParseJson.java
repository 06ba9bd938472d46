package io.tributary.transforms.json;

import com.google.auto.value.AutoValue;
import com.google.protobuf.Message;
import io.tributary.proto.common.Failure;
import io.tributary.transforms.coders.MessageCoder;
import io.tributary.transforms.errors.Failures;
import java.io.Serializable;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.metrics.Metrics;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.WithFailures;
import org.apache.beam.sdk.transforms.display.DisplayData;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionTuple;
import org.apache.beam.sdk.values.TupleTag;
import org.apache.beam.sdk.values.TupleTagList;
import org.joda.time.Duration;
import org.joda.time.Instant;

/**
 * Parses JSON payloads into protobuf records stamped with their event time, and every payload it
 * cannot parse into a {@link Failure} with the original bytes and a reason naming the bad field.
 *
 * <p>Element-wise: works on bounded and unbounded input in any windowing. Each record's timestamp
 * becomes its event time, which may precede the timestamp the source gave the payload. Counters
 * {@code parsed} and {@code parseFailed} in the given metrics namespace count both outputs.
 *
 * <pre>{@code
 * WithFailures.Result<PCollection<PageView>, Failure> views =
 *     payloads.apply(ParseJson.of(PageView.class, "ParsePageViews", "tributary.activity",
 *         PageViewJson::parse, PageView::getEventTimeMillis));
 * }</pre>
 */
@AutoValue
public abstract class ParseJson<T extends Message>
    extends PTransform<PCollection<byte[]>, WithFailures.Result<PCollection<T>, Failure>> {
  /** Default payload size limit: 64 KiB. */
  public static final int DEFAULT_MAX_PAYLOAD_BYTES = 64 * 1024;

  /** Reads one record from its JSON bytes. */
  @FunctionalInterface
  public interface Parser<T> extends Serializable {
    T parse(byte[] payload) throws JsonFields.InvalidRecordException;
  }

  /** The event time of a parsed record, in milliseconds since the epoch. */
  @FunctionalInterface
  public interface EventTime<T> extends Serializable {
    long millis(T record);
  }

  abstract Class<T> getType();

  abstract String getStep();

  abstract String getMetricsNamespace();

  abstract Parser<T> getParser();

  abstract EventTime<T> getEventTime();

  abstract int getMaxPayloadBytes();

  abstract Builder<T> toBuilder();

  @AutoValue.Builder
  abstract static class Builder<T extends Message> {
    abstract Builder<T> setType(Class<T> type);

    abstract Builder<T> setStep(String step);

    abstract Builder<T> setMetricsNamespace(String namespace);

    abstract Builder<T> setParser(Parser<T> parser);

    abstract Builder<T> setEventTime(EventTime<T> eventTime);

    abstract Builder<T> setMaxPayloadBytes(int bytes);

    abstract ParseJson<T> build();
  }

  /**
   * Parses payloads with {@code parser}; failures name {@code step}; counters go to {@code
   * metricsNamespace}.
   */
  public static <T extends Message> ParseJson<T> of(
      Class<T> type,
      String step,
      String metricsNamespace,
      Parser<T> parser,
      EventTime<T> eventTime) {
    return new AutoValue_ParseJson.Builder<T>()
        .setType(type)
        .setStep(step)
        .setMetricsNamespace(metricsNamespace)
        .setParser(parser)
        .setEventTime(eventTime)
        .setMaxPayloadBytes(DEFAULT_MAX_PAYLOAD_BYTES)
        .build();
  }

  /** Payloads larger than this are failures, unread (default 64 KiB). */
  public ParseJson<T> withMaxPayloadBytes(int bytes) {
    return toBuilder().setMaxPayloadBytes(bytes).build();
  }

  @Override
  public WithFailures.Result<PCollection<T>, Failure> expand(PCollection<byte[]> input) {
    if (getMaxPayloadBytes() <= 0) {
      throw new IllegalArgumentException(
          getStep() + ": maxPayloadBytes must be positive, got " + getMaxPayloadBytes());
    }
    TupleTag<T> parsed = new TupleTag<T>() {};
    TupleTag<Failure> failed = Failures.tag();
    PCollectionTuple results =
        input.apply(
            "ParseJson",
            ParDo.of(
                    new ParseFn<>(
                        getStep(),
                        getMetricsNamespace(),
                        getParser(),
                        getEventTime(),
                        getMaxPayloadBytes(),
                        parsed,
                        failed))
                .withOutputTags(parsed, TupleTagList.of(failed)));
    results.get(parsed).setCoder(MessageCoder.of(getType()));
    results.get(failed).setCoder(Failures.coder());
    return WithFailures.Result.of(results, parsed, failed);
  }

  @Override
  public void populateDisplayData(DisplayData.Builder builder) {
    super.populateDisplayData(builder);
    builder
        .add(DisplayData.item("type", getType().getName()))
        .add(DisplayData.item("maxPayloadBytes", getMaxPayloadBytes()));
  }

  /** Turns a payload into a record at its event time, or a failure. */
  static final class ParseFn<T> extends DoFn<byte[], T> {
    private final String step;
    private final Parser<T> parser;
    private final EventTime<T> eventTime;
    private final int maxPayloadBytes;
    private final TupleTag<T> parsed;
    private final TupleTag<Failure> failed;
    private final Counter parsedCount;
    private final Counter failedCount;

    ParseFn(
        String step,
        String namespace,
        Parser<T> parser,
        EventTime<T> eventTime,
        int maxPayloadBytes,
        TupleTag<T> parsed,
        TupleTag<Failure> failed) {
      this.step = step;
      this.parser = parser;
      this.eventTime = eventTime;
      this.maxPayloadBytes = maxPayloadBytes;
      this.parsed = parsed;
      this.failed = failed;
      this.parsedCount = Metrics.counter(namespace, "parsed");
      this.failedCount = Metrics.counter(namespace, "parseFailed");
    }

    @ProcessElement
    public void process(@Element byte[] payload, MultiOutputReceiver out) {
      if (payload.length > maxPayloadBytes) {
        fail(
            out,
            payload,
            "payload of " + payload.length + " bytes exceeds the limit of " + maxPayloadBytes);
        return;
      }
      T record;
      try {
        record = parser.parse(payload);
      } catch (JsonFields.InvalidRecordException e) {
        fail(out, payload, e.getMessage());
        return;
      }
      parsedCount.inc();
      out.get(parsed).outputWithTimestamp(record, Instant.ofEpochMilli(eventTime.millis(record)));
    }

    private void fail(MultiOutputReceiver out, byte[] payload, String reason) {
      failedCount.inc();
      out.get(failed).output(Failures.of(step, reason, payload));
    }

    // Event times may precede the timestamps a source assigns (e.g. Kafka log-append time).
    @SuppressWarnings("deprecation")
    @Override
    public Duration getAllowedTimestampSkew() {
      return Duration.millis(Long.MAX_VALUE);
    }
  }
}
