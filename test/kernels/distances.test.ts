// condensed_row_f64 (assembly/distances.ts) on the SIMD and scalar builds against the float64
// loop written here: the same bits for every row, sizes 0, 1, 2 and odd, d = 1 and wider; and
// linkage gives the same matrix through the kernel as through the host loop (ReferenceBackend).
import { describe, expect, it } from "vitest";
import { builds, prng } from "./harness.js";
import { linkage } from "../../src/analysis/index.js";
import { ReferenceBackend } from "../../src/backend/reference.js";
import { WasmBackend } from "../../src/backend/wasm.js";
import { tensor } from "../../src/tensor/tensor.js";
import { initSync, defaultBackend } from "../../src/backend/default.js";

describe.each(builds.map((m) => [m.isa, m] as const))("condensed_row_f64 (%s)", (_isa, m) => {
  it("equals the float64 loop bit for bit", () => {
    for (const d of [1, 2, 3, 20]) for (const n of [0, 1, 2, 3, 5, 8, 17]) {
      const r = prng(n * 31 + d), x = Float64Array.from({ length: n * d }, () => (r() - 0.5) * 10);
      const before = m.arena.allocatedBytes;
      const xt = m.arena.allocBytes(8 * Math.max(n * d, 1)), out = m.arena.allocBytes(8 * (n + 2));
      const t = new Float64Array(m.k.memory.buffer, xt, n * d);
      for (let i = 0; i < n; i++) for (let c = 0; c < d; c++) t[c * n + i] = x[i * d + c]!;
      for (let i = 0; i < n; i++) {
        const o = new Float64Array(m.k.memory.buffer, out, n + 2);
        o.fill(-7);
        m.k.condensed_row_f64(xt, n, d, i, out);
        const got = new Float64Array(m.k.memory.buffer, out, n + 2);
        for (let j = i + 1; j < n; j++) {
          let s = 0;
          for (let c = 0; c < d; c++) { const v = x[i * d + c]! - x[j * d + c]!; s += v * v; }
          expect(Object.is(got[j - i - 1], Math.sqrt(s)), `n ${n} d ${d} i ${i} j ${j}`).toBe(true);
        }
        expect(got[n - i - 1]).toBe(-7); // nothing written past the row
      }
      m.arena.release(xt); m.arena.release(out);
      expect(m.arena.allocatedBytes).toBe(before);
    }
  });
});

describe("linkage through the kernel", () => {
  it("gives the same matrix as the host loop, and frees what it allocated", () => {
    initSync();
    const be = defaultBackend();
    expect(be).toBeInstanceOf(WasmBackend);
    const r = prng(5), n = 41, d = 7;
    const x = tensor(Float32Array.from({ length: n * d }, () => r() * 3), [n, d]);
    const before = be.arena.allocatedBytes;
    for (const method of ["ward", "average", "complete"] as const) {
      const viaKernel = linkage(x, method, { backend: be }).matrix;
      const viaHost = linkage(x, method, { backend: new ReferenceBackend() }).matrix;
      expect(Buffer.from(viaKernel.buffer).equals(Buffer.from(viaHost.buffer))).toBe(true);
    }
    expect(be.arena.allocatedBytes).toBe(before);
  });
});
