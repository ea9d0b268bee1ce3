/**
 * A pool of kernel workers over one shared WebAssembly.Memory. `run(calls)` publishes the calls
 * and then claims them itself alongside the workers (whoever comes first takes the next call),
 * so a worker that the scheduler has not run yet delays nothing: the host does its share. It
 * returns when every call is done, spinning briefly and then sleeping in Atomics.wait where
 * this thread may block (Node, workers), spinning only where it may not (a browser page).
 * A call is a kernel export and its arguments: the workers know nothing of the library, only
 * the module's exports by name (see worker-loop.ts for the control block).
 *
 * Every thread counts the calls it claims in a counter of its own in the control block (a plain
 * increment: no other thread writes it, and the host reads it only after the round's `done`), so
 * `callsPerThread()` shows how the work was shared, and a test can see that every worker ran.
 */
import type { KernelExports } from "../kernels/exports.js";
import { workerLoop, type WorkerInit } from "./worker-loop.js";

/** A started worker, whatever the runtime: see spawn-web.ts and node/spawn.ts. */
export interface WorkerHandle {
  postMessage(message: unknown): void;
  onMessage(handler: (message: unknown) => void): void;
  onError(handler: (error: unknown) => void): void;
  /** Where the runtime says when a worker ends (Node's "exit"); Web Workers have no such event. */
  onExit?(handler: (code: number) => void): void;
  terminate(): void;
}

/** Starts a worker that runs `loop(post, listen)` from the loop's source text. */
export type Spawn = (loopSource: string) => WorkerHandle;

export class WorkerError extends Error {
  override readonly name = "WorkerError";
}

/**
 * The control block's layout (repeated inside workerLoop, which may not import it). After the
 * call slots come the error text (ERROR_CHARS f64) and then one claimed-calls counter per thread,
 * COUNTER f64 apart (a cache line each, so that counting shares no line between threads).
 */
export const controlLayout = { GEN: 0, DONE: 1, STOP: 2, FAILED: 3, NEXT: 4, COUNT: 5, SLOT0: 4, SLOT: 24, ERROR_CHARS: 256, COUNTER: 8 } as const;
const { GEN, DONE, STOP, FAILED, NEXT, COUNT, SLOT0, SLOT, ERROR_CHARS, COUNTER } = controlLayout;
/** `next` between rounds: a claim that comes late from the last round fails. */
const CLOSED_ROUND = 1 << 30;
/** Spin this long for the last calls before sleeping (ms). */
const HOST_SPIN_MS = 0.05;
const MAX_ARGS = SLOT - 3;

export interface Call {
  readonly fn: keyof KernelExports & string;
  readonly args: readonly number[];
}

/** Calls one round may hold (at least; `threads` when more): a reduction hands out one call per block. */
export const MAX_CALLS = 64;

/**
 * A round in which no call has finished for this long is taken for a dead worker (default of
 * `stallMs`; see StallWatch): a worker that hangs in a call, or is terminated from outside while
 * it runs one, never reports it done, and this thread, blocked in the round, cannot hear of it
 * before (a worker that ends on its own may say so itself: node/spawn.ts).
 */
export const STALL_MS = 120_000;

export class Pool {
  private readonly i32: Int32Array;
  private readonly f64: Float64Array;
  private readonly index = new Map<string, number>();
  /** f64 index of thread 0's (the host's) claimed-calls counter; thread t's is COUNTER * t after it. */
  private readonly countersAt: number;
  private closed = false;
  private terminated = false;
  /** Why the pool cannot run: a worker that failed or ended, a stalled round, or close(). */
  private lost: string | null = null;
  private readonly watch: StallWatch;

  /** Calls one round may hold: max(threads, MAX_CALLS). */
  readonly slots: number;

  private constructor(
    readonly threads: number,
    private readonly workers: readonly WorkerHandle[],
    control: SharedArrayBuffer,
    private readonly host: KernelExports,
    names: readonly string[],
    private readonly stallMs: number,
  ) {
    this.slots = Math.max(threads, MAX_CALLS);
    this.i32 = new Int32Array(control);
    this.f64 = new Float64Array(control);
    this.countersAt = countersAt(this.slots);
    this.watch = new StallWatch(stallMs);
    names.forEach((n, i) => this.index.set(n, i));
    // A worker that fails or ends between rounds (any time but during a round, when this thread
    // is blocked) is heard of here, and the next round refuses to run on the pool.
    workers.forEach((w, i) => {
      const lose = (why: string) => { if (!this.terminated) this.lost ??= `kernel worker ${i + 1} ${why}`; };
      w.onError((e) => lose(`failed: ${String(e)}`));
      w.onExit?.((code) => lose(`ended (exit code ${code})`));
    });
  }

  /**
   * Starts threads - 1 workers on `module` (a shared-memory kernel module) and `memory`, the
   * host's own instance being `host`. Resolves when every worker has instantiated the module.
   * A round in which no call finishes for `stallMs` throws WorkerError and closes the pool.
   */
  static async start(threads: number, module: WebAssembly.Module, memory: WebAssembly.Memory, host: KernelExports,
    spawn: Spawn, spinMs = 0.5, stallMs = STALL_MS): Promise<Pool> {
    const names = WebAssembly.Module.exports(module).filter((e) => e.kind === "function").map((e) => e.name);
    const slots = Math.max(threads, MAX_CALLS);
    const errorAt = SLOT0 + slots * SLOT;
    const control = new SharedArrayBuffer(8 * (countersAt(slots) + threads * COUNTER));
    const source = workerLoop.toString();
    const workers: WorkerHandle[] = [];
    try {
      await Promise.all(Array.from({ length: threads - 1 }, (_, i) => new Promise<void>((resolve, reject) => {
        const w = spawn(source);
        workers.push(w);
        w.onError((e) => reject(new WorkerError(`kernel worker ${i + 1} failed to start: ${String(e)}`)));
        w.onMessage((m) => {
          const msg = m as { ready?: number; error?: string };
          if (msg.ready === i + 1) resolve();
          else if (msg.error !== undefined) reject(new WorkerError(`kernel worker ${i + 1}: ${msg.error}`));
        });
        const init: WorkerInit = { module, memory, control, index: i + 1, names, spinMs, errorAt,
          countAt: countersAt(slots) + (i + 1) * COUNTER };
        w.postMessage(init);
      })));
    } catch (e) {
      for (const w of workers) w.terminate();
      throw e;
    }
    return new Pool(threads, workers, control, host, names, stallMs);
  }

  /** Runs the calls (at most `slots`) on this thread and the workers, whoever is free taking the next; returns their results in order. */
  run(calls: readonly Call[]): number[] {
    if (this.lost !== null && !this.closed) this.fail(this.lost);
    if (this.closed) throw new WorkerError(`the thread pool is closed${this.lost === null ? "" : `: ${this.lost}`}`);
    const n = calls.length;
    if (n > this.slots) throw new WorkerError(`${n} calls in one round, more than its ${this.slots} slots`);
    const { i32, f64, countersAt: mine } = this;
    const fns: number[] = [];
    for (let c = 0; c < n; c++) {
      const call = calls[c]!;
      const fn = this.index.get(call.fn);
      if (fn === undefined) throw new WorkerError(`the kernel module has no export ${call.fn}`);
      if (call.args.length > MAX_ARGS) throw new WorkerError(`${call.fn}: more than ${MAX_ARGS} arguments`);
      const base = SLOT0 + c * SLOT;
      f64[base] = fn;
      f64[base + 1] = call.args.length;
      for (let i = 0; i < call.args.length; i++) f64[base + 2 + i] = call.args[i]!;
      fns.push(fn);
    }
    // Order matters: done and count before next opens the round (see CLOSED_ROUND).
    Atomics.store(i32, DONE, 0);
    Atomics.store(i32, COUNT, n);
    Atomics.store(i32, NEXT, 0);
    Atomics.add(i32, GEN, 1);
    Atomics.notify(i32, GEN);
    const results = new Array<number>(n).fill(0);
    let error: unknown = null;
    for (;;) {
      const c = Atomics.add(i32, NEXT, 1);
      if (c >= n) break;
      f64[mine] = f64[mine]! + 1;
      const call = calls[c]!;
      try {
        const r = (this.host[call.fn] as unknown as (...a: number[]) => number | undefined)(...call.args);
        results[c] = typeof r === "number" ? r : 0;
        f64[SLOT0 + c * SLOT + SLOT - 1] = results[c]!;
      } catch (e) { error ??= e; }
      Atomics.add(i32, DONE, 1);
    }
    this.waitDone(n);
    Atomics.store(i32, NEXT, CLOSED_ROUND);
    const failed = Atomics.load(i32, FAILED);
    if (failed !== 0) this.fail(`kernel worker ${failed - 1} failed: ${this.errorText()}`);
    if (error !== null) throw error;
    for (let c = 0; c < n; c++) results[c] = f64[SLOT0 + c * SLOT + SLOT - 1]!;
    return results;
  }

  /** Whether Atomics.wait may block this thread (not on a browser's main thread). */
  private static canWait: boolean | null = null;

  private waitDone(n: number): void {
    const { i32 } = this;
    let spins = 0;
    const start = performance.now();
    this.watch.start();
    for (;;) {
      const done = Atomics.load(i32, DONE);
      if (done >= n) return;
      if (++spins % 256 !== 0) continue;
      if (this.watch.stalled(done)) this.fail(`kernel workers made no progress in a round for ${this.stallMs / 1000} s (a worker ended or hangs)`);
      if (performance.now() - start > HOST_SPIN_MS && Pool.canWait !== false) {
        try {
          Atomics.wait(i32, DONE, done, 10);
          Pool.canWait = true;
        } catch {
          Pool.canWait = false;
        }
      }
    }
  }

  /** Closes the pool for good (its workers are terminated) and throws WorkerError saying why. */
  private fail(why: string): never {
    this.lost ??= why;
    this.close();
    throw new WorkerError(`${why}; the thread pool is closed`);
  }

  private errorText(): string {
    const at = SLOT0 + this.slots * SLOT;
    let s = "";
    for (let i = 0; i < ERROR_CHARS && this.f64[at + i] !== 0; i++) s += String.fromCharCode(this.f64[at + i]!);
    return s;
  }

  /**
   * Calls of the rounds so far (since the last reset) that each thread claimed and ran: the host
   * first, then worker 1, 2, ...; they add up to the calls that `run` was given.
   */
  callsPerThread(): number[] {
    return Array.from({ length: this.threads }, (_, t) => this.f64[this.countersAt + t * COUNTER]!);
  }

  /** Sets every thread's count to 0 (between rounds: no thread counts then). */
  resetCallsPerThread(): void {
    for (let t = 0; t < this.threads; t++) this.f64[this.countersAt + t * COUNTER] = 0;
  }

  /** Stops and terminates the workers; the pool cannot run again. */
  close(): void {
    if (this.terminated) return;
    this.terminated = this.closed = true;
    Atomics.store(this.i32, STOP, 1);
    Atomics.add(this.i32, GEN, 1);
    Atomics.notify(this.i32, GEN);
    for (const w of this.workers) w.terminate();
  }
}

/** Where the claimed-calls counters start (f64 index) in a control block of `slots` call slots. */
function countersAt(slots: number): number {
  const afterError = SLOT0 + slots * SLOT + ERROR_CHARS;
  return Math.ceil(afterError / COUNTER) * COUNTER;
}

/** The most of one gap between two checks that counts as stall time (ms). */
const MAX_GAP_MS = 1000;

/**
 * The stall check of a round: after start(), stalled(done) with the round's `done` count now and
 * then says whether no call has finished for more than `stallMs`. Only time without progress
 * counts, and at most MAX_GAP_MS of each gap between two checks, so a process that was stopped
 * (SIGSTOP, Ctrl-Z, a paused VM) and resumes, possibly before its workers, finds no stall.
 */
export class StallWatch {
  private last = 0;
  private lastDone = -1;
  private quiet = 0;
  constructor(private readonly stallMs: number, private readonly now: () => number = () => performance.now()) {}

  start(): void {
    this.last = this.now();
    this.lastDone = -1;
    this.quiet = 0;
  }

  stalled(done: number): boolean {
    const t = this.now();
    if (done !== this.lastDone) {
      this.lastDone = done;
      this.quiet = 0;
    } else this.quiet += Math.min(t - this.last, MAX_GAP_MS);
    this.last = t;
    return this.quiet > this.stallMs;
  }
}
