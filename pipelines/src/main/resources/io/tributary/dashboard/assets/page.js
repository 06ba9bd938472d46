// The generic dashboard page: cards, an optional chart and tables, from the board's JSON
// (io.tributary.pipelines.dashboard.PageJson). Every string from the data is set as text.
"use strict";
(() => {
  const T = Tributary;
  const page = document.body.dataset.page;
  let chart = null;

  const formats = {
    integer: (v) => T.integer.format(v),
    decimal: (v) => T.decimal.format(v),
    percent: (v) => (100 * v).toFixed(1) + "%",
    duration: (v) => T.duration(v),
  };

  function cards(list) {
    const section = document.getElementById("cards");
    for (const c of list) {
      let value = document.getElementById("card-" + c.id);
      if (value == null) {
        const card = document.createElement("div");
        card.className = "card";
        const label = document.createElement("div");
        label.className = "label";
        label.textContent = c.label;
        value = document.createElement("div");
        value.className = "value";
        value.id = "card-" + c.id;
        card.append(label, value);
        section.append(card);
      }
      T.figure(value.id, c.value, formats[c.format] || String);
    }
  }

  function spark(values) {
    const ns = "http://www.w3.org/2000/svg";
    const svg = document.createElementNS(ns, "svg");
    svg.setAttribute("class", "spark");
    svg.setAttribute("width", "120");
    svg.setAttribute("height", "24");
    svg.dataset.values = values.join(",");
    if (values.length > 1) {
      const lo = Math.min(-1, ...values), hi = Math.max(1, ...values);
      const line = document.createElementNS(ns, "polyline");
      line.setAttribute("fill", "none");
      line.setAttribute("stroke", "#4f6bed");
      line.setAttribute("stroke-width", "1.5");
      line.setAttribute("points", values.map((v, i) => (i * 118 / (values.length - 1) + 1).toFixed(1) + "," + (23 - (v - lo) / (hi - lo) * 22).toFixed(1)).join(" "));
      svg.append(line);
    }
    return svg;
  }

  function cell(value) {
    const td = document.createElement("td");
    if (value !== null && typeof value === "object" && Array.isArray(value.spark)) {
      td.append(spark(value.spark));
    } else if (typeof value === "number") {
      td.className = "num";
      td.textContent = Number.isInteger(value) ? T.integer.format(value) : T.decimal.format(value);
    } else {
      td.textContent = value == null ? "" : String(value);
    }
    return td;
  }

  function tables(list) {
    const holder = document.getElementById("tables");
    for (const t of list) {
      let table = document.getElementById("table-" + t.id);
      if (table == null) {
        const panel = document.createElement("section");
        panel.className = "panel";
        const h = document.createElement("h2");
        h.textContent = t.title;
        table = document.createElement("table");
        table.className = "feed";
        table.id = "table-" + t.id;
        const head = document.createElement("thead");
        const tr = document.createElement("tr");
        for (const c of t.columns) {
          const th = document.createElement("th");
          th.textContent = c;
          tr.append(th);
        }
        head.append(tr);
        table.append(head, document.createElement("tbody"));
        panel.append(h, table);
        holder.append(panel);
      }
      const rows = t.rows.map((r) => {
        const tr = document.createElement("tr");
        tr.append(...r.map(cell));
        return tr;
      });
      table.tBodies[0].replaceChildren(...rows);
    }
  }

  function drawChart(c) {
    const panel = document.getElementById("chart-panel");
    panel.hidden = false;
    T.text("chart-title", c.title);
    const xs = c.points.map((p) => p[0] / 1000);
    const ys = c.points.map((p) => p[1]);
    const el = document.getElementById("chart");
    el.dataset.points = c.points.map((p) => p[0] + ":" + p[1]).join(",");
    if (chart == null) {
      chart = new uPlot(
        {
          width: Math.max(300, el.clientWidth),
          height: 200,
          legend: { show: false },
          series: [{}, { label: c.title, stroke: "#4f6bed", fill: "rgba(79,107,237,0.12)", width: 2 }],
          axes: [
            { values: (u, vals, axis, space, incr) => vals.map((v) => T.clock(v, incr)) },
            { values: (u, vals) => vals.map((v) => T.integer.format(v)) },
          ],
        },
        [xs, ys],
        el,
      );
      window.addEventListener("resize", () => chart.setSize({ width: Math.max(300, el.clientWidth), height: 200 }));
    } else {
      chart.setData([xs, ys]);
    }
  }

  function render(s) {
    T.text("title", s.title || page);
    document.title = (s.title || page) + " · Tributary";
    T.text("subtitle", s.subtitle || "");
    cards(s.cards || []);
    if (s.chart) drawChart(s.chart);
    tables(s.tables || []);
    const o = s.ops || {};
    T.figure("ops-eventsPerSecond", o.eventsPerSecond, T.integer.format);
    T.figure("ops-lag", o.lagMillis, T.duration);
    T.figure("ops-late", o.late, T.integer.format);
    T.figure("ops-deadLetters", o.deadLetters, T.integer.format);
    T.text("ops-source", o.source === "pipeline" ? "from the pipeline's counters" : "");
  }

  T.connect(page, render);
})();
