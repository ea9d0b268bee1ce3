// A 4 x 4 f32 transpose in registers, shared by the GEMM's packing and im2col.

/**
 * Rows r0..r3 (4 floats each) stored as columns: d gets (r0[0], r1[0], r2[0], r3[0]), d + ds the
 * lanes 1, d + 2 ds the lanes 2, d + 3 ds the lanes 3.
 */
// @ts-ignore: decorator
@inline export function storeTransposed4(r0: v128, r1: v128, r2: v128, r3: v128, d: usize, ds: usize): void {
  const t0 = v128.shuffle<f32>(r0, r1, 0, 4, 1, 5), t1 = v128.shuffle<f32>(r2, r3, 0, 4, 1, 5);
  const t2 = v128.shuffle<f32>(r0, r1, 2, 6, 3, 7), t3 = v128.shuffle<f32>(r2, r3, 2, 6, 3, 7);
  v128.store(d, v128.shuffle<f32>(t0, t1, 0, 1, 4, 5));
  v128.store(d + ds, v128.shuffle<f32>(t0, t1, 2, 3, 6, 7));
  v128.store(d + 2 * ds, v128.shuffle<f32>(t2, t3, 0, 1, 4, 5));
  v128.store(d + 3 * ds, v128.shuffle<f32>(t2, t3, 2, 3, 6, 7));
}
