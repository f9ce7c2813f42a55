// The aircraft icon as a signed distance field, drawn at run time (no sprite file to fetch), so
// MapLibre can tint it per aircraft (`icon-color`) and outline it (`icon-halo-*`).

/** Plane outline, nose up, in a unit square (x right, y down); mirrored about x = 0.5. */
const HALF_PLANE = [
  [0.5, 0.02], [0.56, 0.1], [0.565, 0.36], [0.96, 0.57], [0.96, 0.64], [0.565, 0.52],
  [0.55, 0.78], [0.73, 0.9], [0.73, 0.96], [0.5, 0.91],
];
const OUTLINE = [...HALF_PLANE, ...HALF_PLANE.slice(1, -1).reverse().map(([x, y]) => [1 - x, y])];

const SIZE = 64; // texture pixels
const PAD = 7; // room for the halo outside the shape
const RADIUS = 8; // SDF range in texture pixels (MapLibre's SDF_PX)
const CUTOFF = 0.75; // MapLibre reads the edge at 192/256

function mask() {
  const canvas = document.createElement("canvas");
  canvas.width = canvas.height = SIZE;
  const ctx = canvas.getContext("2d", { willReadFrequently: true });
  const scale = SIZE - 2 * PAD;
  ctx.beginPath();
  OUTLINE.forEach(([x, y], i) => (i ? ctx.lineTo : ctx.moveTo).call(ctx, PAD + x * scale, PAD + y * scale));
  ctx.closePath();
  ctx.fill();
  const alpha = ctx.getImageData(0, 0, SIZE, SIZE).data;
  const inside = new Uint8Array(SIZE * SIZE);
  for (let i = 0; i < inside.length; i++) inside[i] = alpha[i * 4 + 3] > 127 ? 1 : 0;
  return inside;
}

/** {width, height, data: Uint8Array RGBA} for `map.addImage(name, image, {sdf: true})`. */
export function planeSdf() {
  const inside = mask();
  const data = new Uint8Array(SIZE * SIZE * 4);
  for (let y = 0; y < SIZE; y++) {
    for (let x = 0; x < SIZE; x++) {
      const here = inside[y * SIZE + x];
      let best = RADIUS;
      for (let dy = -RADIUS; dy <= RADIUS; dy++) {
        const yy = y + dy;
        if (yy < 0 || yy >= SIZE) continue;
        for (let dx = -RADIUS; dx <= RADIUS; dx++) {
          const xx = x + dx;
          if (xx < 0 || xx >= SIZE || inside[yy * SIZE + xx] === here) continue;
          const d = Math.hypot(dx, dy);
          if (d < best) best = d;
        }
      }
      const signed = here ? -(best - 0.5) : best - 0.5;
      const value = Math.max(0, Math.min(1, CUTOFF - signed / RADIUS));
      const o = (y * SIZE + x) * 4;
      data[o] = data[o + 1] = data[o + 2] = 255;
      data[o + 3] = Math.round(value * 255);
    }
  }
  return { width: SIZE, height: SIZE, data };
}

/** The plane outline as a Path2D-ready point list in a `size` px box centred on 0,0 (canvas use). */
export function planeOutline(size) {
  return OUTLINE.map(([x, y]) => [(x - 0.5) * size, (y - 0.5) * size]);
}
