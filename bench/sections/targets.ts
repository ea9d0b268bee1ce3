// The ratios the project's targets are stated in, every one from figures of the same run:
// shares of the ceiling (a build's measured GFLOP/s or samples/s over its microkernel's: "plain"
// for simd, "relaxed" for relaxed), latent over PyTorch, T threads over 1, and the CLI's memory.
import type { CliRss } from "../cli-rss.js";
import type { Ceiling } from "../microkernel.js";
import type { ThreadProfile } from "../thread-profile.js";
import { ceilingGflops } from "./ceiling.js";
import type { ConvRow, ConvTrainRow } from "./conv.js";
import type { Stat } from "./context.js";
import { ceilingSamplesPerS, flopsPerSample } from "./flops.js";
import type { GemmRow } from "./gemm.js";
import { stepOverheadPct, type StepProfiles } from "./step-profiles.js";
import type { TrainRow } from "./training.js";

/** The 1-thread builds measured against a ceiling. */
export const ceilingBuilds = ["simd", "relaxed"] as const;

/** Per build: the MLP VAE's fit samples/s (1 thread, median) over the ceiling's samples/s. */
export interface MlpShare { samplesPerS: number; ceilingSamplesPerS: number; ceilingGflops: number; flopsPerSample: number; share: number }

export function mlpShares(rows: readonly TrainRow[], microkernel: readonly Ceiling[]): Record<string, MlpShare> {
  const flops = flopsPerSample(784, [400], 20);
  const out: Record<string, MlpShare> = {};
  for (const build of ceilingBuilds) {
    const row = rows.find((r) => r.variant === build), g = ceilingGflops(microkernel, build);
    if (!row || g === null) continue;
    const ceil = ceilingSamplesPerS(g, flops);
    out[build] = { samplesPerS: row.fit.median, ceilingSamplesPerS: ceil, ceilingGflops: g, flopsPerSample: flops, share: row.fit.median / ceil };
  }
  return out;
}

/** Adds `ofCeiling` (build -> median GFLOP/s over the build's microkernel median, 0..1) to GEMM and conv rows. */
export function addCeilingShares(rows: (GemmRow | ConvRow)[], microkernel: readonly Ceiling[]): void {
  for (const r of rows) {
    const shares: Record<string, number> = {};
    for (const build of ceilingBuilds) {
      const s = r[build] as Stat | undefined, g = ceilingGflops(microkernel, build);
      if (s && g) shares[build] = s.median / g;
    }
    r.ofCeiling = shares;
  }
}

export interface TargetValue { label: string; value: number | null; met: boolean | null; note?: string }
/** unit "yes": a check, value 1 (yes) or 0 (no), target 1. */
export interface Target { what: string; target: number; unit: "%" | "x" | "MB" | "yes"; lowerIsBetter?: boolean; values: TargetValue[]; note?: string }

export interface TargetInputs {
  threads: number;
  mlp: Record<string, MlpShare>;
  training: TrainRow[];
  trainingSameBits: Record<string, boolean>;
  profiles: StepProfiles;
  gemm: GemmRow[];
  conv: ConvRow[];
  convTraining: ConvTrainRow[];
  convSameBits: Record<string, boolean>;
  cliRss: CliRss;
  /** Why PyTorch's ratios are missing (not run, or failed to start); null when it ran. */
  torchMissing: string | null;
  /** PyTorch's best run (samples/s) by "mlp 1", "mlp T", "conv 1", "conv T". */
  torchBest: Record<string, number | null>;
}

/**
 * latent / PyTorch of the simd and relaxed builds on n threads: latent's median over `ref`
 * samples/s (none when PyTorch did not run or has no figure).
 */
function vsTorch(rows: readonly { variant: string; threads: number; rate: number }[], n: number, ref: number | null) {
  if (ref === null) return [];
  return rows.filter((r) => r.threads === n && /^(simd|relaxed)( x\d+)?$/.test(r.variant)).map((r) => ({ label: r.variant, value: r.rate / ref }));
}

/** The targets, each with its figure(s) from this run and whether it is met. */
export function targets(x: TargetInputs): Target[] {
  const T = x.threads;
  const val = (t: Omit<Target, "values">, values: { label: string; value: number | null; note?: string }[]): Target => ({
    ...t, values: values.map((v) => ({ ...v, met: v.value === null ? null : t.lowerIsBetter ? v.value <= t.target : v.value >= t.target })),
  });
  const pct = (share: number) => 100 * share;
  /** The worst (lowest) share of the ceiling per build over rows, with the row that has it. */
  const worst = <R extends GemmRow | ConvRow>(rows: readonly R[], name: (r: R) => string) => ceilingBuilds.flatMap((b) => {
    const got = rows.map((r) => ({ r, s: r.ofCeiling?.[b] })).filter((e): e is { r: R; s: number } => e.s !== undefined);
    if (!got.length) return [];
    const w = got.reduce((a, e) => (e.s < a.s ? e : a));
    return [{ label: b, value: pct(w.s), note: name(w.r) }];
  });
  const oneChannel = x.conv.filter((r) => /x1 ->|-> \d+x\d+x1 /.test(r.layer));
  const noTorch = x.torchMissing ?? undefined;
  // "PyTorch's best" on T threads: its best run on any thread count (on a shared machine its
  // T-thread runs can collapse, oversubscribed; the ratios of the tables use the T-thread runs).
  const bestAny = (m: "mlp" | "conv") => {
    const xs = [x.torchBest[`${m} 1`], x.torchBest[`${m} ${T}`]].filter((v): v is number => typeof v === "number");
    return x.torchMissing === null && xs.length ? Math.max(...xs) : null;
  };
  const mlpRows = x.training.map((r) => ({ variant: r.variant, threads: r.threads, rate: r.fit.median }));
  const convRows = x.convTraining.map((r) => ({ variant: r.variant, threads: r.threads, rate: r.samplesPerS.median }));
  return [
    val({ what: "MLP VAE 784-400-20, 1 thread: share of the ceiling", target: 85, unit: "%" },
      ceilingBuilds.filter((b) => x.mlp[b]).map((b) => ({ label: b, value: pct(x.mlp[b]!.share) }))),
    val({ what: `MLP VAE, ${T} threads / PyTorch's best run on 1 or ${T} threads`, target: 1, unit: "x", note: noTorch }, vsTorch(mlpRows, T, bestAny("mlp"))),
    val({ what: "conv VAE, 1 thread / PyTorch's best run on 1 thread", target: 0.9, unit: "x", note: noTorch }, vsTorch(convRows, 1, x.torchBest["conv 1"] ?? null)),
    val({ what: `conv VAE, ${T} threads / PyTorch's best run on 1 or ${T} threads`, target: 1.6, unit: "x", note: noTorch }, vsTorch(convRows, T, bestAny("conv"))),
    val({ what: `MLP VAE, ${T} threads / 1 thread, steps interleaved`, target: 1.85, unit: "x" },
      x.profiles.interleaved.map((p: ThreadProfile) => ({ label: p.isa, value: p.one / p.many }))),
    val({ what: `same bits on 1 and ${T} threads`, target: 1, unit: "yes" }, [
      ...Object.entries(x.trainingSameBits).map(([b, v]) => ({ label: `MLP ${b}`, value: v ? 1 : 0 })),
      ...Object.entries(x.convSameBits).map(([b, v]) => ({ label: `conv ${b}`, value: v ? 1 : 0 })),
    ]),
    val({ what: "GEMM table, the worst shape's share of the ceiling", target: 85, unit: "%" }, worst(x.gemm, (r) => r.shape.replace(/\s+/g, " "))),
    val({ what: "1-channel conv layers, the worst pass's share of the ceiling", target: 50, unit: "%" },
      worst(oneChannel, (r) => `${r.layer.split(" (")[0]} ${r.pass}`)),
    val({ what: `peak RSS of ${x.cliRss.command}`, target: 120, unit: "MB", lowerIsBetter: true },
      [{ label: "", value: x.cliRss.peakMB, ...(x.cliRss.skipped ? { note: x.cliRss.skipped } : {}) }]),
    val({ what: "pure step overhead over the in-place path, 1 thread", target: 5, unit: "%", lowerIsBetter: true },
      x.profiles.overheads.map((o) => { const s = stepOverheadPct(o); return { label: o.isa, value: s.pct, note: `${s.path} step` }; })),
  ];
}

/** "  what (target 85%): simd 69% not met, relaxed 86% met" per target. */
export function formatTargets(ts: readonly Target[]): string[] {
  const fmt = (v: number, unit: Target["unit"]) =>
    unit === "x" ? `${v.toFixed(2)}x` : unit === "%" ? `${v.toFixed(Math.abs(v) < 10 ? 1 : 0)}%` : unit === "MB" ? `${v.toFixed(0)} MB` : v ? "yes" : "NO";
  return ts.map((t) => {
    const head = `  ${t.what}${t.unit === "yes" ? "" : ` (target ${t.lowerIsBetter ? "at most " : ""}${fmt(t.target, t.unit)})`}`;
    const vals = t.values.map((v) => {
      const label = v.label ? `${v.label} ` : "";
      if (v.value === null) return `${label}not measured${v.note ? ` (${v.note})` : ""}`;
      return `${label}${fmt(v.value, t.unit)}${v.note ? ` (${v.note})` : ""} ${v.met ? "met" : "not met"}`;
    });
    if (!vals.length) return `${head}: not measured${t.note ? ` (${t.note})` : ""}`;
    if (t.unit === "yes") { // one verdict for the checks
      const all = t.values.every((v) => v.met);
      return `${head}: ${t.values.map((v) => `${v.label} ${fmt(v.value ?? 0, t.unit)}`).join(", ")}: ${all ? "met" : "not met"}`;
    }
    return `${head}: ${vals.join(", ")}`;
  });
}
