package io.tributary.pipelines.io;

import java.util.LinkedHashSet;
import java.util.Locale;
import java.util.Set;
import org.joda.time.Duration;

/**
 * Collects every problem with a pipeline's options before the pipeline is built, so that one run
 * reports them all, each naming the option and the bad value.
 */
public final class OptionsCheck {
  // A set: the same problem found by two checks is reported once.
  private final Set<String> problems = new LinkedHashSet<>();

  /** Records a problem unless {@code ok}. */
  public OptionsCheck require(boolean ok, String option, Object value, String why) {
    if (!ok) {
      problems.add("--" + option + "=" + value + ": " + why);
    }
    return this;
  }

  /** Records a problem if {@code value} is null or blank. */
  public OptionsCheck requireSet(String value, String option, String why) {
    if (value == null || value.isBlank()) {
      problems.add("--" + option + " is required " + why);
    }
    return this;
  }

  /** Records a problem if {@code value} is not positive. */
  public OptionsCheck requirePositive(long value, String option) {
    return require(value > 0, option, value, "must be positive");
  }

  /** Records a problem if {@code value} is negative. */
  public OptionsCheck requireNonNegative(long value, String option) {
    return require(value >= 0, option, value, "must not be negative");
  }

  /**
   * Parses a duration option ({@link Durations}); records a problem and returns zero when it is
   * not one.
   */
  public Duration duration(String value, String option) {
    return duration(value, option, false);
  }

  /** Parses a duration option that must be longer than zero. */
  public Duration positiveDuration(String value, String option) {
    return duration(value, option, true);
  }

  private Duration duration(String value, String option, boolean positive) {
    try {
      Duration d = Durations.parse(value);
      if (positive && !d.isLongerThan(Duration.ZERO)) {
        problems.add("--" + option + "=" + value + ": must be longer than zero");
      }
      return d;
    } catch (IllegalArgumentException e) {
      problems.add("--" + option + "=" + value + ": " + e.getMessage());
      return Duration.ZERO;
    }
  }

  /**
   * Checks {@code --windowSize} and {@code --windowPeriod} of a sliding window: both longer than
   * zero, the period at most the size.
   */
  public OptionsCheck slidingWindow(String size, String period) {
    Duration s = positiveDuration(size, "windowSize");
    Duration p = positiveDuration(period, "windowPeriod");
    return require(
        s.isEqual(Duration.ZERO) || !p.isLongerThan(s), "windowPeriod", period, "must not exceed --windowSize=" + size);
  }

  /**
   * Parses a comma-separated list of choices; records a problem for an empty list or an unknown
   * choice.
   */
  public Set<String> choices(String value, String option, Set<String> allowed) {
    Set<String> chosen = new LinkedHashSet<>();
    if (value == null || value.isBlank()) {
      problems.add("--" + option + " is empty: choose from " + allowed);
      return chosen;
    }
    for (String part : value.split(",")) {
      String choice = part.trim().toLowerCase(Locale.ROOT);
      if (!allowed.contains(choice)) {
        problems.add("--" + option + "=" + value + ": unknown choice '" + part.trim() + "', choose from " + allowed);
      } else {
        chosen.add(choice);
      }
    }
    return chosen;
  }

  /** Throws one exception listing every problem recorded, if any. */
  public void throwIfInvalid() {
    if (!problems.isEmpty()) {
      throw new IllegalArgumentException(
          "Invalid options:\n  " + String.join("\n  ", problems));
    }
  }
}
