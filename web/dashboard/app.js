// The dashboard: every tile is one GET /analytics/aggregate; filters are shared; each tile can download its
// rows as CSV. Credentials stay in this tab (sessionStorage) and go out only as HTTP Basic to this LRS.
"use strict";

const $ = (sel, root = document) => root.querySelector(sel);
const DAY = 86400000;
const ZONES = ["UTC", "Europe/London", "Europe/Paris", "Europe/Berlin", "America/New_York", "America/Chicago",
  "America/Los_Angeles", "America/Sao_Paulo", "Asia/Kolkata", "Asia/Singapore", "Asia/Tokyo", "Australia/Sydney"];
const WEEKDAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
const charts = new Map();
let auth = sessionStorage.getItem("lrs-auth");

function short(iri) {
  if (!iri) return "(none)";
  const parts = String(iri).replace(/\/+$/, "").split(/[\/#:]/).filter(Boolean);
  return parts.slice(-2).join("/");
}

// The last segment: verbs and activity types read well by it (".../verbs/completed", ".../activity-type/video").
function last(iri) {
  if (!iri) return "(none)";
  return String(iri).replace(/\/+$/, "").split(/[\/#:]/).filter(Boolean).pop();
}

// Ids without what they all share ("https://academy.example.com/courses/"), so they stay apart and short.
function distinct(iris) {
  const split = iris.map((i) => String(i || "").split("/"));
  let common = 0;
  while (split.length > 1 && split.every((p) => p.length > common + 1 && p[common] === split[0][common])) common++;
  return split.map((p, i) => (iris[i] ? p.slice(common).join("/") : "(none)"));
}

function agentLabel(agent) {
  if (!agent) return "(unknown)";
  if (agent.mbox) return agent.mbox.replace(/^mailto:/, "");
  if (agent.account) return `${agent.account.name} @ ${short(agent.account.homePage)}`;
  return agent.openid || agent.mbox_sha1sum || JSON.stringify(agent);
}

async function api(query, format) {
  const url = `/analytics/aggregate?${query}${format ? `&format=${format}` : ""}`;
  const res = await fetch(url, { headers: { Authorization: `Basic ${auth}`, "X-Requested-With": "XMLHttpRequest" } });
  if (res.status === 401) throw Object.assign(new Error("the key or secret was refused"), { status: 401 });
  if (!res.ok) {
    const body = await res.json().catch(() => ({}));
    throw new Error(body.message || `the LRS answered ${res.status}`);
  }
  return format ? res.text() : res.json();
}

// The UTC offset ("+02:00") a zone has at local midnight of a calendar date.
function offsetAt(zone, date) {
  const probe = new Date(`${date}T12:00:00Z`);
  const name = new Intl.DateTimeFormat("en-US", { timeZone: zone, timeZoneName: "longOffset" })
    .formatToParts(probe).find((p) => p.type === "timeZoneName").value;
  const m = name.match(/GMT([+-]\d{2}):?(\d{2})?/);
  return m ? `${m[1]}:${m[2] || "00"}` : "Z";
}

function filters() {
  const tz = $("#tz").value;
  const q = new URLSearchParams({ tz });
  if ($("#from").value) q.set("since", `${$("#from").value}T00:00:00${offsetAt(tz, $("#from").value)}`);
  if ($("#to").value) {
    const next = new Date(Date.parse(`${$("#to").value}T00:00:00Z`) + DAY).toISOString().slice(0, 10);
    q.set("until", `${next}T00:00:00${offsetAt(tz, next)}`);
  }
  if ($("#course").value) q.set("parent", $("#course").value);
  if ($("#type").value) q.set("activity_type", $("#type").value);
  return q;
}

function chart(tile) {
  const el = $(".chart", tile);
  if (!charts.has(el)) charts.set(el, echarts.init(el, null, { renderer: "canvas" }));
  return charts.get(el);
}

const bar = (labels, series, opts = {}) => ({
  tooltip: { trigger: "axis" },
  legend: series.length > 1 ? { top: 0 } : undefined,
  grid: { left: 8, right: 16, top: series.length > 1 ? 28 : 8, bottom: 8, containLabel: true },
  xAxis: opts.horizontal ? { type: "value", max: opts.max } : { type: "category", data: labels, axisLabel: { interval: 0, rotate: labels.length > 6 ? 30 : 0 } },
  yAxis: opts.horizontal ? { type: "category", data: labels, inverse: true, axisLabel: { width: 180, overflow: "truncate" } } : { type: "value", max: opts.max },
  series: series.map((s) => ({ type: "bar", name: s.name, data: s.data })),
});

function table(tile, head, rows) {
  const t = $("table.numbers", tile);
  t.innerHTML = "";
  const tr = t.insertRow();
  head.forEach((h) => { const th = document.createElement("th"); th.textContent = h; tr.appendChild(th); });
  rows.forEach((r) => {
    const row = t.insertRow();
    r.forEach((v, i) => { const c = row.insertCell(); c.textContent = v; if (i > 0) c.className = "n"; });
  });
}

const pct = (v) => (v == null ? null : Math.round(v * 1000) / 10);
const TILES = {
  "over-time": {
    query: () => "measures=statements&by=day",
    render: (tile, d) => chart(tile).setOption({
      tooltip: { trigger: "axis" }, legend: { top: 0 },
      grid: { left: 8, right: 16, top: 28, bottom: 8, containLabel: true },
      xAxis: { type: "time" }, yAxis: { type: "value" },
      series: [{ type: "line", name: "statements", showSymbol: false, areaStyle: { opacity: 0.15 }, data: d.rows.map((r) => [r[0], r[1]]) }],
    }, true),
  },
  "content-types": {
    query: () => "measures=statements,actors&by=activity_type&order=-statements",
    render: (tile, d) => {
      chart(tile).setOption(bar(d.rows.map((r) => last(r[0])), [
        { name: "statements", data: d.rows.map((r) => r[1]) }, { name: "learners", data: d.rows.map((r) => r[2]) }]), true);
      table(tile, ["content type", "statements", "learners"], d.rows.map((r) => [last(r[0]), r[1], r[2]]));
    },
  },
  "time-per-type": {
    query: () => "measures=duration_sum&by=activity_type&order=-duration_sum",
    render: (tile, d) => chart(tile).setOption(bar(d.rows.map((r) => last(r[0])),
      [{ name: "hours", data: d.rows.map((r) => Math.round((r[1] || 0) / 360) / 10) }]), true),
  },
  activities: {
    query: () => "measures=statements&by=activity&limit=10",
    render: (tile, d) => chart(tile).setOption(bar(distinct(d.rows.map((r) => r[0])), [{ name: "statements", data: d.rows.map((r) => r[1]) }], { horizontal: true }), true),
  },
  verbs: {
    query: () => "measures=statements&by=verb&limit=10",
    render: (tile, d) => chart(tile).setOption(bar(d.rows.map((r) => last(r[0])), [{ name: "statements", data: d.rows.map((r) => r[1]) }], { horizontal: true }), true),
  },
  courses: {
    query: () => "measures=completion_rate,success_rate,score_avg&by=parent&order=parent&limit=20",
    render: (tile, d) => chart(tile).setOption(bar(distinct(d.rows.map((r) => r[0])), [
      { name: "completion %", data: d.rows.map((r) => pct(r[1])) }, { name: "success %", data: d.rows.map((r) => pct(r[2])) },
      { name: "avg score %", data: d.rows.map((r) => pct(r[3])) }], { max: 100 }), true),
  },
  "activity-rates": {
    query: () => "measures=statements,completion_rate,success_rate,score_avg&by=activity&limit=12",
    render: (tile, d) => chart(tile).setOption(bar(distinct(d.rows.map((r) => r[0])), [
      { name: "completion %", data: d.rows.map((r) => pct(r[2])) }, { name: "success %", data: d.rows.map((r) => pct(r[3])) },
      { name: "avg score %", data: d.rows.map((r) => pct(r[4])) }], { horizontal: true, max: 100 }), true),
  },
  scores: {
    query: () => "measures=statements&by=score",
    render: (tile, d) => chart(tile).setOption(bar(d.rows.map((r) => `${Math.round(r[0] * 100)}%`), [{ name: "statements", data: d.rows.map((r) => r[1]) }]), true),
  },
  learners: {
    query: () => "measures=statements,activities,score_avg&by=actor&limit=10",
    render: (tile, d) => table(tile, ["learner", "statements", "activities", "avg score"],
      d.rows.map((r) => [agentLabel(r[0]), r[1], r[2], r[3] == null ? "–" : `${pct(r[3])}%`])),
  },
  heatmap: {
    query: () => "measures=statements&by=weekday,hour_of_day&limit=200",
    render: (tile, d) => {
      const max = Math.max(1, ...d.rows.map((r) => r[2]));
      chart(tile).setOption({
        tooltip: { position: "top" },
        grid: { left: 8, right: 16, top: 8, bottom: 40, containLabel: true },
        xAxis: { type: "category", data: [...Array(24).keys()].map(String), splitArea: { show: true } },
        yAxis: { type: "category", data: WEEKDAYS, inverse: true, splitArea: { show: true } },
        visualMap: { min: 0, max, calculable: true, orient: "horizontal", left: "center", bottom: 0, itemHeight: 120 },
        series: [{ type: "heatmap", data: d.rows.map((r) => [r[1], r[0] - 1, r[2]]) }],
      }, true);
    },
  },
};

async function loadTile(tile) {
  const def = TILES[tile.dataset.tile];
  const query = `${def.query()}&${filters()}`;
  tile.dataset.query = query;
  tile.dataset.state = "loading";
  const d = await api(query);
  def.render(tile, d);
  tile.dataset.state = "ready";
  return d;
}

async function refresh() {
  document.body.dataset.ready = "false";
  const tiles = [...document.querySelectorAll(".tile")];
  const results = await Promise.allSettled(tiles.map(loadTile));
  results.forEach((r, i) => {
    if (r.status === "rejected") {
      tiles[i].dataset.state = "error";
      let s = $(".status", tiles[i]);
      if (!s) { s = document.createElement("p"); s.className = "status"; tiles[i].appendChild(s); }
      s.textContent = r.reason.message;
      if (r.reason.status === 401) signOut();
    }
  });
  const fresh = results.find((r) => r.status === "fulfilled");
  if (fresh) $("#freshness").textContent = `Counts include statements stored through ${new Date(fresh.value.consistent_through).toLocaleString()}.`;
  document.body.dataset.ready = "true";
}

async function fillSelect(select, query, label) {
  const d = await api(query);
  const keep = select.value;
  select.length = 1;
  d.rows.forEach((r) => select.add(new Option(label(r[0]), r[0])));
  select.value = keep;
}

function addCsvButtons() {
  document.querySelectorAll(".tile").forEach((tile) => {
    const b = document.createElement("button");
    b.type = "button"; b.className = "csv"; b.textContent = "CSV";
    b.title = "Download this tile's rows as CSV";
    b.addEventListener("click", async () => {
      const text = await api(tile.dataset.query, "csv");
      const a = document.createElement("a");
      a.href = URL.createObjectURL(new Blob([text], { type: "text/csv" }));
      a.download = `${tile.dataset.tile}.csv`;
      a.click();
      URL.revokeObjectURL(a.href);
    });
    tile.appendChild(b);
  });
}

function signOut() {
  sessionStorage.removeItem("lrs-auth");
  auth = null;
  $("#board").hidden = true;
  $("#signin").hidden = false;
}

async function start() {
  $("#signin").hidden = true;
  $("#board").hidden = false;
  await Promise.allSettled([
    fillSelect($("#course"), "measures=statements&by=parent&order=parent&limit=1000", short),
    fillSelect($("#type"), "measures=statements&by=activity_type&order=activity_type&limit=1000", last),
  ]);
  await refresh();
}

function init() {
  const browserZone = Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";
  [...new Set([browserZone, ...ZONES])].forEach((z) => $("#tz").add(new Option(z, z)));
  $("#tz").value = new URLSearchParams(location.search).get("tz") || browserZone;
  const today = new Date();
  $("#to").value = today.toISOString().slice(0, 10);
  $("#from").value = new Date(today.getTime() - 180 * DAY).toISOString().slice(0, 10);
  addCsvButtons();
  $("#filters").addEventListener("change", refresh);
  $("#signout").addEventListener("click", signOut);
  window.addEventListener("resize", () => charts.forEach((c) => c.resize()));
  $("#signin-form").addEventListener("submit", async (e) => {
    e.preventDefault();
    const pair = new TextEncoder().encode(`${$("#key").value}:${$("#secret").value}`);
    auth = btoa(String.fromCharCode(...pair));
    try {
      await api("measures=statements");
      sessionStorage.setItem("lrs-auth", auth);
      $("#signin-error").textContent = "";
      await start();
    } catch (err) {
      auth = null;
      $("#signin-error").textContent = err.message;
    }
  });
  if (typeof echarts === "undefined") {
    $("#signin-error").textContent = "The chart library is not installed on this server (deploy/local/install.sh installs it).";
  }
  if (auth) start();
}

init();
