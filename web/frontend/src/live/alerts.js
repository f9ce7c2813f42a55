// Emergency squawks (7500 HIJACK, 7600 NORDO, 7700 EMERGENCY): a list kept from /api/alerts,
// WebSocket alert messages and the aircraft themselves; click an entry to select the aircraft.
import { byId, fill, h } from "../common/dom.js";
import { SQUAWK_MEANING, utcTime, isEmergencySquawk } from "../common/units.js";

export class AlertList {
  constructor({ onSelect }) {
    this.onSelect = onSelect;
    this.active = new Map(); // icao24 -> {icao24, callsign, squawk, time}
    this.list = byId("alert-list");
    this.count = byId("alert-count");
    this.box = byId("alerts");
    this.signature = null;
  }

  /** Apply one alert record ({kind: "raised"|"cleared", ...}). */
  apply(alert) {
    if (!alert?.icao24) return;
    if (alert.kind === "cleared") this.active.delete(alert.icao24);
    else if (isEmergencySquawk(alert.squawk)) this.active.set(alert.icao24, { ...this.active.get(alert.icao24), ...alert });
  }

  /** Reconcile with the aircraft on the page: emergencies seen there are alerts too. */
  reconcile(aircraftIter) {
    const seen = new Set();
    for (const a of aircraftIter) {
      if (a.emergency || isEmergencySquawk(a.squawk)) {
        seen.add(a.icao24);
        const old = this.active.get(a.icao24);
        this.active.set(a.icao24, { icao24: a.icao24, callsign: a.callsign ?? old?.callsign, squawk: a.squawk ?? old?.squawk, time: old?.time ?? a.last_seen });
      } else if (this.active.has(a.icao24) && a.squawk) {
        this.active.delete(a.icao24); // a present non-emergency squawk clears it
      }
    }
    return seen;
  }

  render() {
    const items = [...this.active.values()].sort((a, b) => (b.time ?? 0) - (a.time ?? 0));
    const signature = items.map((a) => `${a.icao24}:${a.squawk}:${a.callsign}`).join("|");
    if (signature === this.signature) return;
    this.signature = signature;
    this.count.textContent = String(items.length);
    this.box.classList.toggle("has-alerts", items.length > 0);
    fill(this.list, items.length ? items.map((a) => h("li", { class: "alert-item", dataset: { icao24: a.icao24 }, tabindex: "0", role: "button",
      onclick: () => this.onSelect(a.icao24), onkeydown: (e) => e.key === "Enter" && this.onSelect(a.icao24) },
    h("span", { class: "alert-squawk" }, `${a.squawk ?? ""} ${SQUAWK_MEANING[a.squawk] ?? ""}`),
    h("span", { class: "alert-callsign" }, a.callsign || a.icao24),
    h("span", { class: "alert-time" }, utcTime(a.time)))) : h("li", { class: "muted" }, "No emergency squawks."));
  }
}
