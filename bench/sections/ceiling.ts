// The ceiling, measured first so that every share of it below comes from the same run:
// - the GEMM's 4 x 8 microkernel alone on L1-resident panels (bench/microkernel.ts): "plain"
//   (mul + add, the simd build's loop), "relaxed" (relaxed_madd, the relaxed build's), "no-load";
// - the plain microkernel and the GEMM on T workers at once, sharing nothing
//   (bench/parallel-ceiling.ts): the machine's own limit on a T-thread speed-up.
import { microkernelCeiling, type Ceiling } from "../microkernel.js";
import { parallelCeiling, type ParallelCeiling } from "../parallel-ceiling.js";
import type { BenchContext } from "./context.js";

export interface Ceilings { microkernel: Ceiling[]; parallel: ParallelCeiling[] }

export async function ceilingSection(ctx: BenchContext): Promise<Ceilings> {
  ctx.begin("microkernel");
  const microkernel = await microkernelCeiling();
  const parallel = [await parallelCeiling(ctx.threads, "microkernel"), await parallelCeiling(ctx.threads, "gemm")];
  ctx.end();
  return { microkernel, parallel };
}

/**
 * A build's ceiling in GFLOP/s (the median of its microkernel): "plain" for the simd build (and
 * a simd baseline), "relaxed" for the relaxed build; null for the scalar builds, or when the
 * runtime has no relaxed SIMD.
 */
export function ceilingGflops(microkernel: readonly Ceiling[], build: string): number | null {
  const kernel = /^(base-)?simd/.test(build) ? "plain" : /^relaxed/.test(build) ? "relaxed" : null;
  return microkernel.find((c) => c.variant === kernel)?.median ?? null;
}
