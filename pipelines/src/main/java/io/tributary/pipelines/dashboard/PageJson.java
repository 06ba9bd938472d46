package io.tributary.pipelines.dashboard;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Map;

/**
 * The JSON of the generic dashboard page ({@code page.html}): a title, cards, an optional chart,
 * tables, and the operations strip every page shares. Cells of a table are text, numbers or
 * sparklines ({@code {"spark": [..]}}); the page shows all text as text.
 */
public final class PageJson {
  private PageJson() {}

  /** A card; {@code value} null shows as a dash. Formats: integer, decimal, percent, duration. */
  public static void card(ObjectNode root, String id, String label, Number value, String format) {
    ArrayNode cards = root.has("cards") ? (ArrayNode) root.get("cards") : root.putArray("cards");
    ObjectNode c = cards.addObject().put("id", id).put("label", label).put("format", format);
    if (value == null) {
      c.putNull("value");
    } else if (value instanceof Double || value instanceof Float) {
      c.put("value", value.doubleValue());
    } else {
      c.put("value", value.longValue());
    }
  }

  /** A line chart of {@code points} (x: start millis), titled. */
  public static void chart(ObjectNode root, String title, Map<Long, ? extends Number> points) {
    ObjectNode chart = root.putObject("chart").put("title", title);
    ArrayNode out = chart.putArray("points");
    points.forEach((x, y) -> out.addArray().add(x).add(y.doubleValue()));
  }

  /** A table; returns its rows array, to which each row is added as an array of cells. */
  public static ArrayNode table(ObjectNode root, String id, String title, String... columns) {
    ArrayNode tables = root.has("tables") ? (ArrayNode) root.get("tables") : root.putArray("tables");
    ObjectNode t = tables.addObject().put("id", id).put("title", title);
    ArrayNode cols = t.putArray("columns");
    for (String c : columns) {
      cols.add(c);
    }
    return t.putArray("rows");
  }

  /** A sparkline cell. */
  public static void spark(ArrayNode row, Iterable<? extends Number> values) {
    ArrayNode s = row.addObject().putArray("spark");
    values.forEach(v -> s.add(v.doubleValue()));
  }

  /** The operations strip of an in-process pipeline ({@code reading} null: not known yet). */
  public static void ops(ObjectNode root, Meter.Reading reading, long late) {
    ObjectNode o = root.putObject("ops");
    o.put("late", late);
    o.put("source", "pipeline");
    if (reading != null) {
      o.put("eventsPerSecond", reading.eventsPerSecond());
      o.put("lagMillis", reading.lagMillis());
      o.put("deadLetters", reading.deadLetters());
    }
  }
}
