/**
 * The loop of the fuzz harness's child process (./child.ts runs it with the project's loaders;
 * a test runs it with one of its own): it loads the cases the parent sends, one at a time, and
 * answers each with the outcome, the load's time and the process's RSS (now, and its peak during
 * the case). Building and writing the files is the parent's work, so the peak is the loaders'
 * alone. The peak is Linux's VmHWM, reset before each case (/proc/self/clear_refs, 5): not
 * resourceUsage().maxRSS, which Linux carries over from the parent across fork and exec, so
 * that a child of a large process (a test runner's worker) would report the parent's peak.
 * Elsewhere it falls back to maxRSS.
 *
 * Protocol: each request carries a sequence number `seq`; the child first says { started: seq }
 * (so a death before that is not the new case's doing: see harness.ts), then answers once with a
 * CaseReply of that seq. A loader that throws, or returns a Left of another class, is answered as
 * a failure. A promise rejection nobody handles is a failure of the case last received: its
 * answer if not yet given, else a LateFailure of its seq. A crash or a hang the parent sees itself.
 */
import { readFileSync, writeFileSync } from "node:fs";
import type { FormatName, Outcome } from "./formats.js";

export interface CaseRequest { readonly format: FormatName; readonly seed: number; readonly index: number; readonly bomb?: number }
export interface LoadRequest { readonly format: FormatName; readonly dir: string; readonly seq: number }
export interface CaseReply {
  readonly seq: number;
  readonly status: "valid" | "refused" | "failure";
  readonly outcome?: Outcome;
  readonly failure?: string;
  readonly ms: number;
  readonly rss: number;
  readonly maxRss: number;
}
/** A failure of a case already answered (an unhandled rejection after its answer). */
export interface LateFailure { readonly late: number; readonly failure: string }
export interface Started { readonly started: number }
export type ChildMessage = CaseReply | LateFailure | Started;

export type Loader = (format: FormatName, dir: string) => Promise<Outcome>;

/** Starts a new peak-RSS window; false where /proc has no clear_refs. */
function resetPeak(): boolean {
  try {
    writeFileSync("/proc/self/clear_refs", "5");
    return true;
  } catch {
    return false;
  }
}

/** The peak RSS since the last reset, bytes (VmHWM), or null where /proc has none. */
function peakSinceReset(): number | null {
  try {
    const m = /^VmHWM:\s+(\d+) kB$/m.exec(readFileSync("/proc/self/status", "utf8"));
    return m ? Number(m[1]) * 1024 : null;
  } catch {
    return null;
  }
}

const describe = (e: unknown) => (e instanceof Error ? e.stack ?? e.message : String(e));

/** Serves the parent's requests with `load` until the parent disconnects. */
export function serve(load: Loader): void {
  let current: { seq: number; answered: boolean; t0: number; windowed: boolean } | null = null;
  const memory = (windowed: boolean) => ({ rss: process.memoryUsage().rss, maxRss: (windowed ? peakSinceReset() : null) ?? process.resourceUsage().maxRSS * 1024 });
  const send = (m: ChildMessage) => { if (process.connected) process.send!(m); };
  const answer = (c: NonNullable<typeof current>, reply: Omit<CaseReply, "seq" | "ms" | "rss" | "maxRss">) => {
    if (c.answered) return;
    c.answered = true;
    send({ seq: c.seq, ...reply, ms: performance.now() - c.t0, ...memory(c.windowed) });
  };
  process.on("unhandledRejection", (e) => {
    const failure = `unhandled rejection: ${describe(e)}`;
    if (current && !current.answered) answer(current, { status: "failure", failure });
    else if (current) send({ late: current.seq, failure });
  });
  process.on("message", (r: LoadRequest) => {
    send({ started: r.seq });
    const c = { seq: r.seq, answered: false, t0: 0, windowed: resetPeak() };
    current = c;
    c.t0 = performance.now();
    load(r.format, r.dir).then(
      (outcome) => answer(c, { status: outcome.kind, outcome }),
      (e: unknown) => answer(c, { status: "failure", failure: `uncaught: ${describe(e)}` }),
    );
  });
}
