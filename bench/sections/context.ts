// What every section of bench/run.ts is given: the parsed flags, the module builds measured
// ("variants"), the thread pools, the TF.js peer, progress on stderr and the statistics helpers.
// Sections hold no module-level state: everything they share travels in a BenchContext.
import * as E from "fp-ts/lib/Either.js";
import { instantiateSync, type Isa } from "../../src/kernels/module.js";
import type { KernelExports } from "../../src/kernels/exports.js";
import { WasmBackend } from "../../src/backend/wasm.js";
import type { ThreadedBackend } from "../../src/parallel/index.js";
import type { TfPeer } from "../tfjs.js";

/** One build of the kernel module: this build's simd, relaxed, scalar, or a --baseline module. */
export interface Variant { name: string; isa: Isa; bytes: Uint8Array; fused: boolean }

/** A rate over timed runs: their median and the best run (the closer estimate of the idle figure). */
export type Stat = { median: number; best: number };

export const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;
export const best = (xs: number[]) => Math.max(...xs);
export const stat = (xs: number[]): Stat => ({ median: median(xs), best: best(xs) });

/** The f32 bits of two arrays are equal. */
export function sameBits(a: Float32Array, b: Float32Array): boolean {
  const x = new Uint32Array(a.buffer, a.byteOffset, a.length), y = new Uint32Array(b.buffer, b.byteOffset, b.length);
  return x.length === y.length && x.every((v, i) => v === y[i]);
}

/** The raw exports of a fresh instance of a variant's module. */
export function loadModule(v: Variant): KernelExports {
  const loaded = instantiateSync(v.bytes, { isa: v.isa });
  if (E.isLeft(loaded)) throw loaded.left;
  return loaded.right.exports;
}

/** A backend on a fresh instance of a variant's module (its own memory). */
export function wasmBackendOf(v: Variant): WasmBackend {
  const loaded = instantiateSync(v.bytes, { isa: v.isa });
  if (E.isLeft(loaded)) throw loaded.left;
  return new WasmBackend(loaded.right);
}

export interface Progress {
  /** Writes to stderr (nothing with --json). */
  log(s: string): void;
  /** Starts a section: its name, then a dot per round (log(".")), then end() prints its seconds. */
  begin(name: string): void;
  end(): void;
  /** This process's peak resident set (MB; maxRSS is in KiB) at the end of each section. */
  readonly rssBySection: Record<string, number>;
}

/** Progress on stderr, its clock and the peak RSS by section held in the returned object. */
export function progress(quiet: boolean): Progress {
  const log = (s: string) => { if (!quiet) process.stderr.write(s); };
  let sectionStart = 0, sectionName = "";
  const rssBySection: Record<string, number> = {};
  return {
    log,
    rssBySection,
    begin: (name) => { sectionStart = performance.now(); sectionName = name; log(`${name} `); },
    end: () => {
      const rss = process.resourceUsage().maxRSS / 1024;
      rssBySection[sectionName] = rss;
      log(` ${((performance.now() - sectionStart) / 1000).toFixed(1)} s (peak RSS so far ${rss.toFixed(0)} MB)\n`);
    },
  };
}

export interface Pool { isa: "simd" | "relaxed"; be: ThreadedBackend }

export interface BenchContext extends Progress {
  readonly json: boolean;
  readonly quick: boolean;
  /** --baseline DIR, when given. */
  readonly baseline: string | undefined;
  /** T: the thread count of the pools. */
  readonly threads: number;
  /** The suffix of the figures on T threads, e.g. "x2"; and the ratio's name, "2 threads / 1 thread". */
  readonly xT: string;
  readonly perOne: string;
  readonly variants: readonly Variant[];
  readonly simdVariant: Variant;
  readonly relaxedVariant: Variant | null;
  /** One pool of T threads per SIMD build, started before any timing (idle workers sleep). */
  readonly pools: readonly Pool[];
  poolOf(isa: Isa): ThreadedBackend | null;
  /** TF.js, loaded before any timing; null with --no-tfjs or when it failed to load. */
  readonly tf: TfPeer | null;
}
