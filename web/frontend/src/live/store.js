// Live aircraft state on the page, fed by snapshot and diff messages.
//
// Ageing: each aircraft's "heard at" instant is kept on the page's monotonic clock. When the
// server's own age for it (message time - last_seen) is plausible (0..300 s) it is used, so an
// aircraft already silent for 40 s arrives already faded; otherwise (a replay of old data, a
// skewed clock) the arrival of a new or changed object counts as hearing it. Fading never
// depends on the viewer's wall clock. The server's `stale` flag caps opacity at 0.5.

/** An aircraft starts fading FADE_AFTER_S after it was last heard and is dropped at GONE_AFTER_S. */
export const FADE_AFTER_S = 15;
export const GONE_AFTER_S = 60;
const MIN_OPACITY = 0.2;
const PLAUSIBLE_LAG_S = 300;

/** A whole aircraft object (short updates lack the rarely changing fields such as `onground`). */
export function isWhole(a) {
  return a.onground !== undefined;
}

export class AircraftStore {
  constructor() {
    this.byId = new Map();
    this.heardAt = new Map(); // icao24 -> performance.now() ms
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

  heard(a) {
    const lag = typeof a.last_seen === "number" && this.serverTime !== null ? this.serverTime - a.last_seen : NaN;
    const ms = lag >= 0 && lag <= PLAUSIBLE_LAG_S ? lag * 1000 : 0;
    this.heardAt.set(a.icao24, this.receivedAt - ms);
  }

  /** Replace everything with a snapshot's aircraft. */
  snapshot(message) {
    this.tick(message.time);
    this.byId.clear();
    this.heardAt.clear();
    for (const a of message.aircraft ?? []) {
      if (!a?.icao24) continue;
      this.byId.set(a.icao24, a);
      this.heard(a);
    }
    if (message.stats) this.stats = message.stats;
    this.version += 1;
  }

  /**
   * Apply a diff (removed first, then upserts). `added` holds whole aircraft objects; `updated`
   * may hold short ones (`icao24` plus whichever of position, altitudes, speed, track, vertical
   * rate, squawk and last_seen changed), merged into the object already held. Returns
   * `{moved, missing}`: icao24s whose position changed, and icao24s of short updates for
   * aircraft this page no longer holds (pruned locally): the caller should resubscribe to get
   * them whole.
   */
  diff(message) {
    this.tick(message.time);
    const moved = [];
    const missing = [];
    for (const id of message.removed ?? []) {
      this.byId.delete(id);
      this.heardAt.delete(id);
    }
    for (const a of [...(message.added ?? []), ...(message.updated ?? [])]) {
      if (!a?.icao24) continue;
      const old = this.byId.get(a.icao24);
      if (!old && !isWhole(a)) {
        missing.push(a.icao24);
        continue;
      }
      if (old && ((a.lat !== undefined && a.lat !== old.lat) || (a.lon !== undefined && a.lon !== old.lon))) moved.push(a.icao24);
      this.byId.set(a.icao24, old ? Object.assign(old, a) : a);
      this.heard(old ?? a);
    }
    if (message.stats) this.stats = message.stats;
    this.version += 1;
    return { moved, missing };
  }

  /** Seconds since aircraft `a` was last heard (page clock). */
  age(a, nowMs = performance.now()) {
    const at = this.heardAt.get(a.icao24);
    return at === undefined ? 0 : Math.max(0, (nowMs - at) / 1000);
  }

  /** Drop aircraft not heard for GONE_AFTER_S; returns how many went. */
  prune(nowMs = performance.now()) {
    let gone = 0;
    for (const [id, a] of this.byId) {
      if (this.age(a, nowMs) > GONE_AFTER_S) {
        this.byId.delete(id);
        this.heardAt.delete(id);
        gone += 1;
      }
    }
    if (gone) this.version += 1;
    return gone;
  }

  /** 1 for fresh aircraft, falling linearly to MIN_OPACITY between FADE_AFTER_S and GONE_AFTER_S. */
  opacity(a, nowMs = performance.now()) {
    const age = this.age(a, nowMs);
    let value = 1;
    if (age > FADE_AFTER_S) value = 1 - ((1 - MIN_OPACITY) * (age - FADE_AFTER_S)) / (GONE_AFTER_S - FADE_AFTER_S);
    if (a.stale) value = Math.min(value, 0.5);
    return Math.max(MIN_OPACITY, Math.min(1, value));
  }

  /** A number that changes when any aircraft's opacity moves by a 0.1 step (cheap to compare). */
  fadeSignature(nowMs = performance.now()) {
    let sum = 0;
    for (const a of this.byId.values()) {
      const level = Math.round(this.opacity(a, nowMs) * 10);
      if (level < 10) sum += level * ((a.icao24.charCodeAt(5) % 7) + 1);
    }
    return sum + this.byId.size * 1e6;
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
