package io.tributary.transforms.fraud;

import static io.tributary.transforms.json.JsonFields.eventTime;
import static io.tributary.transforms.json.JsonFields.optionalText;
import static io.tributary.transforms.json.JsonFields.putIfPresent;
import static io.tributary.transforms.json.JsonFields.requiredLong;
import static io.tributary.transforms.json.JsonFields.requiredText;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.tributary.proto.fraud.Transaction;
import io.tributary.transforms.json.JsonFields.InvalidRecordException;
import io.tributary.transforms.json.JsonFields;
import java.util.regex.Pattern;

/**
 * The JSON form of a card transaction, one object per record:
 *
 * <pre>{@code
 * {"transaction_id": "t-1001", "card_id": "card-42", "amount_minor": 1250, "currency": "USD",
 *  "merchant": "Corner Grocery", "merchant_category": "5411", "country": "US",
 *  "event_time": "2026-11-24T10:15:30.250Z"}
 * }</pre>
 *
 * <p>Required: {@code transaction_id}, {@code card_id}, {@code amount_minor} (a positive integer in
 * the currency's minor units), {@code currency} (three upper-case letters) and {@code event_time}
 * (an ISO-8601 instant or epoch milliseconds). The rest are optional strings; unknown fields are
 * ignored. Refunds and reversals (zero or negative amounts) are rejected: they are not spending.
 */
public final class TransactionJson {
  private static final Pattern CURRENCY = Pattern.compile("[A-Z]{3}");

  private TransactionJson() {}

  /** Parses one JSON transaction. */
  public static Transaction parse(byte[] payload) throws InvalidRecordException {
    JsonNode root = JsonFields.readObject(payload);
    long amount = requiredLong(root, "amount_minor");
    if (amount <= 0) {
      throw new InvalidRecordException("field 'amount_minor' must be positive, got " + amount);
    }
    String currency = requiredText(root, "currency");
    if (!CURRENCY.matcher(currency).matches()) {
      throw new InvalidRecordException(
          "field 'currency' must be an ISO 4217 code of three upper-case letters, got '"
              + currency
              + "'");
    }
    return Transaction.newBuilder()
        .setTransactionId(requiredText(root, "transaction_id"))
        .setCardId(requiredText(root, "card_id"))
        .setAmountMinor(amount)
        .setCurrency(currency)
        .setMerchant(optionalText(root, "merchant"))
        .setMerchantCategory(optionalText(root, "merchant_category"))
        .setCountry(optionalText(root, "country"))
        .setEventTimeMillis(eventTime(root, "event_time"))
        .build();
  }

  /** Formats a transaction as the JSON that {@link #parse} reads. */
  public static byte[] format(Transaction t) {
    ObjectNode node = JsonFields.newObject();
    node.put("transaction_id", t.getTransactionId());
    node.put("card_id", t.getCardId());
    node.put("amount_minor", t.getAmountMinor());
    node.put("currency", t.getCurrency());
    putIfPresent(node, "merchant", t.getMerchant());
    putIfPresent(node, "merchant_category", t.getMerchantCategory());
    putIfPresent(node, "country", t.getCountry());
    node.put("event_time", JsonFields.formatTime(t.getEventTimeMillis()));
    return JsonFields.bytes(node);
  }
}
