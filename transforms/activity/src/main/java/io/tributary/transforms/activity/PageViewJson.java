package io.tributary.transforms.activity;

import static io.tributary.transforms.json.JsonFields.eventTime;
import static io.tributary.transforms.json.JsonFields.optionalText;
import static io.tributary.transforms.json.JsonFields.putIfPresent;
import static io.tributary.transforms.json.JsonFields.requiredText;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.tributary.proto.activity.PageView;
import io.tributary.transforms.json.JsonFields.InvalidRecordException;
import io.tributary.transforms.json.JsonFields;

/**
 * The JSON form of a page view, one object per record:
 *
 * <pre>{@code
 * {"event_id": "v-1", "user_id": "u-42", "page": "/pricing", "referrer": "https://www.google.com/",
 *  "user_agent": "Mozilla/5.0 ...", "event_time": "2026-11-24T10:15:30.250Z", "country": "DE"}
 * }</pre>
 *
 * <p>{@code user_id}, {@code page} and {@code event_time} are required; {@code event_time} is an
 * ISO-8601 instant or a number of milliseconds since the epoch. The other fields are optional
 * strings. Unknown fields are ignored.
 */
public final class PageViewJson {
  private PageViewJson() {}

  /** Parses one JSON page view. */
  public static PageView parse(byte[] payload) throws InvalidRecordException {
    JsonNode root = JsonFields.readObject(payload);
    return PageView.newBuilder()
        .setEventId(optionalText(root, "event_id"))
        .setUserId(requiredText(root, "user_id"))
        .setPage(requiredText(root, "page"))
        .setReferrer(optionalText(root, "referrer"))
        .setUserAgent(optionalText(root, "user_agent"))
        .setEventTimeMillis(eventTime(root, "event_time"))
        .setCountry(optionalText(root, "country"))
        .build();
  }

  /** Formats a page view as the JSON that {@link #parse} reads. */
  public static byte[] format(PageView view) {
    ObjectNode node = JsonFields.newObject();
    putIfPresent(node, "event_id", view.getEventId());
    node.put("user_id", view.getUserId());
    node.put("page", view.getPage());
    putIfPresent(node, "referrer", view.getReferrer());
    putIfPresent(node, "user_agent", view.getUserAgent());
    node.put("event_time", JsonFields.formatTime(view.getEventTimeMillis()));
    putIfPresent(node, "country", view.getCountry());
    return JsonFields.bytes(node);
  }
}
