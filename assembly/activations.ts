// Activations, forward and backward, over f32 arrays. Kind codes are `Activation` in
// src/kernels/exports.ts. The kind is dispatched once, outside the loops. Transcendentals use
// AssemblyScript's own f32 libm (Mathf), per lane in the SIMD build; the algebra around them
// is f32x4. Every formula is written so that nothing overflows for large |x|:
//   sigmoid(x) = x >= 0 ? 1 / (1 + e) : e / (1 + e),  e = exp(-|x|)
//   softplus(x) = max(x, 0) + log1p(exp(-|x|))
// Backward recomputes derivatives from x (not y) where that is more accurate:
//   sigmoid'(x) = e / (1 + e)^2, e = exp(-|x|)      (y (1 - y) cancels for large |x|)
//   tanh'(x)    = 4 e / (1 + e)^2, e = exp(-2 |x|)   (1 - y^2 cancels likewise)
//   softplus'(x) = sigmoid(x); elu'(x) = x > 0 ? 1 : alpha exp(x)   (y + alpha cancels)
//   relu'(x) = x > 0 ? 1 : 0; leakyRelu'(x) = x > 0 ? 1 : alpha   (the kink at 0 takes the left side)
// Both kernels work index by index, so y may alias x and dx may alias dy.

const IDENTITY = 0;
const RELU = 1;
const LEAKY_RELU = 2;
const SIGMOID = 3;
const TANH = 4;
const SOFTPLUS = 5;
const ELU = 6;

// ---- scalar forms ----

@inline function sigmoid1(x: f32): f32 {
  const e = Mathf.exp(-Mathf.abs(x));
  return (x >= 0 ? <f32>1 : e) / (<f32>1 + e);
}
@inline function softplus1(x: f32): f32 {
  return Mathf.max(x, 0) + Mathf.log1p(Mathf.exp(-Mathf.abs(x)));
}
@inline function elu1(x: f32, alpha: f32): f32 {
  return x > 0 ? x : alpha * Mathf.expm1(x);
}
@inline function dsigmoid1(x: f32): f32 {
  const e = Mathf.exp(-Mathf.abs(x));
  const d = <f32>1 + e;
  return e / (d * d);
}
@inline function dtanh1(x: f32): f32 {
  const e = Mathf.exp(<f32>-2 * Mathf.abs(x));
  const d = <f32>1 + e;
  return <f32>4 * e / (d * d);
}

// ---- per-lane transcendentals (SIMD build only) ----

@inline function expLanes(v: v128): v128 {
  let r = f32x4.splat(Mathf.exp(f32x4.extract_lane(v, 0)));
  r = f32x4.replace_lane(r, 1, Mathf.exp(f32x4.extract_lane(v, 1)));
  r = f32x4.replace_lane(r, 2, Mathf.exp(f32x4.extract_lane(v, 2)));
  return f32x4.replace_lane(r, 3, Mathf.exp(f32x4.extract_lane(v, 3)));
}
@inline function expm1Lanes(v: v128): v128 {
  let r = f32x4.splat(Mathf.expm1(f32x4.extract_lane(v, 0)));
  r = f32x4.replace_lane(r, 1, Mathf.expm1(f32x4.extract_lane(v, 1)));
  r = f32x4.replace_lane(r, 2, Mathf.expm1(f32x4.extract_lane(v, 2)));
  return f32x4.replace_lane(r, 3, Mathf.expm1(f32x4.extract_lane(v, 3)));
}
@inline function tanhLanes(v: v128): v128 {
  let r = f32x4.splat(Mathf.tanh(f32x4.extract_lane(v, 0)));
  r = f32x4.replace_lane(r, 1, Mathf.tanh(f32x4.extract_lane(v, 1)));
  r = f32x4.replace_lane(r, 2, Mathf.tanh(f32x4.extract_lane(v, 2)));
  return f32x4.replace_lane(r, 3, Mathf.tanh(f32x4.extract_lane(v, 3)));
}
@inline function log1pLanes(v: v128): v128 {
  let r = f32x4.splat(Mathf.log1p(f32x4.extract_lane(v, 0)));
  r = f32x4.replace_lane(r, 1, Mathf.log1p(f32x4.extract_lane(v, 1)));
  r = f32x4.replace_lane(r, 2, Mathf.log1p(f32x4.extract_lane(v, 2)));
  return f32x4.replace_lane(r, 3, Mathf.log1p(f32x4.extract_lane(v, 3)));
}

/** Lane-wise f(x) for one f32x4 (SIMD build). */
@inline function forward4(kind: i32, alpha: f32, x: v128): v128 {
  const zero = f32x4.splat(0);
  const one = f32x4.splat(1);
  switch (kind) {
    case RELU: return f32x4.max(x, zero);
    case LEAKY_RELU: return v128.bitselect(x, f32x4.mul(f32x4.splat(alpha), x), f32x4.gt(x, zero));
    case SIGMOID: {
      const e = expLanes(f32x4.neg(f32x4.abs(x)));
      return f32x4.div(v128.bitselect(one, e, f32x4.ge(x, zero)), f32x4.add(one, e));
    }
    case TANH: return tanhLanes(x);
    case SOFTPLUS:
      return f32x4.add(f32x4.max(x, zero), log1pLanes(expLanes(f32x4.neg(f32x4.abs(x)))));
    case ELU: return v128.bitselect(x, f32x4.mul(f32x4.splat(alpha), expm1Lanes(x)), f32x4.gt(x, zero));
    default: return x;
  }
}

/** Lane-wise f'(x) for one f32x4 (SIMD build). */
@inline function derivative4(kind: i32, alpha: f32, x: v128): v128 {
  const zero = f32x4.splat(0);
  const one = f32x4.splat(1);
  switch (kind) {
    case RELU: return v128.and(one, f32x4.gt(x, zero));
    case LEAKY_RELU: return v128.bitselect(one, f32x4.splat(alpha), f32x4.gt(x, zero));
    case SIGMOID: {
      const e = expLanes(f32x4.neg(f32x4.abs(x)));
      const d = f32x4.add(one, e);
      return f32x4.div(e, f32x4.mul(d, d));
    }
    case TANH: {
      const e = expLanes(f32x4.mul(f32x4.splat(-2), f32x4.abs(x)));
      const d = f32x4.add(one, e);
      return f32x4.div(f32x4.mul(f32x4.splat(4), e), f32x4.mul(d, d));
    }
    case SOFTPLUS: {
      const e = expLanes(f32x4.neg(f32x4.abs(x)));
      return f32x4.div(v128.bitselect(one, e, f32x4.ge(x, zero)), f32x4.add(one, e));
    }
    case ELU: return v128.bitselect(one, f32x4.mul(f32x4.splat(alpha), expLanes(x)), f32x4.gt(x, zero));
    default: return one;
  }
}

@inline function forward1(kind: i32, alpha: f32, x: f32): f32 {
  switch (kind) {
    case RELU: return Mathf.max(x, 0);
    case LEAKY_RELU: return x > 0 ? x : alpha * x;
    case SIGMOID: return sigmoid1(x);
    case TANH: return Mathf.tanh(x);
    case SOFTPLUS: return softplus1(x);
    case ELU: return elu1(x, alpha);
    default: return x;
  }
}

@inline function derivative1(kind: i32, alpha: f32, x: f32): f32 {
  switch (kind) {
    case RELU: return x > 0 ? <f32>1 : <f32>0;
    case LEAKY_RELU: return x > 0 ? <f32>1 : alpha;
    case SIGMOID: return dsigmoid1(x);
    case TANH: return dtanh1(x);
    case SOFTPLUS: return sigmoid1(x);
    case ELU: return x > 0 ? <f32>1 : alpha * Mathf.exp(x);
    default: return 1;
  }
}

// The loops are inlined at each call site below with a constant kind, so the optimiser folds
// the switch away and no dispatch runs per element.

@inline function forwardLoop(kind: i32, n: i32, alpha: f32, x: usize, y: usize): void {
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    for (; i + 4 <= n; i += 4) {
      const o = <usize>i << 2;
      v128.store(y + o, forward4(kind, alpha, v128.load(x + o)));
    }
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(y + o, forward1(kind, alpha, load<f32>(x + o)));
  }
}

@inline function backwardLoop(kind: i32, n: i32, alpha: f32, x: usize, dy: usize, dx: usize): void {
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    for (; i + 4 <= n; i += 4) {
      const o = <usize>i << 2;
      v128.store(dx + o, f32x4.mul(derivative4(kind, alpha, v128.load(x + o)), v128.load(dy + o)));
    }
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(dx + o, derivative1(kind, alpha, load<f32>(x + o)) * load<f32>(dy + o));
  }
}

/** y = f(x) elementwise; alpha is the leaky-relu slope and the elu scale. y may alias x. */
export function act_forward_f32(kind: i32, n: i32, alpha: f32, x: usize, y: usize): void {
  switch (kind) {
    case RELU: forwardLoop(RELU, n, alpha, x, y); break;
    case LEAKY_RELU: forwardLoop(LEAKY_RELU, n, alpha, x, y); break;
    case SIGMOID: forwardLoop(SIGMOID, n, alpha, x, y); break;
    case TANH: forwardLoop(TANH, n, alpha, x, y); break;
    case SOFTPLUS: forwardLoop(SOFTPLUS, n, alpha, x, y); break;
    case ELU: forwardLoop(ELU, n, alpha, x, y); break;
    default: if (x != y) memory.copy(y, x, <usize>n << 2); // identity (and unknown codes)
  }
}

/** dx = f'(x) * dy; y = f(x) is not needed by these formulas (see the header). dx may alias dy. */
export function act_backward_f32(kind: i32, n: i32, alpha: f32, x: usize, y: usize, dy: usize, dx: usize): void {
  switch (kind) {
    case RELU: backwardLoop(RELU, n, alpha, x, dy, dx); break;
    case LEAKY_RELU: backwardLoop(LEAKY_RELU, n, alpha, x, dy, dx); break;
    case SIGMOID: backwardLoop(SIGMOID, n, alpha, x, dy, dx); break;
    case TANH: backwardLoop(TANH, n, alpha, x, dy, dx); break;
    case SOFTPLUS: backwardLoop(SOFTPLUS, n, alpha, x, dy, dx); break;
    case ELU: backwardLoop(ELU, n, alpha, x, dy, dx); break;
    default: if (dx != dy) memory.copy(dx, dy, <usize>n << 2); // identity (and unknown codes)
  }
}
