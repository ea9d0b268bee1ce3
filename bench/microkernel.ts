// The ceiling of the GEMM's inner loop under V8 on this machine: the 4 x 8 microkernel of
// assembly/gemm.ts alone, on packed panels that stay in L1 (kc = 256: A 4 KiB, B 8 KiB), with
// no packing, no edges and no C traffic beyond 8 stores per 256 k. Variants:
//   plain    f32x4.mul + f32x4.add, A by load32_splat (the SIMD build's loop)
//   relaxed  f32x4.relaxed_madd (one FMA on x64; needs relaxed SIMD, Node 20: --experimental-wasm-relaxed-simd)
//   no-load  the same 16 arithmetic instructions per k with both operands in registers: the
//            arithmetic ceiling of 128-bit SIMD (2 mul + 2 add pipes: 16 flops per cycle)
// The sources are compiled at run time with asc (a dev dependency). Each figure is the best
// and the median of 40 interleaved runs of ~5 ms.
//
//   npx tsc -p tsconfig.build.json && node [--experimental-wasm-relaxed-simd] dist/bench/microkernel.js
import asc from "assemblyscript/asc";

/** The kernel's AssemblyScript source: `madd` forms c + x * b; `loads` reads A and B from memory every k. */
export const kernelSource = (madd: (x: string, b: string, c: string) => string, loads: boolean) => `
export function kernel(reps: i32, kc: i32, ap0: usize, bp0: usize, c: usize): void {
  const xa = v128.load32_splat(ap0), xb = v128.load32_splat(ap0, 4), b0c = v128.load(bp0), b1c = v128.load(bp0, 16);
  for (let r = 0; r < reps; r++) {
    let ap = ap0, bp = bp0;
    const end = bp0 + (<usize>kc << 5);
    let c00 = f32x4.splat(0), c01 = f32x4.splat(0), c10 = f32x4.splat(0), c11 = f32x4.splat(0);
    let c20 = f32x4.splat(0), c21 = f32x4.splat(0), c30 = f32x4.splat(0), c31 = f32x4.splat(0);
    let b0 = b0c, b1 = b1c;
    while (bp < end) {
      ${loads ? "b0 = v128.load(bp); b1 = v128.load(bp, 16);" : "const t = b0; b0 = b1; b1 = t;"}
      let x = ${loads ? "v128.load32_splat(ap)" : "xa"};
      c00 = ${madd("x", "b0", "c00")}; c01 = ${madd("x", "b1", "c01")};
      x = ${loads ? "v128.load32_splat(ap, 4)" : "xb"};
      c10 = ${madd("x", "b0", "c10")}; c11 = ${madd("x", "b1", "c11")};
      x = ${loads ? "v128.load32_splat(ap, 8)" : "xa"};
      c20 = ${madd("x", "b0", "c20")}; c21 = ${madd("x", "b1", "c21")};
      x = ${loads ? "v128.load32_splat(ap, 12)" : "xb"};
      c30 = ${madd("x", "b0", "c30")}; c31 = ${madd("x", "b1", "c31")};
      ap += 16; bp += 32;
    }
    v128.store(c, c00); v128.store(c, c01, 16); v128.store(c, c10, 32); v128.store(c, c11, 48);
    v128.store(c, c20, 64); v128.store(c, c21, 80); v128.store(c, c30, 96); v128.store(c, c31, 112);
  }
}`;

export const plainMadd = (x: string, b: string, c: string) => `f32x4.add(${c}, f32x4.mul(${x}, ${b}))`;
const fma = (x: string, b: string, c: string) => `f32x4.relaxed_madd(${x}, ${b}, ${c})`;

export interface Ceiling { variant: string; median: number; best: number }

/** GFLOP/s of each variant (relaxed only where this runtime accepts relaxed SIMD). */
export async function microkernelCeiling(): Promise<Ceiling[]> {
  // The no-load loop swaps b0 and b1 every k so that V8 cannot hoist the products out of the
  // loop (register moves only: its figure is the arithmetic ceiling, or a hair under it).
  const sources: [string, string, boolean][] = [["plain", kernelSource(plainMadd, true), false], ["relaxed", kernelSource(fma, true), true], ["no-load", kernelSource(plainMadd, false), false]];
  const kernels: { variant: string; run: (reps: number) => void }[] = [];
  for (const [variant, source, relaxed] of sources) {
    const out = await asc.compileString(source, { optimizeLevel: 3, runtime: "stub", noAssert: true, initialMemory: 2, enable: relaxed ? ["simd", "relaxed-simd"] : ["simd"] });
    if (out.error || !out.binary) throw new Error(`asc: ${out.error?.message ?? "no binary"}\n${out.stderr.toString()}`);
    const binary = out.binary as Uint8Array<ArrayBuffer>;
    if (!WebAssembly.validate(binary)) continue; // relaxed SIMD not enabled in this runtime
    const { instance } = await WebAssembly.instantiate(binary, {});
    const k = instance.exports as unknown as { memory: WebAssembly.Memory; kernel: (reps: number, kc: number, a: number, b: number, c: number) => void };
    const f = new Float32Array(k.memory.buffer);
    for (let i = 16384; i < 32768; i++) f[i] = Math.sin(i) * 1e-3; // A at 64 KiB, B at 80 KiB
    kernels.push({ variant, run: (reps) => k.kernel(reps, 256, 65536, 81920, 98304) });
  }
  const flopsPerRep = 2 * 4 * 8 * 256;
  for (const k of kernels) for (let w = 0; w < 50; w++) k.run(200);
  const runs = kernels.map(() => [] as number[]);
  for (let r = 0; r < 40; r++) {
    kernels.forEach((k, i) => {
      const t = performance.now();
      k.run(1000);
      runs[i]!.push(flopsPerRep * 1000 / ((performance.now() - t) * 1e6));
    });
  }
  return kernels.map((k, i) => {
    const xs = runs[i]!.sort((a, b) => a - b);
    return { variant: k.variant, median: xs[xs.length >> 1]!, best: xs[xs.length - 1]! };
  });
}

if (import.meta.url === `file://${process.argv[1]}`) {
  for (const c of await microkernelCeiling()) {
    console.log(`${c.variant.padEnd(8)} median ${c.median.toFixed(1).padStart(5)}  best ${c.best.toFixed(1).padStart(5)} GFLOP/s`);
  }
}
