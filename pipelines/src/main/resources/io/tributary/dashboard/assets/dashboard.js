// Shared by every dashboard page: the live connection and safe rendering helpers.
// Data never goes through innerHTML: every string from the pipeline is set as text.
"use strict";
const Tributary = (() => {
  const integer = new Intl.NumberFormat("en-US", { maximumFractionDigits: 0 });
  const decimal = new Intl.NumberFormat("en-US", { minimumFractionDigits: 2, maximumFractionDigits: 2 });
  const time = new Intl.DateTimeFormat("en-GB", { hour: "2-digit", minute: "2-digit", second: "2-digit", hour12: false, timeZone: "UTC" });

  function text(id, value) {
    const el = document.getElementById(id);
    if (el) el.textContent = value;
  }

  // A figure: shown formatted, its exact value kept in data-value (null shows as "–").
  function figure(id, raw, format) {
    const el = document.getElementById(id);
    if (!el) return;
    el.textContent = raw == null ? "–" : format(raw);
    el.dataset.value = raw == null ? "" : String(raw);
  }

  function duration(ms) {
    if (ms == null) return "–";
    if (ms < 1000) return integer.format(ms) + " ms";
    const s = Math.round(ms / 1000);
    if (s < 120) return s + " s";
    const m = Math.floor(s / 60);
    if (m < 120) return m + " min " + (s % 60) + " s";
    const h = Math.floor(m / 60);
    if (h < 48) return h + " h " + (m % 60) + " min";
    return integer.format(Math.floor(h / 24)) + " d";
  }

  // A time axis label: HH:MM, or HH:MM:SS when ticks are less than a minute apart (seconds).
  function clock(seconds, increment) {
    const t = time.format(new Date(seconds * 1000));
    return increment < 60 ? t : t.slice(0, 5);
  }

  // A ranked list as bars: [{item, count}] into an <ol>, replacing its rows.
  function bars(id, rows) {
    const list = document.getElementById(id);
    const max = rows.reduce((m, r) => Math.max(m, r.count), 0) || 1;
    const items = rows.map((r) => {
      const li = document.createElement("li");
      const bar = document.createElement("span");
      bar.className = "bar";
      bar.style.width = (100 * r.count / max).toFixed(1) + "%";
      const item = document.createElement("span");
      item.className = "item";
      item.textContent = r.item;
      const count = document.createElement("span");
      count.className = "count";
      count.textContent = integer.format(r.count);
      li.append(bar, item, count);
      return li;
    });
    list.replaceChildren(...items);
  }

  // Opens the page's event stream; render(state) runs for every version, in order.
  function connect(page, render) {
    let receivedAt = null;
    let state = null;
    const source = new EventSource("/events/" + encodeURIComponent(page));
    source.addEventListener("open", () => {
      text("connection", "live");
      document.getElementById("connection").className = "connection live";
    });
    source.addEventListener("error", () => {
      text("connection", "reconnecting");
      document.getElementById("connection").className = "connection";
    });
    source.addEventListener("state", (e) => {
      state = JSON.parse(e.data);
      receivedAt = Date.now();
      render(state);
      document.body.dataset.version = String(state.version);
      age();
    });
    function age() {
      if (state == null || state.receivedAtMillis == null) return;
      text("age", "data " + duration(Math.max(0, Date.now() - state.receivedAtMillis)) + " old");
    }
    setInterval(age, 1000);
    window.__tributaryLoadedAt = window.__tributaryLoadedAt || Date.now() + Math.random();
  }

  return { integer, decimal, time, clock, text, figure, duration, bars, connect };
})();
