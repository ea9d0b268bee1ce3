// The text report, part one (bench/sections/summary.ts has the rest): the tables of the GEMM,
// training and conv sections. Figures are "median [best]" of the rounds; ratios are of medians;
// the "x/ceil" columns put build x's median over its microkernel's median (simd over plain,
// relaxed over relaxed), in %.
import type { ConvRow } from "./conv.js";
import type { BenchContext, Stat } from "./context.js";
import type { GemmRow } from "./gemm.js";
import type { BenchResults } from "./results.js";
import { formatStepOverhead } from "./step-profiles.js";
import { cell, int, ratio, share, yesNo } from "./format.js";
import { ceilingBuilds } from "./targets.js";

const ofCeiling = (r: GemmRow | ConvRow) => r.ofCeiling ?? {};

/** The tables, line by line (bench/sections/summary.ts prints the rest). */
export function tablesReport(ctx: BenchContext, res: BenchResults): string[] {
  return [...gemmTable(ctx, res), "", ...trainingTable(ctx, res), "", ...convTables(ctx, res)];
}

function gemmTable(ctx: BenchContext, res: BenchResults): string[] {
  const { variants, tf, threads } = ctx;
  const { rows, poolColumn } = res.gemm;
  const cols = [...variants.map((v) => v.name), ...(poolColumn ? [poolColumn] : [])];
  const shareCols = ceilingBuilds.filter((b) => rows.some((r) => ofCeiling(r)[b] !== undefined));
  const tfHead = tf ? `${"tfjs wasm".padStart(15)}${variants.map((v) => `${v.name}/tf`.padStart(11)).join("")}` : "";
  const out = [`GEMM GFLOP/s, median [best] (node ${process.version}${poolColumn ? `; ${poolColumn}: the simd build on ${threads} threads, cut above 2^19 flops` : ""}`
    + `${shareCols.length ? "; x/ceil: x's median over its microkernel's" : ""}${tf ? `; TF.js ${tf.version} ${tf.backend}, ${tf.threads} thread; x/tf: ratio of medians` : ""})`];
  out.push(`${"shape".padEnd(20)}tA tB     M     N     K${cols.map((c) => c.padStart(15)).join("")}${"naive js".padStart(15)}${shareCols.map((b) => `${b}/ceil`.padStart(13)).join("")}${tfHead}`);
  for (const r of rows) {
    const dims = [r.M, r.N, r.K].map((d) => String(d).padStart(5)).join(" ");
    const vs = r.vsTfjs as Record<string, number> | undefined;
    const tfCells = r.tfjs ? `${cell(r.tfjs as Stat)}${variants.map((v) => ratio(vs?.[v.name])).join("")}` : "";
    out.push(`${r.shape.padEnd(20)}${r.tA}  ${r.tB} ${dims}${cols.map((c) => cell(r[c] as Stat | undefined)).join("")}${cell(r.js as Stat)}`
      + `${shareCols.map((b) => share(ofCeiling(r)[b], 13)).join("")}${tfCells}`);
  }
  return out;
}

function trainingTable(ctx: BenchContext, res: BenchResults): string[] {
  const { threads, perOne } = ctx;
  const t = res.training;
  const hasTorch = t.rows.some((r) => r.vsTorch !== undefined) || res.conv.training.some((r) => r.vsTorch !== undefined);
  const out = [`Training the 784-400-20 VAE, batch 128, embedded MNIST: samples/s, median [best]; ratios of medians${t.tfTraining ? "; fit/tf: over TF.js" : ""}${hasTorch ? "; fit/torch: over PyTorch's best run on as many threads" : ""}`];
  out.push(`${"module".padEnd(14)}${"fit".padStart(18)}${"step (pure)".padStart(18)}   step overhead${perOne.padStart(22)}${t.tfTraining ? "fit/tf".padStart(11) : ""}${hasTorch ? "fit/torch".padStart(11) : ""}`);
  for (const r of t.rows) {
    const over = r.stepOverheadPct === null ? "-" : `${r.stepOverheadPct.toFixed(1)}%`;
    out.push(`${r.variant.padEnd(14)}${cell(r.fit, 18)}${cell(r.step, 18)}   ${over.padEnd(13)}${ratio(r.vsOneThread, 22)}${t.tfTraining ? ratio(r.vsTfjs) : ""}${hasTorch ? ratio(r.vsTorch) : ""}`);
  }
  if (t.tfTraining) out.push(`${"tfjs wasm".padEnd(14)}${cell(t.tfTraining, 18)}`);
  const shares = Object.entries(res.mlpShares);
  if (shares.length) {
    const f = shares[0]![1].flopsPerSample;
    out.push(`MLP VAE, 1 thread: ${shares.map(([b, s]) => `${b} ${(100 * s.share).toFixed(0)}% of the ceiling (${int(s.samplesPerS)} of ${int(s.ceilingSamplesPerS)} samples/s)`).join(", ")}`
      + `; ceiling samples/s = the build's microkernel GFLOP/s / ${(f / 1e6).toFixed(2)} MFLOP per sample`);
  }
  out.push(`same bits on 1 and ${threads} threads (parameters after the timed fit): ${yesNo(t.sameBits)}`);
  out.push(`steps alternating one by one between 1 and ${threads} threads (Trainer.run, ms per step): ${t.interleaved.map((p) => `${p.isa} ${p.one.toFixed(2)} / ${p.many.toFixed(2)} = ${(p.one / p.many).toFixed(2)}x`).join(", ")}`);
  out.push(`pure step against the in-place path, alternating step by step (ms per step, 1 thread): ${t.overheads.map(formatStepOverhead).join(", ")}`);
  out.push(`the hand-written Optax loop (valueAndGrad, opt.update, applyUpdates) against fit's in-place path, alternating step by step (samples/s, 1 thread): ${t.handLoops.map((o) => `${o.isa} ${Math.round(o.hand)} / ${Math.round(o.fit)}: ${o.overheadPct >= 0 ? "+" : ""}${o.overheadPct.toFixed(1)}% time per step`).join(", ")}`);
  return out;
}

function convTables(ctx: BenchContext, res: BenchResults): string[] {
  const { threads, perOne } = ctx;
  const { columns, layers, training, trainingSameBits } = res.conv;
  const shareCols = ceilingBuilds.filter((b) => layers.some((r) => ofCeiling(r)[b] !== undefined));
  const out = [`Conv layers of the Keras MNIST VAE, batch 128: GFLOP/s (2 M N K per product over the whole pass, im2col/col2im included), median [best]${shareCols.length ? "; x/ceil: x's median over its microkernel's" : ""}`];
  out.push(`${"layer".padEnd(52)}${"GEMM M x N x K".padStart(18)}  ${"pass".padEnd(17)}${columns.map((c) => c.padStart(15)).join("")}${columns.length > 1 ? perOne.padStart(22) : ""}${shareCols.map((b) => `${b}/ceil`.padStart(13)).join("")}`);
  let lastLayer = "";
  for (const r of layers) {
    const head = r.layer === lastLayer ? "".padEnd(52 + 18) : `${r.layer.padEnd(52)}${r.gemm.padStart(18)}`;
    lastLayer = r.layer;
    out.push(`${head}  ${r.pass.padEnd(17)}${columns.map((c) => cell(r[c] as Stat)).join("")}${ratio(r.vsOneThread, columns.length > 1 ? 22 : 0)}${shareCols.map((b) => share(ofCeiling(r)[b], 13)).join("")}`);
  }
  const hasTorch = res.training.rows.some((r) => r.vsTorch !== undefined) || training.some((r) => r.vsTorch !== undefined);
  out.push("", `Training the conv VAE (Keras example: conv 32, 64 s2; dense 16; latent 2; convT 64, 32 s2; convT 1), batch 128, Trainer.run: samples/s, median [best]`);
  out.push(`${"module".padEnd(14)}${"samples/s".padStart(17)}${perOne.padStart(22)}${hasTorch ? "/torch".padStart(11) : ""}`);
  for (const r of training) out.push(`${r.variant.padEnd(14)}${cell(r.samplesPerS, 17)}${ratio(r.vsOneThread, 22)}${hasTorch ? ratio(r.vsTorch) : ""}`);
  out.push(`same bits on 1 and ${threads} threads (parameters after all rounds): ${yesNo(trainingSameBits)}`);
  return out;
}
