/** First byte the host may use for its arena: everything below holds static data. */
export function heap_base(): usize {
  return __heap_base;
}

/** 1 when this build uses 128-bit SIMD, 0 for the scalar build. */
export function has_simd(): i32 {
  return ASC_FEATURE_SIMD ? 1 : 0;
}
