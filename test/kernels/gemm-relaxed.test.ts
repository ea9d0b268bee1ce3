// The relaxed-SIMD build (asconfig target "relaxed": the GEMM microkernel uses
// f32x4.relaxed_madd, which V8 on x64 runs as fused multiply-adds) is not the bit-exact
// reference, but it must meet the same error bound against the float64 reference as the other
// builds (latent/testing's productBound, probabilistic form, as in gemm.test.ts). Node 20 accepts relaxed SIMD only behind --experimental-wasm-relaxed-simd, so the
// module is compiled into a temporary folder and run in a child process with that flag.
import { describe, it } from "vitest";
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gemm } from "../../src/kernels/reference/gemm.js";
import { expectWithinBound, productBound } from "../../src/testing/index.js";

const root = new URL("../..", import.meta.url).pathname;

// Shapes: the VAE's, the four transposes with odd sizes and tails, and several k-blocks.
const cases = [
  [0, 1, 128, 400, 784], [1, 0, 400, 784, 128], [0, 0, 128, 784, 400], [0, 1, 128, 20, 400],
  [0, 0, 13, 9, 5], [1, 0, 7, 17, 33], [0, 1, 5, 3, 1], [1, 1, 67, 45, 300], [1, 1, 133, 523, 261],
] as const;

/** Runs in the child: deterministic inputs, C = 0.75 A B + 0.5 C, prints every C as JSON. */
const child = `
import { readFileSync } from "node:fs";
const { instance } = await WebAssembly.instantiate(readFileSync(process.argv[1]), {});
const k = instance.exports; k._start();
const cases = JSON.parse(process.argv[2]);
const out = [];
for (const [tA, tB, M, N, K] of cases) {
  const hb = (k.heap_base() + 63) & ~63;
  const need = hb + 4 * (M * K + K * N + M * N) + k.gemm_f32_work_size(M, N, K) + 4096;
  if (k.memory.buffer.byteLength < need) k.memory.grow(Math.ceil((need - k.memory.buffer.byteLength) / 65536));
  const a = hb, b = a + 4 * M * K, c = b + 4 * K * N, w = (c + 4 * M * N + 63) & ~63;
  const f = new Float32Array(k.memory.buffer);
  for (let i = 0; i < M * K; i++) f[a / 4 + i] = Math.sin(i + 1);
  for (let i = 0; i < K * N; i++) f[b / 4 + i] = Math.cos(3 * i);
  for (let i = 0; i < M * N; i++) f[c / 4 + i] = Math.sin(7 * i);
  k.gemm_f32(tA, tB, M, N, K, 0.75, a, tA ? M : K, b, tB ? K : N, 0.5, c, N, w);
  out.push(Array.from(new Float32Array(k.memory.buffer, c, M * N)));
}
console.log(JSON.stringify(out));
`;

describe("gemm_f32 (relaxed-SIMD build)", () => {
  it("meets the error bound of the other builds against the float64 reference", () => {
    const dir = mkdtempSync(join(tmpdir(), "latent-relaxed-"));
    try {
      const wasm = join(dir, "relaxed.wasm");
      execFileSync(process.execPath, [join(root, "node_modules/assemblyscript/bin/asc.js"), "assembly/index.ts",
        "--config", "asconfig.json", "--target", "relaxed", "-o", wasm], { cwd: root, stdio: "pipe" });
      const stdout = execFileSync(process.execPath, ["--experimental-wasm-relaxed-simd", "--input-type=module", "-e", child,
        wasm, JSON.stringify(cases)], { cwd: root, maxBuffer: 1 << 28 }).toString();
      const results = JSON.parse(stdout) as number[][];
      cases.forEach(([tA, tB, M, N, K], ci) => {
        const f32 = (n: number, fn: (i: number) => number) => Float64Array.from(Float32Array.from({ length: n }, (_, i) => fn(i)));
        const a = f32(M * K, (i) => Math.sin(i + 1)), b = f32(K * N, (i) => Math.cos(3 * i)), c0 = f32(M * N, (i) => Math.sin(7 * i));
        const ref = c0.slice();
        gemm(tA, tB, M, N, K, 0.75, a, tA ? M : K, b, tB ? K : N, 0.5, ref, N);
        const bound = productBound(a, b, { M, N, K, transA: tA === 1, transB: tB === 1, alpha: 0.75, beta: 0.5, c: c0 }, { form: "probabilistic" });
        expectWithinBound(results[ci]!, ref, bound, { what: `tA=${tA} tB=${tB} M=${M} N=${N} K=${K}` });
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
