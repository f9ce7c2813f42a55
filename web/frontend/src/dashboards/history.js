// Flight history tab: search fact_flight_history (callsign, icao24, date), then open a flight to
// draw its track on the map coloured by altitude, with its figures and an altitude profile.
import { h, fill, showError } from "../common/dom.js";
import { getJSON, itemsOf } from "../common/api.js";
import { num, km, minutes, utc, utcTime, altitude, speed } from "../common/units.js";
import { altitudeColor } from "../common/colors.js";
import { createMap, collection } from "../map/basemap.js";
import { card, chartBox, sortableTable, loading } from "./shared.js";
import { draw, PALETTE } from "./charts.js";
import { FLIGHT_COLUMNS } from "./utilization.js";

const PAGE = 50;

const DETAILS = [
  ["Callsign", (f) => f.callsign], ["ICAO24", (f) => f.icao24], ["Airline", (f) => f.airline_name ?? f.airline_icao],
  ["Registration", (f) => f.registration], ["Type", (f) => f.typecode], ["Country", (f) => f.registration_country],
  ["Origin", (f) => (f.origin_icao ? `${f.origin_icao}${f.origin_name ? ` ${f.origin_name}` : ""}${f.origin_known === false ? " (unknown)" : ""}` : null)],
  ["Destination", (f) => (f.destination_icao ? `${f.destination_icao}${f.destination_name ? ` ${f.destination_name}` : ""}${f.destination_known === false ? " (unknown)" : ""}` : null)],
  ["First seen", (f) => utc(f.first_seen)], ["Last seen", (f) => utc(f.last_seen)],
  ["Take-off", (f) => utc(f.takeoff_time)], ["Landing", (f) => utc(f.landing_time)],
  ["Duration", (f) => minutes(f.duration_min)], ["Distance (path)", (f) => km(f.path_distance_km)],
  ["Great circle", (f) => km(f.great_circle_km)], ["Cruise altitude", (f) => altitude(f.cruise_altitude_m)],
  ["Max speed", (f) => speed(f.max_velocity_ms)], ["Emergency squawk", (f) => (f.emergency_squawk ? "yes" : "no")],
  ["Data points", (f) => num(f.total_data_points)], ["Source", (f) => f.data_source],
];

export async function mountHistory(root, { config }) {
  const callsign = h("input", { type: "search", placeholder: "callsign", "aria-label": "Callsign", spellcheck: "false", autocomplete: "off" });
  const icao24 = h("input", { type: "search", placeholder: "icao24", "aria-label": "ICAO24", spellcheck: "false", autocomplete: "off" });
  const date = h("input", { type: "date", "aria-label": "Date (UTC)" });
  const form = h("form", { class: "controls" }, h("label", {}, "Callsign ", callsign), h("label", {}, "ICAO24 ", icao24),
    h("label", {}, "Date ", date), h("button", { type: "submit" }, "Search"));
  const results = card("Flights");
  const pager = h("div", { class: "pager" });
  const list = h("div", { class: "history-list" });
  results.body.append(list, pager);
  const mapEl = h("div", { class: "dash-map", id: "history-map" });
  const detail = card("Flight");
  const detailBody = h("dl", { class: "details" });
  const profile = chartBox(200);
  detail.body.append(detailBody, profile.box);
  fill(root, form, h("div", { class: "history-grid" }, results.card, h("div", { class: "history-right" }, h("div", { class: "map-wrap" }, mapEl), detail.card)));
  fill(detailBody, h("dd", { class: "muted" }, "Pick a flight to draw its track."));

  let map = null;
  try {
    map = await createMap(mapEl, config);
    map.addSource("track", { type: "geojson", data: collection([]) });
    map.addSource("ends", { type: "geojson", data: collection([]) });
    map.addLayer({ id: "track", type: "line", source: "track", layout: { "line-cap": "round", "line-join": "round" }, paint: { "line-color": ["get", "color"], "line-width": 3 } });
    map.addLayer({ id: "ends", type: "circle", source: "ends", paint: { "circle-radius": 5, "circle-color": ["get", "color"], "circle-stroke-color": "#000", "circle-stroke-width": 1 } });
  } catch (error) {
    showError(mapEl, error);
  }

  let offset = 0;
  let selectedRow = null;

  const search = async () => {
    const cs = callsign.value.trim().toUpperCase();
    const id = icao24.value.trim().toLowerCase();
    // the API's own rules (it answers 422 otherwise): say so before asking
    if (cs && !/^[A-Z0-9]{2,8}$/.test(cs)) return fill(list, h("p", { class: "error-box" }, "A callsign search needs 2 to 8 letters or digits (a prefix)."));
    if (id && !/^[0-9a-f]{6}$/.test(id)) return fill(list, h("p", { class: "error-box" }, "An ICAO24 address is 6 hexadecimal digits."));
    loading(list);
    let body;
    try {
      body = await getJSON("/api/flights", { callsign: cs, icao24: id, date: date.value, limit: PAGE, offset });
    } catch (error) {
      showError(list, error);
      return;
    }
    const rows = itemsOf(body);
    const total = typeof body.total === "number" ? body.total : rows.length;
    sortableTable(list, FLIGHT_COLUMNS, rows, {
      emptyText: "No flights match.",
      onRow: (row, tr) => {
        selectedRow?.classList.remove("selected");
        selectedRow = tr;
        tr.classList.add("selected");
        open(row.flight_id);
      },
    });
    const prev = h("button", { type: "button", disabled: offset === 0 }, "← Newer");
    const next = h("button", { type: "button", disabled: offset + PAGE >= total }, "Older →");
    prev.addEventListener("click", () => { offset = Math.max(0, offset - PAGE); search(); });
    next.addEventListener("click", () => { offset += PAGE; search(); });
    fill(pager, prev, h("span", { class: "muted" }, total ? `${num(offset + 1)}–${num(Math.min(offset + PAGE, total))} of ${num(total)}` : "0 flights"), next);
    root.dataset.results = String(rows.length);
    return rows;
  };

  const open = async (flightId) => {
    fill(detailBody, h("dd", { class: "muted" }, "Loading…"));
    let f;
    try {
      f = await getJSON(`/api/flights/${encodeURIComponent(flightId)}`);
    } catch (error) {
      showError(detailBody, error);
      return;
    }
    fill(detailBody, ...DETAILS.flatMap(([label, get]) => {
      const v = get(f);
      return [h("dt", {}, label), h("dd", {}, v === null || v === undefined || v === "" ? "—" : String(v))];
    }));
    const track = Array.isArray(f.track) ? f.track.filter((p) => typeof p[1] === "number" && typeof p[2] === "number") : [];
    if (map) {
      const segments = [];
      for (let i = 1; i < track.length; i++) {
        const alt = track[i][3];
        segments.push({ type: "Feature", geometry: { type: "LineString", coordinates: [[track[i - 1][2], track[i - 1][1]], [track[i][2], track[i][1]]] },
          properties: { color: altitudeColor(alt, typeof alt === "number" && alt <= 0) } });
      }
      map.getSource("track").setData(collection(segments));
      const ends = track.length ? [track[0], track[track.length - 1]] : [];
      map.getSource("ends").setData(collection(ends.map((p, i) => ({ type: "Feature", geometry: { type: "Point", coordinates: [p[2], p[1]] }, properties: { color: i ? "#ff7a59" : "#3ccf7a" } }))));
      if (track.length) {
        let [w, s, e, n] = [180, 90, -180, -90];
        for (const [, lat, lon] of track) { w = Math.min(w, lon); e = Math.max(e, lon); s = Math.min(s, lat); n = Math.max(n, lat); }
        map.fitBounds([[w, s], [e, n]], { padding: 40, duration: 0, maxZoom: 9 });
      }
    }
    draw(profile.canvas, {
      type: "line",
      data: { labels: track.map((p) => utcTime(p[0])), datasets: [{ label: "altitude (ft)", data: track.map((p) => (typeof p[3] === "number" ? Math.round(p[3] * 3.28084) : null)),
        borderColor: PALETTE[0], backgroundColor: "rgba(79,179,255,0.15)", fill: true, pointRadius: 0, spanGaps: true }] },
      options: { plugins: { legend: { display: false } }, scales: { x: { ticks: { maxTicksLimit: 8 } }, y: { beginAtZero: true, title: { display: true, text: "ft" } } } },
    });
    root.dataset.track = String(track.length);
    root.dataset.flight = String(flightId);
  };

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    offset = 0;
    search();
  });
  await search();
  return { open, resize: () => map?.resize(), fill: ({ callsign: c = "", icao24: i = "" }) => { callsign.value = c; icao24.value = i; offset = 0; return search(); } };
}
