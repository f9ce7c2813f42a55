// The live map page (/): wires the feed, the store, the map layer, the table, the filters,
// the alert list and the side panel. Rendering is coalesced to at most two frames a second.
import "../common/base.css";
import "./live.css";
import { byId, fill } from "../common/dom.js";
import { getJSON, itemsOf, loadConfig } from "../common/api.js";
import { num } from "../common/units.js";
import { createMap, webglAvailable } from "../map/basemap.js";
import { LiveFeed, liveUrl } from "./feed.js";
import { AircraftStore } from "./store.js";
import { AircraftLayer } from "./layer.js";
import { AircraftTable } from "./table.js";
import { AlertList } from "./alerts.js";
import { Panel } from "./panel.js";
import { filterBar, matches } from "./filters.js";
import { renderLegend } from "./legend.js";

const RENDER_EVERY_MS = 500;
const TRAIL_REFRESH_MS = 30_000;
const TRAIL_MAX_POINTS = 2000;
const RESYNC_EVERY_MS = 5_000;

const store = new AircraftStore();
let layer = null;
let map = null;
let selected = null;
let trail = [];
let trailFetchedAt = 0;
let bbox = null;
let fitted = false;
let dirty = true;
let lastRender = 0;
let lastMessageAt = 0;
let connState = "connecting";
let lastFade = 0;
let mapPending = false;
let lastResync = -Infinity;

const panel = new Panel({ onClose: () => select(null) });
const alerts = new AlertList({ onSelect: (id) => select(id, { fly: true }) });
const table = new AircraftTable(byId("table-box"), { onSelect: (id) => select(id, { fly: true }) });
const { filter, setAirlines } = filterBar({
  onChange: () => { dirty = true; },
  onSearch: (text) => searchAndSelect(text),
});

// ---------------------------------------------------------------------------------------
// Selection, panel and trail

async function select(icao24, { fly = false } = {}) {
  selected = icao24;
  trail = [];
  table.select(icao24);
  dirty = true;
  if (!icao24) {
    panel.hide();
    layer?.setTrail([]);
    return;
  }
  const known = store.get(icao24);
  if (known) {
    panel.show(known);
    if (fly) flyTo(known);
  }
  panel.trailInfo("Loading trail…");
  try {
    const detail = await getJSON(`/api/live/${encodeURIComponent(icao24)}`);
    if (selected !== icao24) return;
    const { trail: points, ...rest } = detail;
    trail = Array.isArray(points) ? points.slice(-TRAIL_MAX_POINTS) : [];
    trailFetchedAt = performance.now();
    const current = store.get(icao24);
    panel.show(current ? { ...rest, ...current, ...pick(rest, ["origin", "origin_icao", "origin_name"]) } : rest);
    if (!known && fly) flyTo(rest);
    layer?.setTrail(trail);
    panel.trailInfo(`Trail: ${trail.length} points, coloured by altitude.`);
  } catch (error) {
    if (selected !== icao24) return;
    if (!known) panel.show({ icao24, callsign: null });
    panel.trailInfo(`No trail: ${error.message}`);
  }
}

function pick(obj, keys) {
  const out = {};
  for (const k of keys) if (obj[k] !== undefined && obj[k] !== null) out[k] = obj[k];
  return out;
}

function flyTo(a) {
  if (map && typeof a.lat === "number" && typeof a.lon === "number") {
    map.easeTo({ center: [a.lon, a.lat], zoom: Math.max(map.getZoom(), 6), duration: 600 });
  }
}

function searchAndSelect(text) {
  if (!text) return;
  let exact = null;
  const hits = [];
  for (const a of store.all()) {
    const cs = (a.callsign ?? "").toLowerCase();
    if (cs === text || a.icao24 === text) exact = a;
    else if (cs.includes(text) || a.icao24.includes(text)) hits.push(a);
  }
  const target = exact ?? (hits.length === 1 ? hits[0] : null);
  if (target) select(target.icao24, { fly: true });
}

function extendTrail(a) {
  const alt = a.onground ? 0 : a.baroaltitude ?? a.geoaltitude ?? null;
  const last = trail[trail.length - 1];
  if (last && last[1] === a.lat && last[2] === a.lon) return;
  trail.push([a.last_seen ?? store.now(), a.lat, a.lon, alt]);
  if (trail.length > TRAIL_MAX_POINTS) trail.shift();
  layer?.setTrail(trail);
}

// ---------------------------------------------------------------------------------------
// Feed

function onMessage(message) {
  lastMessageAt = performance.now();
  switch (message.type) {
    case "snapshot":
      store.snapshot(message);
      alerts.reconcile(store.all());
      if (!fitted) fitToAircraft();
      break;
    case "diff": {
      const { moved, missing } = store.diff(message);
      const changed = [...(message.added ?? []), ...(message.updated ?? [])];
      alerts.reconcile(changed.map((a) => store.get(a.icao24)).filter(Boolean));
      if (selected && moved.includes(selected)) extendTrail(store.get(selected));
      if (missing.length) resync();
      break;
    }
    case "alert":
      alerts.apply(message.alert);
      break;
    case "heartbeat":
      store.tick(message.time);
      break;
    case "error":
      showBanner(`Server: ${message.message ?? "error"}`);
      break;
    default:
      return;
  }
  dirty = true;
}

function onStatus(status) {
  connState = status.state;
  const el = byId("conn");
  el.dataset.state = status.state;
  const text = status.state === "open" ? "Live"
    : status.state === "connecting" ? "Connecting…"
      : `Offline — retrying in ${Math.ceil((status.retryInMs ?? 0) / 1000)} s`;
  fill(byId("conn-text"), text);
  el.title = status.state === "open" ? "Connected to /ws/live" : `Reconnect attempts: ${status.attempts ?? 0}`;
}

/** Ask for a fresh snapshot of the view (at most every RESYNC_EVERY_MS). */
function resync() {
  const now = performance.now();
  if (now - lastResync < RESYNC_EVERY_MS) return;
  lastResync = now;
  feed.send({ type: "subscribe", bbox });
}

function subscription() {
  return bbox ? { type: "subscribe", bbox } : null;
}

function fitToAircraft() {
  if (!map || store.size === 0) return;
  const lats = [];
  const lons = [];
  for (const a of store.all()) {
    if (typeof a.lat === "number" && typeof a.lon === "number") {
      lats.push(a.lat);
      lons.push(a.lon);
    }
  }
  if (!lats.length) return;
  fitted = true;
  lats.sort((x, y) => x - y);
  lons.sort((x, y) => x - y);
  const q = (arr, p) => arr[Math.min(arr.length - 1, Math.max(0, Math.round(p * (arr.length - 1))))];
  const bounds = [[q(lons, 0.01), q(lats, 0.01)], [q(lons, 0.99), q(lats, 0.99)]];
  if (bounds[0][0] === bounds[1][0] && bounds[0][1] === bounds[1][1]) map.jumpTo({ center: bounds[0], zoom: 7 });
  else map.fitBounds(bounds, { padding: 40, duration: 0, maxZoom: 9 });
}

function updateBbox() {
  if (!map) return;
  const b = map.getBounds();
  const padLat = (b.getNorth() - b.getSouth()) * 0.25;
  const padLon = (b.getEast() - b.getWest()) * 0.25;
  const lamin = Math.max(-90, b.getSouth() - padLat);
  const lamax = Math.min(90, b.getNorth() + padLat);
  let lomin = b.getWest() - padLon;
  let lomax = b.getEast() + padLon;
  if (lomax - lomin >= 360 || lomin < -180 || lomax > 180) [lomin, lomax] = [Math.max(-180, lomin), Math.min(180, lomax)];
  bbox = [lamin, lomin, lamax, lomax].map((v) => Math.round(v * 1000) / 1000);
  feed.send({ type: "subscribe", bbox });
}

// ---------------------------------------------------------------------------------------
// Rendering

function render() {
  const nowMs = performance.now();
  const shown = [];
  const airlines = new Map();
  for (const a of store.all()) {
    if (a.airline_icao) airlines.set(a.airline_icao, a.airline_name ?? airlines.get(a.airline_icao) ?? null);
    if (matches(a, filter)) shown.push(a);
  }
  setAirlines(airlines);
  // Re-uploading every aircraft while the user drags the map makes panning stutter with
  // thousands of them; the map catches up when the movement ends.
  if (layer && map.isMoving()) mapPending = true;
  else {
    mapPending = false;
    layer?.setAircraft(shown, selected, (a) => store.opacity(a, nowMs));
  }
  table.setRows(shown, (a) => store.age(a, nowMs));
  alerts.render();
  if (selected) {
    const a = store.get(selected);
    if (a) panel.update(a);
  }
  renderCounters(shown.length);
  if (store.size > 0) document.body.dataset.aircraft = String(store.size);
}

function renderCounters(shownCount) {
  const s = store.stats ?? {};
  let air = 0;
  let ground = 0;
  if (s.in_air === undefined || s.on_ground === undefined) {
    for (const a of store.all()) a.onground ? ground++ : air++;
  }
  fill(byId("count-air"), num(s.in_air ?? air));
  fill(byId("count-ground"), num(s.on_ground ?? ground));
  fill(byId("count-total"), num(s.total ?? store.size));
  fill(byId("count-rate"), num(s.states_per_s, 1));
  fill(byId("count-shown"), num(shownCount));
}

function loop() {
  const now = performance.now();
  if (dirty && now - lastRender >= RENDER_EVERY_MS) {
    dirty = false;
    lastRender = now;
    render();
  }
  requestAnimationFrame(loop);
}

function housekeeping() {
  if (store.prune()) dirty = true;
  // Fading depends on the clock alone: redraw when some aircraft crossed an opacity step.
  const fade = store.fadeSignature();
  if (fade !== lastFade) {
    lastFade = fade;
    dirty = true;
  } else {
    table.paint(); // the "seen" ages
  }
  if (selected && performance.now() - trailFetchedAt > TRAIL_REFRESH_MS && store.get(selected)) {
    trailFetchedAt = performance.now();
    getJSON(`/api/live/${encodeURIComponent(selected)}`).then((d) => {
      if (d.icao24 === selected && Array.isArray(d.trail)) {
        trail = d.trail.slice(-TRAIL_MAX_POINTS);
        layer?.setTrail(trail);
      }
    }).catch(() => {});
  }
  const conn = byId("conn");
  conn.classList.toggle("quiet", connState === "open" && performance.now() - lastMessageAt > 15_000);
}

function showBanner(text) {
  const el = byId("banner");
  el.hidden = false;
  fill(el, text);
}

// ---------------------------------------------------------------------------------------
// Start

const feed = new LiveFeed(liveUrl(), { onMessage, onStatus, subscription });

async function start() {
  renderLegend();
  const config = await loadConfig();
  if (webglAvailable()) {
    try {
      map = await createMap(byId("map"), config);
      layer = new AircraftLayer(map, { onClick: (id) => select(id) });
      let timer = null;
      map.on("moveend", () => {
        if (mapPending) dirty = true;
        if (!fitted) return;
        clearTimeout(timer);
        timer = setTimeout(updateBbox, 300);
      });
    } catch (error) {
      showBanner(`Map unavailable (${error.message}); the table and alerts still work.`);
    }
  } else {
    showBanner("This browser has no WebGL: the map is off; the table and alerts still work.");
  }
  try {
    for (const alert of itemsOf(await getJSON("/api/alerts"), "alerts")) alerts.apply({ kind: "raised", ...alert });
  } catch {
    /* alerts also arrive over the WebSocket */
  }
  feed.start();
  requestAnimationFrame(loop);
  setInterval(housekeeping, 1000);
  document.addEventListener("keydown", (e) => e.key === "Escape" && select(null));
  byId("map").dataset.ready = map ? "webgl" : "none";
}

// A small read-only handle for the browser tests and for debugging from the console.
window.aerolakeLive = {
  store,
  select: (id) => select(id),
  selected: () => selected,
  positions: () => [...store.all()].map((a) => [a.icao24, a.lat, a.lon]),
  /** Stop the live feed and apply `message` as if it came from the server (load tests). */
  inject(message) {
    feed.stop();
    onMessage(message);
  },
  /** Time one full render (filter, map source, table) in ms. */
  renderOnce() {
    const t0 = performance.now();
    render();
    return performance.now() - t0;
  },
  screenPoint(icao24) {
    const a = store.get(icao24);
    return a && layer ? layer.screenPoint(a.lon, a.lat) : null;
  },
  get map() { return map; },
};

start();
