// Altitude colour ramp in the style of tar1090: hue interpolated over barometric altitude
// (0 ft orange, about 11,000 ft green, 40,000 ft magenta), fixed saturation, a lightness that
// evens out perceived brightness; aircraft on the ground grey, unknown altitude light grey.
// Emergency squawks (7500/7600/7700) are drawn red regardless of altitude.
import { FT_PER_M } from "./units.js";

/** [altitude ft, hue degrees], increasing altitude; linear between stops, clamped outside. */
export const HUE_STOPS = [
  [0, 20], [2000, 32], [4000, 43], [6000, 54], [8000, 72], [9000, 85], [11000, 140], [40000, 300],
];
/** [hue, lightness %]: greens and yellows darker, blues and purples lighter. */
const LIGHTNESS_STOPS = [[0, 52], [40, 52], [60, 44], [100, 41], [180, 41], [200, 56], [280, 56], [300, 45], [360, 52]];
const SATURATION = 88;

export const GROUND_COLOR = "hsl(0, 0%, 45%)";
export const UNKNOWN_COLOR = "hsl(0, 0%, 75%)";
export const EMERGENCY_COLOR = "#ff1a1a";

function interpolate(stops, x) {
  if (x <= stops[0][0]) return stops[0][1];
  for (let i = 1; i < stops.length; i++) {
    const [x1, y1] = stops[i];
    if (x <= x1) {
      const [x0, y0] = stops[i - 1];
      return y0 + ((y1 - y0) * (x - x0)) / (x1 - x0);
    }
  }
  return stops[stops.length - 1][1];
}

export function hueForFeet(ft) {
  return interpolate(HUE_STOPS, ft);
}

export function colorForFeet(ft) {
  const hue = hueForFeet(ft);
  return `hsl(${hue.toFixed(0)}, ${SATURATION}%, ${interpolate(LIGHTNESS_STOPS, hue).toFixed(0)}%)`;
}

const cache = new Map();

/** CSS colour for an aircraft at `altitudeM` metres (barometric), cached per 100 ft. */
export function altitudeColor(altitudeM, onground = false) {
  if (onground) return GROUND_COLOR;
  if (typeof altitudeM !== "number" || !Number.isFinite(altitudeM)) return UNKNOWN_COLOR;
  const bucket = Math.max(0, Math.round((altitudeM * FT_PER_M) / 100));
  let color = cache.get(bucket);
  if (!color) {
    color = colorForFeet(bucket * 100);
    cache.set(bucket, color);
  }
  return color;
}

/** Legend entries [label, colour] from the ground up. */
export function legendEntries() {
  const levels = [0, 2000, 4000, 6000, 8000, 10000, 20000, 30000, 40000];
  return [["ground", GROUND_COLOR], ...levels.map((ft) => [ft === 40000 ? "40k+ ft" : ft >= 10000 ? `${ft / 1000}k` : String(ft), colorForFeet(ft)])];
}
