/**
 * The body of a kernel worker. It runs in a Web Worker or a Node worker thread from its source
 * text (`workerLoop.toString()`, wrapped by a spawner), so it is self-contained: it references
 * no import and nothing outside itself.
 *
 * Protocol. The first message is { module, memory, control, index, names }: the worker
 * instantiates the shared-memory kernel module on the shared memory, posts { ready: index } (or
 * { error }) and from then on only reads the control block (an Int32Array and a Float64Array
 * over one SharedArrayBuffer; the layout is `controlLayout` in pool.ts, repeated here):
 *   i32[0] generation: bumped by the host to start a round;  i32[1] done: calls finished;
 *   i32[2] stop;  i32[3] failed (1 + index of the first thread that threw);
 *   i32[4] next: the next call to claim;  i32[5] count: calls this round;
 *   f64[SLOT0 + c * SLOT .. ]: call c: [export number, argument count, arguments..., result];
 *   f64[errorAt ..]: the first failure's message, one char code per element, 0-terminated;
 *   f64[countAt]: the calls this worker has claimed, written by this worker alone.
 * In a round every thread, the host included, claims calls with Atomics.add on `next` until
 * none is left, counts each claim in its own counter, runs the call, stores its result and adds
 * 1 to `done` (whose Atomics.add publishes the count and the result to the host). So a worker
 * the scheduler has not run yet holds nobody up: the host takes its call. Between rounds a
 * worker spins for about `spinMs` milliseconds, then sleeps in Atomics.wait until the next
 * generation.
 */
export interface WorkerInit {
  readonly module: WebAssembly.Module;
  readonly memory: WebAssembly.Memory;
  readonly control: SharedArrayBuffer;
  readonly index: number;
  /** Kernel export names; the control block calls them by position. */
  readonly names: readonly string[];
  readonly spinMs: number;
  /** Where in the f64 view the failing worker writes its error message (char codes, ERROR_CHARS of them). */
  readonly errorAt: number;
  /** Where in the f64 view this worker counts the calls it claims (no other thread writes there). */
  readonly countAt: number;
}

export function workerLoop(post: (message: unknown) => void, listen: (handler: (message: unknown) => void) => void): void {
  const GEN = 0, DONE = 1, STOP = 2, FAILED = 3, NEXT = 4, COUNT = 5, SLOT0 = 4, SLOT = 24, MAX_ARGS = SLOT - 3, ERROR_CHARS = 256;
  listen((message) => {
    const init = message as WorkerInit;
    let fns: ((...args: number[]) => number | undefined)[];
    try {
      const instance = new WebAssembly.Instance(init.module, { env: { memory: init.memory } });
      const exports = instance.exports as Record<string, unknown>;
      if (typeof exports._start === "function") (exports._start as () => void)(); // static initialisers
      fns = init.names.map((name) => {
        const f = exports[name];
        if (typeof f !== "function") throw new Error(`the kernel module has no export ${name}`);
        return f as (...args: number[]) => number | undefined;
      });
    } catch (e) {
      post({ error: String(e) });
      return;
    }
    const i32 = new Int32Array(init.control);
    const f64 = new Float64Array(init.control);
    const args: number[] = [];
    let seen = Atomics.load(i32, GEN); // before "ready": the host's first round bumps it after
    post({ ready: init.index });
    for (;;) {
      // Spin a little (the next round usually comes within microseconds), then sleep.
      const start = performance.now();
      let spins = 0;
      while (Atomics.load(i32, GEN) === seen) {
        if (++spins % 1024 === 0 && performance.now() - start > init.spinMs) {
          Atomics.wait(i32, GEN, seen);
        }
      }
      seen = Atomics.load(i32, GEN);
      if (Atomics.load(i32, STOP) !== 0) return;
      for (;;) {
        const c = Atomics.add(i32, NEXT, 1);
        if (c >= Atomics.load(i32, COUNT)) break;
        f64[init.countAt] = f64[init.countAt]! + 1;
        const base = SLOT0 + c * SLOT;
        const n = Math.min(f64[base + 1]!, MAX_ARGS);
        args.length = n;
        for (let i = 0; i < n; i++) args[i] = f64[base + 2 + i]!;
        try {
          const r = fns[f64[base]!]!(...args);
          f64[base + SLOT - 1] = typeof r === "number" ? r : 0;
        } catch (e) {
          if (Atomics.compareExchange(i32, FAILED, 0, 1 + init.index) === 0) {
            const text = String(e).slice(0, ERROR_CHARS - 1);
            for (let i = 0; i < text.length; i++) f64[init.errorAt + i] = text.charCodeAt(i);
            f64[init.errorAt + text.length] = 0;
          }
        }
        Atomics.add(i32, DONE, 1);
        Atomics.notify(i32, DONE);
      }
    }
  });
}
