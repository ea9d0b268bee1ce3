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
