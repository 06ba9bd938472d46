package io.tributary.pipelines.io;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.joda.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class DurationsTest {
  @ParameterizedTest
  @CsvSource({"0, 0", "500ms, 500", "10s, 10000", "5m, 300000", "1h, 3600000", "7d, 604800000", "PT5M, 300000", "pt1h30m, 5400000", " 2S , 2000"})
  void readsEveryForm(String text, long millis) {
    assertEquals(Duration.millis(millis), Durations.parse(text));
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "5", "-1s", "1.5h", "5 minutes", "5min", "soon"})
  void rejectsWhatIsNotADurationSayingWhatIs(String text) {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Durations.parse(text));
    assertThat(e.getMessage(), containsString("'" + text + "' is not a duration"));
    assertThat(e.getMessage(), containsString("10s, 5m, 1h"));
  }

  @ParameterizedTest
  @CsvSource({"0, 0", "1500, 1500ms", "2000, 2s", "300000, 5m", "5400000, 90m", "3600000, 1h", "172800000, 2d"})
  void formatsTheShortestExactForm(long millis, String text) {
    assertEquals(text, Durations.format(Duration.millis(millis)));
    assertEquals(Duration.millis(millis), Durations.parse(text));
  }

  @Test
  void optionsCheckNamesTheOptionAndKeepsGoing() {
    OptionsCheck check = new OptionsCheck();
    assertEquals(Duration.ZERO, check.duration("5 minutes", "windowSize"));
    check.positiveDuration("0", "sessionGap");
    check.slidingWindow("10s", "1m");
    String message = assertThrows(IllegalArgumentException.class, check::throwIfInvalid).getMessage();
    assertThat(message, containsString("--windowSize=5 minutes: '5 minutes' is not a duration"));
    assertThat(message, containsString("--sessionGap=0: must be longer than zero"));
    assertThat(message, containsString("--windowPeriod=1m: must not exceed --windowSize=10s"));
  }
}
