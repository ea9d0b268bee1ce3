// Everything one bench run measured, as the text and JSON reports read it, and the figures
// derived from the sections' results: latent / PyTorch, the modules' sizes.
import { gzipSync } from "node:zlib";
import { embeddedSharedBytes } from "../../src/kernels/module.js";
import type { CliRss } from "../cli-rss.js";
import type { CostTable } from "../cost-table.js";
import type { Ceilings } from "./ceiling.js";
import type { ConvResult } from "./conv.js";
import type { Variant } from "./context.js";
import type { GemmResult } from "./gemm.js";
import type { MlpShare, Target } from "./targets.js";
import type { TorchModel, TorchPeer } from "./torch.js";
import type { Training } from "./training.js";

export interface BenchResults {
  ceilings: Ceilings;
  gemm: GemmResult;
  training: Training;
  conv: ConvResult;
  torch: TorchPeer;
  /** PyTorch's best run by "mlp 1", "mlp T", "conv 1", "conv T" (null: none). */
  torchBest: Record<string, number | null>;
  /** latent / PyTorch by workload ("mlp 1", "conv 2", ...) and build: latent's median over PyTorch's best. */
  vsTorch: Record<string, Record<string, number>>;
  /** Per build, the MLP VAE's 1-thread samples/s over its ceiling's. */
  mlpShares: Record<string, MlpShare>;
  costTable: CostTable | null;
  cliRss: CliRss;
  sizes: Record<string, { bytes: number; gzip: number }>;
  /**
   * Peak resident set of this process in MB (maxRSS is in KiB), at the end and as it stood at
   * the end of each section (the bench holds several modules, pools and programs at once, and
   * the microkernel section runs the AssemblyScript compiler); PyTorch's child processes not included.
   */
  peakRssMB: { end: number; bySection: Record<string, number> };
  targets: Target[];
}

/** The workloads compared with PyTorch: the MLP and conv VAEs on 1 and T threads. */
export const torchColumns = (threads: number) => [["mlp", 1], ["mlp", threads], ["conv", 1], ["conv", threads]] as [TorchModel, number][];

/**
 * Sets vsTorch on the training rows of this build's SIMD modules (latent's median over
 * PyTorch's best run on as many threads) and returns PyTorch's best runs and the ratios by workload.
 */
export function torchRatios(torch: TorchPeer, threads: number, training: Training, conv: ConvResult):
  { best: Record<string, number | null>; vsTorch: Record<string, Record<string, number>> } {
  const cols = torchColumns(threads);
  const best = Object.fromEntries(cols.map(([m, n]) => [`${m} ${n}`, torch.best(m, n)]));
  for (const r of training.rows) {
    const ref = best[`mlp ${r.threads}`];
    if (ref && /^(simd|relaxed)( x\d+)?$/.test(r.variant)) r.vsTorch = r.fit.median / ref;
  }
  for (const r of conv.training) {
    const ref = best[`conv ${r.threads}`];
    if (ref) r.vsTorch = r.samplesPerS.median / ref;
  }
  const vsTorch: Record<string, Record<string, number>> = {};
  for (const [m, n] of cols) {
    const rows: { variant: string; vsTorch?: number; threads: number }[] = m === "mlp" ? training.rows : conv.training;
    const got = Object.fromEntries(rows.filter((r) => r.threads === n && r.vsTorch !== undefined).map((r) => [r.variant.split(" ")[0]!, r.vsTorch!]));
    if (Object.keys(got).length) vsTorch[`${m} ${n}`] = got;
  }
  return { best, vsTorch };
}

/** Raw and gzipped bytes of every variant's module and of the two shared-memory builds. */
export function moduleSizes(variants: readonly Variant[]): Record<string, { bytes: number; gzip: number }> {
  const sizes: Record<string, { bytes: number; gzip: number }> = Object.fromEntries(variants.map((v) => [v.name, { bytes: v.bytes.length, gzip: gzipSync(v.bytes).length }]));
  for (const isa of ["simd", "relaxed"] as const) {
    const bytes = embeddedSharedBytes(isa);
    sizes[`${isa}-shared`] = { bytes: bytes.length, gzip: gzipSync(bytes).length };
  }
  return sizes;
}

/** Why the PyTorch ratios are missing, or null when PyTorch ran. */
export function torchMissing(torch: TorchPeer): string | null {
  if (!torch.setup) return "PyTorch not run: --torch DIR";
  return "error" in torch.setup ? `PyTorch not measured: ${torch.setup.error}` : null;
}
