/**
 * The lock of a run folder: one `latent train` writes into a folder at a time. The lock is the
 * file `.latent.lock` in the folder, holding "pid host start-time nonce" on one line. It is made
 * complete first (a temporary file) and then hard-linked to its name, which fails when the name
 * exists (EEXIST): creation is atomic and a lock file is never seen half-written (see `create`
 * for file systems without hard links).
 *
 * A lock whose process is gone (same host, `kill(pid, 0)` says ESRCH) or whose text is not a
 * lock's is stale. Only the holder of the takeover guard `.latent.lock.takeover` (made the same
 * way) removes a stale lock, and only if the lock still holds the text that was found stale;
 * nobody else removes a dead run's lock, so between that check and the removal it cannot change.
 * Then every taker tries to make the lock again, and one wins. A guard left by a process killed
 * in the middle of a takeover is removed by the next taker that finds its process gone.
 * A lock of another host cannot be checked and counts as live. `release()` removes the lock if it
 * is still this holder's; a killed process leaves its lock, which the next run takes over.
 *
 * Holding the lock, the command also removes the temporary files that an atomic write of a killed
 * run left in the folder (`sweepTemporaryFiles`): no other writer of the folder's run files is alive.
 */
import { link, readFile, readdir, unlink, writeFile } from "node:fs/promises";
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

const code = (e: unknown): string | undefined => (e as { code?: string } | null)?.code;
const host = (): string => hostname().replace(/\s+/g, "_") || "-";

function parseHolder(text: string): Holder | null {
  const m = /^(\d+) (\S+) (\S+) [0-9a-f]+\n$/.exec(text);
  return m ? { pid: Number(m[1]), host: m[2]!, since: m[3]! } : null;
}

/** Whether the holder may still be running: another host's cannot be checked, so it counts as live. */
function alive(h: Holder): boolean {
  if (h.host !== host()) return true;
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
  await writeFile(temp, mine, { flag: "wx" });
  try {
    for (let attempt = 0; attempt < 200; attempt++) {
      try {
        await create(temp, path, mine);
        return { path, release: () => releaseIfMine(path, mine) };
      } catch (e) {
        if (code(e) !== "EEXIST") throw e;
      }
      const text = await readText(path);
      if (text === null) continue; // released meanwhile
      const holder = parseHolder(text);
      if (holder && alive(holder)) {
        throw new UsageError(`--out ${dir} is in use by another latent train (pid ${holder.pid}${holder.host === host() ? "" : ` on ${holder.host}`}, since ${holder.since}); wait for it to end or choose another folder`);
      }
      if (!(await takeOver(path, text, temp, mine))) await new Promise((r) => setTimeout(r, 5)); // another run is taking over
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
    const holder = text === null ? null : parseHolder(text);
    if (holder && !alive(holder)) await unlink(guard).catch(() => undefined); // killed while taking over
    return false;
  }
  try {
    if ((await readText(path)) === stale) await unlink(path).catch((e: unknown) => { if (code(e) !== "ENOENT") throw e; });
  } finally {
    await unlink(guard);
  }
  return true;
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
