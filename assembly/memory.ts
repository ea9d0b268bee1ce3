/** First byte the host may use for its arena: everything below holds static data. */
export function heap_base(): usize {
  return __heap_base;
}

/** 1 when this build uses 128-bit SIMD, 0 for the scalar build. */
export function has_simd(): i32 {
  return ASC_FEATURE_SIMD ? 1 : 0;
}

/** 1 only in the relaxed-SIMD build (f32x4.relaxed_madd in the GEMM), 0 in the others. */
export function has_relaxed_simd(): i32 {
  return ASC_FEATURE_RELAXED_SIMD ? 1 : 0;
}
