// Moving f32x4 lanes to and from f64x2, for kernels that compute or sum in f64 on the SIMD
// build (elementwise, losses, likelihoods, layer norm). Inlined where used.

/** Lanes 0, 1 of an f32x4 as f64x2. */
@inline export function lo64(v: v128): v128 {
  return f64x2.promote_low_f32x4(v);
}
/** Lanes 2, 3 of an f32x4 as f64x2. */
@inline export function hi64(v: v128): v128 {
  return f64x2.promote_low_f32x4(f32x4.shuffle(v, v, 2, 3, 2, 3));
}
/** Two f64x2 rounded into one f32x4 (lo gives lanes 0, 1; hi gives 2, 3). */
@inline export function to32(lo: v128, hi: v128): v128 {
  return f32x4.shuffle(f32x4.demote_f64x2_zero(lo), f32x4.demote_f64x2_zero(hi), 0, 1, 4, 5);
}
