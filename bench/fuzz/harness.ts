/**
 * The fuzz harness's parent: builds each case from (format, seed, index) and writes its files
 * into a fresh temporary folder, has a child process (./child.ts) load it under a time limit,
 * and counts the case as failed when the child answers "failure", dies, passes the time limit
 * or its peak RSS passes the memory bound; the child is then restarted (which also starts its
 * peak RSS afresh). Failed cases are written as JSON (format, seed, index, what was done) into
 * `saveTo`: rebuilt by buildCase, each becomes a regression case.
 */
import { fork, type ChildProcess } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { foldIn, key } from "../../src/random/index.js";
import { BOMBS } from "./bombs.js";
import type { CaseReply, CaseRequest, LoadRequest } from "./child.js";
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

class Child {
  private proc: ChildProcess;
  private stderr = "";
  constructor(path: string) {
    this.proc = fork(path, [], { stdio: ["ignore", "ignore", "pipe", "ipc"], serialization: "advanced" });
    this.proc.stderr!.on("data", (d: Buffer) => { this.stderr = (this.stderr + d.toString()).slice(-2000); });
  }
  /** The reply, or why there is none (the child then is dead or killed). */
  run(r: LoadRequest, timeoutMs: number): Promise<CaseReply | string> {
    return new Promise((resolve) => {
      const done = (v: CaseReply | string) => { clearTimeout(timer); this.proc.off("message", onMessage); this.proc.off("exit", onExit); resolve(v); };
      const onMessage = (m: CaseReply) => done(m);
      const onExit = (code: number | null, signal: string | null) => done(`crash: the child exited (code ${code}, signal ${signal}): ${this.stderr.trim().split("\n").slice(-3).join(" | ")}`);
      const timer = setTimeout(() => { this.kill(); done(`hang: no answer within ${timeoutMs} ms`); }, timeoutMs);
      this.proc.on("message", onMessage);
      this.proc.on("exit", onExit);
      this.proc.send(r);
    });
  }
  kill(): void { this.proc.kill("SIGKILL"); }
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
  try {
    for (const r of requests) {
      const built = buildCase(r, seed), what = built.what;
      const dir = writeCase(built.files);
      const bomb: { name: string; outcome?: Outcome } | undefined = r.bomb === undefined ? undefined : { name: BOMBS[o.format][r.bomb]!.name };
      if (bomb) bombs.push(bomb);
      const reply = await child.run({ format: o.format, dir }, timeoutMs).finally(() => rmSync(dir, { recursive: true, force: true }));
      if (typeof reply === "string") {
        fail(r, what, reply);
        child = new Child(o.childPath);
        continue;
      }
      if (bomb && reply.status !== "failure") bomb.outcome = reply.outcome!;
      if (reply.maxRss > maxRss) { maxRss = reply.maxRss; maxRssWhat = what; }
      if (reply.ms > slowest.ms) slowest = { ms: reply.ms, what };
      if (reply.status === "failure") fail(r, what, reply.failure!);
      else if (reply.maxRss > maxRssBytes) {
        fail(r, what, `memory: peak RSS ${(reply.maxRss / 2 ** 20).toFixed(0)} MiB, above the bound of ${(maxRssBytes / 2 ** 20).toFixed(0)} MiB`);
        child.kill();
        child = new Child(o.childPath);
      } else if (reply.status === "valid") valid++;
      else {
        refused++;
        const l = reply.outcome?.kind === "refused" ? reply.outcome.limit : undefined;
        if (l) limits[l] = (limits[l] ?? 0) + 1;
      }
    }
  } finally {
    child.kill();
  }
  return { format: o.format, cases: requests.length, valid, refused, failures, limits, slowest, bombs, maxRss, maxRssWhat, seconds: (performance.now() - t0) / 1000 };
}
