// The ops page (/ops): pipeline runs with the metrics report, stream status and health checks.
// Stream status and health refresh every 10 s. The report is plain text shown in a <pre>.
import "../common/base.css";
import "./ops.css";
import { byId, fill, h, showError, table } from "../common/dom.js";
import { getJSON, itemsOf } from "../common/api.js";
import { num, utc, age } from "../common/units.js";

const REFRESH_MS = 10_000;

function statusBadge(status) {
  const s = String(status ?? "unknown");
  const cls = s === "succeeded" || s === "ok" ? "ok" : s === "running" || s === "warning" ? "warn" : "bad";
  return h("span", { class: `badge ${cls}` }, s);
}

function duration(start, end) {
  const a = Date.parse(start);
  const b = end ? Date.parse(end) : NaN;
  return Number.isFinite(a) && Number.isFinite(b) ? age((b - a) / 1000) : "—";
}

// ---------------------------------------------------------------------------------------
// Runs

let selectedRun = null;

async function loadRuns() {
  const el = byId("runs");
  let rows;
  try {
    rows = itemsOf(await getJSON("/api/runs", { limit: 50 }));
  } catch (error) {
    showError(el, error);
    return;
  }
  const t = table([
    { key: "started_at", label: "Started (UTC)", format: (v) => utc(v) },
    { key: "kind", label: "Kind" },
    { key: "trigger", label: "Trigger" },
    { key: "status", label: "Status", format: (v) => statusBadge(v) },
    { key: "ended_at", label: "Duration", format: (v, r) => duration(r.started_at, v) },
    { key: "run_id", label: "Run" },
    { key: "error", label: "Error" },
  ], rows, { onRow: (row) => openRun(row.run_id), emptyText: "No pipeline runs recorded yet." });
  t.querySelectorAll("tbody tr").forEach((tr, i) => rows[i] && rows[i].run_id === selectedRun && tr.classList.add("selected"));
  fill(el, h("div", { class: "table-scroll" }, t));
  if (!selectedRun && rows.length) openRun(rows[0].run_id);
}

function jsonCell(text) {
  if (text === null || text === undefined || text === "") return "—";
  try {
    const obj = typeof text === "string" ? JSON.parse(text) : text;
    if (obj && typeof obj === "object") {
      const parts = Object.entries(obj).map(([k, v]) => `${k}: ${typeof v === "object" ? JSON.stringify(v) : v}`);
      return parts.length ? parts.join(", ") : "—";
    }
    return String(obj);
  } catch {
    return String(text);
  }
}

async function openRun(runId) {
  selectedRun = runId;
  const el = byId("run-detail");
  fill(el, h("p", { class: "muted" }, "Loading…"));
  let body;
  try {
    body = await getJSON(`/api/runs/${encodeURIComponent(runId)}`);
  } catch (error) {
    showError(el, error);
    return;
  }
  const run = body.run ?? body; // {run, tasks, report} or the run's fields at the top level
  const tasks = itemsOf(body, "tasks");
  const checks = itemsOf(body, "health");
  const report = h("pre", { class: "report", id: "run-report" });
  report.textContent = typeof body.report === "string" && body.report ? body.report : "(no report)";
  fill(el,
    h("div", { class: "run-head" }, h("h2", {}, `${run.kind ?? "run"} ${run.run_id ?? runId}`), statusBadge(run.status),
      h("span", { class: "muted" }, `${utc(run.started_at)} → ${utc(run.ended_at)} (${duration(run.started_at, run.ended_at)})`)),
    run.error ? h("div", { class: "error-box" }, String(run.error)) : null,
    h("h3", {}, "Tasks"),
    h("div", { class: "table-scroll" }, table([
      { key: "task", label: "Task" },
      { key: "status", label: "Status", format: (v) => statusBadge(v) },
      { key: "duration_s", label: "Seconds", className: "num", format: (v) => num(v, 2) },
      { key: "rows_in", label: "Rows in", className: "num", format: (v) => num(v) },
      { key: "rows_out", label: "Rows out", className: "num", format: (v) => num(v) },
      { key: "rows_quarantined", label: "Quarantined", className: "num", format: (v) => num(v) },
      { key: "quarantine_json", label: "Quarantine reasons", format: (v) => jsonCell(v) },
      { key: "error", label: "Error" },
    ], tasks, { emptyText: "No tasks." })),
    checks.length ? h("h3", {}, "Health checks of this run") : null,
    checks.length ? table([
      { key: "check_name", label: "Check" },
      { key: "ok", label: "OK", format: (v) => statusBadge(v ? "ok" : "failed") },
      { key: "detail", label: "Detail" },
      { key: "duration_ms", label: "ms", className: "num", format: (v) => num(v, 1) },
    ], checks) : null,
    h("h3", {}, "Metrics report"),
    report);
  byId("runs").querySelectorAll("tbody tr").forEach((tr) => tr.classList.toggle("selected", tr.lastChild?.previousSibling?.textContent === runId));
}

// ---------------------------------------------------------------------------------------
// Stream status: show the well-known figures first, then everything else the server sends.

const STREAM_KEYS = [
  ["state", "State"], ["status", "Status"], ["lag", "Consumer lag (messages)"], ["lag_messages", "Consumer lag (messages)"],
  ["lag_s", "Lag (s)"], ["throughput", "Throughput (msg/s)"], ["throughput_per_s", "Throughput (msg/s)"], ["states_per_s", "States per second"],
  ["messages_per_s", "Throughput (msg/s)"], ["restarts", "Restarts"], ["dead_letters", "Dead letters"], ["deadletters", "Dead letters"], ["last_commit", "Last commit"], ["last_flush", "Last flush"],
];

function flatten(obj, prefix = "", out = []) {
  for (const [k, v] of Object.entries(obj ?? {})) {
    const key = prefix ? `${prefix}.${k}` : k;
    if (v && typeof v === "object" && !Array.isArray(v)) flatten(v, key, out);
    else out.push([key, Array.isArray(v) ? JSON.stringify(v) : v]);
  }
  return out;
}

function show(value) {
  if (value === null || value === undefined || value === "") return "—";
  if (typeof value === "number") return Number.isInteger(value) ? num(value) : num(value, 2);
  if (typeof value === "boolean") return value ? "yes" : "no";
  return String(value);
}

async function loadStream() {
  const el = byId("stream");
  let body;
  try {
    body = await getJSON("/api/stream");
  } catch (error) {
    showError(el, error);
    return;
  }
  const flat = flatten(body);
  const known = new Set();
  const rows = [];
  for (const [key, label] of STREAM_KEYS) {
    const hit = flat.find(([k]) => k === key || k.endsWith(`.${key}`));
    if (hit && !known.has(hit[0])) {
      known.add(hit[0]);
      rows.push([label, hit[1], hit[0]]);
    }
  }
  for (const [k, v] of flat) if (!known.has(k)) rows.push([k, v, k]);
  fill(el, h("dl", { class: "kv" }, rows.flatMap(([label, value, key]) => [
    h("dt", { title: key }, label),
    h("dd", { class: /dead|restart/.test(key) && Number(value) > 0 ? "warn-text" : undefined }, show(value)),
  ])));
  if (!rows.length) fill(el, h("p", { class: "muted" }, "No stream status reported."));
}

// ---------------------------------------------------------------------------------------
// Health

async function loadHealth() {
  const el = byId("health");
  const badge = byId("health-badge");
  let body;
  try {
    body = await getJSON("/api/health", {}, { allow: [503] });
  } catch (error) {
    fill(badge, statusBadge("unreachable"));
    showError(el, error);
    return;
  }
  const healthy = typeof body.ok === "boolean" ? body.ok : body.status === "ok";
  fill(badge, statusBadge(healthy ? "ok" : body.status ?? "failing"));
  fill(el, table([
    { key: "name", label: "Check" },
    { key: "ok", label: "Status", format: (v, r) => statusBadge(v ? "ok" : r.required === false ? "warning" : "failed") },
    { key: "detail", label: "Detail", className: "wrap" },
  ], itemsOf(body, "checks"), { emptyText: "No checks." }));
}

async function refresh() {
  await Promise.all([loadStream(), loadHealth()]);
  byId("refreshed").textContent = `updated ${new Date().toISOString().slice(11, 19)}Z`;
}

byId("runs-reload").addEventListener("click", loadRuns);
loadRuns();
refresh();
setInterval(refresh, REFRESH_MS);
