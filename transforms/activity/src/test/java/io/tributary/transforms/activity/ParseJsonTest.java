package io.tributary.transforms.activity;

import static java.nio.charset.StandardCharsets.UTF_8;

import com.google.protobuf.ByteString;
import io.tributary.proto.activity.PageView;
import io.tributary.proto.common.Failure;
import io.tributary.testing.BeamTest;
import java.util.ArrayList;
import java.util.List;
import org.apache.beam.sdk.testing.PAssert;
import org.apache.beam.sdk.testing.TestPipeline;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.Reify;
import org.apache.beam.sdk.transforms.WithFailures;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.TimestampedValue;
import org.joda.time.Instant;
import org.junit.jupiter.api.Test;

@BeamTest
class ParseJsonTest {
  private static final String GOOD =
      "{\"event_id\":\"v-1\",\"user_id\":\"u-1\",\"page\":\"/home\",\"referrer\":\"https://t.co/x\","
          + "\"user_agent\":\"curl\",\"event_time\":\"2026-11-24T10:00:00.250Z\",\"country\":\"DE\","
          + "\"extra\":true}";
  private static final String GOOD_MILLIS =
      "{\"user_id\":\"u-2\",\"page\":\"/a\",\"event_time\":1764000000000}";

  @Test
  void everyKindOfBadInputLandsInTheFailureOutputWithItsReason(TestPipeline p) {
    String oversized = "{\"user_id\":\"u\",\"page\":\"/" + "x".repeat(300) + "\",\"event_time\":1}";
    String[][] cases = {
      {"{\"user_id\":", "malformed JSON: Unexpected end-of-input"},
      {"", "malformed JSON: empty payload"},
      {"[1,2]", "expected a JSON object, got ARRAY"},
      {"{\"user_id\":\"u\",\"page\":\"/a\",\"event_time\":1}{\"user_id\":\"v\",\"page\":\"/b\",\"event_time\":2}",
        "trailing content after the JSON value at byte 42 (a second record, or junk)"},
      {"{\"user_id\":\"u\",\"page\":\"/a\",\"event_time\":1} xyz",
        "trailing content after the JSON value at byte 42 (a second record, or junk)"},
      {"{\"page\":\"/a\",\"event_time\":1}", "missing required field 'user_id'"},
      {"{\"user_id\":\"u\",\"event_time\":1}", "missing required field 'page'"},
      {"{\"user_id\":\"u\",\"page\":\"/a\"}", "missing required field 'event_time'"},
      {"{\"user_id\":7,\"page\":\"/a\",\"event_time\":1}", "field 'user_id' must be a string, got NUMBER"},
      {"{\"user_id\":\" \",\"page\":\"/a\",\"event_time\":1}", "field 'user_id' is empty"},
      {"{\"user_id\":\"u\\ud800x\",\"page\":\"/a\",\"event_time\":1}",
        "field 'user_id' holds an unpaired surrogate \\ud800 at character 1"},
      {"{\"user_id\":\"u\",\"page\":\"/a\\udc00\",\"event_time\":1}",
        "field 'page' holds an unpaired surrogate \\udc00 at character 2"},
      {"{\"user_id\":\"u\",\"page\":\"/a\",\"referrer\":{},\"event_time\":1}",
        "field 'referrer' must be a string, got OBJECT"},
      {"{\"user_id\":\"u\",\"page\":\"/a\",\"event_time\":\"yesterday\"}",
        "field 'event_time' is not an ISO-8601 instant or epoch milliseconds: 'yesterday'"},
      {"{\"user_id\":\"u\",\"page\":\"/a\",\"event_time\":1.5}",
        "field 'event_time' is not an ISO-8601 instant or epoch milliseconds: 1.5"},
      {"{\"user_id\":\"u\",\"page\":\"/a\",\"event_time\":-5}",
        "field 'event_time' is out of range: -5 ms since the epoch"},
      {oversized, "payload of " + oversized.length() + " bytes exceeds the limit of 256"},
    };
    List<byte[]> input = new ArrayList<>();
    List<Failure> expected = new ArrayList<>();
    input.add(GOOD.getBytes(UTF_8));
    for (String[] c : cases) {
      input.add(c[0].getBytes(UTF_8));
      expected.add(
          Failure.newBuilder()
              .setStep("ParsePageViews")
              .setReason(c[1])
              .setPayload(ByteString.copyFromUtf8(c[0]))
              .build());
    }
    input.add(GOOD_MILLIS.getBytes(UTF_8));

    WithFailures.Result<PCollection<PageView>, Failure> result =
        p.apply(Create.of(input)).apply(WebActivity.parseJson().withMaxPayloadBytes(256));

    PAssert.that(result.failures()).satisfies(new FailuresMatch(expected));
    PAssert.that(result.output().apply(Reify.timestamps()))
        .containsInAnyOrder(
            TimestampedValue.of(
                PageView.newBuilder()
                    .setEventId("v-1")
                    .setUserId("u-1")
                    .setPage("/home")
                    .setReferrer("https://t.co/x")
                    .setUserAgent("curl")
                    .setEventTimeMillis(Instant.parse("2026-11-24T10:00:00.250Z").getMillis())
                    .setCountry("DE")
                    .build(),
                Instant.parse("2026-11-24T10:00:00.250Z")),
            TimestampedValue.of(
                PageView.newBuilder()
                    .setUserId("u-2")
                    .setPage("/a")
                    .setEventTimeMillis(1764000000000L)
                    .build(),
                new Instant(1764000000000L)));
    p.run().waitUntilFinish();
  }

  @Test
  void formatThenParseIsTheIdentity() throws Exception {
    PageView view =
        PageView.newBuilder()
            .setEventId("e")
            .setUserId("u")
            .setPage("/p?q=1")
            .setReferrer("https://x.org/")
            .setUserAgent("ua")
            .setEventTimeMillis(1234567)
            .setCountry("FR")
            .build();
    org.junit.jupiter.api.Assertions.assertEquals(view, PageViewJson.parse(PageViewJson.format(view)));
  }

  /** Each failure's reason starts with the expected reason (Jackson adds location details). */
  static final class FailuresMatch
      implements org.apache.beam.sdk.transforms.SerializableFunction<Iterable<Failure>, Void> {
    private final List<Failure> expected;

    FailuresMatch(List<Failure> expected) {
      this.expected = new ArrayList<>(expected);
    }

    @Override
    public Void apply(Iterable<Failure> actual) {
      List<Failure> unmatched = new ArrayList<>(expected);
      List<Failure> extra = new ArrayList<>();
      for (Failure f : actual) {
        Failure match = null;
        for (Failure e : unmatched) {
          if (e.getPayload().equals(f.getPayload())
              && e.getStep().equals(f.getStep())
              && f.getReason().startsWith(e.getReason())) {
            match = e;
            break;
          }
        }
        if (match == null) {
          extra.add(f);
        } else {
          unmatched.remove(match);
        }
      }
      if (!unmatched.isEmpty() || !extra.isEmpty()) {
        throw new AssertionError("failures differ\nexpected but missing: " + unmatched + "\nunexpected: " + extra);
      }
      return null;
    }
  }
}
