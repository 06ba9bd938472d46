"use strict";
(() => {
  const T = Tributary;
  let chart = null;

  function percent(x) {
    return x == null ? "–" : (100 * x).toFixed(1) + "%";
  }

  function trend(points) {
    // points: [[start, end, views], ...] in time order.
    const xs = points.map((p) => p[0] / 1000);
    const ys = points.map((p) => p[2]);
    const el = document.getElementById("trend-chart");
    if (chart == null) {
      chart = new uPlot(
        {
          width: Math.max(300, el.clientWidth),
          height: 220,
          scales: { x: { time: true } },
          legend: { show: false },
          series: [{}, { label: "views", stroke: "#4f6bed", fill: "rgba(79,107,237,0.12)", width: 2 }],
          axes: [
            { values: (u, vals, axis, space, incr) => vals.map((v) => T.clock(v, incr)) },
            { values: (u, vals) => vals.map((v) => T.integer.format(v)) },
          ],
        },
        [xs, ys],
        el,
      );
      window.addEventListener("resize", () => chart.setSize({ width: Math.max(300, el.clientWidth), height: 220 }));
    } else {
      chart.setData([xs, ys]);
    }
    if (points.length > 0) T.text("trend-period", T.duration(points[0][1] - points[0][0]));
    const rows = points.map((p) => {
      const tr = document.createElement("tr");
      const start = document.createElement("td");
      start.textContent = new Date(p[0]).toISOString();
      const views = document.createElement("td");
      views.textContent = String(p[2]);
      tr.append(start, views);
      return tr;
    });
    document.querySelector("#trend-table tbody").replaceChildren(...rows);
  }

  function render(s) {
    if (s.window) {
      T.text("window", "window " + T.time.format(new Date(s.window.start)) + " – " + T.time.format(new Date(s.window.end)) + " UTC");
      const pane = document.getElementById("pane");
      pane.textContent = s.window.timing;
      pane.className = "pane " + s.window.timing;
      T.figure("card-views", s.cards.views, T.integer.format);
      T.figure("card-activeUsers", s.cards.activeUsers, T.integer.format);
      T.figure("card-activePages", s.cards.activePages, T.integer.format);
      T.figure("card-internalReferrals", s.cards.internalReferrals, T.integer.format);
      T.bars("top-pages", s.topPages);
      T.bars("top-referrers", s.topReferrers);
    }
    const x = s.sessions;
    T.figure("card-sessionsClosed", x.closed, T.integer.format);
    T.figure("card-bounceRate", x.bounceRate, percent);
    T.figure("card-meanDuration", x.meanDurationMillis, T.duration);
    T.figure("card-viewsPerSession", x.viewsPerSession, T.decimal.format);
    trend(s.trend.points);
    const o = s.ops;
    T.figure("ops-eventsPerSecond", o.eventsPerSecond, T.integer.format);
    T.figure("ops-lag", o.lagMillis, T.duration);
    T.figure("ops-late", o.late, T.integer.format);
    T.figure("ops-deadLetters", o.deadLetters, T.integer.format);
    T.text(
      "ops-source",
      o.source === "pipeline"
        ? "from the pipeline's counters"
        : "from its results in Kafka; " + T.integer.format(o.unreadable) + " unreadable records",
    );
  }

  T.connect("activity", render);
})();
