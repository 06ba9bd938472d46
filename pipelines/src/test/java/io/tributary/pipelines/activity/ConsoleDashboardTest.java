package io.tributary.pipelines.activity;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.not;
import static org.hamcrest.Matchers.startsWith;

import io.tributary.proto.activity.ActivitySnapshot;
import io.tributary.proto.common.Pane;
import io.tributary.proto.common.RankedCount;
import org.junit.jupiter.api.Test;

class ConsoleDashboardTest {
  private static final ActivitySnapshot SNAPSHOT =
      ActivitySnapshot.newBuilder()
          .setWindowStartMillis(1_700_000_000_000L)
          .setWindowEndMillis(1_700_000_300_000L)
          .addTopPages(RankedCount.newBuilder().setItem("/").setCount(1234))
          .addTopPages(RankedCount.newBuilder().setItem("/product/" + "x".repeat(60)).setCount(7))
          .addTopReferrers(RankedCount.newBuilder().setItem("(direct)").setCount(900))
          .setActivePages(2)
          .setActiveUsers(812)
          .setPageViews(1241)
          .setInternalReferrals(3)
          .setPane(Pane.newBuilder().setTiming(Pane.Timing.ON_TIME))
          .build();

  @Test
  void rendersWindowHeadlineAndSideBySideRankings() {
    String screen = ConsoleDashboard.render(SNAPSHOT, false);
    assertThat(screen, startsWith("Tributary web activity  window 22:13:20 - 22:18:20 UTC  (ON_TIME)"));
    assertThat(screen, containsString("views 1,241   active users 812   active pages 2   internal referrals 3"));
    assertThat(screen, containsString("  #  top pages                           views   top referrers                   views"));
    assertThat(screen, containsString("  1  /                                   1,234   (direct)                          900"));
    // Long pages are clipped to the column, so the table keeps its shape.
    assertThat(screen, containsString("  2  /product/" + "x".repeat(22) + "…        7"));
    assertThat(screen, not(containsString("\033[2J")));
  }

  @Test
  void clearsTheScreenOnATerminal() {
    assertThat(ConsoleDashboard.render(SNAPSHOT, true), startsWith("\033[H\033[2J"));
  }
}
