/**
 * The lock of a run folder: one `latent train` writes into a folder at a time. The lock is the
 * file `.latent.lock` in the folder, holding "pid host start-time nonce" on one line. It is made
 * complete first (a temporary file) and then hard-linked to its name, which fails when the name
 * exists (EEXIST): creation is atomic and a lock file is never seen half-written (see `create`
 * for file systems without hard links).
 *
 * The host field names the machine as "hostname/boot=<boot id>/pidns=<PID namespace inode>" where
 * Linux's /proc tells them, else the bare hostname (also what older versions wrote, still read). A
 * lock of this hostname is stale when its boot or PID namespace (where both sides name one) differ
 * from this process's (an earlier boot, a restarted container: its process is gone, whatever runs
 * under that PID now); when it names this process's own PID but is older than this process (the
 * PID reused); or when `kill(pid, 0)` says ESRCH. A lock whose text is not a lock's is stale once
 * its file is UNREADABLE_STALE_MS old (younger, it may be one being written: see `create`).
 * A link that reports EEXIST over a file holding this run's own text (an NFS client retrying a
 * link whose reply was lost) made it: the lock or guard is held.
 *
 * Only the holder of the takeover guard `.latent.lock.takeover` (made the same way) removes a
 * stale lock, and only if the lock still holds the text that was found stale; nobody else
 * removes a dead run's lock, so between that check and the removal it cannot change. Then every
 * taker tries to make the lock again, and one wins. A guard left by a process killed in the
 * middle of a takeover is removed by the next taker that finds its process gone.
 * A lock of another hostname cannot be checked and counts as live; the refusal names the file to
 * delete if that run no longer exists. `release()` removes the lock if it is still this holder's;
 * a killed process leaves its lock, which the next run takes over.
 *
 * Holding the lock, the command also removes the temporary files that an atomic write of a killed
 * run left in the folder (`sweepTemporaryFiles`): no other writer of the folder's run files is alive.
 */
import { readFileSync, readlinkSync } from "node:fs";
import { link, readFile, readdir, stat, unlink, writeFile } from "node:fs/promises";
import { randomBytes } from "node:crypto";
import { hostname } from "node:os";
import { join } from "node:path";
import { FileWriteError, tempNameFor, tempTarget } from "../io/node/atomic-write.js";
import { UsageError } from "./args.js";

export const LOCK_NAME = ".latent.lock";

/** A held lock. */
export interface RunLock {
  readonly path: string;
  /** Removes the lock if it is still this holder's; never throws. */
  release(): Promise<void>;
}

interface Holder { readonly pid: number; readonly host: string; readonly since: string }

/** A lock whose text is not a lock's is taken over once its file is this old (ms). */
const UNREADABLE_STALE_MS = 5_000;
/** How long a taker waits for a younger unreadable lock to become readable before refusing (ms). */
const UNREADABLE_WAIT_MS = 1_000;
/** A lock naming this process's PID is stale if it is older than this process by more than this (ms): clock steps. */
const START_SLACK_MS = 1_000;

const code = (e: unknown): string | undefined => (e as { code?: string } | null)?.code;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** This process's host field: hostname, then the boot and the PID namespace where /proc names them. */
function readHostField(): string {
  const attempt = (f: () => string | undefined): string | undefined => { try { return f(); } catch { return undefined; } };
  const boot = attempt(() => readFileSync("/proc/sys/kernel/random/boot_id", "utf8").trim());
  const pidns = attempt(() => /\[(\d+)\]/.exec(readlinkSync("/proc/self/ns/pid"))?.[1]);
  let field = hostname().replace(/[\s/]+/g, "_") || "-";
  if (boot && /^[\w-]+$/.test(boot)) field += `/boot=${boot}`;
  if (pidns) field += `/pidns=${pidns}`;
  return field;
}
/** Read once, when this module loads: none of its parts changes while the process runs. */
const HOST = readHostField();
const host = (): string => HOST;

/** The hostname and the other parts (boot, pidns) of a host field. */
function parseHost(field: string): { name: string; parts: Map<string, string> } {
  const [name, ...rest] = field.split("/");
  return { name: name!, parts: new Map(rest.map((p) => [p.slice(0, p.indexOf("=")), p.slice(p.indexOf("=") + 1)])) };
}

function parseHolder(text: string): Holder | null {
  const m = /^(\d+) (\S+) (\S+) [0-9a-f]+\n$/.exec(text);
  return m ? { pid: Number(m[1]), host: m[2]!, since: m[3]! } : null;
}

/** Whether the holder may still be running: another hostname's cannot be checked, so it counts as live. */
function alive(h: Holder): boolean {
  const theirs = parseHost(h.host), mine = parseHost(host());
  if (theirs.name !== mine.name) return true;
  for (const [k, v] of theirs.parts) if (mine.parts.has(k) && mine.parts.get(k) !== v) return false; // earlier boot, other PID namespace
  if (h.pid === process.pid) return !(Date.parse(h.since) < Date.now() - process.uptime() * 1000 - START_SLACK_MS);
  try {
    process.kill(h.pid, 0);
    return true;
  } catch (e) {
    return code(e) !== "ESRCH";
  }
}

async function readText(path: string): Promise<string | null> {
  try {
    return await readFile(path, "utf8");
  } catch (e) {
    if (code(e) === "ENOENT") return null;
    throw e;
  }
}

/** The file system's failures as FileWriteError (one line, exit 2), a refusal as it is. */
async function typed<T>(path: string, what: string, body: () => Promise<T>): Promise<T> {
  try {
    return await body();
  } catch (e) {
    if (e instanceof UsageError || e instanceof FileWriteError) throw e;
    throw new FileWriteError(path, "prepare", `${what}: ${e instanceof Error ? e.message : String(e)}`, e);
  }
}

/**
 * Takes the lock of `dir` (which exists), or throws UsageError naming the run that holds it
 * (FileWriteError when the folder cannot be written).
 */
export function lockRunFolder(dir: string): Promise<RunLock> {
  return typed(join(dir, LOCK_NAME), "cannot take the run folder's lock", () => lock(dir));
}

async function lock(dir: string): Promise<RunLock> {
  const path = join(dir, LOCK_NAME);
  // The random tail tells apart two locks of one process made in the same millisecond.
  const mine = `${process.pid} ${host()} ${new Date().toISOString()} ${randomBytes(4).toString("hex")}\n`;
  const temp = join(dir, tempNameFor(LOCK_NAME));
  const held: RunLock = { path, release: () => releaseIfMine(path, mine) };
  await writeFile(temp, mine, { flag: "wx" });
  try {
    const clear = `; if no such run exists, delete ${path}`;
    let unreadableSince: number | null = null;
    for (let attempt = 0; attempt < 400; attempt++) {
      try {
        await create(temp, path, mine);
        return held;
      } catch (e) {
        if (code(e) !== "EEXIST") throw e;
      }
      const text = await readText(path);
      if (text === null) continue; // released meanwhile
      if (text === mine) return held; // made by this call: a link retried over NFS reports EEXIST
      const holder = parseHolder(text);
      if (holder && alive(holder)) {
        const on = parseHost(holder.host).name === parseHost(host()).name ? "" : ` on ${parseHost(holder.host).name}`;
        throw new UsageError(`--out ${dir} is in use by another latent train (pid ${holder.pid}${on}, since ${holder.since}); wait for it to end or choose another folder${clear}`);
      }
      if (!holder && !(await olderThan(path, UNREADABLE_STALE_MS))) {
        unreadableSince ??= Date.now();
        if (Date.now() - unreadableSince > UNREADABLE_WAIT_MS) {
          throw new UsageError(`--out ${dir}: its lock ${path} cannot be read (another latent train may be taking it); wait for it to end or choose another folder${clear}`);
        }
        await sleep(50);
        continue;
      }
      if (!(await takeOver(path, text, temp, mine))) await sleep(5); // another run is taking over
    }
    throw new UsageError(`--out ${dir}: could not take the lock ${path}, other runs keep taking it`);
  } finally {
    await unlink(temp).catch(() => undefined);
  }
}

/**
 * Makes the lock: a hard link to the complete temp file; where the file system has no hard links
 * (FAT, some network shares), an exclusive create (wx) and a write, whose brief empty state a
 * concurrent reader may take for a stale lock.
 */
async function create(temp: string, path: string, mine: string): Promise<void> {
  try {
    await link(temp, path);
  } catch (e) {
    if (!["EPERM", "ENOTSUP", "EOPNOTSUPP", "ENOSYS"].includes(code(e) ?? "")) throw e;
    await writeFile(path, mine, { flag: "wx" });
  }
}

/**
 * Removes the lock if it still holds `stale`, under the takeover guard (made from `temp`, which
 * holds this run's lock text `mine`); false when another run holds the guard.
 */
async function takeOver(path: string, stale: string, temp: string, mine: string): Promise<boolean> {
  const guard = `${path}.takeover`;
  try {
    await create(temp, guard, mine);
  } catch (e) {
    if (code(e) !== "EEXIST") throw e;
    const text = await readText(guard);
    if (text !== mine) {
      const holder = text === null ? null : parseHolder(text);
      // Killed while taking over (an unreadable guard: while writing it, where there are no hard links).
      if (holder ? !alive(holder) : text !== null && (await olderThan(guard, UNREADABLE_STALE_MS))) await unlink(guard).catch(() => undefined);
      return false;
    }
  }
  try {
    if ((await readText(path)) === stale) await unlinkIfThere(path);
  } finally {
    await unlinkIfThere(guard);
  }
  return true;
}

async function unlinkIfThere(path: string): Promise<void> {
  try {
    await unlink(path);
  } catch (e) {
    if (code(e) !== "ENOENT") throw e;
  }
}

/** Whether the file was last written more than `ms` ago (false when it is gone). */
async function olderThan(path: string, ms: number): Promise<boolean> {
  try {
    return Date.now() - (await stat(path)).mtimeMs > ms;
  } catch (e) {
    if (code(e) === "ENOENT") return false;
    throw e;
  }
}

async function releaseIfMine(path: string, mine: string): Promise<void> {
  try {
    if ((await readText(path)) === mine) await unlink(path);
  } catch {
    // The lock is advisory: a lock left behind is stale once this process ends.
  }
}

/**
 * Removes the temporary files that a killed run left in `dir`: those of atomic writes of run files
 * (*.safetensors, metrics.jsonl, *.png), and lock temp files and takeover guards whose process is
 * gone. Returns the names removed. Call with the lock held.
 */
export function sweepTemporaryFiles(dir: string): Promise<string[]> {
  return typed(dir, "cannot remove the temporary files a killed run left", () => sweep(dir));
}

async function sweep(dir: string): Promise<string[]> {
  const removed: string[] = [];
  for (const name of await readdir(dir)) {
    const target = name === `${LOCK_NAME}.takeover` ? name : tempTarget(name);
    if (target === null) continue;
    if (target.startsWith(LOCK_NAME)) {
      const holder = parseHolder((await readText(join(dir, name))) ?? "");
      if (!holder || alive(holder)) continue; // a live run's, or one being written
    } else if (!/(\.safetensors|\.png|^metrics\.jsonl)$/.test(target)) continue;
    try {
      await unlink(join(dir, name));
      removed.push(name);
    } catch (e) {
      if (code(e) !== "ENOENT") throw e;
    }
  }
  return removed;
}
