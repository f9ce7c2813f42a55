// Routes tab: dim_route_analytics as a sortable table, a bar chart of the busiest routes and a
// scatter of distance against flight time.
import { h, fill, showError } from "../common/dom.js";
import { getJSON, itemsOf } from "../common/api.js";
import { num, km, minutes, pct } from "../common/units.js";
import { card, chartBox, sortableTable, loading } from "./shared.js";
import { hbar, draw, PALETTE } from "./charts.js";

const ORDERS = [["flights", "Most flights"], ["flights_per_day", "Flights per day"], ["duration", "Longest flight time"],
  ["distance", "Longest distance"], ["airlines", "Most airlines"], ["route", "Route name"]];

const COLUMNS = [
  { key: "route", label: "Route" },
  { key: "origin_name", label: "From" },
  { key: "destination_name", label: "To" },
  { key: "total_flights", label: "Flights", className: "num", format: (v) => num(v) },
  { key: "flights_per_day", label: "Per day", className: "num", format: (v) => num(v, 1) },
  { key: "distinct_airlines", label: "Airlines", className: "num", format: (v) => num(v) },
  { key: "distinct_aircraft", label: "Aircraft", className: "num", format: (v) => num(v) },
  { key: "avg_flight_time_min", label: "Avg time", className: "num", format: (v) => minutes(v) },
  { key: "p90_flight_time_min", label: "P90 time", className: "num", format: (v) => minutes(v) },
  { key: "great_circle_km", label: "Great circle", className: "num", format: (v) => km(v) },
  { key: "avg_path_distance_km", label: "Avg path", className: "num", format: (v) => km(v) },
  { key: "avg_cruise_altitude_m", label: "Cruise alt", className: "num", format: (v) => (typeof v === "number" ? `${num(v * 3.28084)} ft` : "—") },
  { key: "on_ground_percentage", label: "On ground", className: "num", format: (v) => pct(v) },
  { key: "busiest_hour_utc", label: "Busiest hour", className: "num", format: (v) => (typeof v === "number" ? `${String(v).padStart(2, "0")}:00Z` : "—") },
];

export async function mountRoutes(root) {
  const order = h("select", { "aria-label": "Order" }, ORDERS.map(([v, l]) => h("option", { value: v }, l)));
  const limit = h("select", { "aria-label": "Limit" }, [25, 50, 100, 500].map((n) => h("option", { value: n }, `${n} routes`)));
  limit.value = "50";
  const controls = h("div", { class: "controls" }, h("label", {}, "Order ", order), h("label", {}, "Show ", limit));
  const charts = card("Busiest routes");
  const bars = chartBox(360);
  const scatter = chartBox(360);
  charts.body.append(h("div", { class: "grid2" }, bars.box, scatter.box));
  const tbl = card("Routes");
  fill(root, controls, charts.card, tbl.card);

  const load = async () => {
    loading(tbl.body);
    let rows;
    try {
      rows = itemsOf(await getJSON("/api/routes", { limit: limit.value, order: order.value }));
    } catch (error) {
      showError(tbl.body, error);
      return;
    }
    const top = [...rows].sort((a, b) => b.total_flights - a.total_flights).slice(0, 15);
    hbar(bars.canvas, top.map((r) => r.route), top.map((r) => r.total_flights), { label: "flights" });
    draw(scatter.canvas, {
      type: "scatter",
      data: { datasets: [{ label: "routes", data: rows.filter((r) => r.great_circle_km != null && r.avg_flight_time_min != null)
        .map((r) => ({ x: r.great_circle_km, y: r.avg_flight_time_min, route: r.route })), backgroundColor: PALETTE[1] }] },
      options: {
        plugins: { legend: { display: false }, tooltip: { callbacks: { label: (c) => `${c.raw.route}: ${num(c.raw.x)} km, ${num(c.raw.y, 1)} min` } } },
        scales: { x: { title: { display: true, text: "great-circle distance (km)" }, beginAtZero: true },
          y: { title: { display: true, text: "average flight time (min)" }, beginAtZero: true } },
      },
    });
    sortableTable(tbl.body, COLUMNS, rows, { emptyText: "No routes yet: run the batch and load steps." });
    root.dataset.loaded = "1";
  };
  order.addEventListener("change", load);
  limit.addEventListener("change", load);
  await load();
}
