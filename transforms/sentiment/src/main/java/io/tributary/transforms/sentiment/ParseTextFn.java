package io.tributary.transforms.sentiment;

import io.tributary.proto.common.Failure;
import io.tributary.proto.sentiment.TextItem;
import io.tributary.transforms.errors.Failures;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.metrics.Metrics;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.values.TupleTag;
import org.joda.time.Duration;
import org.joda.time.Instant;

/** Parses JSON or CSV text items; a bad record goes to the failure output with its reason. */
final class ParseTextFn extends DoFn<byte[], TextItem> {
  private final boolean csv;
  private final int maxPayloadBytes;
  private final TupleTag<TextItem> parsed;
  private final TupleTag<Failure> failed;
  private final Counter parsedCount = Metrics.counter(Sentiment.METRICS_NAMESPACE, "parsed");
  private final Counter failedCount = Metrics.counter(Sentiment.METRICS_NAMESPACE, "parseFailed");
  private final Counter headers = Metrics.counter(Sentiment.METRICS_NAMESPACE, "csvHeaders");

  ParseTextFn(boolean csv, int maxPayloadBytes, TupleTag<TextItem> parsed, TupleTag<Failure> failed) {
    this.csv = csv;
    this.maxPayloadBytes = maxPayloadBytes;
    this.parsed = parsed;
    this.failed = failed;
  }

  @ProcessElement
  public void process(@Element byte[] payload, MultiOutputReceiver out) {
    if (payload.length > maxPayloadBytes) {
      fail(out, payload, "payload of " + payload.length + " bytes exceeds the limit of " + maxPayloadBytes);
      return;
    }
    if (csv && TextItemJson.isCsvHeader(payload)) {
      headers.inc();
      return;
    }
    TextItem item;
    try {
      item = csv ? TextItemJson.parseCsv(payload) : TextItemJson.parseJson(payload);
    } catch (TextItemJson.InvalidTextItemException e) {
      fail(out, payload, e.getMessage());
      return;
    }
    parsedCount.inc();
    out.get(parsed).outputWithTimestamp(item, Instant.ofEpochMilli(item.getPublishedMillis()));
  }

  private void fail(MultiOutputReceiver out, byte[] payload, String reason) {
    failedCount.inc();
    out.get(failed).output(Failures.of(Sentiment.Parse.STEP, reason, payload));
  }

  // Publication times may precede the timestamps a source assigns (e.g. Kafka log-append time).
  @SuppressWarnings("deprecation")
  @Override
  public Duration getAllowedTimestampSkew() {
    return Duration.millis(Long.MAX_VALUE);
  }
}
