/**
 * Float64 reference GEMM, the test oracle for the f32 kernel: C = alpha * op(A) * op(B) + beta * C.
 * Row-major; op(A) is M x K (A is M x K with lda >= K, or K x M with lda >= M when transA),
 * op(B) is K x N likewise, C is M x N with ldc >= N; the K dimension is summed in f64.
 * As in BLAS and the kernel: beta == 0 means C is not read; alpha == 0 means A and B are not read.
 */
export function gemm(transA: boolean | number, transB: boolean | number, M: number, N: number, K: number,
  alpha: number, a: Float64Array, lda: number, b: Float64Array, ldb: number,
  beta: number, c: Float64Array, ldc: number): void {
  // op(A)[i, k] = a[i * ai + k * ak] and op(B)[k, j] = b[k * bk + j * bj].
  const [ai, ak] = transA ? [1, lda] : [lda, 1];
  const [bk, bj] = transB ? [1, ldb] : [ldb, 1];
  for (let i = 0; i < M; i++) {
    for (let j = 0; j < N; j++) {
      let sum = 0;
      if (alpha !== 0) {
        for (let k = 0; k < K; k++) sum += a[i * ai + k * ak]! * b[k * bk + j * bj]!;
      }
      const p = i * ldc + j;
      c[p] = alpha * sum + (beta === 0 ? 0 : beta * c[p]!);
    }
  }
}
