// Float64 references of the optimizer kernels (assembly/optim.ts). Like the kernels they
// work in place on their arrays (g, and the state m, v or t), so a test can run several
// steps in a row and compare every array after each.

/** Adam: m = b1 m + (1 - b1) g; v = b2 v + (1 - b2) g^2; g = (m / bc1) / (sqrt(v / bc2) + eps). */
export function scaleByAdam(n: number, b1: number, b2: number, eps: number, bc1: number, bc2: number,
  g: Float64Array, m: Float64Array, v: Float64Array): void {
  for (let i = 0; i < n; i++) {
    const gi = g[i]!;
    const mi = b1 * m[i]! + (1 - b1) * gi;
    const vi = b2 * v[i]! + (1 - b2) * gi * gi;
    m[i] = mi;
    v[i] = vi;
    g[i] = mi / bc1 / (Math.sqrt(vi / bc2) + eps);
  }
}

/** Momentum: t = decay t + g; g = nesterov ? g + decay t : t. */
export function trace(n: number, decay: number, nesterov: boolean | number, g: Float64Array, t: Float64Array): void {
  for (let i = 0; i < n; i++) {
    const ti = decay * t[i]! + g[i]!;
    t[i] = ti;
    g[i] = nesterov ? g[i]! + decay * ti : ti;
  }
}

/**
 * Adam (AdamW when wd != 0) and the update in one pass, writing m, v and p:
 * m = b1 m + (1 - b1) g; v = b2 v + (1 - b2) g^2; u = m / bc1 / (sqrt(v / bc2) + eps);
 * u += wd p (when wd != 0); p += -lr u. g is not written.
 */
export function adamApply(n: number, b1: number, b2: number, eps: number, bc1: number, bc2: number, lr: number, wd: number,
  g: Float64Array, m: Float64Array, v: Float64Array, p: Float64Array): void {
  for (let i = 0; i < n; i++) {
    const gi = g[i]!;
    const mi = b1 * m[i]! + (1 - b1) * gi;
    const vi = b2 * v[i]! + (1 - b2) * gi * gi;
    m[i] = mi;
    v[i] = vi;
    let u = mi / bc1 / (Math.sqrt(vi / bc2) + eps);
    if (wd !== 0) u += wd * p[i]!;
    p[i] = p[i]! - lr * u;
  }
}

/**
 * adamApply guarded (the kernel adam_step_f32): new moments to mOut, vOut; p in place with its
 * old values saved in g; stops before the first element whose new m, v or p is not finite and
 * returns its index (n when all were finite).
 */
export function adamStep(n: number, b1: number, b2: number, eps: number, bc1: number, bc2: number, lr: number, wd: number,
  g: Float64Array, m: Float64Array, v: Float64Array, p: Float64Array, mOut: Float64Array, vOut: Float64Array): number {
  for (let i = 0; i < n; i++) {
    const gi = g[i]!, pi = p[i]!;
    const mi = b1 * m[i]! + (1 - b1) * gi;
    const vi = b2 * v[i]! + (1 - b2) * gi * gi;
    let u = mi / bc1 / (Math.sqrt(vi / bc2) + eps);
    if (wd !== 0) u += wd * pi;
    const pn = pi - lr * u;
    if (!Number.isFinite(mi) || !Number.isFinite(vi) || !Number.isFinite(pn)) return i;
    mOut[i] = mi;
    vOut[i] = vi;
    g[i] = pi;
    p[i] = pn;
  }
  return n;
}
