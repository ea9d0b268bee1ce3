/**
 * Float64 references of assembly/tsne.ts, with the kernels' parameter order and a typed array in
 * place of each pointer. Y is row-major [n, dims]; w_ij = 1 / (1 + |y_i - y_j|^2);
 * attr_i = pscale sum_j p_ij w_ij (y_i - y_j), rep_i = sum_{j != i} w_ij^2 (y_i - y_j), and the
 * functions that return a number return Z = sum_{i != j} w_ij. Plain loops, sums in index order
 * (the Barnes-Hut list in the order of the walk).
 */

/** Exact forces from a dense P [n, n]; writes attr and rep, returns Z. */
export function exactForces(n: number, dims: number, p: ArrayLike<number>, pscale: number, y: ArrayLike<number>,
  attr: Float64Array, rep: Float64Array): number {
  let z = 0;
  for (let i = 0; i < n; i++) {
    for (let c = 0; c < dims; c++) { attr[i * dims + c] = 0; rep[i * dims + c] = 0; }
    for (let j = 0; j < n; j++) {
      if (j === i) continue;
      let d2 = 0;
      for (let c = 0; c < dims; c++) { const d = y[i * dims + c]! - y[j * dims + c]!; d2 += d * d; }
      const w = 1 / (1 + d2), pw = pscale * p[i * n + j]! * w;
      z += w;
      for (let c = 0; c < dims; c++) {
        const d = y[i * dims + c]! - y[j * dims + c]!;
        attr[i * dims + c] = attr[i * dims + c]! + pw * d;
        rep[i * dims + c] = rep[i * dims + c]! + w * w * d;
      }
    }
  }
  return z;
}

/**
 * Attractive forces, 2-D, for a symmetric P given by its upper triangle in CSR (rowPtr [n + 1],
 * cols > i, vals): each stored p_ij acts on row i and, with the opposite sign, on row j.
 */
export function attractive2d(n: number, rowPtr: ArrayLike<number>, cols: ArrayLike<number>, vals: ArrayLike<number>,
  pscale: number, y: ArrayLike<number>, attr: Float64Array): void {
  attr.fill(0, 0, 2 * n);
  for (let i = 0; i < n; i++) {
    for (let k = rowPtr[i]!; k < rowPtr[i + 1]!; k++) {
      const j = cols[k]!, dx = y[2 * i]! - y[2 * j]!, dy = y[2 * i + 1]! - y[2 * j + 1]!;
      const pw = vals[k]! / (1 + (dx * dx + dy * dy));
      attr[2 * i] = attr[2 * i]! + pw * dx; attr[2 * i + 1] = attr[2 * i + 1]! + pw * dy;
      attr[2 * j] = attr[2 * j]! - pw * dx; attr[2 * j + 1] = attr[2 * j + 1]! - pw * dy;
    }
  }
  for (let t = 0; t < 2 * n; t++) attr[t] = pscale * attr[t]!;
}

interface Node { s: number; e: number; mx: number; my: number; mass: number; open2: number; children: Node[] }

const BITS = 4294967295;
/** x >>> 0's leading zeros as a 32-bit word. */
const clz = (v: number): number => Math.clz32(v >>> 0);

/**
 * The kernel's Barnes-Hut repulsion (tsne_bh_repulsive_2d: same quantisation, Morton order,
 * compressed quadtree, leaves and summaries), evaluated in float64 on absolute coordinates.
 * Writes rep [n, 2], returns the estimate of Z.
 */
export function bhRepulsive2d(n: number, y: ArrayLike<number>, theta: number, leaf: number, rep: Float64Array): number {
  if (n <= 0) return 0;
  let x0 = Infinity, x1 = -Infinity, y0 = Infinity, y1 = -Infinity;
  for (let i = 0; i < n; i++) {
    x0 = Math.min(x0, y[2 * i]!); x1 = Math.max(x1, y[2 * i]!);
    y0 = Math.min(y0, y[2 * i + 1]!); y1 = Math.max(y1, y[2 * i + 1]!);
  }
  const side = Math.max(x1 - x0, y1 - y0), scale = side > 0 ? 4294967296 / side : 0;
  const quant = (t: number): number => (t < BITS ? Math.floor(t) : BITS);
  const qx = Array.from({ length: n }, (_, i) => quant((y[2 * i]! - x0) * scale));
  const qy = Array.from({ length: n }, (_, i) => quant((y[2 * i + 1]! - y0) * scale));
  // Morton order, x's bit first at each level: compare by the coordinate whose xor has the higher bit.
  const perm = Array.from({ length: n }, (_, i) => i).sort((a, b) => {
    const xx = (qx[a]! ^ qx[b]!) >>> 0, xy = (qy[a]! ^ qy[b]!) >>> 0;
    if (xx === 0 && xy === 0) return a - b;
    return clz(xy) < clz(xx) ? qy[a]! - qy[b]! : qx[a]! - qx[b]!;
  });
  const sx = perm.map((i) => y[2 * i]!), sy = perm.map((i) => y[2 * i + 1]!);
  const level = (s: number, e: number): number => {
    const a = perm[s]!, b = perm[e - 1]!;
    return qx[a] === qx[b] && qy[a] === qy[b] ? 32 : Math.min(clz(qx[a]! ^ qx[b]!), clz(qy[a]! ^ qy[b]!));
  };
  const build = (s: number, e: number): Node => {
    const l = level(s, e), half = side * 2 ** -(l + 1), o = half / theta;
    let mx = 0, my = 0;
    for (let k = s; k < e; k++) { mx += sx[k]!; my += sy[k]!; }
    const node: Node = { s, e, mx: mx / (e - s), my: my / (e - s), mass: e - s, open2: theta > 0 ? o * o : Infinity, children: [] };
    if (e - s <= leaf || l === 32) return node;
    const digit = (k: number): number => (((qx[perm[k]!]! >>> (31 - l)) & 1) << 1) | ((qy[perm[k]!]! >>> (31 - l)) & 1);
    let k = s;
    for (let d = 0; d < 4; d++) {
      const k0 = k;
      while (k < e && digit(k) === d) k++;
      if (k > k0) node.children.push(build(k0, k));
    }
    return node;
  };
  const root = build(0, n);
  const leaves: Node[] = [];
  const collect = (v: Node): void => { if (v.children.length === 0) leaves.push(v); else v.children.forEach(collect); };
  collect(root);
  let z = 0;
  for (const g of leaves) {
    let bx0 = Infinity, bx1 = -Infinity, by0 = Infinity, by1 = -Infinity;
    for (let k = g.s; k < g.e; k++) {
      bx0 = Math.min(bx0, sx[k]!); bx1 = Math.max(bx1, sx[k]!); by0 = Math.min(by0, sy[k]!); by1 = Math.max(by1, sy[k]!);
    }
    const list: [number, number, number][] = [];
    const walk = (v: Node): void => {
      if (v === g) return;
      const dx = v.mx < bx0 ? bx0 - v.mx : v.mx > bx1 ? v.mx - bx1 : 0;
      const dy = v.my < by0 ? by0 - v.my : v.my > by1 ? v.my - by1 : 0;
      const holds = v.s <= g.s && g.e <= v.e;
      if (!holds && dx * dx + dy * dy > v.open2) list.push([v.mx, v.my, v.mass]);
      else if (v.children.length === 0) for (let k = v.s; k < v.e; k++) list.push([sx[k]!, sy[k]!, 1]);
      else v.children.forEach(walk);
    };
    walk(root);
    for (let k = g.s; k < g.e; k++) {
      let q = 0, fx = 0, fy = 0;
      const near = [];
      for (let k2 = g.s; k2 < g.e; k2++) if (k2 !== k) near.push([sx[k2]!, sy[k2]!, 1] as [number, number, number]);
      for (const [mx, my, m] of [...list, ...near]) {
        const dx = sx[k]! - mx, dy = sy[k]! - my, w = 1 / (1 + (dx * dx + dy * dy));
        q += m * w; fx += m * w * w * dx; fy += m * w * w * dy;
      }
      rep[2 * perm[k]!] = fx; rep[2 * perm[k]! + 1] = fy;
      z += q;
    }
  }
  return z;
}

/**
 * The optimiser step (tsne_step_f64): g = 4 (attr - zInv rep), then applyStep; same operations in
 * the same order as the kernel.
 */
export function step(n: number, dims: number, attr: ArrayLike<number>, rep: ArrayLike<number>, zInv: number,
  momentum: number, eta: number, gains: Float64Array, update: Float64Array, y: Float64Array): void {
  const g = new Float64Array(n * dims);
  for (let i = 0; i < n * dims; i++) g[i] = 4 * (attr[i]! - zInv * rep[i]!);
  applyStep(n, dims, g, momentum, eta, gains, update, y);
}

/**
 * bhtsne's update from a gradient g: gain + 0.2 where sign(g) != sign(update), gain * 0.8 where
 * they agree, at least 0.01; update = momentum update - eta gain g; y += update; each column of y
 * shifted to mean zero.
 */
export function applyStep(n: number, dims: number, g: ArrayLike<number>, momentum: number, eta: number,
  gains: Float64Array, update: Float64Array, y: Float64Array): void {
  for (let i = 0; i < n * dims; i++) {
    const gi = g[i]!;
    let gain = Math.sign(gi) !== Math.sign(update[i]!) ? gains[i]! + 0.2 : gains[i]! * 0.8;
    if (gain < 0.01) gain = 0.01;
    gains[i] = gain;
    update[i] = momentum * update[i]! - eta * gain * gi;
    y[i] = y[i]! + update[i]!;
  }
  for (let c = 0; c < dims && n > 0; c++) {
    let m = 0;
    for (let i = 0; i < n; i++) m += y[i * dims + c]!;
    m /= n;
    for (let i = 0; i < n; i++) y[i * dims + c] = y[i * dims + c]! - m;
  }
}
