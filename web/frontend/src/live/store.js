// Live aircraft state on the page, fed by snapshot and diff messages. Times are server unix
// seconds; `now()` estimates the server clock from the last message so fading does not depend
// on the viewer's clock being right.

/** An aircraft starts fading FADE_AFTER_S after its last contact and is dropped at GONE_AFTER_S. */
export const FADE_AFTER_S = 20;
export const GONE_AFTER_S = 60;
const MIN_OPACITY = 0.25;

export class AircraftStore {
  constructor() {
    this.byId = new Map();
    this.stats = {};
    this.serverTime = null;
    this.receivedAt = 0;
    this.version = 0;
  }

  /** Estimated server time now (unix s). */
  now() {
    if (this.serverTime === null) return Date.now() / 1000;
    return this.serverTime + (performance.now() - this.receivedAt) / 1000;
  }

  tick(time) {
    if (typeof time === "number" && Number.isFinite(time)) {
      this.serverTime = time;
      this.receivedAt = performance.now();
    }
  }

  /** Replace everything with a snapshot's aircraft. */
  snapshot(message) {
    this.tick(message.time);
    this.byId.clear();
    for (const a of message.aircraft ?? []) if (a?.icao24) this.byId.set(a.icao24, a);
    if (message.stats) this.stats = message.stats;
    this.version += 1;
  }

  /** Apply a diff; returns the icao24s whose position changed. */
  diff(message) {
    this.tick(message.time);
    const moved = [];
    for (const a of message.added ?? []) if (a?.icao24) this.byId.set(a.icao24, a);
    for (const a of message.updated ?? []) {
      if (!a?.icao24) continue;
      const old = this.byId.get(a.icao24);
      if (old && (old.lat !== a.lat || old.lon !== a.lon) && a.lat !== undefined) moved.push(a.icao24);
      this.byId.set(a.icao24, old ? Object.assign(old, a) : a);
    }
    for (const id of message.removed ?? []) this.byId.delete(id);
    if (message.stats) this.stats = message.stats;
    this.version += 1;
    return moved;
  }

  /** Drop aircraft not heard for GONE_AFTER_S; returns how many went. */
  prune() {
    const cutoff = this.now() - GONE_AFTER_S;
    let gone = 0;
    for (const [id, a] of this.byId) {
      if (typeof a.last_seen === "number" && a.last_seen < cutoff) {
        this.byId.delete(id);
        gone += 1;
      }
    }
    if (gone) this.version += 1;
    return gone;
  }

  /** 1 for fresh aircraft, falling linearly to MIN_OPACITY between FADE_AFTER_S and GONE_AFTER_S. */
  opacity(a, now = this.now()) {
    const age = typeof a.last_seen === "number" ? now - a.last_seen : 0;
    let value = 1;
    if (age > FADE_AFTER_S) value = 1 - ((1 - MIN_OPACITY) * (age - FADE_AFTER_S)) / (GONE_AFTER_S - FADE_AFTER_S);
    if (a.stale) value = Math.min(value, 0.5);
    return Math.max(MIN_OPACITY, Math.min(1, value));
  }

  get(id) {
    return this.byId.get(id);
  }

  all() {
    return this.byId.values();
  }

  get size() {
    return this.byId.size;
  }
}
