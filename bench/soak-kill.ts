// SIGKILL at random moments of `latent train`, over and over on one run folder:
// `npm run soak:kill` (100 kills; --kills N, --seed S, --cli FILE: another build of the command), a
// short loop in test/faults/kill-save.test.ts.
//
// Each round starts the command as a child process on a small IDX folder with a checkpoint every
// epoch (resuming from checkpoint.safetensors when there is one, else from scratch) and kills it
// with SIGKILL: one round in five at a random moment after the start (start-up included), the
// others at a random moment after its first line (the lock is held, training and saves are
// under way). After each kill:
//   - every *.safetensors in the folder must load (modelFromSafetensors), and metrics.jsonl parse;
//   - no file a later run could take for a model: temporary files of the atomic writes are named
//     .<target>.<hex>.tmp, never *.safetensors ("kills inside a write" are the rounds that left
//     one), and the next run removes them (one left from before the last kill is a failure);
//   - the next run takes over the dead run's lock (a refusal is a failure) and resumes.
// Finally the folder's run is resumed to completion and its model.safetensors must hold the same
// parameter bits as an uninterrupted run of as many epochs: resuming after kills lost nothing.
import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import * as E from "fp-ts/lib/Either.js";
import { encodeIdx } from "../src/data/idx.js";
import { modelFromSafetensors } from "../src/io/model-file.js";
import { tempTarget } from "../src/io/node/atomic-write.js";

export interface KillLoopOptions {
  /** The command's entry (a .js or .mjs file run by node). */
  readonly cli: string;
  readonly kills: number;
  readonly seed?: number;
  /** Longest wait after the first line before the kill, ms (default 1500). */
  readonly windowMs?: number;
  readonly log?: (line: string) => void;
}

export interface KillLoopResult {
  readonly kills: number;
  /** Kills that left a temporary file: they landed inside a write. */
  readonly killsInsideWrites: number;
  /** *.safetensors files checked after the kills, and how many loaded. */
  readonly modelFiles: number;
  readonly modelFilesLoaded: number;
  /** Rounds that resumed from checkpoint.safetensors. */
  readonly resumed: number;
  /** Epochs the interrupted run had done before its last run. */
  readonly epochsDone: number;
  /** Whether the final model equals an uninterrupted run's, bit for bit. */
  readonly sameAsUninterrupted: boolean;
  readonly failures: readonly string[];
  readonly seconds: number;
}

const SIDE = 16;

/** n noisy SIDE x SIDE images of 3 classes (stripes across, stripes down, a square), from an LCG. */
function images(n: number, seed: number): { pixels: Uint8Array; labels: Uint8Array } {
  let s = seed >>> 0;
  const next = () => { s = (Math.imul(s, 1103515245) + 12345) >>> 0; return s / 2 ** 32; };
  const pixels = new Uint8Array(n * SIDE * SIDE), labels = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const c = i % 3;
    labels[i] = c;
    for (let y = 0; y < SIDE; y++) for (let x = 0; x < SIDE; x++) {
      const on = c === 0 ? y % 4 < 2 : c === 1 ? x % 4 < 2 : y > 3 && y < 12 && x > 3 && x < 12;
      pixels[(i * SIDE + y) * SIDE + x] = Math.round((on ? 190 : 40) + 100 * (next() - 0.5));
    }
  }
  return { pixels, labels };
}

/** Writes an IDX folder of `train` and `test` images. */
export function writeIdxFolder(dir: string, train = 96, test = 32): void {
  mkdirSync(dir, { recursive: true });
  for (const [prefix, n, seed] of [["train", train, 1], ["t10k", test, 2]] as const) {
    const d = images(n, seed);
    writeFileSync(join(dir, `${prefix}-images-idx3-ubyte`), encodeIdx({ dtype: "ubyte", dims: [n, SIDE, SIDE], data: d.pixels }));
    writeFileSync(join(dir, `${prefix}-labels-idx1-ubyte`), encodeIdx({ dtype: "ubyte", dims: [n], data: d.labels }));
  }
}

/** The flags of every run: ~140k parameters, so each model file is ~1.7 MB and saves take a good part of an epoch. */
const MODEL = ["--hidden", "256", "--latent", "8", "--batch", "32", "--checkpoint-every", "1"];
/** The kernels are not part of a run's stored settings: every run, resumed or not, names the same ones. */
const KERNELS = ["--isa", "simd", "--threads", "1"];

interface Outcome { code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string; killed: boolean }

/** Runs the command; kills it `killAfter(firstLineSeen)` ms after the start or after its first line (null: never). */
function runCli(cli: string, args: readonly string[], kill: { afterStart: number } | { afterFirstLine: number } | null): Promise<Outcome> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [cli, ...args], { stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "", stderr = "", killed = false, timer: NodeJS.Timeout | null = null;
    const fire = (ms: number) => { timer = setTimeout(() => { killed = child.kill("SIGKILL"); }, ms); };
    if (kill && "afterStart" in kill) fire(kill.afterStart);
    child.stdout.on("data", (b: Buffer) => {
      if (kill && "afterFirstLine" in kill && stdout === "") fire(kill.afterFirstLine);
      stdout += b.toString();
    });
    child.stderr.on("data", (b: Buffer) => { stderr += b.toString(); });
    child.on("close", (code, signal) => {
      if (timer) clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, killed: killed && signal === "SIGKILL" });
    });
  });
}

function paramBits(path: string): string {
  const parsed = modelFromSafetensors(new Uint8Array(readFileSync(path)));
  if (E.isLeft(parsed)) throw parsed.left;
  return Object.entries(parsed.right.params).map(([name, t]) =>
    `${name}:${Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength).toString("base64")}`).join("|");
}

function epochsDoneIn(path: string): number {
  const parsed = modelFromSafetensors(new Uint8Array(readFileSync(path)));
  if (E.isLeft(parsed)) throw parsed.left;
  return Number((parsed.right.training as { epochsDone?: number } | undefined)?.epochsDone ?? 0);
}

export async function killLoop(o: KillLoopOptions): Promise<KillLoopResult> {
  const t0 = performance.now();
  const log = o.log ?? (() => undefined);
  let s = (o.seed ?? 1) >>> 0;
  const random = () => { s = (Math.imul(s ^ (s >>> 15), 0x2c1b3c6d) + 0x6d2b79f5) >>> 0; return s / 2 ** 32; };
  const root = mkdtempSync(join(tmpdir(), "latent-kill-"));
  const data = join(root, "data"), out = join(root, "run"), reference = join(root, "reference");
  writeIdxFolder(data);
  const fresh = ["train", "--data", data, ...MODEL, ...KERNELS, "--epochs", "100000", "--out", out];
  const failures: string[] = [];
  let killsInsideWrites = 0, modelFiles = 0, modelFilesLoaded = 0, resumed = 0, kills = 0;
  let leftBefore: string[] = [];
  try {
    for (let round = 0; kills < o.kills && round < o.kills * 3; round++) {
      const checkpoint = join(out, "checkpoint.safetensors");
      const resume = readdirSafe(out).includes("checkpoint.safetensors");
      const args = resume ? ["train", "--resume", checkpoint, ...KERNELS, "--epochs", "100000", "--out", out] : fresh;
      if (resume) resumed++;
      const kill = round % 5 === 0 ? { afterStart: Math.floor(random() * 1500) } : { afterFirstLine: Math.floor(random() * (o.windowMs ?? 1500)) };
      const r = await runCli(o.cli, args, kill);
      if (!r.killed) {
        failures.push(`round ${round}: the run ended by itself (code ${r.code}): ${r.stderr.trim().split("\n").slice(0, 6).join(" / ")}`);
        if (failures.length >= 5) break;
        continue;
      }
      kills++;
      const names = readdirSafe(out);
      const temps = names.filter((n) => tempTarget(n) !== null);
      // What a killed run left must be gone once the next run held the lock (it did if it printed a line).
      const writes = temps.filter((n) => !n.startsWith(".latent.lock"));
      const stale = r.stdout ? writes.filter((n) => leftBefore.includes(n)) : [];
      if (stale.length) failures.push(`round ${round}: temporary files of an earlier run were not removed: ${stale.join(", ")}`);
      if (writes.length) killsInsideWrites++;
      leftBefore = writes;
      for (const name of names.filter((n) => n.endsWith(".safetensors"))) {
        modelFiles++;
        const parsed = modelFromSafetensors(new Uint8Array(readFileSync(join(out, name))));
        if (E.isRight(parsed)) modelFilesLoaded++;
        else failures.push(`round ${round}: ${name} does not load: ${parsed.left.message}`);
      }
      if (names.includes("metrics.jsonl")) {
        try {
          for (const line of readFileSync(join(out, "metrics.jsonl"), "utf8").split("\n").filter(Boolean)) JSON.parse(line);
        } catch (e) {
          failures.push(`round ${round}: metrics.jsonl does not parse: ${String(e)}`);
        }
      }
      log(`kill ${kills}: ${kill && "afterStart" in kill ? `${kill.afterStart} ms after the start` : `${kill.afterFirstLine} ms after the first line`}, ` +
        `${resume ? "resumed run" : "fresh run"}; files: ${names.filter((n) => !n.endsWith(".png")).join(" ")}`);
    }
    // The end: resume to completion, and compare with an uninterrupted run of as many epochs.
    const done = readdirSafe(out).includes("checkpoint.safetensors") ? epochsDoneIn(join(out, "checkpoint.safetensors")) : 0;
    const epochs = String(done + 1);
    const last = await runCli(o.cli, done > 0 ? ["train", "--resume", join(out, "checkpoint.safetensors"), ...KERNELS, "--epochs", epochs, "--out", out]
      : ["train", "--data", data, ...MODEL, ...KERNELS, "--epochs", epochs, "--out", out], null);
    if (last.code !== 0) failures.push(`the last run (to epoch ${epochs}) failed with code ${last.code}: ${last.stderr.trim()}`);
    const whole = await runCli(o.cli, ["train", "--data", data, ...MODEL, ...KERNELS, "--epochs", epochs, "--out", reference], null);
    if (whole.code !== 0) failures.push(`the uninterrupted run failed with code ${whole.code}: ${whole.stderr.trim()}`);
    const same = last.code === 0 && whole.code === 0 && paramBits(join(out, "model.safetensors")) === paramBits(join(reference, "model.safetensors"));
    if (last.code === 0 && whole.code === 0 && !same) failures.push(`after ${done} epochs with kills and one more, the model differs from an uninterrupted run's`);
    const leftovers = readdirSafe(out).filter((n) => tempTarget(n) !== null || n === ".latent.lock");
    if (leftovers.length) failures.push(`files left after the last run ended: ${leftovers.join(", ")}`);
    return { kills, killsInsideWrites, modelFiles, modelFilesLoaded, resumed, epochsDone: done, sameAsUninterrupted: same, failures, seconds: (performance.now() - t0) / 1000 };
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

function readdirSafe(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

if (process.argv[1]?.endsWith("soak-kill.js")) {
  const arg = (name: string, fallback: number) => {
    const i = process.argv.indexOf(`--${name}`);
    return i > 0 ? Number(process.argv[i + 1]) : fallback;
  };
  const i = process.argv.indexOf("--cli");
  const cli = i > 0 ? process.argv[i + 1]! : fileURLToPath(new URL("../src/cli/main.js", import.meta.url));
  const r = await killLoop({ cli, kills: arg("kills", 100), seed: arg("seed", 1), log: (l) => console.log(l) });
  console.log(`${r.kills} kills (${r.killsInsideWrites} inside a write), ${r.resumed} resumed runs, ${r.epochsDone} epochs done; ` +
    `model files loadable after the kills: ${r.modelFilesLoaded}/${r.modelFiles} (${((100 * r.modelFilesLoaded) / Math.max(r.modelFiles, 1)).toFixed(1)}%); ` +
    `final model ${r.sameAsUninterrupted ? "equals" : "DIFFERS from"} an uninterrupted run's; ${r.seconds.toFixed(0)} s`);
  for (const f of r.failures) console.log(`FAILURE: ${f}`);
  process.exitCode = r.failures.length ? 1 : 0;
}
