// Build the aerolake front-end into src/aerolake/web/static/ (served by the FastAPI app).
// Idempotent: the output folder is emptied and rebuilt from web/frontend/src and node_modules.
// Everything the pages need at run time lands in that folder: no CDN, no web fonts, no tiles.
import { build } from "esbuild";
import { mkdir, readFile, readdir, rm, writeFile, copyFile, stat } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { feature, mesh } from "topojson-client";

const here = dirname(fileURLToPath(import.meta.url));
const out = resolve(here, process.env.AEROLAKE_STATIC_DIR ?? "../../src/aerolake/web/static");
const assets = join(out, "assets");
const data = join(out, "data");
const vendor = join(out, "vendor");

/** Round coordinates to 3 decimals (about 100 m): enough for outlines, a third of the bytes. */
function rounded(geojson) {
  return JSON.stringify(geojson, (key, value) =>
    typeof value === "number" && key !== "id" ? Math.round(value * 1000) / 1000 : value,
  );
}

async function countries() {
  const path = join(here, "node_modules/world-atlas/countries-50m.json");
  const topo = JSON.parse(await readFile(path, "utf8"));
  const land = feature(topo, topo.objects.countries);
  const borders = mesh(topo, topo.objects.countries, (a, b) => a !== b);
  await writeFile(join(data, "countries.geojson"), rounded(land));
  await writeFile(join(data, "borders.geojson"), rounded({ type: "FeatureCollection", features: [{ type: "Feature", properties: {}, geometry: borders }] }));
}

async function bundles() {
  await build({
    entryPoints: {
      live: join(here, "src/live/main.js"),
      dashboards: join(here, "src/dashboards/main.js"),
      ops: join(here, "src/ops/main.js"),
    },
    outdir: assets,
    bundle: true,
    splitting: true,
    format: "esm",
    target: ["chrome110", "firefox115", "safari16"],
    minify: true,
    sourcemap: false,
    legalComments: "eof",
    chunkNames: "chunk-[hash]",
    logLevel: "warning",
  });
  // MapLibre 6 loads its worker as a module next to the code that imports it.
  await copyFile(join(here, "node_modules/maplibre-gl/dist/maplibre-gl-worker.mjs"), join(assets, "maplibre-gl-worker.mjs"));
}

/** Swagger UI for /docs, served from this server (the FastAPI default loads it from a CDN). */
async function swaggerUi() {
  const dist = join(here, "node_modules/swagger-ui-dist");
  for (const name of ["swagger-ui-bundle.js", "swagger-ui.css"]) {
    await copyFile(join(dist, name), join(vendor, name));
  }
}

async function pages() {
  for (const name of await readdir(join(here, "src/pages"))) {
    await copyFile(join(here, "src/pages", name), join(out, name));
  }
}

async function size(dir) {
  let total = 0;
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    total += entry.isDirectory() ? await size(path) : (await stat(path)).size;
  }
  return total;
}

await rm(out, { recursive: true, force: true });
await mkdir(assets, { recursive: true });
await mkdir(data, { recursive: true });
await mkdir(vendor, { recursive: true });
await Promise.all([countries(), bundles(), pages(), swaggerUi()]);
console.log(`aerolake web: built ${out} (${(await size(out) / 1e6).toFixed(2)} MB)`);
