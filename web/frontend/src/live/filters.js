// Filters shared by the map and the table: search (callsign or icao24), airline, altitude
// range (feet) and ground state. Pure predicate plus the DOM wiring of the filter bar.
import { byId, fill, h } from "../common/dom.js";
import { FT_PER_M } from "../common/units.js";

export function emptyFilter() {
  return { text: "", airline: "", minFt: null, maxFt: null, ground: "all" };
}

/** True when aircraft `a` passes filter `f` (altitude bounds apply to airborne aircraft). */
export function matches(a, f) {
  if (f.text) {
    const t = f.text;
    const callsign = (a.callsign ?? "").toLowerCase();
    if (!callsign.includes(t) && !a.icao24.includes(t)) return false;
  }
  if (f.airline && a.airline_icao !== f.airline) return false;
  if (f.ground === "air" && a.onground) return false;
  if (f.ground === "ground" && !a.onground) return false;
  if ((f.minFt !== null || f.maxFt !== null) && !a.onground) {
    const alt = a.baroaltitude ?? a.geoaltitude;
    if (typeof alt !== "number") return false;
    const ft = alt * FT_PER_M;
    if (f.minFt !== null && ft < f.minFt) return false;
    if (f.maxFt !== null && ft > f.maxFt) return false;
  }
  return true;
}

export function isActive(f) {
  return Boolean(f.text || f.airline || f.minFt !== null || f.maxFt !== null || f.ground !== "all");
}

function numberOrNull(input) {
  const v = input.value.trim();
  if (v === "") return null;
  const n = Number(v);
  return Number.isFinite(n) ? n : null;
}

/**
 * Wire the filter bar. `onChange(filter)` on every change; `onSearch(text)` when Enter is
 * pressed in the search box. Returns {filter, setAirlines(Map code->name)}.
 */
export function filterBar({ onChange, onSearch }) {
  const filter = emptyFilter();
  const search = byId("search");
  const airline = byId("filter-airline");
  const minFt = byId("filter-min-ft");
  const maxFt = byId("filter-max-ft");
  const ground = byId("filter-ground");
  const reset = byId("filter-reset");
  let known = "";

  const update = () => {
    filter.text = search.value.trim().toLowerCase();
    filter.airline = airline.value;
    filter.minFt = numberOrNull(minFt);
    filter.maxFt = numberOrNull(maxFt);
    filter.ground = ground.value;
    reset.hidden = !isActive(filter);
    onChange(filter);
  };
  for (const el of [search, minFt, maxFt]) el.addEventListener("input", update);
  for (const el of [airline, ground]) el.addEventListener("change", update);
  search.addEventListener("keydown", (event) => {
    if (event.key === "Enter") onSearch(search.value.trim().toLowerCase());
  });
  reset.addEventListener("click", () => {
    search.value = minFt.value = maxFt.value = "";
    airline.value = "";
    ground.value = "all";
    update();
  });
  reset.hidden = true;

  /** Refresh the airline choices (keeps the current selection). */
  const setAirlines = (airlines) => {
    const entries = [...airlines.entries()].sort((x, y) => (x[1] ?? x[0]).localeCompare(y[1] ?? y[0]));
    const signature = entries.map((e) => e[0]).join(",");
    if (signature === known) return;
    known = signature;
    const current = airline.value;
    fill(airline, h("option", { value: "" }, "All airlines"),
      entries.map(([code, name]) => h("option", { value: code }, name ? `${name} (${code})` : code)));
    airline.value = entries.some(([code]) => code === current) ? current : "";
  };
  return { filter, setAirlines };
}
