// The offline base map: MapLibre GL (WebGL) with Natural Earth country outlines bundled at
// build time (world-atlas -> GeoJSON in /static/data). No style, tile, glyph or sprite is
// fetched from anywhere else unless `tile_url` is configured (then a raster layer sits under
// the outlines). No text layers: glyph fonts are not bundled.
import * as maplibregl from "maplibre-gl";
import "maplibre-gl/dist/maplibre-gl.css";

maplibregl.setWorkerUrl(new URL("./maplibre-gl-worker.mjs", import.meta.url).href);

export const COUNTRIES_URL = "/static/data/countries.geojson";
export const BORDERS_URL = "/static/data/borders.geojson";

/** True when this browser can give MapLibre a WebGL context. */
export function webglAvailable() {
  try {
    const canvas = document.createElement("canvas");
    return Boolean(canvas.getContext("webgl2") || canvas.getContext("webgl"));
  } catch {
    return false;
  }
}

/** The base style: ocean background, optional raster tiles, land fill and border lines. */
export function baseStyle({ tile_url: tileUrl = null, tile_attribution: attribution = null } = {}) {
  const sources = {
    countries: { type: "geojson", data: COUNTRIES_URL, attribution: "Natural Earth" },
    borders: { type: "geojson", data: BORDERS_URL },
  };
  const layers = [{ id: "ocean", type: "background", paint: { "background-color": "#0b1724" } }];
  if (tileUrl) {
    sources.tiles = { type: "raster", tiles: [tileUrl], tileSize: 256, attribution: attribution ?? undefined };
    layers.push({ id: "tiles", type: "raster", source: "tiles", paint: { "raster-opacity": 0.55 } });
  }
  layers.push(
    { id: "land", type: "fill", source: "countries", paint: { "fill-color": "#17283a", "fill-opacity": tileUrl ? 0.35 : 1 } },
    { id: "coast", type: "line", source: "countries", paint: { "line-color": "#3d5a78", "line-width": 0.8 } },
    { id: "borders", type: "line", source: "borders", paint: { "line-color": "#4f6f91", "line-width": 0.6, "line-dasharray": [3, 2] } },
  );
  return { version: 8, sources, layers };
}

/**
 * A map in `container`; resolves once the style has loaded. `view`: {center:[lon,lat], zoom}
 * or {bounds:[[w,s],[e,n]]}.
 */
export function createMap(container, config, view = {}) {
  const map = new maplibregl.Map({
    container,
    style: baseStyle(config),
    center: view.center ?? [78.9, 22.5],
    zoom: view.zoom ?? 3.6,
    bounds: view.bounds,
    attributionControl: { compact: true },
    dragRotate: false,
    pitchWithRotate: false,
    touchPitch: false,
    maxPitch: 0,
    renderWorldCopies: false,
    // fadeDuration 0 would force a full symbol placement on every frame (slow with 15,000 icons).
  });
  map.touchZoomRotate.disableRotation();
  map.addControl(new maplibregl.NavigationControl({ showCompass: false }), "top-left");
  map.addControl(new maplibregl.ScaleControl({ unit: "nautical" }), "bottom-left");
  return new Promise((resolvePromise, reject) => {
    map.once("load", () => resolvePromise(map));
    map.once("error", (event) => {
      if (!map.loaded()) reject(event.error ?? new Error("map failed to load"));
    });
  });
}

/** A GeoJSON FeatureCollection. */
export const collection = (features) => ({ type: "FeatureCollection", features });

export { maplibregl };
