package io.tributary.pipelines.sentiment;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.is;

import io.tributary.proto.sentiment.Contribution;
import io.tributary.proto.sentiment.ShiftAlert;
import io.tributary.proto.sentiment.TickerWindow;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class SentimentConsoleTest {
  @Test
  void rendersTickersByMentionsMarksStaleOnesAndListsAlerts() {
    long end = 1_700_000_000_000L;
    List<TickerWindow> windows = new ArrayList<>();
    windows.add(TickerWindow.newBuilder().setTicker("MSFT").setWindowStartMillis(end - 3_600_000).setWindowEndMillis(end)
        .setMentions(3).setMeanScore(-0.25).setWeightedScore(-0.3).setNegative(2).setNeutral(1).build());
    windows.add(TickerWindow.newBuilder().setTicker("AAPL").setWindowStartMillis(end - 3_600_000).setWindowEndMillis(end)
        .setMentions(12).setMeanScore(0.5).setWeightedScore(0.612).setPositive(8).setNeutral(3).setNegative(1).build());
    windows.add(TickerWindow.newBuilder().setTicker("TSLA").setWindowStartMillis(end - 3_900_000).setWindowEndMillis(end - 300_000)
        .setMentions(1).setMeanScore(0).setWeightedScore(0).setNeutral(1).build());
    ShiftAlert alert = ShiftAlert.newBuilder().setTicker("AAPL").setWindowEndMillis(end).setZScore(4.25).setCurrentMean(0.5)
        .setCurrentMentions(12).setBaselineMean(0.05).setBaselineMentions(40)
        .addTopItems(Contribution.newBuilder().setSentence("Apple beat estimates.")).build();
    String table = SentimentConsole.render(windows, List.of(alert), end, false);
    assertThat(
        table,
        is(String.join(
            System.lineSeparator(),
            "Tributary market sentiment  windows ending 11-14 22:13 UTC",
            "",
            "ticker    mentions     mean  weighted    pos    neu    neg  window",
            "AAPL            12   +0.500    +0.612      8      3      1  11-14 21:13 - 11-14 22:13",
            "MSFT             3   -0.250    -0.300      0      1      2  11-14 21:13 - 11-14 22:13",
            "TSLA             1   +0.000    +0.000      0      1      0  11-14 21:08 - 11-14 22:08  (no newer mentions)",
            "",
            "latest shift alerts",
            "  AAPL     11-14 22:13  z   +4.3  mean +0.500 over 12 mentions vs baseline +0.050 over 40  e.g. \"Apple beat estimates.\"",
            "",
            "")));
  }
}
