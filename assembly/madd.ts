// The multiply-add of every f32x4 product loop (GEMM tiles, k-means, the one-channel convolutions).

/**
 * c + a * b: a multiply and an add, each rounded (the SIMD build, bit-exact with the scalar
 * one); in a relaxed-SIMD build (target "relaxed" in asconfig.json) f32x4.relaxed_madd, which
 * V8 on x64 runs as one fused multiply-add: half the arithmetic instructions, no longer
 * bit-identical to the other builds (one rounding instead of two).
 */
// @ts-ignore: decorator
@inline export function madd(a: v128, b: v128, c: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f32x4.relaxed_madd(a, b, c);
  return f32x4.add(c, f32x4.mul(a, b));
}
