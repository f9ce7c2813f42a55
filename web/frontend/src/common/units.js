// Units and formatting. The API speaks SI (metres, m/s, unix seconds UTC); the pages show the
// aviation units a dispatcher reads (feet, knots, ft/min) and UTC times.

export const FT_PER_M = 3.280839895;
export const KT_PER_MS = 1.943844492;
export const FPM_PER_MS = 196.8503937;

const isNum = (v) => typeof v === "number" && Number.isFinite(v);

export const feet = (m) => (isNum(m) ? m * FT_PER_M : null);
export const knots = (ms) => (isNum(ms) ? ms * KT_PER_MS : null);

const int = new Intl.NumberFormat("en-US", { maximumFractionDigits: 0 });
const one = new Intl.NumberFormat("en-US", { maximumFractionDigits: 1 });
const two = new Intl.NumberFormat("en-US", { maximumFractionDigits: 2 });

export function num(value, digits = 0) {
  if (!isNum(value)) return "—";
  return (digits === 0 ? int : digits === 1 ? one : two).format(value);
}

export function altitude(m, onground = false) {
  if (onground) return "ground";
  return isNum(m) ? `${int.format(m * FT_PER_M)} ft` : "—";
}

export const speed = (ms) => (isNum(ms) ? `${int.format(ms * KT_PER_MS)} kt` : "—");
export const vrate = (ms) => (isNum(ms) ? `${ms > 0 ? "+" : ""}${int.format(ms * FPM_PER_MS)} ft/min` : "—");
export const track = (deg) => (isNum(deg) ? `${int.format(((deg % 360) + 360) % 360)}°` : "—");
export const km = (v) => (isNum(v) ? `${int.format(v)} km` : "—");
export const minutes = (v) => (isNum(v) ? `${one.format(v)} min` : "—");
export const pct = (v) => (isNum(v) ? `${one.format(v)} %` : "—");

/** A time as Date: unix seconds, ISO string (TIMESTAMPTZ) or Date; null when absent. */
export function toDate(value) {
  if (value === null || value === undefined || value === "") return null;
  if (value instanceof Date) return value;
  const d = isNum(value) ? new Date(value * 1000) : new Date(value);
  return Number.isNaN(d.getTime()) ? null : d;
}

/** "2024-05-01 12:34:56Z" (UTC). */
export function utc(value) {
  const d = toDate(value);
  return d ? `${d.toISOString().slice(0, 19).replace("T", " ")}Z` : "—";
}

/** "12:34:56Z" (UTC). */
export function utcTime(value) {
  const d = toDate(value);
  return d ? `${d.toISOString().slice(11, 19)}Z` : "—";
}

/** Seconds as "45 s" / "3 min" / "2 h". */
export function age(seconds) {
  if (!isNum(seconds)) return "—";
  const s = Math.max(0, seconds);
  if (s < 90) return `${Math.round(s)} s`;
  if (s < 5400) return `${Math.round(s / 60)} min`;
  return `${one.format(s / 3600)} h`;
}

export const SQUAWK_MEANING = { 7500: "HIJACK", 7600: "NORDO", 7700: "EMERGENCY" };

/** True for the emergency squawks 7500 / 7600 / 7700. */
export function isEmergencySquawk(squawk) {
  return squawk === "7500" || squawk === "7600" || squawk === "7700";
}
