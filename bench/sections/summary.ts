// The text report, part two: PyTorch's runs, the ceilings, sizes and memory, the cost table,
// and the targets with whether this run meets them.
import { formatCostTable } from "../cost-table.js";
import type { CliRss } from "../cli-rss.js";
import type { BenchContext } from "./context.js";
import { cell } from "./format.js";
import { torchColumns, type BenchResults } from "./results.js";
import { formatTargets } from "./targets.js";
import type { TorchModel } from "./torch.js";

export function summaryReport(ctx: BenchContext, res: BenchResults): string[] {
  const { threads } = ctx;
  const { ceilings, sizes, cliRss, peakRssMB } = res;
  const out = ["", ...torchReport(ctx, res), ""];
  out.push(`The 4x8 microkernel alone, panels in L1 (GFLOP/s, median [best]; the ceiling of the shares: plain for simd, relaxed for relaxed): ${ceilings.microkernel.map((c) => `${c.variant} ${cell(c, 0).trim()}`).join(", ")}`);
  out.push(`On ${threads} workers at once, sharing nothing (the machine's ceiling for a ${threads}-thread speed-up): ${ceilings.parallel.map((c) => `${c.kernel === "gemm" ? "the simd GEMM 128x400x784 (tB)" : "the plain microkernel"}: 1 thread ${c.one.toFixed(1)} GFLOP/s, ${c.threads} at once ${c.all.toFixed(1)} in all, ${c.speedup.toFixed(2)}x`).join("; ")}`);
  out.push("", `wasm modules: ${Object.entries(sizes).map(([k, s]) => `${k} ${s.bytes} B (gzip ${s.gzip} B)`).join(", ")}`);
  const extra = extraFields(cliRss);
  out.push(`${cliRss.command} (a child process, every core): ${cliRss.peakMB === null ? `no figure (${cliRss.skipped})` : `peak RSS ${cliRss.peakMB.toFixed(0)} MB (${cliRss.seconds.toFixed(0)} s)`}${extra ? `; ${extra}` : ""}`);
  out.push(`peak RSS of this process: ${peakRssMB.end.toFixed(0)} MB (PyTorch's processes not included); at the end of each section: ${Object.entries(peakRssMB.bySection).map(([k, v]) => `${k} ${v.toFixed(0)}`).join(", ")} MB`);
  if (res.costTable) out.push("", ...formatCostTable(res.costTable));
  out.push("", `Targets (this run's figures; a build's median over its ceiling or over PyTorch's best; met / not met):`, ...formatTargets(res.targets));
  return out;
}

/**
 * The numeric fields of cliTrainRss()'s result beyond command, peakMB, seconds and skipped
 * (e.g. a breakdown), nested objects flattened to "a.b": "baseline 80, oneThread.peakMB 101".
 */
function extraFields(r: CliRss): string {
  const known = new Set(["command", "peakMB", "seconds", "skipped"]);
  const parts: string[] = [];
  const walk = (prefix: string, v: unknown) => {
    if (typeof v === "number") parts.push(`${prefix} ${Number.isInteger(v) ? v : v.toFixed(Math.abs(v) < 10 ? 2 : 1)}`);
    else if (v && typeof v === "object") for (const [k, x] of Object.entries(v)) walk(prefix ? `${prefix}.${k}` : k, x);
  };
  for (const [k, v] of Object.entries(r)) if (!known.has(k)) walk(k, v);
  return parts.join(", ");
}

function torchReport(ctx: BenchContext, res: BenchResults): string[] {
  const { threads } = ctx;
  const { torch, vsTorch } = res;
  if (!torch.setup) return [`PyTorch not measured: add --torch DIR (the folder of torch_vae.py and torch_convvae.py) [--python PATH] to run it side by side.`];
  if (!torch.ok) return [`PyTorch not measured: ${(torch.setup as { error: string }).error}`];
  const ok = torch.ok, runs = torch.runs;
  const whens = [...new Set(runs.map((r) => r.when))];
  const out = [`PyTorch ${ok.version} CPU (${ok.python}, ${ok.dir}): samples/s of the best epoch, ${whens.join(" / ")}; ratios above: latent's median over PyTorch's best`];
  out.push(`${"".padEnd(44)}${"1 thread".padStart(22)}${`${threads} threads`.padStart(22)}`);
  const fmt = (model: TorchModel, n: number) => {
    const rs = runs.filter((r) => r.model === model && r.threads === n);
    return (rs.length ? rs.map((r) => (r.samplesPerS === null ? "failed" : String(Math.round(r.samplesPerS)))).join(" / ") : "-").padStart(22);
  };
  out.push(`${"MLP VAE 784-400-20, mnist, 2 epochs".padEnd(44)}${fmt("mlp", 1)}${fmt("mlp", threads)}`);
  if (ok.skipConv) out.push(`conv VAE not run: ${ok.skipConv}`);
  else out.push(`${"conv VAE, Fashion-MNIST --n 2560, 1 epoch".padEnd(44)}${fmt("conv", 1)}${fmt("conv", threads)}`);
  for (const r of runs) if (r.error) out.push(`  ${r.model} VAE, ${r.threads} thread${r.threads > 1 ? "s" : ""} (${r.when}): ${r.error}`);
  const names = { mlp: "MLP VAE", conv: "conv VAE" };
  out.push(`latent / PyTorch (latent's median over PyTorch's best; above 1: latent is faster): ${torchColumns(threads).map(([m, n]) => {
    const got = vsTorch[`${m} ${n}`];
    return `${names[m]} on ${n} thread${n > 1 ? "s" : ""} ${got ? Object.entries(got).map(([v, x]) => `${v} ${x.toFixed(2)}x`).join(", ") : "-"}`;
  }).join("; ")}`);
  out.push(`(PyTorch's runs took ${runs.reduce((a, r) => a + r.seconds, 0).toFixed(0)} s in all)`);
  return out;
}
