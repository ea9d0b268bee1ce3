/**
 * The fuzz harness's child process: loads the cases the parent has written, one at a time, and
 * answers with the outcome, the load's time and the process's RSS (now, and its peak during
 * the case). Building and writing the files is the parent's work, so the peak is the loaders'
 * alone. The peak is Linux's VmHWM, reset before each case (/proc/self/clear_refs, 5): not
 * resourceUsage().maxRSS, which Linux carries over from the parent across fork and exec, so
 * that a child of a large process (a test runner's worker) would report the parent's peak.
 * Elsewhere it falls back to maxRSS. A loader that throws, or returns a Left of another class, is answered as
 * a failure; a crash or a hang the parent sees for itself.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { load, type FormatName, type Outcome } from "./formats.js";

export interface CaseRequest { readonly format: FormatName; readonly seed: number; readonly index: number; readonly bomb?: number }
export interface LoadRequest { readonly format: FormatName; readonly dir: string }
export interface CaseReply {
  readonly status: "valid" | "refused" | "failure";
  readonly outcome?: Outcome;
  readonly failure?: string;
  readonly ms: number;
  readonly rss: number;
  readonly maxRss: number;
}

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

async function runCase(r: LoadRequest): Promise<CaseReply> {
  const windowed = resetPeak();
  const memory = () => ({ rss: process.memoryUsage().rss, maxRss: (windowed ? peakSinceReset() : null) ?? process.resourceUsage().maxRSS * 1024 });
  const t0 = performance.now();
  try {
    const outcome = await load(r.format, r.dir);
    return { status: outcome.kind, outcome, ms: performance.now() - t0, ...memory() };
  } catch (e) {
    return { status: "failure", failure: `uncaught: ${e instanceof Error ? e.stack ?? e.message : String(e)}`, ms: performance.now() - t0, ...memory() };
  }
}

process.on("message", (r: LoadRequest) => {
  void runCase(r).then((reply) => process.send!(reply));
});
