// Shared by the one-channel convolution tests (conv-one-channel.test.ts, gemm-relaxed.test.ts):
// the float64 definition of the three products and the error bound they are held to.
import { expect } from "vitest";
import * as ref from "../../src/kernels/reference/conv.js";
import type { ConvGeometry } from "../../src/backend/backend.js";

export const U = 2 ** -24;
export function geo(g: ConvGeometry) {
  return [g.batch, g.h, g.w, g.kh, g.kw, g.strideH, g.strideW, g.padTop, g.padLeft, g.dilationH, g.dilationW, g.oh, g.ow] as const;
}
export function im2colArgs(g: ConvGeometry) {
  return [g.batch, g.h, g.w, 1, g.kh, g.kw, g.strideH, g.strideW, g.padTop, g.padLeft, g.dilationH, g.dilationW, g.oh, g.ow] as const;
}

/** c [M, N] = a [M, K] b [K, N] (row-major), float64, given as element functions. */
export function product(M: number, N: number, K: number, a: (i: number, k: number) => number, b: (k: number, j: number) => number): Float64Array {
  const c = new Float64Array(M * N);
  for (let i = 0; i < M; i++) for (let j = 0; j < N; j++) { let s = 0; for (let k = 0; k < K; k++) s += a(i, k) * b(k, j); c[i * N + j] = s; }
  return c;
}

/** The three products in float64: apply z, adjoint img, filter gradient gw (and each on absolute values). */
export function reference(g: ConvGeometry, C: number, w: Float64Array, img: Float64Array, z: Float64Array, bias: Float64Array | null, abs = false) {
  const f = abs ? Math.abs : (v: number) => v;
  const rows = g.batch * g.oh * g.ow, K = g.kh * g.kw;
  const cols = new Float64Array(rows * K);
  ref.im2col(...im2colArgs(g), img.map(f), cols);
  const apply = product(rows, C, K, (r, p) => cols[r * K + p]!, (p, o) => f(w[o * K + p]!));
  if (bias) for (let i = 0; i < apply.length; i++) apply[i]! += f(bias[i % C]!);
  const zw = product(rows, K, C, (r, o) => f(z[r * C + o]!), (o, p) => f(w[o * K + p]!));
  const adjoint = new Float64Array(g.batch * g.h * g.w);
  ref.col2im(...im2colArgs(g), zw, adjoint, 0);
  const grad = product(C, K, rows, (o, r) => f(z[r * C + o]!), (r, p) => cols[r * K + p]!);
  const biasGrad = product(C, 1, rows, (o, r) => f(z[r * C + o]!), () => 1);
  return { apply, adjoint, grad, biasGrad };
}


/** Windows adding into each pixel of img (col2im of ones). */
export function windowCounts(g: ConvGeometry): Float64Array {
  const count = new Float64Array(g.batch * g.h * g.w);
  ref.col2im(...im2colArgs(g), new Float64Array(g.batch * g.oh * g.ow * g.kh * g.kw).fill(1), count, 0);
  return count;
}

export function expectWithin(got: Float64Array, want: Float64Array, mag: Float64Array, terms: (i: number) => number, what: string): void {
  expect(got.length).toBe(want.length);
  for (let i = 0; i < got.length; i++) {
    const bound = (terms(i) + 1) * U * mag[i]!;
    if (!(Math.abs(got[i]! - want[i]!) <= bound)) expect({ what, i, got: got[i], want: want[i], bound }).toBeUndefined();
  }
}
