// The dashboard polls /api/status once a second and draws rates (the difference of two polls) as SVG polylines.
// Each chart keeps the last 60 points; each series' latest value and its maximum over the window are written
// to the chart's data attributes (data-last-<series>, data-max, data-points), which the browser test reads.
"use strict";

const WINDOW = 60;
const COLORS = ["#0969da", "#cf222e", "#1a7f37", "#9a6700", "#8250df", "#57606a"];
const charts = {
  ops: { el: "chart-ops", series: ["insert", "query", "update", "delete", "getmore", "command"] },
  conflicts: { el: "chart-conflicts", series: ["conflicts", "waits"] },
  wait: { el: "chart-wait", series: ["waitMs"] },
  txns: { el: "chart-txns", series: ["committed", "aborted", "open"] },
  commit: { el: "chart-commit", series: ["p50", "p95", "p99"] },
};
for (const c of Object.values(charts)) {
  c.points = [];
  const fig = document.getElementById(c.el);
  fig.querySelector(".legend").innerHTML = c.series
    .map((s, i) => `<i style="background:${COLORS[i]}"></i>${s} <b data-series="${s}">0</b>`).join("");
}

const svgNS = "http://www.w3.org/2000/svg";

// draw redraws chart c: one polyline per series, scaled to the window's maximum.
function draw(c) {
  const fig = document.getElementById(c.el);
  const svg = fig.querySelector("svg");
  let max = 0;
  for (const p of c.points) for (const s of c.series) max = Math.max(max, p[s]);
  const top = max > 0 ? max * 1.1 : 1;
  svg.replaceChildren();
  c.series.forEach((s, i) => {
    const line = document.createElementNS(svgNS, "polyline");
    const step = 300 / (WINDOW - 1);
    const off = WINDOW - c.points.length;
    line.setAttribute("points", c.points.map((p, j) => `${((off + j) * step).toFixed(1)},${(100 - (p[s] / top) * 100).toFixed(1)}`).join(" "));
    line.setAttribute("stroke", COLORS[i]);
    line.dataset.series = s;
    svg.appendChild(line);
    const last = c.points.length ? c.points[c.points.length - 1][s] : 0;
    fig.querySelector(`b[data-series="${s}"]`).textContent = fmt(last);
    fig.dataset["last" + s[0].toUpperCase() + s.slice(1)] = last;
  });
  fig.dataset.max = max;
  fig.dataset.points = c.points.length;
}

function fmt(n) { return n >= 100 ? Math.round(n).toString() : (Math.round(n * 10) / 10).toString(); }

function push(c, p) {
  c.points.push(p);
  if (c.points.length > WINDOW) c.points.shift();
  draw(c);
}

function cell(text, cls) {
  const td = document.createElement("td");
  td.textContent = text;
  if (cls) td.className = cls;
  return td;
}

function fill(id, rows) {
  const body = document.querySelector(`#${id} tbody`);
  body.replaceChildren(...rows.map(cells => {
    const tr = document.createElement("tr");
    tr.append(...cells);
    return tr;
  }));
}

let prev = null;

function update(s) {
  document.getElementById("connections").textContent = s.connections;
  document.getElementById("txnOpen").textContent = s.transactions.open;
  document.getElementById("lifetime").textContent = s.transactionLifetimeSeconds;
  if (prev) {
    const dt = (s.timeMillis - prev.timeMillis) / 1000;
    if (dt > 0) {
      const rate = (a, b) => Math.max(0, (a - b) / dt);
      const ops = {};
      for (const k of charts.ops.series) ops[k] = rate(s.opcounters[k], prev.opcounters[k]);
      push(charts.ops, ops);
      push(charts.conflicts, { conflicts: rate(s.writeConflicts, prev.writeConflicts), waits: rate(s.writeWaits, prev.writeWaits) });
      push(charts.wait, { waitMs: rate(s.writeWaitSeconds, prev.writeWaitSeconds) * 1000 });
      push(charts.txns, {
        committed: rate(s.transactions.committed, prev.transactions.committed),
        aborted: rate(s.transactions.aborted, prev.transactions.aborted),
        open: s.transactions.open,
      });
      push(charts.commit, { p50: s.commitMicros.p50, p95: s.commitMicros.p95, p99: s.commitMicros.p99 });
    }
  }
  prev = s;
  fill("hot", s.hotDocuments.map(h => [cell(h.ns), cell(h.id || "(gone)"), cell(fmt(h.conflicts), "num"),
    cell(fmt(h.waits), "num"), cell(h.totalConflicts + h.totalWaits, "num")]));
  fill("activity", s.activity.map(a => [cell(a.opid || ""), cell(a.desc), cell(a.op), cell(a.ns),
    cell(a.inTxn ? "yes" : ""), cell(a.runningMillis + " ms", "num")]));
  fill("profile", s.profile.map(p => [cell(new Date(p.ts).toLocaleTimeString()), cell(p.op), cell(p.ns),
    cell(p.millis, "num"), cell(p.writeConflicts, "num"), cell(p.errName || "")]));
}

async function poll() {
  const state = document.getElementById("state");
  try {
    const r = await fetch("api/status", { cache: "no-store" });
    if (!r.ok) throw new Error(r.status);
    update(await r.json());
    state.textContent = "live";
    state.className = "state live";
  } catch (e) {
    state.textContent = "unreachable";
    state.className = "state down";
  }
}

poll();
setInterval(poll, 1000);
