/**
 * An RGBA canvas in plain memory: the record {width, height, data} with 4 bytes per pixel,
 * rows top to bottom, the same layout as the DOM's ImageData (so `new ImageData(r.data,
 * r.width, r.height)` shows it on a canvas). The drawing functions below modify the raster
 * in place and clip everything that falls outside it. Colours are [r, g, b] or [r, g, b, a]
 * with components in 0..255; an alpha below 255 blends over what is already there.
 * Runtime-neutral: no Node or DOM imports.
 */

export interface Raster {
  readonly width: number;
  readonly height: number;
  /** width * height * 4 bytes, RGBA, row-major from the top-left pixel. */
  readonly data: Uint8ClampedArray;
}

export type Color = readonly [number, number, number] | readonly [number, number, number, number];

/** Thrown for figure or image input that cannot be drawn (bad sizes, wrong shapes). */
export class VizError extends Error {
  override readonly name = "VizError";
  /** When the error is a size mismatch: what was expected and what was found. */
  readonly expected: string | undefined;
  readonly found: string | undefined;
  constructor(message: string, sizes?: { expected: string; found: string }) {
    super(sizes ? `${message}: expected ${sizes.expected}, found ${sizes.found}` : message);
    this.expected = sizes?.expected;
    this.found = sizes?.found;
  }
}

export const WHITE: Color = [255, 255, 255];
export const BLACK: Color = [0, 0, 0];
export const TRANSPARENT: Color = [0, 0, 0, 0];

/** A new raster filled with `background` (default opaque white). */
export function raster(width: number, height: number, background: Color = WHITE): Raster {
  if (!Number.isSafeInteger(width) || width < 0 || !Number.isSafeInteger(height) || height < 0) {
    throw new VizError("raster size must be two non-negative integers", { expected: "width, height >= 0", found: `${width} x ${height}` });
  }
  const r: Raster = { width, height, data: new Uint8ClampedArray(width * height * 4) };
  fill(r, background);
  return r;
}

/** Wraps existing RGBA bytes (an ImageData's, a decoded PNG's) without copying. */
export function fromRgba(width: number, height: number, data: Uint8Array | Uint8ClampedArray): Raster {
  if (data.length !== width * height * 4) {
    throw new VizError("RGBA data does not match the raster size", { expected: `${width * height * 4} bytes (${width} x ${height} x 4)`, found: `${data.length} bytes` });
  }
  const bytes = data instanceof Uint8ClampedArray ? data : new Uint8ClampedArray(data.buffer, data.byteOffset, data.length);
  return { width, height, data: bytes };
}

/** The colour at (x, y) as [r, g, b, a]; throws outside the raster. */
export function getPixel(r: Raster, x: number, y: number): [number, number, number, number] {
  if (!(x >= 0 && x < r.width && y >= 0 && y < r.height) || !Number.isInteger(x) || !Number.isInteger(y)) {
    throw new VizError(`pixel (${x}, ${y}) is outside the ${r.width} x ${r.height} raster`);
  }
  const i = (y * r.width + x) * 4;
  const d = r.data;
  return [d[i]!, d[i + 1]!, d[i + 2]!, d[i + 3]!];
}

/** Overwrites every pixel (no blending). */
export function fill(r: Raster, color: Color): void {
  const [cr, cg, cb, ca = 255] = color;
  const d = r.data;
  for (let i = 0; i < d.length; i += 4) { d[i] = cr; d[i + 1] = cg; d[i + 2] = cb; d[i + 3] = ca; }
}

/**
 * Paints one pixel with `color`, its alpha scaled by `coverage` (0..1), blended "over" the
 * pixel already there. Integer coordinates; outside the raster it does nothing.
 */
export function blendPixel(r: Raster, x: number, y: number, color: Color, coverage = 1): void {
  if (x < 0 || y < 0 || x >= r.width || y >= r.height) return;
  const a = ((color[3] ?? 255) / 255) * coverage;
  if (!(a > 0)) return;
  const i = (y * r.width + x) * 4;
  const d = r.data;
  if (a >= 1) { d[i] = color[0]; d[i + 1] = color[1]; d[i + 2] = color[2]; d[i + 3] = 255; return; }
  const da = d[i + 3]! / 255;
  const oa = a + da * (1 - a);
  for (let k = 0; k < 3; k++) {
    d[i + k] = (color[k]! * a + d[i + k]! * da * (1 - a)) / oa;
  }
  d[i + 3] = oa * 255;
}

/** Sets one pixel (no blending); ignored outside the raster. */
export function setPixel(r: Raster, x: number, y: number, color: Color): void {
  if (x < 0 || y < 0 || x >= r.width || y >= r.height || !Number.isInteger(x) || !Number.isInteger(y)) return;
  const i = (y * r.width + x) * 4;
  const d = r.data;
  d[i] = color[0]; d[i + 1] = color[1]; d[i + 2] = color[2]; d[i + 3] = color[3] ?? 255;
}

/** A filled rectangle with its top-left pixel at (x, y), `w` x `h` pixels, clipped. */
export function rect(r: Raster, x: number, y: number, w: number, h: number, color: Color): void {
  const x0 = Math.max(0, Math.round(x)), y0 = Math.max(0, Math.round(y));
  const x1 = Math.min(r.width, Math.round(x + w)), y1 = Math.min(r.height, Math.round(y + h));
  for (let yy = y0; yy < y1; yy++) for (let xx = x0; xx < x1; xx++) blendPixel(r, xx, yy, color);
}

/** The outline of a rectangle, `thickness` pixels wide, drawn inside the box (x, y, w, h). */
export function strokeRect(r: Raster, x: number, y: number, w: number, h: number, color: Color, thickness = 1): void {
  const t = Math.max(1, Math.round(thickness));
  if (w <= 2 * t || h <= 2 * t) { rect(r, x, y, w, h, color); return; }
  rect(r, x, y, w, t, color);
  rect(r, x, y + h - t, w, t, color);
  rect(r, x, y + t, t, h - 2 * t, color);
  rect(r, x + w - t, y + t, t, h - 2 * t, color);
}

export interface LineOptions {
  /** Line width in pixels (default 1). */
  readonly width?: number;
  /** Smooth edges by pixel coverage (default true); false draws a hard Bresenham line (width 1) or a hard-edged band. */
  readonly antialias?: boolean;
}

/**
 * A straight segment between pixel centres (x0, y0) and (x1, y1). Anti-aliased lines paint
 * each pixel by the share of it covered by the band of the given width around the segment.
 */
export function line(r: Raster, x0: number, y0: number, x1: number, y1: number, color: Color, options: LineOptions = {}): void {
  if (![x0, y0, x1, y1].every(Number.isFinite)) return;
  const width = Math.max(0.5, options.width ?? 1);
  const antialias = options.antialias ?? true;
  if (!antialias && width <= 1) { bresenham(r, Math.round(x0), Math.round(y0), Math.round(x1), Math.round(y1), color); return; }
  const half = width / 2;
  const pad = Math.ceil(half + 1);
  const minX = Math.max(0, Math.floor(Math.min(x0, x1)) - pad), maxX = Math.min(r.width - 1, Math.ceil(Math.max(x0, x1)) + pad);
  const minY = Math.max(0, Math.floor(Math.min(y0, y1)) - pad), maxY = Math.min(r.height - 1, Math.ceil(Math.max(y0, y1)) + pad);
  const dx = x1 - x0, dy = y1 - y0;
  const len2 = dx * dx + dy * dy;
  for (let y = minY; y <= maxY; y++) {
    for (let x = minX; x <= maxX; x++) {
      // distance from the pixel centre to the segment (round caps)
      let t = len2 > 0 ? ((x - x0) * dx + (y - y0) * dy) / len2 : 0;
      t = t < 0 ? 0 : t > 1 ? 1 : t;
      const ex = x - (x0 + t * dx), ey = y - (y0 + t * dy);
      const dist = Math.sqrt(ex * ex + ey * ey);
      let coverage = half + 0.5 - dist;
      if (!antialias) coverage = dist <= half ? 1 : 0;
      if (coverage <= 0) continue;
      blendPixel(r, x, y, color, Math.min(1, coverage));
    }
  }
}

function bresenham(r: Raster, x0: number, y0: number, x1: number, y1: number, color: Color): void {
  const dx = Math.abs(x1 - x0), sx = x0 < x1 ? 1 : -1;
  const dy = -Math.abs(y1 - y0), sy = y0 < y1 ? 1 : -1;
  let err = dx + dy;
  for (;;) {
    blendPixel(r, x0, y0, color);
    if (x0 === x1 && y0 === y1) return;
    const e2 = 2 * err;
    if (e2 >= dy) { err += dy; x0 += sx; }
    if (e2 <= dx) { err += dx; y0 += sy; }
  }
}

/** A connected line through the points (x[i], y[i]); a non-finite point breaks the line. */
export function polyline(r: Raster, xs: ArrayLike<number>, ys: ArrayLike<number>, color: Color, options: LineOptions = {}): void {
  const n = Math.min(xs.length, ys.length);
  for (let i = 1; i < n; i++) {
    const ax = xs[i - 1]!, ay = ys[i - 1]!, bx = xs[i]!, by = ys[i]!;
    if ([ax, ay, bx, by].every(Number.isFinite)) line(r, ax, ay, bx, by, color, options);
  }
}

export type MarkerShape = "circle" | "square" | "diamond" | "triangle" | "cross" | "plus";

export interface MarkerOptions {
  readonly shape?: MarkerShape;
  /** Radius in pixels (default 2): the marker spans about 2*size+1 pixels. */
  readonly size?: number;
  /** Smooth the edge of circles (default true). */
  readonly antialias?: boolean;
}

/** A filled disc of radius `radius` centred on (cx, cy), anti-aliased. */
export function dot(r: Raster, cx: number, cy: number, radius: number, color: Color): void {
  marker(r, cx, cy, color, { shape: "circle", size: radius });
}

/** A marker centred on the pixel (cx, cy). */
export function marker(r: Raster, cx: number, cy: number, color: Color, options: MarkerOptions = {}): void {
  if (!Number.isFinite(cx) || !Number.isFinite(cy)) return;
  const s = Math.max(0, options.size ?? 2);
  const shape = options.shape ?? "circle";
  const antialias = options.antialias ?? true;
  const reach = Math.ceil(s + 1);
  const px = Math.round(cx), py = Math.round(cy);
  if (shape === "cross" || shape === "plus") {
    const w = Math.max(1, s / 2);
    if (shape === "cross") {
      line(r, cx - s, cy - s, cx + s, cy + s, color, { width: w, antialias });
      line(r, cx - s, cy + s, cx + s, cy - s, color, { width: w, antialias });
    } else {
      line(r, cx - s, cy, cx + s, cy, color, { width: w, antialias });
      line(r, cx, cy - s, cx, cy + s, color, { width: w, antialias });
    }
    return;
  }
  for (let y = py - reach; y <= py + reach; y++) {
    for (let x = px - reach; x <= px + reach; x++) {
      const ex = x - cx, ey = y - cy;
      let coverage: number;
      if (shape === "circle") {
        const d = Math.sqrt(ex * ex + ey * ey);
        coverage = antialias ? s + 0.5 - d : d <= s + 0.25 ? 1 : 0;
      } else if (shape === "square") {
        coverage = Math.abs(ex) <= s && Math.abs(ey) <= s ? 1 : 0;
      } else if (shape === "diamond") {
        const d = Math.abs(ex) + Math.abs(ey);
        coverage = antialias ? s + 0.5 - d : d <= s ? 1 : 0;
      } else {
        // triangle pointing up, inscribed in the square of half-size s
        const inside = ey <= s && ey >= -s && Math.abs(ex) <= (ey + s) / 2 + 0.5;
        coverage = inside ? 1 : 0;
      }
      if (coverage > 0) blendPixel(r, x, y, color, Math.min(1, coverage));
    }
  }
}

/**
 * Copies `tile` into `dst` with its top-left corner at (x, y), every source pixel becoming
 * a `scale` x `scale` block (nearest-neighbour upscaling). Pixels are copied, not blended,
 * unless `blend` is true. Clipped at the edges of `dst`.
 */
export function blit(dst: Raster, tile: Raster, x: number, y: number, scale = 1, blend = false): void {
  if (!Number.isSafeInteger(scale) || scale < 1) throw new VizError("blit scale must be a positive integer", { expected: "an integer >= 1", found: String(scale) });
  x = Math.round(x); y = Math.round(y);
  const s = tile.data, d = dst.data;
  const y0 = Math.max(0, y), y1 = Math.min(dst.height, y + tile.height * scale);
  const x0 = Math.max(0, x), x1 = Math.min(dst.width, x + tile.width * scale);
  for (let yy = y0; yy < y1; yy++) {
    const sy = Math.floor((yy - y) / scale);
    for (let xx = x0; xx < x1; xx++) {
      const sx = Math.floor((xx - x) / scale);
      const si = (sy * tile.width + sx) * 4;
      if (blend) { blendPixel(dst, xx, yy, [s[si]!, s[si + 1]!, s[si + 2]!, s[si + 3]!]); continue; }
      const di = (yy * dst.width + xx) * 4;
      d[di] = s[si]!; d[di + 1] = s[si + 1]!; d[di + 2] = s[si + 2]!; d[di + 3] = s[si + 3]!;
    }
  }
}

/** A copy of the region (x, y, w, h) of `r`, clipped to the raster. */
export function crop(r: Raster, x: number, y: number, w: number, h: number): Raster {
  const x0 = Math.max(0, Math.round(x)), y0 = Math.max(0, Math.round(y));
  const x1 = Math.min(r.width, Math.round(x + w)), y1 = Math.min(r.height, Math.round(y + h));
  const out = raster(Math.max(0, x1 - x0), Math.max(0, y1 - y0), TRANSPARENT);
  for (let yy = y0; yy < y1; yy++) {
    out.data.set(r.data.subarray((yy * r.width + x0) * 4, (yy * r.width + x1) * 4), (yy - y0) * out.width * 4);
  }
  return out;
}

/** Parses "#rrggbb" (or "#rrggbbaa") into a Color. */
export function hex(code: string): Color {
  const m = /^#?([0-9a-f]{6})([0-9a-f]{2})?$/i.exec(code);
  if (!m) throw new VizError(`"${code}" is not a colour of the form #rrggbb`);
  const v = parseInt(m[1]!, 16);
  const rgb: [number, number, number] = [(v >> 16) & 255, (v >> 8) & 255, v & 255];
  return m[2] ? [...rgb, parseInt(m[2], 16)] : rgb;
}

/** The ten categorical colours of matplotlib's "tab10" palette; class k gets PALETTE[k % 10]. */
export const PALETTE: readonly Color[] = [
  "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
  "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf",
].map(hex);
