// The run folder's lock (src/cli/run-lock.ts) when a PID is reused or a file system misbehaves:
// the lock names the host, its boot and its PID namespace, so a lock of an earlier boot or of
// another PID namespace of this host (a restarted container) is stale, and so is one naming this
// very process but older than it; an old lock naming the bare host name is judged as before; the
// refusal says how to clear a lock left behind. A lock that cannot be read is taken over only when
// it is a few seconds old (it may be being written where there are no hard links); a link that
// reports EEXIST over our own lock (an NFS retry) holds it; a takeover guard already gone is no error.
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, describe, expect, it, vi } from "vitest";
import { LOCK_NAME, lockRunFolder } from "../../src/cli/run-lock.js";
import { UsageError } from "../../src/cli/args.js";

const faults = vi.hoisted(() => ({ linkThenEexist: "", guardGone: false }));
vi.mock("node:fs/promises", async (importOriginal) => {
  const fs = await importOriginal<typeof import("node:fs/promises")>();
  const error = (code: string) => Object.assign(new Error(`${code}: injected`), { code });
  return {
    ...fs,
    // An NFS client that retries a link whose reply was lost: the link is made, the retry says EEXIST.
    link: async (from: string, to: string) => {
      await fs.link(from, to);
      if (faults.linkThenEexist && to.endsWith(faults.linkThenEexist)) throw error("EEXIST");
    },
    // A guard that someone else removed first.
    unlink: async (path: string) => {
      await fs.unlink(path);
      if (faults.guardGone && path.endsWith(".takeover")) throw error("ENOENT");
    },
  };
});

const dir = mkdtempSync(join(tmpdir(), "latent-lock-reuse-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
afterEach(() => { faults.linkThenEexist = ""; faults.guardGone = false; });
let n = 0;
const folder = () => { const d = join(dir, `f${n++}`); mkdirSync(d); return d; };

const name = hostname().replace(/[\s/]+/g, "_") || "-";
const read = (f: () => string): string | null => { try { return f(); } catch { return null; } };
const boot = read(() => readFileSync("/proc/sys/kernel/random/boot_id", "utf8").trim());
const pidns = read(() => /\[(\d+)\]/.exec(readlinkSync("/proc/self/ns/pid"))?.[1] ?? "");
const linux = boot !== null && !!pidns;
const recent = () => new Date().toISOString();
const lockText = (pid: number, host: string, since = recent()) => `${pid} ${host} ${since} 0a1b\n`;
const ours = (d: string) => expect(readFileSync(join(d, LOCK_NAME), "utf8")).toMatch(new RegExp(`^${process.pid} `));

describe("a reused PID", () => {
  it.runIf(linux)("the lock names the host, its boot and its PID namespace", async () => {
    const d = folder();
    const lock = await lockRunFolder(d);
    expect(readFileSync(join(d, LOCK_NAME), "utf8").split(" ")[1]).toBe(`${name}/boot=${boot}/pidns=${pidns}`);
    await lock.release();
  });

  it.runIf(linux)("a lock of this host's earlier boot, or of another PID namespace, is stale though its PID runs", async () => {
    for (const host of [`${name}/boot=00000000-0000-0000-0000-000000000000/pidns=${pidns}`, `${name}/boot=${boot}/pidns=1`]) {
      const d = folder();
      writeFileSync(join(d, LOCK_NAME), lockText(process.pid, host));
      const lock = await lockRunFolder(d);
      ours(d);
      await lock.release();
    }
  });

  it("a lock naming this process but older than it is stale (a container restarted with the same PID)", async () => {
    const d = folder();
    writeFileSync(join(d, LOCK_NAME), lockText(process.pid, name, "2020-01-01T00:00:00.000Z"));
    const lock = await lockRunFolder(d);
    ours(d);
    await lock.release();
  });

  it("a lock naming the bare host name (an older latent) and a live PID is respected; the refusal says how to clear it", async () => {
    const d = folder();
    const text = lockText(process.pid, name);
    writeFileSync(join(d, LOCK_NAME), text);
    await expect(lockRunFolder(d)).rejects.toThrow(new UsageError(
      `--out ${d} is in use by another latent train (pid ${process.pid}, since ${text.split(" ")[2]}); wait for it to end or choose another folder; if no such run exists, delete ${join(d, LOCK_NAME)}`));
    writeFileSync(join(d, LOCK_NAME), lockText(1, "some-other-host/boot=x/pidns=1", "2026-01-01T00:00:00.000Z"));
    await expect(lockRunFolder(d)).rejects.toThrow(new UsageError(
      `--out ${d} is in use by another latent train (pid 1 on some-other-host, since 2026-01-01T00:00:00.000Z); wait for it to end or choose another folder; if no such run exists, delete ${join(d, LOCK_NAME)}`));
  });
});

describe("a lock that cannot be read", () => {
  it("is taken over when it is older than a few seconds", async () => {
    const d = folder();
    writeFileSync(join(d, LOCK_NAME), "");
    const old = new Date(Date.now() - 10_000);
    utimesSync(join(d, LOCK_NAME), old, old);
    const lock = await lockRunFolder(d);
    ours(d);
    await lock.release();
  });

  it("fresh, is waited for: refused if it stays unreadable, and judged once written", async () => {
    const d = folder();
    writeFileSync(join(d, LOCK_NAME), "");
    const t = performance.now();
    await expect(lockRunFolder(d)).rejects.toThrow(/^--out .* its lock .* cannot be read.*; if no such run exists, delete /);
    expect(performance.now() - t).toBeGreaterThan(500); // waited
    expect(readFileSync(join(d, LOCK_NAME), "utf8")).toBe(""); // not taken over
    // Written meanwhile (no hard links: created empty, then written) by a live run.
    const taking = lockRunFolder(d);
    setTimeout(() => writeFileSync(join(d, LOCK_NAME), lockText(process.pid, name)), 100);
    await expect(taking).rejects.toThrow(`is in use by another latent train (pid ${process.pid},`);
  });
});

describe("file systems", () => {
  it("a link that reports EEXIST over this run's own lock, or takeover guard, holds it", async () => {
    const d = folder();
    faults.linkThenEexist = LOCK_NAME;
    const lock = await lockRunFolder(d);
    ours(d);
    await lock.release();
    expect(existsSync(join(d, LOCK_NAME))).toBe(false);
    writeFileSync(join(d, LOCK_NAME), lockText(999_999_999, name, "2026-01-01T00:00:00.000Z")); // no such process
    faults.linkThenEexist = ".takeover";
    const again = await lockRunFolder(d);
    ours(d);
    await again.release();
    expect(readdirSync(d)).toEqual([]);
  });

  it("a takeover guard already gone is no error", async () => {
    const d = folder();
    writeFileSync(join(d, LOCK_NAME), lockText(999_999_999, name, "2026-01-01T00:00:00.000Z")); // no such process
    faults.guardGone = true;
    const lock = await lockRunFolder(d);
    ours(d);
    await lock.release();
  });
});
