package io.tributary.pipelines.io;

import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.joda.time.Duration;
import org.joda.time.format.ISOPeriodFormat;

/**
 * Durations as every Tributary option writes them: a whole number and a unit, {@code ms}, {@code
 * s}, {@code m}, {@code h} or {@code d} ({@code 500ms}, {@code 10s}, {@code 5m}, {@code 1h},
 * {@code 7d}), or an ISO-8601 duration ({@code PT5M}). {@code 0} alone is zero.
 */
public final class Durations {
  private static final Pattern SHORT = Pattern.compile("(\\d{1,12})\\s*(ms|s|m|h|d)");

  private Durations() {}

  /** The duration {@code text} writes; throws {@link IllegalArgumentException} saying what is accepted. */
  public static Duration parse(String text) {
    String t = text == null ? "" : text.trim().toLowerCase(Locale.ROOT);
    if (t.equals("0")) {
      return Duration.ZERO;
    }
    Matcher m = SHORT.matcher(t);
    if (m.matches()) {
      long n = Long.parseLong(m.group(1));
      switch (m.group(2)) {
        case "ms":
          return Duration.millis(n);
        case "s":
          return Duration.standardSeconds(n);
        case "m":
          return Duration.standardMinutes(n);
        case "h":
          return Duration.standardHours(n);
        default:
          return Duration.standardDays(n);
      }
    }
    if (t.startsWith("p")) {
      try {
        return ISOPeriodFormat.standard().parsePeriod(t.toUpperCase(Locale.ROOT)).toStandardDuration();
      } catch (RuntimeException e) {
        // Reported below with the accepted forms.
      }
    }
    throw new IllegalArgumentException(
        "'" + text + "' is not a duration: write a whole number and a unit (500ms, 10s, 5m, 1h, 7d) or ISO-8601 (PT5M)");
  }

  /** The shortest of the forms {@link #parse} reads that writes {@code d} exactly. */
  public static String format(Duration d) {
    long ms = d.getMillis();
    if (ms == 0) {
      return "0";
    }
    long[] units = {86_400_000L, 3_600_000L, 60_000L, 1000L};
    String[] names = {"d", "h", "m", "s"};
    for (int i = 0; i < units.length; i++) {
      if (ms % units[i] == 0) {
        return ms / units[i] + names[i];
      }
    }
    return ms + "ms";
  }
}
