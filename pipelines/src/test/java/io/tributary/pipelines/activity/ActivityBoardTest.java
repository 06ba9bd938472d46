package io.tributary.pipelines.activity;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.tributary.proto.activity.ActivitySnapshot;
import io.tributary.proto.activity.SessionSummary;
import io.tributary.proto.activity.ViewCount;
import io.tributary.proto.common.Pane;
import io.tributary.proto.common.RankedCount;
import org.junit.jupiter.api.Test;

class ActivityBoardTest {
  private static final ObjectMapper MAPPER = new ObjectMapper();

  static ActivitySnapshot snapshot(long end, long views, Pane.Timing timing, long index) {
    return ActivitySnapshot.newBuilder()
        .setWindowStartMillis(end - 300_000)
        .setWindowEndMillis(end)
        .setPageViews(views)
        .setActiveUsers(views / 2)
        .addTopPages(RankedCount.newBuilder().setItem("/a").setCount(views))
        .setPane(Pane.newBuilder().setTiming(timing).setIndex(index))
        .build();
  }

  @Test
  void showsTheNewestWindowAndCountsLatePanes() {
    ActivityBoard board = new ActivityBoard();
    board.add(snapshot(20_000, 5, Pane.Timing.ON_TIME, 0), 1);
    board.add(snapshot(10_000, 9, Pane.Timing.LATE, 1), 2); // older window: counted, not shown
    JsonNode json = board.toJson(MAPPER);
    assertEquals(20_000, json.at("/window/end").asLong(), json.toString());
    assertEquals(5, json.at("/cards/views").asLong(), json.toString());
    assertEquals(1, json.at("/ops/late").asLong(), json.toString());
    board.add(snapshot(20_000, 7, Pane.Timing.LATE, 1), 3); // the shown window, revised
    json = board.toJson(MAPPER);
    assertEquals(7, json.at("/cards/views").asLong(), json.toString());
    assertEquals("LATE", json.at("/window/timing").asText(), json.toString());
    assertEquals("/a", json.at("/topPages/0/item").asText(), json.toString());
    assertEquals(2, json.at("/ops/late").asLong(), json.toString());
  }

  @Test
  void sessionFiguresCountFirstPanesOnly() {
    ActivityBoard board = new ActivityBoard();
    board.add(SessionSummary.newBuilder().setPageViews(1).setBounce(true).setPane(Pane.newBuilder().setIndex(0)).build());
    board.add(SessionSummary.newBuilder().setPageViews(3).setDurationMillis(90_000).setPane(Pane.newBuilder().setIndex(0)).build());
    board.add(SessionSummary.newBuilder().setPageViews(4).setDurationMillis(99_000).setPane(Pane.newBuilder().setIndex(1)).build());
    JsonNode s = board.toJson(MAPPER).get("sessions");
    assertEquals(2, s.get("closed").asLong(), s.toString());
    assertEquals(0.5, s.get("bounceRate").asDouble(), s.toString());
    assertEquals(45_000, s.get("meanDurationMillis").asDouble(), s.toString());
    assertEquals(2.0, s.get("viewsPerSession").asDouble(), s.toString());
  }

  @Test
  void trendKeepsThirtyMinutesAndTheNewestPaneOfEachPeriod() {
    ActivityBoard board = new ActivityBoard();
    for (long start = 0; start <= 40 * 60_000; start += 10_000) {
      board.add(ViewCount.newBuilder().setWindowStartMillis(start).setWindowEndMillis(start + 10_000).setPageViews(start / 10_000).build());
    }
    board.add(ViewCount.newBuilder().setWindowStartMillis(40 * 60_000).setWindowEndMillis(40 * 60_000 + 10_000).setPageViews(1_000)
        .setPane(Pane.newBuilder().setTiming(Pane.Timing.LATE).setIndex(1)).build());
    JsonNode points = board.toJson(MAPPER).at("/trend/points");
    assertEquals(181, points.size(), "30 minutes of 10 s periods, both ends included");
    assertEquals(10 * 60_000, points.get(0).get(0).asLong());
    assertEquals(1_000, points.get(180).get(2).asLong());
    assertFalse(board.toJson(MAPPER).has("window"));
  }
}
