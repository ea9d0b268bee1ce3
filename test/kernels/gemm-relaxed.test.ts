// The relaxed-SIMD build (asconfig target "relaxed": the GEMM microkernel and the one-channel
// convolutions' tiles use f32x4.relaxed_madd, which V8 on x64 runs as fused multiply-adds) is not
// the bit-exact reference, but it must meet the same error bound against the float64 reference as
// the other builds (GEMM: latent/testing's productBound, probabilistic form, as in gemm.test.ts;
// conv1: the bound of conv-one-channel.test.ts). Node 20 accepts relaxed SIMD only behind --experimental-wasm-relaxed-simd, so the
// module is compiled into a temporary folder and run in a child process with that flag.
import { afterAll, beforeAll, describe, it } from "vitest";
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gemm } from "../../src/kernels/reference/gemm.js";
import { expectWithinBound, geometryOf, productBound } from "../../src/testing/index.js";
import { expectWithin, geo, reference, windowCounts } from "./conv-one-channel-support.js";

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

/** One-channel convolutions: a VAE's first and last layers and an odd strided, dilated, padded case. */
const convCases = [
  [{ batch: 3, input: [28, 28, 1], kernel: [3, 3], stride: [2, 2], dilation: [1, 1], padding: "same" }, 32],
  [{ batch: 2, input: [28, 28, 1], kernel: [3, 3], stride: [1, 1], dilation: [1, 1], padding: "same" }, 32],
  [{ batch: 2, input: [7, 5, 1], kernel: [3, 2], stride: [1, 2], dilation: [2, 1], padding: { top: 2, bottom: 0, left: 1, right: 1 } }, 13],
] as const;
const convGeometries = convCases.map(([c, C]) => ({ g: geometryOf(c as Parameters<typeof geometryOf>[0])!, C }));
const conv1Input = (n: number, fn: (i: number) => number) => Float64Array.from(Float32Array.from({ length: n }, (_, i) => fn(i)));
const conv1Inputs = ({ g, C }: (typeof convGeometries)[number]) => {
  const K = g.kh * g.kw, rows = g.batch * g.oh * g.ow;
  return { w: conv1Input(C * K, (i) => Math.sin(i + 1)), bias: conv1Input(C, (i) => Math.cos(i)),
    img: conv1Input(g.batch * g.h * g.w, (i) => Math.cos(3 * i)), z: conv1Input(rows * C, (i) => Math.sin(7 * i)) };
};

/** Runs in the child: the three conv1 kernels (with bias) per case, prints their outputs as JSON. */
const conv1Child = `
import { readFileSync } from "node:fs";
const { instance } = await WebAssembly.instantiate(readFileSync(process.argv[1]), {});
const k = instance.exports; k._start();
const out = [];
for (const { geo, C, w, bias, img, z } of JSON.parse(readFileSync(process.argv[2], "utf8"))) {
  const K = geo[3] * geo[4], rows = geo[0] * geo[11] * geo[12], nImg = geo[0] * geo[1] * geo[2];
  const work = k.conv1_work_size(geo[3], geo[4], geo[5], geo[6], geo[9], geo[10], geo[11], geo[12], C);
  const sizes = [work / 4, w.length, bias.length, img.length, z.length, rows * C, nImg, C * K, C];
  let at = (k.heap_base() + 63) & ~63;
  const ptrs = sizes.map((n) => { const p = at; at = (at + 4 * n + 63) & ~63; return p; });
  if (k.memory.buffer.byteLength < at) k.memory.grow(Math.ceil((at - k.memory.buffer.byteLength) / 65536));
  const f = new Float32Array(k.memory.buffer);
  [w, bias, img, z].forEach((v, i) => f.set(v, ptrs[i + 1] / 4));
  const [pw, pwt, pb, pi, pz, pzo, pio, pg, pgb] = ptrs;
  k.conv1_apply_f32(...geo, C, pwt, pb, pi, pzo, pw);
  k.conv1_adjoint_f32(...geo, C, pwt, pz, pio, pw);
  k.conv1_filter_grad_f32(...geo, C, C, pz, pi, pg, pgb, pw);
  const read = (p, n) => Array.from(new Float32Array(k.memory.buffer, p, n));
  out.push({ apply: read(pzo, rows * C), adjoint: read(pio, nImg), grad: read(pg, C * K), biasGrad: read(pgb, C) });
}
console.log(JSON.stringify(out));
`;

describe("the relaxed-SIMD build", () => {
  let dir = "", wasm = "";
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "latent-relaxed-"));
    wasm = join(dir, "relaxed.wasm");
    execFileSync(process.execPath, [join(root, "node_modules/assemblyscript/bin/asc.js"), "assembly/index.ts",
      "--config", "asconfig.json", "--target", "relaxed", "-o", wasm], { cwd: root, stdio: "pipe" });
  }, 60_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  /** Runs `script` on the relaxed module; `arg` reaches it as process.argv[2] (JSON), through a file when large. */
  const runChild = (script: string, arg: unknown, viaFile = false) => {
    let json = JSON.stringify(arg);
    if (viaFile) { writeFileSync(join(dir, "arg.json"), json); json = join(dir, "arg.json"); }
    return JSON.parse(execFileSync(process.execPath, ["--experimental-wasm-relaxed-simd",
      "--input-type=module", "-e", script, wasm, json], { cwd: root, maxBuffer: 1 << 28 }).toString());
  };

  it("gemm_f32 meets the error bound of the other builds against the float64 reference", () => {
    const results = runChild(child, cases) as number[][];
    cases.forEach(([tA, tB, M, N, K], ci) => {
      const f32 = (n: number, fn: (i: number) => number) => Float64Array.from(Float32Array.from({ length: n }, (_, i) => fn(i)));
      const a = f32(M * K, (i) => Math.sin(i + 1)), b = f32(K * N, (i) => Math.cos(3 * i)), c0 = f32(M * N, (i) => Math.sin(7 * i));
      const ref = c0.slice();
      gemm(tA, tB, M, N, K, 0.75, a, tA ? M : K, b, tB ? K : N, 0.5, ref, N);
      const bound = productBound(a, b, { M, N, K, transA: tA === 1, transB: tB === 1, alpha: 0.75, beta: 0.5, c: c0 }, { form: "probabilistic" });
      expectWithinBound(results[ci]!, ref, bound, { what: `tA=${tA} tB=${tB} M=${M} N=${N} K=${K}` });
    });
  }, 60_000);

  it("the one-channel convolution kernels meet the bound of the other builds", () => {
    const arg = convGeometries.map((c) => ({ geo: geo(c.g), C: c.C,
      ...Object.fromEntries(Object.entries(conv1Inputs(c)).map(([k, v]) => [k, Array.from(v)])) }));
    const results = runChild(conv1Child, arg, true) as { apply: number[]; adjoint: number[]; grad: number[]; biasGrad: number[] }[];
    convGeometries.forEach((c, i) => {
      const { g, C } = c, { w, bias, img, z } = conv1Inputs(c);
      const want = reference(g, C, w, img, z, bias), mag = reference(g, C, w, img, z, bias, true), count = windowCounts(g);
      const got = results[i]!, K = g.kh * g.kw, rows = g.batch * g.oh * g.ow;
      expectWithin(Float64Array.from(got.apply), want.apply, mag.apply, () => K + 1, "apply");
      expectWithin(Float64Array.from(got.adjoint), want.adjoint, mag.adjoint, (j) => C + count[j]!, "adjoint");
      expectWithin(Float64Array.from(got.grad), want.grad, mag.grad, () => rows, "filter gradient");
      expectWithin(Float64Array.from(got.biasGrad), want.biasGrad, mag.biasGrad, () => rows, "bias gradient");
    });
  }, 60_000);
});
