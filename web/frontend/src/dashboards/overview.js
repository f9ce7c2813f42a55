// Overview tab: totals, busiest routes and airports (and flights per day, top airlines when the
// API provides them) from the serving database.
import { h, fill, showError } from "../common/dom.js";
import { getJSON } from "../common/api.js";
import { num, km } from "../common/units.js";
import { card, chartBox, kpi, sortableTable, loading } from "./shared.js";
import { hbar, draw, PALETTE } from "./charts.js";

export async function mountOverview(root) {
  loading(root);
  let data;
  try {
    data = await getJSON("/api/overview");
  } catch (error) {
    showError(root, error);
    return;
  }
  const totals = data.totals ?? data;
  const kpis = h("div", { class: "kpis" },
    kpi("flights", num(totals.flights), "flights"),
    kpi("aircraft", num(totals.aircraft), "aircraft"),
    kpi("airlines", num(totals.airlines), "airlines"),
    totals.routes !== undefined ? kpi("routes", num(totals.routes), "routes") : null,
    totals.flight_hours !== undefined ? kpi("flight hours", num(totals.flight_hours), "hours") : null,
    totals.distance_km !== undefined ? kpi("distance flown", km(totals.distance_km), "distance") : null,
    totals.first_date ? kpi("dates", `${totals.first_date} → ${totals.last_date}`, "dates") : null);

  const routes = data.busiest_routes ?? [];
  const airports = (data.busiest_airports ?? []).map((a) => ({
    ...a, icao: a.icao ?? a.airport, flights: a.flights ?? a.movements,
  }));

  const r = card("Busiest routes");
  const rc = chartBox(Math.max(180, Math.min(routes.length, 15) * 22 + 40));
  r.body.append(rc.box, h("div", { class: "route-table" }));
  const a = card("Busiest airports");
  const ac = chartBox(Math.max(180, Math.min(airports.length, 15) * 22 + 40));
  a.body.append(ac.box, h("div", { class: "airport-table" }));

  const grid = h("div", { class: "grid2" }, r.card, a.card);
  fill(root, kpis, grid);

  const top = routes.slice(0, 15);
  hbar(rc.canvas, top.map((x) => x.route), top.map((x) => x.total_flights), { label: "flights" });
  sortableTable(r.body.querySelector(".route-table"), [
    { key: "route", label: "Route" },
    { key: "origin_name", label: "From" },
    { key: "destination_name", label: "To" },
    { key: "total_flights", label: "Flights", className: "num", format: (v) => num(v) },
  ].filter((c) => c.key === "route" || c.key === "total_flights" || routes.some((x) => x[c.key] !== undefined)), routes);

  const topA = airports.slice(0, 15);
  hbar(ac.canvas, topA.map((x) => x.icao), topA.map((x) => x.flights), { label: "movements", color: PALETTE[1] });
  sortableTable(a.body.querySelector(".airport-table"), [
    { key: "icao", label: "Airport" },
    { key: "name", label: "Name" },
    ...(airports.some((x) => x.departures !== undefined) ? [
      { key: "departures", label: "Departures", className: "num", format: (v) => num(v) },
      { key: "arrivals", label: "Arrivals", className: "num", format: (v) => num(v) }] : []),
    { key: "flights", label: "Movements", className: "num", format: (v) => num(v) },
  ], airports);

  const byDay = data.by_day ?? data.flights_by_day ?? [];
  const airlines = data.top_airlines ?? data.busiest_airlines ?? (Array.isArray(data.airlines) ? data.airlines : []);
  const more = [];
  if (byDay.length) {
    const d = card("Flights per day (UTC)");
    const dc = chartBox(220);
    d.body.append(dc.box);
    more.push(d.card);
    queueMicrotask(() => draw(dc.canvas, {
      type: "bar",
      data: { labels: byDay.map((x) => String(x.flight_date ?? x.date)),
        datasets: [{ label: "flights", data: byDay.map((x) => x.flights), backgroundColor: PALETTE[0] },
          { label: "aircraft", data: byDay.map((x) => x.aircraft), backgroundColor: PALETTE[2] }] },
      options: { scales: { y: { beginAtZero: true } } },
    }));
  }
  if (airlines.length) {
    const l = card("Top airlines");
    const lt = h("div");
    l.body.append(lt);
    more.push(l.card);
    sortableTable(lt, [
      { key: "airline_icao", label: "ICAO" },
      { key: "airline_name", label: "Airline" },
      { key: "flights", label: "Flights", className: "num", format: (v) => num(v) },
      { key: "aircraft", label: "Aircraft", className: "num", format: (v) => num(v) },
    ], airlines);
  }
  if (more.length) root.append(h("div", { class: "grid2" }, ...more));
  root.dataset.loaded = "1";
}
