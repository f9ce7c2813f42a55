// The aircraft on the map: one GeoJSON source drawn by GPU layers (a symbol layer with an SDF
// plane icon rotated by track and tinted by altitude, rings for emergencies and the selection),
// plus the selected aircraft's trail as line segments coloured by altitude. No DOM per aircraft.
import { collection } from "../map/basemap.js";
import { planeSdf } from "../map/icons.js";
import { altitudeColor, EMERGENCY_COLOR } from "../common/colors.js";
import { isEmergencySquawk } from "../common/units.js";

const ICON = "aerolake-plane";
const HIT_PX = 8;
const OUTLINE_ZOOM = 6;

export class AircraftLayer {
  constructor(map, { onClick }) {
    this.map = map;
    map.addImage(ICON, planeSdf(), { sdf: true, pixelRatio: 2 });
    map.addSource("trail", { type: "geojson", data: collection([]) });
    map.addSource("aircraft", { type: "geojson", data: collection([]) });
    map.addLayer({ id: "trail", type: "line", source: "trail", layout: { "line-cap": "round", "line-join": "round" },
      paint: { "line-color": ["get", "color"], "line-width": 2.5 } });
    map.addLayer({ id: "aircraft-emergency", type: "circle", source: "aircraft", filter: ["==", ["get", "emergency"], true],
      paint: { "circle-radius": 14, "circle-color": "rgba(255,0,0,0.15)", "circle-stroke-color": EMERGENCY_COLOR, "circle-stroke-width": 2 } });
    map.addLayer({ id: "aircraft-selected", type: "circle", source: "aircraft", filter: ["==", ["get", "selected"], true],
      paint: { "circle-radius": 15, "circle-color": "rgba(255,255,255,0.08)", "circle-stroke-color": "#ffffff", "circle-stroke-width": 2 } });
    map.addLayer({ id: "aircraft", type: "symbol", source: "aircraft",
      layout: {
        "icon-image": ICON,
        "icon-rotate": ["get", "heading"],
        "icon-rotation-alignment": "map",
        "icon-allow-overlap": true,
        "icon-ignore-placement": true,
        "icon-size": ["interpolate", ["linear"], ["zoom"], 2, 0.55, 6, 0.8, 10, 1.05],
      },
      paint: {
        "icon-color": ["get", "color"],
        "icon-opacity": ["get", "opacity"],
        "icon-halo-color": "rgba(0,0,0,0.85)",
        "icon-halo-width": 0, // see outline()
      } });
    map.on("click", (event) => {
      const { x, y } = event.point;
      const hits = map.queryRenderedFeatures([[x - HIT_PX, y - HIT_PX], [x + HIT_PX, y + HIT_PX]], { layers: ["aircraft"] });
      if (!hits.length) return;
      // nearest hit to the pointer
      let best = hits[0];
      let bestD = Infinity;
      for (const f of hits) {
        const p = map.project(f.geometry.coordinates);
        const d = (p.x - x) ** 2 + (p.y - y) ** 2;
        if (d < bestD) [best, bestD] = [f, d];
      }
      onClick(best.properties.icao24);
    });
    // An outline costs a second pass over every icon (several times slower with 15,000 on a
    // software renderer) whenever its width is not the constant 0, even through a zoom
    // expression, so it is switched on only when zoomed in, where few aircraft are in view.
    const outline = () => map.setPaintProperty("aircraft", "icon-halo-width", map.getZoom() >= OUTLINE_ZOOM ? 1 : 0);
    map.on("zoomend", outline);
    outline();
    map.on("mouseenter", "aircraft", () => (map.getCanvas().style.cursor = "pointer"));
    map.on("mouseleave", "aircraft", () => (map.getCanvas().style.cursor = ""));
  }

  /** Draw `aircraft` (iterable), `selected` icao24 or null, opacity(a) from the store. */
  setAircraft(aircraft, selected, opacity) {
    const features = [];
    for (const a of aircraft) {
      if (typeof a.lat !== "number" || typeof a.lon !== "number") continue;
      const emergency = Boolean(a.emergency || isEmergencySquawk(a.squawk));
      features.push({
        type: "Feature",
        geometry: { type: "Point", coordinates: [a.lon, a.lat] },
        properties: {
          icao24: a.icao24,
          heading: typeof a.heading === "number" ? a.heading : 0,
          color: emergency ? EMERGENCY_COLOR : altitudeColor(a.baroaltitude ?? a.geoaltitude, a.onground),
          opacity: opacity(a),
          emergency,
          selected: a.icao24 === selected,
        },
      });
    }
    this.map.getSource("aircraft").setData(collection(features));
    return features.length;
  }

  /** Trail points [[t, lat, lon, alt_m], ...] as segments coloured by altitude. */
  setTrail(points) {
    const features = [];
    for (let i = 1; i < points.length; i++) {
      const [, lat0, lon0, alt0] = points[i - 1];
      const [, lat1, lon1, alt1] = points[i];
      if (![lat0, lon0, lat1, lon1].every((v) => typeof v === "number")) continue;
      const alt = typeof alt1 === "number" ? alt1 : alt0;
      features.push({ type: "Feature", geometry: { type: "LineString", coordinates: [[lon0, lat0], [lon1, lat1]] },
        properties: { color: altitudeColor(alt, alt === null || alt === undefined ? false : alt <= 0) } });
    }
    this.map.getSource("trail").setData(collection(features));
  }

  screenPoint(lon, lat) {
    const p = this.map.project([lon, lat]);
    const rect = this.map.getCanvas().getBoundingClientRect();
    return { x: rect.left + p.x, y: rect.top + p.y };
  }
}
