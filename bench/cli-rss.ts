// Peak RSS of `latent train --data fashion-mnist --epochs 1` (60,000 training images, the
// default 784-400-20 VAE, every core), measured in a child process: a module loaded with
// --import reports, when the process exits, VmHWM from /proc/self/status (the high-water mark
// of the process's own memory, every thread included; Linux). Not getrusage's maxRSS: Linux
// carries that over from the forking parent across exec, so a child of a large benchmark
// process would report the parent's pages. Elsewhere there is no figure.
//
// Beside the run it measures, the same way, what the figure is made of: `node -e ""` (Node's
// own baseline), a process that only loads the data set, and the run with --threads 1 (the
// difference to every core is the workers). `node dist/bench/cli-rss.js [train args]` prints
// them; cliTrainRss() returns them (bench/run.ts reports the extra fields).
//
// Where the peak goes, 2 threads (MB = 10^6 bytes; Node 20 on 2 cores; VmRSS and
// /proc/self/smaps sampled at points of a run, within ~3 MB from run to run):
//   Node baseline (`node -e ""`: the node binary's pages, V8, libuv)                  43
//   modules of the train command; ~10 of it is Node importing fp-ts/lib's CommonJS
//     files from ES modules (the same files cost ~1 MB through require)             +20 = 63
//   data: uint8 pixels (47.0 + 7.8 MB) and labels, views of the inflated files       +55 = 118
//   one worker (its V8 isolate and Node environment)                                 +10 = 128
//   model.init: the parameters as JS arrays (2.6), the random words they are drawn
//     from (2.5, transient: src/random), V8's young generation; Adam's initial
//     moments are never made on the host (the trainer zeroes its own)              +10 = 138
//   WebAssembly memory at the first batch (the trainer: parameters, gradients, two
//     sets of Adam moments, a batch's activations, GEMM packing; ~21 MB touched)   +26 = 164
//   during the epoch: the worker's own allocations (~0 on 1 thread)                   +5 = 169
//   the epoch's end: the state read out for best and checkpoint (parameters and
//     moments, 7.8; fit has let go of the initial state, whose memory it partly
//     reuses) and the test loss's forward program with its copy of the parameters  +10 = 179
//   pictures (rasters, pngjs's filtered copies and zlib output, src/viz; garbage
//     the collector has no reason to take before the next picture allocates)        +7 = 186
// Measured peaks: 185-187 MB on 2 threads, 175-176 on 1 (the same without the worker).
// Node, the data and the trainer's memory alone are ~125 MB; the rest is the modules, the
// state on the host once, and the pictures.
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

export interface CliRss {
  command: string;
  /** MB (10^6 bytes), or null when the run failed or could not start. */
  peakMB: number | null;
  seconds: number;
  /** Why there is no figure. */
  skipped?: string;
  /** Peak RSS of `node -e ""` (Node's own), MB. */
  baselineMB?: number | null;
  /** Peak RSS of a process that only loads the data set of --data, MB. */
  dataLoadMB?: number | null;
  /** The same run with --threads 1 (absent when the arguments set --threads). */
  oneThread?: { peakMB: number | null; seconds: number };
}

const PROBE = `import { readFileSync } from "node:fs";
process.on("exit", () => {
  let hwm = "";
  try { hwm = /VmHWM:\\s+(\\d+) kB/.exec(readFileSync("/proc/self/status", "utf8"))?.[1] ?? ""; } catch {}
  process.stderr.write("\\nVmHWM " + hwm + "\\n");
});
`;

interface Peak { peakMB: number | null; seconds: number; skipped?: string }

/** Runs node with `args` under the VmHWM probe of `dir`. */
function peakOf(dir: string, args: readonly string[]): Peak {
  const probe = join(dir, "max-rss.mjs");
  writeFileSync(probe, PROBE);
  const t = performance.now();
  const r = spawnSync(process.execPath, ["--import", pathToFileURL(probe).href, ...args], { encoding: "utf8" });
  const seconds = (performance.now() - t) / 1000;
  const kb = /VmHWM (\d+)/.exec(r.stderr ?? "")?.[1];
  if (r.status !== 0 || !kb) return { peakMB: null, seconds, skipped: (r.stderr || r.stdout || String(r.error)).trim().split("\n")[0]! };
  return { peakMB: (Number(kb) * 1024) / 1e6, seconds };
}

/** The spec --data names in `args` (the CLI's default "mnist"; "sat6" is skipped: it needs --sat6). */
function dataOf(args: readonly string[]): string | null {
  const i = args.findIndex((a) => a === "--data" || a.startsWith("--data="));
  const data = i < 0 ? "mnist" : args[i]!.includes("=") ? args[i]!.slice("--data=".length) : args[i + 1] ?? null;
  return data === "sat6" ? null : data;
}

/**
 * The peak RSS of `latent train ARGS` and, with `breakdown` (default), of Node alone, of
 * loading the data alone and of the run on one thread.
 */
export function cliTrainRss(args: readonly string[] = ["--data", "fashion-mnist", "--epochs", "1"], o: { breakdown?: boolean } = {}): CliRss {
  const dir = mkdtempSync(join(tmpdir(), "latent-rss-"));
  const command = `latent train ${args.join(" ")}`;
  const cli = fileURLToPath(new URL("../src/cli/main.js", import.meta.url));
  try {
    const run = peakOf(dir, [cli, "train", ...args, "--out", join(dir, "run")]);
    const result: CliRss = run.skipped === undefined ? { command, peakMB: run.peakMB, seconds: run.seconds }
      : { command, peakMB: null, seconds: run.seconds, skipped: run.skipped };
    if (o.breakdown === false || result.peakMB === null) return result;
    result.baselineMB = peakOf(dir, ["-e", ""]).peakMB;
    const data = dataOf(args);
    if (data !== null) {
      const load = pathToFileURL(fileURLToPath(new URL("../src/data/node/load.js", import.meta.url))).href;
      result.dataLoadMB = peakOf(dir, ["--input-type=module", "-e",
        `const { loadDataset } = await import(${JSON.stringify(load)}); const r = await loadDataset(${JSON.stringify(data)})(); if (r._tag === "Left") throw r.left;`]).peakMB;
    }
    if (!args.some((a) => a === "--threads" || a.startsWith("--threads="))) {
      const one = peakOf(dir, [cli, "train", ...args, "--threads", "1", "--out", join(dir, "run1")]);
      result.oneThread = { peakMB: one.peakMB, seconds: one.seconds };
    }
    return result;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const mb = (v: number | null | undefined) => (v === null || v === undefined ? "-" : v.toFixed(0));

if (import.meta.url === `file://${process.argv[1]}`) {
  const r = cliTrainRss(process.argv.slice(2).length ? process.argv.slice(2) : undefined);
  if (r.peakMB === null) console.log(`${r.command}: no figure (${r.skipped})`);
  else {
    console.log(`${r.command}: peak RSS ${r.peakMB.toFixed(0)} MB (${r.seconds.toFixed(1)} s)`);
    console.log(`  node -e "": ${mb(r.baselineMB)} MB; loading the data alone: ${mb(r.dataLoadMB)} MB`
      + (r.oneThread ? `; 1 thread: ${mb(r.oneThread.peakMB)} MB; every core: ${mb(r.peakMB)} MB` : ""));
  }
}
