// Airspace heatmap tab: dim_airspace_heatmap cells (0.5 degree) drawn on the offline map as
// filled squares coloured by the chosen metric, with date and UTC-hour selectors.
import { h, fill, showError } from "../common/dom.js";
import { getJSON, itemsOf } from "../common/api.js";
import { num } from "../common/units.js";
import { createMap, collection } from "../map/basemap.js";

const METRICS = [
  ["distinct_aircraft", "Distinct aircraft (per hour, summed)", (v) => num(v, 1)],
  ["data_points", "State vectors", (v) => num(v)],
  ["avg_altitude_m", "Average altitude (ft)", (v) => num(v * 3.28084)],
  ["avg_velocity_ms", "Average speed (kt)", (v) => num(v * 1.943844)],
];
const RAMP = ["#08306b", "#2171b5", "#41b6c4", "#a1dab4", "#ffffcc", "#fed976", "#fd8d3c", "#e31a1c", "#800026"];

function metricValue(cell, key) {
  const v = cell[key] ?? (key === "distinct_aircraft" ? cell.distinct_aircraft_avg : undefined);
  return typeof v === "number" ? v : null;
}

/**
 * One record per cell: rows of several hours (no hour chosen) are folded together — aircraft
 * and state vectors summed (aircraft-hours), altitude and speed averaged weighted by vectors.
 */
export function foldHours(cells) {
  const byCell = new Map();
  for (const c of cells) {
    const key = `${c.cell_lat},${c.cell_lon}`;
    const aircraft = metricValue(c, "distinct_aircraft") ?? 0;
    const points = typeof c.data_points === "number" ? c.data_points : 0;
    let acc = byCell.get(key);
    if (!acc) {
      acc = { cell_lat: c.cell_lat, cell_lon: c.cell_lon, center_lat: c.center_lat, center_lon: c.center_lon,
        distinct_aircraft: 0, data_points: 0, altSum: 0, altW: 0, speedSum: 0, speedW: 0 };
      byCell.set(key, acc);
    }
    acc.distinct_aircraft += aircraft;
    acc.data_points += points;
    if (typeof c.avg_altitude_m === "number") { acc.altSum += c.avg_altitude_m * points; acc.altW += points; }
    if (typeof c.avg_velocity_ms === "number") { acc.speedSum += c.avg_velocity_ms * points; acc.speedW += points; }
  }
  return [...byCell.values()].map((a) => ({ ...a,
    avg_altitude_m: a.altW ? a.altSum / a.altW : null, avg_velocity_ms: a.speedW ? a.speedSum / a.speedW : null }));
}

/** GeoJSON squares for the cells; `v` is the metric scaled to 0..1 (square root, for contrast). */
export function cellFeatures(cells, key) {
  let max = 0;
  for (const c of cells) max = Math.max(max, metricValue(c, key) ?? 0);
  const features = [];
  for (const c of cells) {
    const value = metricValue(c, key);
    if (value === null) continue;
    const size = typeof c.center_lat === "number" ? 2 * (c.center_lat - c.cell_lat) || 0.5 : 0.5;
    const [s, w] = [c.cell_lat, c.cell_lon];
    features.push({ type: "Feature", geometry: { type: "Polygon", coordinates: [[[w, s], [w + size, s], [w + size, s + size], [w, s + size], [w, s]]] },
      properties: { v: max > 0 ? Math.sqrt(value / max) : 0, value, lat: c.center_lat ?? s + size / 2, lon: c.center_lon ?? w + size / 2,
        aircraft: metricValue(c, "distinct_aircraft"), points: c.data_points ?? null, alt: c.avg_altitude_m ?? null, speed: c.avg_velocity_ms ?? null } });
  }
  return { features, max };
}

async function dateRange() {
  try {
    const o = await getJSON("/api/overview");
    const t = o.totals ?? o;
    if (t.last_date) return { first: String(t.first_date), last: String(t.last_date) };
  } catch { /* fall through */ }
  try {
    const f = itemsOf(await getJSON("/api/flights", { limit: 1 }))[0];
    if (f?.flight_date) return { first: null, last: String(f.flight_date) };
  } catch { /* no data */ }
  return { first: null, last: null };
}

export async function mountHeatmap(root, { config }) {
  const date = h("input", { type: "date", "aria-label": "Date (UTC)" });
  const hour = h("select", { "aria-label": "Hour (UTC)" }, h("option", { value: "" }, "All hours"),
    Array.from({ length: 24 }, (_, i) => h("option", { value: i }, `${String(i).padStart(2, "0")}:00–${String(i).padStart(2, "0")}:59Z`)));
  const metric = h("select", { "aria-label": "Metric" }, METRICS.map(([k, l]) => h("option", { value: k }, l)));
  const status = h("span", { class: "muted", role: "status" });
  const typical = h("button", { type: "button", title: "All dates folded into one typical UTC day" }, "Typical day");
  const controls = h("div", { class: "controls" }, h("label", {}, "Date (UTC) ", date), h("label", {}, "Hour ", hour), h("label", {}, "Colour by ", metric), typical, status);
  const mapEl = h("div", { class: "dash-map", id: "heatmap-map" });
  const legend = h("div", { class: "heat-legend" });
  const info = h("div", { class: "cell-info muted" }, "Click a cell for its figures.");
  const errors = h("div");
  fill(root, controls, errors, h("div", { class: "map-wrap" }, mapEl, legend), info);

  const range = await dateRange();
  if (range.last) date.value = range.last;
  if (range.first) date.min = range.first;
  if (range.last) date.max = range.last;

  let map;
  try {
    map = await createMap(mapEl, config);
  } catch (error) {
    showError(errors, error);
    return {};
  }
  map.addSource("cells", { type: "geojson", data: collection([]) });
  const stops = RAMP.flatMap((c, i) => [i / (RAMP.length - 1), c]);
  map.addLayer({ id: "cells", type: "fill", source: "cells", paint: { "fill-color": ["interpolate", ["linear"], ["get", "v"], ...stops], "fill-opacity": 0.7 } });
  map.addLayer({ id: "cells-line", type: "line", source: "cells", paint: { "line-color": "rgba(0,0,0,0.35)", "line-width": 0.5 } });
  map.on("click", "cells", (e) => {
    const p = e.features[0]?.properties;
    if (!p) return;
    fill(info, `Cell centre ${Number(p.lat).toFixed(2)}, ${Number(p.lon).toFixed(2)} — distinct aircraft ${num(Number(p.aircraft), 1)}, `
      + `state vectors ${num(Number(p.points))}, average altitude ${num(Number(p.alt) * 3.28084)} ft, average speed ${num(Number(p.speed) * 1.943844)} kt`);
  });
  let fitted = false;
  let cells = [];

  const paint = () => {
    const [key, label, fmt] = METRICS.find((m) => m[0] === metric.value);
    const { features, max } = cellFeatures(cells, key);
    map.getSource("cells").setData(collection(features));
    const bar = h("div", { class: "heat-bar" });
    bar.style.background = `linear-gradient(to right, ${RAMP.join(",")})`;
    fill(legend, h("div", {}, label), bar, h("div", { class: "heat-scale" }, h("span", {}, "0"), h("span", {}, fmt(max))));
    if (!fitted && features.length) {
      fitted = true;
      let [w, s, e, n] = [180, 90, -180, -90];
      for (const f of features) {
        const [[x0, y0], , [x1, y1]] = f.geometry.coordinates[0];
        w = Math.min(w, x0); s = Math.min(s, y0); e = Math.max(e, x1); n = Math.max(n, y1);
      }
      map.fitBounds([[w, s], [e, n]], { padding: 20, duration: 0 });
    }
    return features.length;
  };

  const load = async () => {
    fill(errors);
    fill(status, "Loading…");
    try {
      const body = await getJSON("/api/heatmap", { date: date.value, hour: hour.value });
      cells = hour.value === "" ? foldHours(itemsOf(body, "cells")) : itemsOf(body, "cells");
    } catch (error) {
      cells = [];
      showError(errors, error);
    }
    const n = paint();
    const when = date.value ? ` on ${date.value}` : " on a typical day (all dates)";
    fill(status, `${num(n)} cells${when}${hour.value !== "" ? `, ${hour.value.padStart(2, "0")}Z` : ", all hours"}`);
    root.dataset.cells = String(n);
    root.dataset.loaded = "1";
  };
  date.addEventListener("change", load);
  typical.addEventListener("click", () => { date.value = ""; load(); });
  hour.addEventListener("change", load);
  metric.addEventListener("change", paint);
  await load();
  return { resize: () => map.resize() };
}
