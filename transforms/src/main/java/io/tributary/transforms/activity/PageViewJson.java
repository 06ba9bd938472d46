package io.tributary.transforms.activity;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.tributary.proto.activity.PageView;
import io.tributary.transforms.json.JsonFields;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import org.apache.beam.sdk.transforms.windowing.BoundedWindow;

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
  private static final ObjectMapper MAPPER = new ObjectMapper();

  private PageViewJson() {}

  /** Why a payload is not a page view; the message names the offending field or value. */
  public static final class InvalidPageViewException extends Exception {
    private static final long serialVersionUID = 1L;

    InvalidPageViewException(String message) {
      super(message);
    }
  }

  /** Parses one JSON page view. */
  public static PageView parse(byte[] payload) throws InvalidPageViewException {
    try {
      JsonNode root = JsonFields.object(payload);
      return PageView.newBuilder()
          .setEventId(JsonFields.optionalText(root, "event_id"))
          .setUserId(JsonFields.requiredText(root, "user_id"))
          .setPage(JsonFields.requiredText(root, "page"))
          .setReferrer(JsonFields.optionalText(root, "referrer"))
          .setUserAgent(JsonFields.optionalText(root, "user_agent"))
          .setEventTimeMillis(
              JsonFields.epochMillis(
                  root, "event_time", BoundedWindow.TIMESTAMP_MAX_VALUE.getMillis() / 2))
          .setCountry(JsonFields.optionalText(root, "country"))
          .build();
    } catch (JsonFields.InvalidJsonException e) {
      throw new InvalidPageViewException(e.getMessage());
    }
  }

  /** Formats a page view as the JSON that {@link #parse} reads. */
  public static byte[] format(PageView view) {
    ObjectNode node = MAPPER.createObjectNode();
    if (!view.getEventId().isEmpty()) {
      node.put("event_id", view.getEventId());
    }
    node.put("user_id", view.getUserId());
    node.put("page", view.getPage());
    if (!view.getReferrer().isEmpty()) {
      node.put("referrer", view.getReferrer());
    }
    if (!view.getUserAgent().isEmpty()) {
      node.put("user_agent", view.getUserAgent());
    }
    node.put("event_time", Instant.ofEpochMilli(view.getEventTimeMillis()).toString());
    if (!view.getCountry().isEmpty()) {
      node.put("country", view.getCountry());
    }
    try {
      return MAPPER.writeValueAsString(node).getBytes(StandardCharsets.UTF_8);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot format page view " + view, e);
    }
  }
}
