/**
 * Reproducibility checks: a computation gives the same bits when it runs again, and on any
 * number of threads. latent's results are bit-identical by construction (keys instead of hidden
 * random state, kernels cut so that every element is computed by one thread in the single-thread
 * order); these checks let a user's own layers, objectives and training loops show the same.
 *
 * An output is a number, an array of numbers (a typed array or a plain one), or an array of such
 * arrays (e.g. every parameter tensor's data); each is compared with expectSameBits. Outputs are
 * copied as soon as they are returned, so a function may return a live view of WebAssembly memory
 * that the next run overwrites.
 */
import type { Spawn } from "../parallel/pool.js";
import { startThreads } from "../parallel/start.js";
import type { CutSizes, ThreadedBackend } from "../parallel/threaded.js";
import type { Isa } from "../kernels/module.js";
import type { Runtime } from "../runtime/runtime.js";
import { CheckError } from "./check-error.js";
import { expectSameBits } from "./compare.js";

export type RunOutput = number | ArrayLike<number> | ReadonlyArray<ArrayLike<number>>;

export interface DeterministicOptions {
  /** How many times to run fn (default 2, at least 2); every run is compared with the first. */
  readonly runs?: number;
  /** A label that starts the report. */
  readonly what?: string;
}

/**
 * Runs fn `runs` times (default 2) and checks that every run returns the same bits as the first.
 * An async fn gives a Promise that rejects with the CheckError.
 */
export function expectDeterministic(fn: () => Promise<RunOutput>, options?: DeterministicOptions): Promise<void>;
export function expectDeterministic(fn: () => RunOutput, options?: DeterministicOptions): void;
export function expectDeterministic(fn: () => RunOutput | Promise<RunOutput>, options: DeterministicOptions = {}): void | Promise<void> {
  const runs = options.runs ?? 2;
  if (!Number.isInteger(runs) || runs < 2) throw new RangeError(`expectDeterministic: runs must be an integer >= 2, got ${runs}`);
  const label = (run: number) => `${options.what ? `${options.what}: ` : ""}run ${run + 1} of ${runs} against run 1`;
  const first = fn();
  if (isPromise(first)) {
    return (async () => {
      const expected = snapshot(await first);
      for (let r = 1; r < runs; r++) compareOutputs(snapshot(await fn()), expected, label(r));
    })();
  }
  const expected = snapshot(first);
  for (let r = 1; r < runs; r++) {
    const out = fn();
    if (isPromise(out)) throw new RangeError("expectDeterministic: fn returned a value once and a Promise later");
    compareOutputs(snapshot(out), expected, label(r));
  }
}

export interface AcrossThreadsOptions {
  /** Thread counts to run on (default [1, 2, 3]); every count is compared with the first. */
  readonly threads?: readonly number[];
  /** How to start a worker (in Node, nodeSpawn from latent/node; default: Web Workers where they exist). */
  readonly spawn?: Spawn;
  /** Kernel build (default: as startThreads). */
  readonly isa?: Isa | "auto";
  /** The runtime whose module a one-thread backend instantiates (default: the one init() made). */
  readonly runtime?: Runtime;
  /**
   * Sizes below which calls are not cut (default { minFlops: 0, minElements: 0 }: every cuttable
   * call is cut, so that small test inputs exercise the threads too; pass the library's defaults
   * to check a configuration as it runs in production).
   */
  readonly cutSizes?: Partial<CutSizes>;
  /**
   * Whether a pool that fell back to one thread (no SharedArrayBuffer, no way to start workers)
   * is accepted (default false: it would compare one thread with itself, so it is a CheckError
   * that gives the reason).
   */
  readonly allowFallback?: boolean;
  /** A label that starts the report. */
  readonly what?: string;
}

export interface AcrossThreadsSummary {
  /** The thread counts that ran (a count that fell back runs on 1). */
  readonly threads: readonly number[];
  /** Each run's ThreadedBackend.callsPerThread(): the cut calls each thread claimed. */
  readonly callsPerThread: readonly (readonly number[])[];
}

/**
 * Runs `run` on a ThreadedBackend with each thread count (startThreads; each pool is closed
 * afterwards, also when run throws) and checks that every count gives the bits of the first.
 */
export async function expectSameAcrossThreads(run: (backend: ThreadedBackend) => RunOutput | Promise<RunOutput>,
  options: AcrossThreadsOptions = {}): Promise<AcrossThreadsSummary> {
  const counts = options.threads ?? [1, 2, 3];
  if (counts.length < 2) throw new RangeError(`expectSameAcrossThreads: at least two thread counts are needed, got [${counts.join(", ")}]`);
  const what = options.what ? `${options.what}: ` : "";
  const ran: number[] = [], calls: number[][] = [];
  let expected: Snapshot | null = null;
  for (const threads of counts) {
    const backend = await startThreads({
      threads,
      cutSizes: options.cutSizes ?? { minFlops: 0, minElements: 0 },
      ...(options.spawn ? { spawn: options.spawn } : {}),
      ...(options.isa ? { isa: options.isa } : {}),
      ...(options.runtime ? { runtime: options.runtime } : {}),
    });
    let out: Snapshot;
    try {
      if (backend.threads !== threads && !options.allowFallback) {
        throw new CheckError(`${what}expectSameAcrossThreads: ${threads} threads were asked for but the pool runs on ${backend.threads}: `
          + `${backend.singleThreadReason ?? "no reason given"}`, { threads, started: backend.threads, reason: backend.singleThreadReason });
      }
      out = snapshot(await run(backend));
      ran.push(backend.threads);
      calls.push(backend.callsPerThread());
    } finally {
      backend.close();
    }
    if (expected === null) expected = out;
    else compareOutputs(out, expected, `${what}${threads} threads against ${counts[0]}`);
  }
  return { threads: ran, callsPerThread: calls };
}

/** A copy of an output: typed arrays keep their type (and so their bits), plain arrays become copies. */
type Snapshot = number | ArrayLike<number> | ArrayLike<number>[];

function snapshot(out: RunOutput): Snapshot {
  if (typeof out === "number") return out;
  if (isList(out)) return Array.from(out, copy);
  return copy(out as ArrayLike<number>);
}

function copy(x: ArrayLike<number>): ArrayLike<number> {
  if (ArrayBuffer.isView(x)) return (x as unknown as { slice(): ArrayLike<number> }).slice();
  return Array.from(x);
}

/** An array whose elements are arrays (an empty array counts as a list of none). */
function isList(out: RunOutput): out is ReadonlyArray<ArrayLike<number>> {
  return Array.isArray(out) && out.length > 0 && typeof out[0] !== "number";
}

function compareOutputs(actual: Snapshot, expected: Snapshot, what: string): void {
  const aList = Array.isArray(actual) && actual.length > 0 && typeof actual[0] !== "number";
  const eList = Array.isArray(expected) && expected.length > 0 && typeof expected[0] !== "number";
  if (aList && eList) {
    const a = actual as ArrayLike<number>[], e = expected as ArrayLike<number>[];
    if (a.length !== e.length) throw new CheckError(`${what}: ${a.length} outputs, expected ${e.length}`, { actualOutputs: a.length, expectedOutputs: e.length });
    for (let i = 0; i < e.length; i++) expectSameBits(a[i]!, e[i]!, { what: `${what}, output ${i}` });
    return;
  }
  if (aList !== eList) throw new CheckError(`${what}: one run returned a list of arrays and the other did not`);
  expectSameBits(actual as number | ArrayLike<number>, expected as number | ArrayLike<number>, { what });
}

function isPromise(x: unknown): x is Promise<RunOutput> {
  return typeof x === "object" && x !== null && typeof (x as { then?: unknown }).then === "function";
}
