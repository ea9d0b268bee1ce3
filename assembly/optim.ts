// Optimizer transformations, elementwise and in place on the gradient g (optax style).
// The SIMD build runs a v128 main loop over 4 lanes and the scalar code on the tail; both
// do the same f32 operations in the same order (sqrt and div are correctly rounded in
// both), so the two builds agree bit for bit.

/**
 * Adam: m = b1 m + (1 - b1) g; v = b2 v + (1 - b2) (g g); g = (m / bc1) / (sqrt(v / bc2) + eps).
 * The caller passes the bias corrections bc1 = 1 - b1^t and bc2 = 1 - b2^t.
 */
export function scale_by_adam_f32(n: i32, b1: f32, b2: f32, eps: f32, bc1: f32, bc2: f32,
  g: usize, m: usize, v: usize): void {
  const c1: f32 = 1 - b1;
  const c2: f32 = 1 - b2;
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    const vb1 = f32x4.splat(b1), vb2 = f32x4.splat(b2), vc1 = f32x4.splat(c1), vc2 = f32x4.splat(c2);
    const veps = f32x4.splat(eps), vbc1 = f32x4.splat(bc1), vbc2 = f32x4.splat(bc2);
    for (; i + 4 <= n; i += 4) {
      const o = <usize>i << 2;
      const gi = v128.load(g + o);
      const mi = f32x4.add(f32x4.mul(vb1, v128.load(m + o)), f32x4.mul(vc1, gi));
      const vi = f32x4.add(f32x4.mul(vb2, v128.load(v + o)), f32x4.mul(vc2, f32x4.mul(gi, gi)));
      v128.store(m + o, mi);
      v128.store(v + o, vi);
      const den = f32x4.add(f32x4.sqrt(f32x4.div(vi, vbc2)), veps);
      v128.store(g + o, f32x4.div(f32x4.div(mi, vbc1), den));
    }
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    const gi = load<f32>(g + o);
    const mi = b1 * load<f32>(m + o) + c1 * gi;
    const vi = b2 * load<f32>(v + o) + c2 * (gi * gi);
    store<f32>(m + o, mi);
    store<f32>(v + o, vi);
    store<f32>(g + o, (mi / bc1) / (Mathf.sqrt(vi / bc2) + eps));
  }
}

/** Momentum: t = decay t + g; g = nesterov != 0 ? g + decay t : t. */
export function trace_f32(n: i32, decay: f32, nesterov: i32, g: usize, t: usize): void {
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    const vd = f32x4.splat(decay);
    for (; i + 4 <= n; i += 4) {
      const o = <usize>i << 2;
      const gi = v128.load(g + o);
      const ti = f32x4.add(f32x4.mul(vd, v128.load(t + o)), gi);
      v128.store(t + o, ti);
      v128.store(g + o, nesterov ? f32x4.add(gi, f32x4.mul(vd, ti)) : ti);
    }
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    const gi = load<f32>(g + o);
    const ti = decay * load<f32>(t + o) + gi;
    store<f32>(t + o, ti);
    store<f32>(g + o, nesterov ? gi + decay * ti : ti);
  }
}

/**
 * Adam (or AdamW) and the parameter update in one pass over g, m, v and p: per element, the
 * same f32 operations in the same order as the chain scale_by_adam_f32 -> (when wd != 0)
 * axpy_f32(wd, p, g) -> scale_f32(-lr, g, g) -> axpy_f32(1, g, p), so the results are
 * bit-identical to it:
 *   m = b1 m + (1 - b1) g; v = b2 v + (1 - b2) (g g); u = (m / bc1) / (sqrt(v / bc2) + eps);
 *   u = u + wd p (only when wd != 0); u = (-lr) u; p = p + u.
 * Writes m, v and p; g is read only.
 */
export function adam_apply_f32(n: i32, b1: f32, b2: f32, eps: f32, bc1: f32, bc2: f32, lr: f32, wd: f32,
  g: usize, m: usize, v: usize, p: usize): void {
  if (wd != 0) adamApply(true, n, b1, b2, eps, bc1, bc2, lr, wd, g, m, v, p);
  else adamApply(false, n, b1, b2, eps, bc1, bc2, lr, wd, g, m, v, p);
}

/**
 * The guarded form of adam_apply_f32, for training: the same operations, but the new moments go
 * to mOut and vOut (m and v are only read), p is updated in place and its old values are saved
 * in g. It stops before the first group of elements (4 in the SIMD body, 1 in the tail) whose
 * new m, v or p is not finite, writing nothing of that group, and returns that group's first
 * index; it returns n when every value was finite. So on failure the caller restores p[0, i)
 * from g[0, i) and keeps m and v: the state before the step, exactly.
 */
export function adam_step_f32(n: i32, b1: f32, b2: f32, eps: f32, bc1: f32, bc2: f32, lr: f32, wd: f32,
  g: usize, m: usize, v: usize, p: usize, mOut: usize, vOut: usize): i32 {
  return wd != 0 ? adamStep(true, n, b1, b2, eps, bc1, bc2, lr, wd, g, m, v, p, mOut, vOut)
    : adamStep(false, n, b1, b2, eps, bc1, bc2, lr, wd, g, m, v, p, mOut, vOut);
}

// @ts-ignore: decorator
@inline function adamApply(WD: bool, n: i32, b1: f32, b2: f32, eps: f32, bc1: f32, bc2: f32, lr: f32, wd: f32,
  g: usize, m: usize, v: usize, p: usize): void {
  const c1: f32 = 1 - b1;
  const c2: f32 = 1 - b2;
  const nlr: f32 = -lr;
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    const vb1 = f32x4.splat(b1), vb2 = f32x4.splat(b2), vc1 = f32x4.splat(c1), vc2 = f32x4.splat(c2);
    const veps = f32x4.splat(eps), vbc1 = f32x4.splat(bc1), vbc2 = f32x4.splat(bc2);
    const vlr = f32x4.splat(nlr), vwd = f32x4.splat(wd);
    for (; i + 4 <= n; i += 4) {
      const o = <usize>i << 2;
      const gi = v128.load(g + o);
      const mi = f32x4.add(f32x4.mul(vb1, v128.load(m + o)), f32x4.mul(vc1, gi));
      const vi = f32x4.add(f32x4.mul(vb2, v128.load(v + o)), f32x4.mul(vc2, f32x4.mul(gi, gi)));
      v128.store(m + o, mi);
      v128.store(v + o, vi);
      const pi = v128.load(p + o);
      let u = f32x4.div(f32x4.div(mi, vbc1), f32x4.add(f32x4.sqrt(f32x4.div(vi, vbc2)), veps));
      if (WD) u = f32x4.add(u, f32x4.mul(vwd, pi));
      v128.store(p + o, f32x4.add(pi, f32x4.mul(vlr, u)));
    }
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    const gi = load<f32>(g + o);
    const mi = b1 * load<f32>(m + o) + c1 * gi;
    const vi = b2 * load<f32>(v + o) + c2 * (gi * gi);
    store<f32>(m + o, mi);
    store<f32>(v + o, vi);
    const pi = load<f32>(p + o);
    let u = (mi / bc1) / (Mathf.sqrt(vi / bc2) + eps);
    if (WD) u = u + wd * pi;
    store<f32>(p + o, pi + nlr * u);
  }
}

// @ts-ignore: decorator
@inline function adamStep(WD: bool, n: i32, b1: f32, b2: f32, eps: f32, bc1: f32, bc2: f32, lr: f32, wd: f32,
  g: usize, m: usize, v: usize, p: usize, mOut: usize, vOut: usize): i32 {
  const c1: f32 = 1 - b1;
  const c2: f32 = 1 - b2;
  const nlr: f32 = -lr;
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    const vb1 = f32x4.splat(b1), vb2 = f32x4.splat(b2), vc1 = f32x4.splat(c1), vc2 = f32x4.splat(c2);
    const veps = f32x4.splat(eps), vbc1 = f32x4.splat(bc1), vbc2 = f32x4.splat(bc2);
    const vlr = f32x4.splat(nlr), vwd = f32x4.splat(wd);
    for (; i + 4 <= n; i += 4) {
      const o = <usize>i << 2;
      const gi = v128.load(g + o);
      const mi = f32x4.add(f32x4.mul(vb1, v128.load(m + o)), f32x4.mul(vc1, gi));
      const vi = f32x4.add(f32x4.mul(vb2, v128.load(v + o)), f32x4.mul(vc2, f32x4.mul(gi, gi)));
      const pi = v128.load(p + o);
      let u = f32x4.div(f32x4.div(mi, vbc1), f32x4.add(f32x4.sqrt(f32x4.div(vi, vbc2)), veps));
      if (WD) u = f32x4.add(u, f32x4.mul(vwd, pi));
      const pn = f32x4.add(pi, f32x4.mul(vlr, u));
      // x - x is 0 for finite x and NaN for infinities and NaN: one NaN test covers all three.
      const z = f32x4.add(f32x4.sub(mi, mi), f32x4.add(f32x4.sub(vi, vi), f32x4.sub(pn, pn)));
      if (v128.any_true(f32x4.ne(z, z))) return i;
      v128.store(mOut + o, mi);
      v128.store(vOut + o, vi);
      v128.store(g + o, pi);
      v128.store(p + o, pn);
    }
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    const gi = load<f32>(g + o);
    const mi = b1 * load<f32>(m + o) + c1 * gi;
    const vi = b2 * load<f32>(v + o) + c2 * (gi * gi);
    const pi = load<f32>(p + o);
    let u = (mi / bc1) / (Mathf.sqrt(vi / bc2) + eps);
    if (WD) u = u + wd * pi;
    const pn = pi + nlr * u;
    if (!(isFinite<f32>(mi) && isFinite<f32>(vi) && isFinite<f32>(pn))) return i;
    store<f32>(mOut + o, mi);
    store<f32>(vOut + o, vi);
    store<f32>(g + o, pi);
    store<f32>(p + o, pn);
  }
  return n;
}
