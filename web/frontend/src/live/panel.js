// The side panel of the selected aircraft. Every value is set with textContent.
import { byId, fill, h, setText } from "../common/dom.js";
import { altitudeColor } from "../common/colors.js";
import * as u from "../common/units.js";

const FIELDS = [
  ["airline", "Airline", (a) => (a.airline_name ? `${a.airline_name}${a.airline_icao ? ` (${a.airline_icao})` : ""}` : a.airline_icao)],
  ["icao24", "ICAO24", (a) => a.icao24],
  ["country", "Registration country", (a) => a.registration_country],
  ["registration", "Registration", (a) => a.registration],
  ["typecode", "Type", (a) => a.typecode],
  ["altitude", "Altitude (baro)", (a) => u.altitude(a.baroaltitude, a.onground)],
  ["geoaltitude", "Altitude (geo)", (a) => u.altitude(a.geoaltitude)],
  ["speed", "Ground speed", (a) => u.speed(a.velocity)],
  ["vrate", "Vertical rate", (a) => u.vrate(a.vertrate)],
  ["track", "Track", (a) => u.track(a.heading)],
  ["squawk", "Squawk", (a) => (a.squawk ? `${a.squawk}${u.SQUAWK_MEANING[a.squawk] ? ` ${u.SQUAWK_MEANING[a.squawk]}` : ""}` : null)],
  ["phase", "Flight phase", (a) => a.phase],
  ["origin", "Origin airport", (a) => a.origin_name ?? a.origin_icao ?? a.origin ?? null],
  ["nearest", "Nearest airport", (a) => a.nearest_airport],
  ["position", "Position", (a) => (typeof a.lat === "number" ? `${a.lat.toFixed(4)}, ${a.lon.toFixed(4)}` : null)],
  ["first_seen", "First seen", (a) => u.utc(a.first_seen)],
  ["last_seen", "Last seen", (a) => u.utc(a.last_seen)],
  ["source", "Source", (a) => (a.source ? `${a.source}${a.simulated ? " (simulated)" : ""}` : null)],
];

export class Panel {
  constructor({ onClose }) {
    this.root = byId("panel");
    this.title = byId("panel-callsign");
    this.swatch = byId("panel-swatch");
    this.values = new Map();
    const list = byId("panel-fields");
    for (const [key, label] of FIELDS) {
      const dd = h("dd", { dataset: { field: key } });
      this.values.set(key, dd);
      list.append(h("dt", {}, label), dd);
    }
    byId("panel-close").addEventListener("click", onClose);
    this.trailNote = byId("panel-trail");
  }

  show(a) {
    this.root.hidden = false;
    this.update(a);
  }

  hide() {
    this.root.hidden = true;
  }

  update(a) {
    if (!a) return;
    this.title.textContent = a.callsign || a.icao24;
    const emergency = a.emergency || u.isEmergencySquawk(a.squawk);
    this.root.classList.toggle("emergency", Boolean(emergency));
    this.swatch.style.background = altitudeColor(a.baroaltitude ?? a.geoaltitude, a.onground);
    for (const [key, , get] of FIELDS) setText(this.values.get(key), get(a));
    this.values.get("squawk").classList.toggle("alert-text", Boolean(emergency));
  }

  trailInfo(text) {
    fill(this.trailNote, text);
  }
}
