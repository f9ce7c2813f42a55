// Aircraft utilization tab: dim_aircraft_utilization per aircraft per UTC day, and the
// aircraft's flights (click one to see it on the flight-history tab).
import { h, fill, showError } from "../common/dom.js";
import { getJSON, itemsOf } from "../common/api.js";
import { num, km, minutes, pct, utc } from "../common/units.js";
import { card, chartBox, kpi, sortableTable, loading } from "./shared.js";
import { draw, PALETTE } from "./charts.js";

const DAY_COLUMNS = [
  { key: "date", label: "Date (UTC)" },
  { key: "number_of_flights", label: "Flights", className: "num", format: (v) => num(v) },
  { key: "airborne_hours", label: "Airborne h", className: "num", format: (v) => num(v, 2) },
  { key: "utilization_pct", label: "Utilization", className: "num", format: (v) => pct(v) },
  { key: "total_distance_km", label: "Distance", className: "num", format: (v) => km(v) },
  { key: "avg_turnaround_min", label: "Avg turnaround", className: "num", format: (v) => minutes(v) },
  { key: "callsigns", label: "Callsigns" },
  { key: "first_seen", label: "First seen", format: (v) => utc(v) },
  { key: "last_seen", label: "Last seen", format: (v) => utc(v) },
];

export const FLIGHT_COLUMNS = [
  { key: "callsign", label: "Callsign" },
  { key: "icao24", label: "ICAO24" },
  { key: "route", label: "Route" },
  { key: "flight_date", label: "Date" },
  { key: "first_seen", label: "First seen", format: (v) => utc(v) },
  { key: "last_seen", label: "Last seen", format: (v) => utc(v) },
  { key: "duration_min", label: "Duration", className: "num", format: (v) => minutes(v) },
  { key: "path_distance_km", label: "Distance", className: "num", format: (v) => km(v) },
  { key: "cruise_altitude_m", label: "Cruise", className: "num", format: (v) => (typeof v === "number" ? `${num(v * 3.28084)} ft` : "—") },
  { key: "emergency_squawk", label: "Emergency", format: (v) => (v ? "yes" : "") },
];

export async function mountUtilization(root, { openFlight }) {
  const input = h("input", { type: "search", placeholder: "icao24, e.g. 800abc", "aria-label": "ICAO24", spellcheck: "false", autocomplete: "off" });
  const go = h("button", { type: "submit" }, "Show");
  const form = h("form", { class: "controls" }, h("label", {}, "Aircraft ", input), go);
  const out = h("div");
  fill(root, form, out);

  const show = async (icao24) => {
    icao24 = icao24.trim().toLowerCase();
    if (!icao24) return;
    input.value = icao24;
    loading(out);
    let data;
    try {
      data = await getJSON(`/api/aircraft/${encodeURIComponent(icao24)}`);
    } catch (error) {
      showError(out, error);
      return;
    }
    const days = itemsOf(data, "utilization").slice().sort((a, b) => String(a.date).localeCompare(String(b.date)));
    const flights = itemsOf(data, "flights");
    const last = days[days.length - 1] ?? flights[0] ?? {};
    const kpis = h("div", { class: "kpis" },
      kpi("aircraft", icao24, "icao24"),
      kpi("registration", last.registration ?? "—"),
      kpi("type", last.typecode ?? "—"),
      kpi("country", last.registration_country ?? "—"),
      kpi("days", num(days.length)),
      kpi("flights", num(days.reduce((s, d) => s + (d.number_of_flights ?? 0), 0) || flights.length)),
      kpi("airborne hours", num(days.reduce((s, d) => s + (d.airborne_hours ?? 0), 0), 1)));
    const chart = card("Per day (UTC)");
    const box = chartBox(260);
    chart.body.append(box.box);
    const dayTable = card("Utilization by day");
    const flightTable = card("Flights (click to open on the map)");
    fill(out, kpis, chart.card, dayTable.card, flightTable.card);
    draw(box.canvas, {
      type: "bar",
      data: {
        labels: days.map((d) => String(d.date)),
        datasets: [
          { label: "flights", data: days.map((d) => d.number_of_flights), backgroundColor: PALETTE[0], yAxisID: "y" },
          { label: "airborne hours", data: days.map((d) => d.airborne_hours), backgroundColor: PALETTE[2], yAxisID: "y1" },
          { type: "line", label: "utilization %", data: days.map((d) => d.utilization_pct), borderColor: PALETTE[1], backgroundColor: PALETTE[1], yAxisID: "y2" },
        ],
      },
      options: { scales: { y: { beginAtZero: true, position: "left", title: { display: true, text: "flights" } },
        y1: { beginAtZero: true, position: "right", grid: { drawOnChartArea: false }, title: { display: true, text: "hours" } },
        y2: { display: false, beginAtZero: true, max: 100 } } },
    });
    sortableTable(dayTable.body, DAY_COLUMNS, days, { emptyText: "No utilization rows for this aircraft." });
    sortableTable(flightTable.body, FLIGHT_COLUMNS, flights, { onRow: (row) => openFlight(row.flight_id), emptyText: "No flights." });
    root.dataset.loaded = "1";
  };

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    show(input.value);
  });

  // Start with the aircraft of the most recent flight so the tab shows data straight away.
  try {
    const recent = itemsOf(await getJSON("/api/flights", { limit: 1 }));
    if (recent[0]?.icao24) await show(recent[0].icao24);
    else fill(out, h("p", { class: "muted" }, "No flights in the serving database yet."));
  } catch (error) {
    showError(out, error);
  }
  return { show };
}
