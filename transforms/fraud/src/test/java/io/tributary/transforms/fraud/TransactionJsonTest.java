package io.tributary.transforms.fraud;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.tributary.proto.fraud.Transaction;
import io.tributary.transforms.json.JsonFields.InvalidRecordException;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class TransactionJsonTest {
  private static final String GOOD =
      "{\"transaction_id\":\"t-1\",\"card_id\":\"c-1\",\"amount_minor\":1250,\"currency\":\"USD\","
          + "\"merchant\":\"Grocer\",\"merchant_category\":\"5411\",\"country\":\"US\","
          + "\"event_time\":\"2026-11-24T10:15:30.250Z\"}";

  @Test
  void readsEveryFieldAndFormatsBackTheSame() throws Exception {
    Transaction t = TransactionJson.parse(GOOD.getBytes(StandardCharsets.UTF_8));
    assertThat(t.getTransactionId(), equalTo("t-1"));
    assertThat(t.getCardId(), equalTo("c-1"));
    assertThat(t.getAmountMinor(), equalTo(1250L));
    assertThat(t.getCurrency(), equalTo("USD"));
    assertThat(t.getMerchantCategory(), equalTo("5411"));
    assertThat(t.getEventTimeMillis(), equalTo(java.time.Instant.parse("2026-11-24T10:15:30.250Z").toEpochMilli()));
    assertThat(TransactionJson.parse(TransactionJson.format(t)), equalTo(t));
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(
      delimiter = '|',
      value = {
        "not JSON|{oops|malformed JSON",
        "an array|[1,2]|expected a JSON object, got ARRAY",
        "no id|{\"card_id\":\"c\",\"amount_minor\":1,\"currency\":\"USD\",\"event_time\":0}|missing required field 'transaction_id'",
        "no card|{\"transaction_id\":\"t\",\"amount_minor\":1,\"currency\":\"USD\",\"event_time\":0}|missing required field 'card_id'",
        "amount as text|{\"transaction_id\":\"t\",\"card_id\":\"c\",\"amount_minor\":\"12\",\"currency\":\"USD\",\"event_time\":0}|field 'amount_minor' must be an integer",
        "fractional amount|{\"transaction_id\":\"t\",\"card_id\":\"c\",\"amount_minor\":12.5,\"currency\":\"USD\",\"event_time\":0}|field 'amount_minor' must be an integer",
        "refund|{\"transaction_id\":\"t\",\"card_id\":\"c\",\"amount_minor\":-5,\"currency\":\"USD\",\"event_time\":0}|field 'amount_minor' must be positive, got -5",
        "bad currency|{\"transaction_id\":\"t\",\"card_id\":\"c\",\"amount_minor\":5,\"currency\":\"usd\",\"event_time\":0}|three upper-case letters, got 'usd'",
        "bad time|{\"transaction_id\":\"t\",\"card_id\":\"c\",\"amount_minor\":5,\"currency\":\"USD\",\"event_time\":\"yesterday\"}|field 'event_time' is not an ISO-8601 instant",
      })
  void rejectsWithAReasonNamingTheField(String what, String json, String reason) {
    InvalidRecordException e =
        assertThrows(
            InvalidRecordException.class,
            () -> TransactionJson.parse(json.getBytes(StandardCharsets.UTF_8)),
            what);
    assertThat(what, e.getMessage(), containsString(reason));
  }
}
