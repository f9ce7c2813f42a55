// The aircraft table: sortable columns, virtual scrolling (only the visible rows exist in the
// DOM, so 15,000 aircraft cost a few dozen rows), click a row to select the aircraft.
import { h } from "../common/dom.js";
import { altitude, speed, vrate, track, age, isEmergencySquawk } from "../common/units.js";

const ROW_PX = 24;
const OVERSCAN = 8;

const COLUMNS = [
  { key: "callsign", label: "Callsign", value: (a) => a.callsign ?? "", text: (a) => a.callsign ?? "—" },
  { key: "icao24", label: "ICAO24", value: (a) => a.icao24, text: (a) => a.icao24 },
  { key: "airline", label: "Airline", value: (a) => a.airline_icao ?? "", text: (a) => a.airline_icao ?? "—" },
  { key: "alt", label: "Altitude", value: (a) => (a.onground ? -1 : a.baroaltitude ?? a.geoaltitude ?? -2), text: (a) => altitude(a.baroaltitude ?? a.geoaltitude, a.onground), num: true },
  { key: "speed", label: "Speed", value: (a) => a.velocity ?? -1, text: (a) => speed(a.velocity), num: true },
  { key: "vrate", label: "V/S", value: (a) => a.vertrate ?? 0, text: (a) => vrate(a.vertrate), num: true },
  { key: "track", label: "Track", value: (a) => a.heading ?? -1, text: (a) => track(a.heading), num: true },
  { key: "squawk", label: "Squawk", value: (a) => a.squawk ?? "", text: (a) => a.squawk ?? "—" },
  { key: "phase", label: "Phase", value: (a) => a.phase ?? "", text: (a) => a.phase ?? "—" },
  { key: "seen", label: "Seen", value: (a, ageOf) => -ageOf(a), text: (a, ageOf) => age(ageOf(a)), num: true },
];

export class AircraftTable {
  constructor(container, { onSelect }) {
    this.onSelect = onSelect;
    this.rows = [];
    this.sort = { key: "callsign", dir: 1 };
    this.selected = null;
    this.ageOf = () => 0;
    this.head = h("div", { class: "vt-head", role: "row" });
    this.spacer = h("div", { class: "vt-spacer" });
    this.body = h("div", { class: "vt-rows", role: "rowgroup" });
    this.scroller = h("div", { class: "vt-scroll" }, this.spacer, this.body);
    container.append(h("div", { class: "vtable", role: "table", "aria-label": "Aircraft" }, this.head, this.scroller));
    for (const col of COLUMNS) {
      const cell = h("div", { class: `vt-cell vt-${col.key}${col.num ? " num" : ""}`, role: "columnheader", tabindex: "0", dataset: { key: col.key } }, col.label);
      cell.addEventListener("click", () => this.sortBy(col.key));
      cell.addEventListener("keydown", (e) => e.key === "Enter" && this.sortBy(col.key));
      this.head.append(cell);
    }
    this.scroller.addEventListener("scroll", () => this.paint(), { passive: true });
    this.body.addEventListener("click", (event) => {
      const row = event.target.closest(".vt-row");
      if (row) this.onSelect(row.dataset.icao24);
    });
    this.markSort();
  }

  sortBy(key) {
    this.sort = { key, dir: this.sort.key === key ? -this.sort.dir : 1 };
    this.markSort();
    this.setRows(this.rows, this.ageOf);
  }

  markSort() {
    for (const cell of this.head.children) {
      const on = cell.dataset.key === this.sort.key;
      cell.classList.toggle("sorted", on);
      cell.setAttribute("aria-sort", on ? (this.sort.dir > 0 ? "ascending" : "descending") : "none");
    }
  }

  /** Show `aircraft` (array, sorted in place by the current column); `ageOf(a)` = seconds since heard. */
  setRows(aircraft, ageOf) {
    const col = COLUMNS.find((c) => c.key === this.sort.key);
    const dir = this.sort.dir;
    this.ageOf = ageOf;
    this.rows = aircraft.sort((x, y) => {
      const a = col.value(x, ageOf);
      const b = col.value(y, ageOf);
      return (a < b ? -1 : a > b ? 1 : x.icao24 < y.icao24 ? -1 : 1) * dir;
    });
    this.spacer.style.height = `${this.rows.length * ROW_PX}px`;
    this.paint();
  }

  select(icao24) {
    this.selected = icao24;
    this.paint();
  }

  paint() {
    const top = this.scroller.scrollTop;
    const height = this.scroller.clientHeight || 400;
    const first = Math.max(0, Math.floor(top / ROW_PX) - OVERSCAN);
    const last = Math.min(this.rows.length, Math.ceil((top + height) / ROW_PX) + OVERSCAN);
    const nodes = [];
    for (let i = first; i < last; i++) nodes.push(this.row(this.rows[i], i));
    this.body.style.transform = `translateY(${first * ROW_PX}px)`;
    this.body.replaceChildren(...nodes);
  }

  row(a, index) {
    const classes = ["vt-row"];
    if (index % 2) classes.push("odd");
    if (a.icao24 === this.selected) classes.push("selected");
    if (a.emergency || isEmergencySquawk(a.squawk)) classes.push("emergency");
    const row = h("div", { class: classes.join(" "), role: "row", dataset: { icao24: a.icao24 } });
    for (const col of COLUMNS) row.append(h("div", { class: `vt-cell vt-${col.key}${col.num ? " num" : ""}`, role: "cell" }, col.text(a, this.ageOf)));
    return row;
  }
}
