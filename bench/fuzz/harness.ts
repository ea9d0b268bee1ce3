/**
 * The fuzz harness's parent: builds each case from (format, seed, index) and writes its files
 * into a fresh temporary folder, has a child process (./child.ts, protocol in ./serve.ts) load it
 * under a time limit, and counts the case as failed when the child answers "failure", dies,
 * passes the time limit or its peak RSS passes the memory bound; the child is then restarted
 * (which also starts its peak RSS afresh). A death before the child said it started a case
 * (between cases, or with the request in flight), and a failure the child reports late, count
 * against the case it answered before, and the case it had not started runs again on a new
 * child. Failed cases are written as JSON (format, seed, index, what was done) into `saveTo`:
 * rebuilt by buildCase, each becomes a regression case.
 */
import { fork, type ChildProcess } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { foldIn, key } from "../../src/random/index.js";
import { BOMBS } from "./bombs.js";
import type { CaseReply, CaseRequest, ChildMessage, LoadRequest } from "./serve.js";
import { FORMATS, mutateCase, seedOf, type FormatName, type Outcome } from "./formats.js";
import { Draw } from "./mutate.js";
import type { Files } from "./seeds.js";

export interface FuzzOptions {
  readonly format: FormatName;
  /** Mutated cases (the format's bombs run first, unless `bombs` is false). */
  readonly n: number;
  readonly seed: number;
  readonly childPath: string;
  readonly bombs?: boolean;
  /** Per-case time limit of a load, ms; default 10,000. */
  readonly timeoutMs?: number;
  /** Peak RSS bound of the child, bytes; default 512 MiB. */
  readonly maxRssBytes?: number;
  /** Folder for failed cases; none written when absent. */
  readonly saveTo?: string;
}

export interface Failure { readonly request: CaseRequest; readonly what: string; readonly reason: string }

export interface FuzzSummary {
  readonly format: FormatName;
  readonly cases: number;
  readonly valid: number;
  readonly refused: number;
  readonly failures: Failure[];
  /** Refusals by the limit they name. */
  readonly limits: Record<string, number>;
  readonly slowest: { readonly ms: number; readonly what: string };
  readonly maxRss: number;
  /** What each bomb ended in (absent for a bomb that failed). */
  readonly bombs: { readonly name: string; readonly outcome?: Outcome }[];
  /** The case after which the peak RSS was first seen. */
  readonly maxRssWhat: string;
  readonly seconds: number;
}

export const DEFAULT_MAX_RSS = 512 * 2 ** 20;

/** The files of a case and what was done to the seed: the same for the same request. */
export function buildCase(r: CaseRequest, seed: Files = seedOf(r.format)): { files: Files; what: string } {
  if (r.bomb !== undefined) {
    const b = BOMBS[r.format][r.bomb]!;
    return { files: b.make(seed), what: `bomb: ${b.name}` };
  }
  return mutateCase(r.format, seed, new Draw(foldIn(foldIn(key(r.seed), FORMATS.indexOf(r.format)), r.index)));
}

/** Writes a case's files into a fresh temporary folder. */
export function writeCase(files: Files): string {
  const dir = mkdtempSync(join(tmpdir(), "latent-fuzz-"));
  for (const [name, bytes] of files) {
    mkdirSync(dirname(join(dir, name)), { recursive: true });
    writeFileSync(join(dir, name), bytes);
  }
  return dir;
}

/** Why a request got no answer: `before` when the child ended before it started the case. */
interface NoAnswer { readonly reason: string; readonly before: boolean }

class Child {
  private readonly proc: ChildProcess;
  private stderr = "";
  private seq = 0;
  private pending: { readonly seq: number; started: boolean; readonly settle: (v: CaseReply | NoAnswer) => void } | null = null;
  private killed = false;
  /** The request answered or given up last: a death outside a request is its doing. */
  lastSeq = 0;
  /** Failures of answered cases (by request), seen after their answer (a late report, the child's end); taken by takeLate. */
  private late: { readonly seq: number; readonly reason: string }[] = [];
  constructor(path: string) {
    this.proc = fork(path, [], { stdio: ["ignore", "ignore", "pipe", "ipc"], serialization: "advanced" });
    this.proc.stderr!.on("data", (d: Buffer) => { this.stderr = (this.stderr + d.toString()).slice(-2000); });
    this.proc.on("message", (m: ChildMessage) => {
      const p = this.pending;
      if ("started" in m) { if (p && m.started === p.seq) p.started = true; }
      else if ("late" in m) this.late.push({ seq: m.late, reason: m.failure });
      else if (p && m.seq === p.seq) p.settle(m);
    });
    this.proc.on("exit", () => this.ended(this.exitReason()));
    // Sending on a channel that closed meanwhile (ERR_IPC_CHANNEL_CLOSED, EPIPE): the exit, or the time limit, follows.
    this.proc.on("error", () => undefined);
  }
  private exitReason(): string {
    return `crash: the child exited (code ${this.proc.exitCode}, signal ${this.proc.signalCode}): ${this.stderr.trim().split("\n").slice(-3).join(" | ")}`;
  }
  private ended(reason: string): void {
    if (this.killed) return;
    const p = this.pending;
    if (p) p.settle({ reason, before: !p.started });
    else this.late.push({ seq: this.lastSeq, reason });
  }
  private get exited(): boolean { return this.proc.exitCode !== null || this.proc.signalCode !== null; }
  /** The failures of answered cases seen since the last call. */
  takeLate(): { readonly seq: number; readonly reason: string }[] { const l = this.late; this.late = []; return l; }
  /**
   * The reply, or why there is none (the child then is dead or killed). A child that has ended,
   * or whose channel has closed (its exit then comes soon), is not sent the request.
   */
  run(r: Omit<LoadRequest, "seq">, timeoutMs: number): Promise<CaseReply | NoAnswer> {
    const seq = ++this.seq;
    if (this.killed || this.exited) { this.lastSeq = seq; return Promise.resolve({ reason: this.exitReason(), before: true }); }
    const open = this.proc.connected;
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.kill();
        settle(open ? { reason: `hang: no answer within ${timeoutMs} ms`, before: false } : { reason: "crash: the child closed its channel", before: true });
      }, open ? timeoutMs : Math.min(timeoutMs, 1000));
      const settle = (v: CaseReply | NoAnswer) => { clearTimeout(timer); this.pending = null; this.lastSeq = seq; resolve(v); };
      this.pending = { seq, started: false, settle };
      if (open) this.proc.send({ ...r, seq });
    });
  }
  kill(): void { this.killed = true; this.proc.kill("SIGKILL"); }
}

export async function runFuzz(o: FuzzOptions): Promise<FuzzSummary> {
  const timeoutMs = o.timeoutMs ?? 10_000, maxRssBytes = o.maxRssBytes ?? DEFAULT_MAX_RSS;
  const t0 = performance.now();
  const requests: CaseRequest[] = [
    ...(o.bombs === false ? [] : BOMBS[o.format].map((_, b) => ({ format: o.format, seed: o.seed, index: -1 - b, bomb: b }))),
    ...Array.from({ length: o.n }, (_, index) => ({ format: o.format, seed: o.seed, index })),
  ];
  let child = new Child(o.childPath);
  let valid = 0, refused = 0, maxRss = 0, maxRssWhat = "";
  let slowest = { ms: 0, what: "" };
  const failures: Failure[] = [], limits: Record<string, number> = {};
  const bombs: { name: string; outcome?: Outcome }[] = [];
  const fail = (request: CaseRequest, what: string, reason: string) => {
    failures.push({ request, what, reason });
    if (o.saveTo) {
      mkdirSync(o.saveTo, { recursive: true });
      const name = request.bomb !== undefined ? `bomb-${request.bomb}` : `case-${request.index}`;
      writeFileSync(join(o.saveTo, `${o.format}-seed${o.seed}-${name}.json`), `${JSON.stringify({ ...request, what, reason }, null, 2)}\n`);
    }
  };
  const seed = seedOf(o.format);
  /** The cases this child answered last, by request: failures seen after an answer belong to its case. */
  const answered = new Map<number, { r: CaseRequest; what: string }>();
  const failLate = (seq: number, reason: string) => {
    const c = answered.get(seq);
    if (c && !failures.some((f) => f.request === c.r)) fail(c.r, c.what, reason);
  };
  const restart = () => { child.kill(); child = new Child(o.childPath); answered.clear(); };
  /** Charges the failures reported or seen after an answer to its case. */
  const settleLate = (): void => { for (const l of child.takeLate()) failLate(l.seq, l.reason); };
  try {
    for (const r of requests) {
      const built = buildCase(r, seed), what = built.what;
      const dir = writeCase(built.files);
      const bomb: { name: string; outcome?: Outcome } | undefined = r.bomb === undefined ? undefined : { name: BOMBS[o.format][r.bomb]!.name };
      if (bomb) bombs.push(bomb);
      let reply: CaseReply | NoAnswer;
      try {
        await new Promise((resolve) => setImmediate(resolve)); // hear of a child that ended since its last answer
        settleLate();
        reply = await child.run({ format: o.format, dir }, timeoutMs);
        // Ended before it started this case: the previous case's doing; this one runs again on a new child.
        if (!("status" in reply) && reply.before && answered.has(child.lastSeq - 1)) {
          settleLate();
          failLate(child.lastSeq - 1, reply.reason);
          restart();
          reply = await child.run({ format: o.format, dir }, timeoutMs);
        }
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
      if (!("status" in reply)) {
        settleLate();
        fail(r, what, reply.reason);
        restart();
        continue;
      }
      // A late report comes before the next answer, maybe in the same read: settle with both known.
      answered.set(reply.seq, { r, what });
      settleLate();
      answered.delete(reply.seq - 1);
      if (bomb && reply.status !== "failure") bomb.outcome = reply.outcome!;
      if (reply.maxRss > maxRss) { maxRss = reply.maxRss; maxRssWhat = what; }
      if (reply.ms > slowest.ms) slowest = { ms: reply.ms, what };
      if (reply.status === "failure") fail(r, what, reply.failure!);
      else if (reply.maxRss > maxRssBytes) {
        fail(r, what, `memory: peak RSS ${(reply.maxRss / 2 ** 20).toFixed(0)} MiB, above the bound of ${(maxRssBytes / 2 ** 20).toFixed(0)} MiB`);
        restart();
      } else if (reply.status === "valid") valid++;
      else {
        refused++;
        const l = reply.outcome?.kind === "refused" ? reply.outcome.limit : undefined;
        if (l) limits[l] = (limits[l] ?? 0) + 1;
      }
    }
    await new Promise((resolve) => setTimeout(resolve, 20)); // a failure just after the last answer
    settleLate();
  } finally {
    child.kill();
  }
  return { format: o.format, cases: requests.length, valid, refused, failures, limits, slowest, bombs, maxRss, maxRssWhat, seconds: (performance.now() - t0) / 1000 };
}
