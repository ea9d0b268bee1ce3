// One `latent train` per run folder (src/cli/run-lock.ts): a second run on the same --out, in
// another process or in this one, refuses with one line and exit 2 while the first completes; the
// lock of a killed run does not block the next; a lock of another host or a live process is
// respected, one that is not a lock is taken over once a few seconds old; the sweep removes only temporary files of run
// files and dead runs' lock files.
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { writeIdxFolder } from "../../bench/soak-kill.js";
import { FileWriteError, tempNameFor } from "../../src/io/node/atomic-write.js";
import { LOCK_NAME, lockRunFolder, sweepTemporaryFiles } from "../../src/cli/run-lock.js";
import { UsageError } from "../../src/cli/args.js";
import { latent, modelFile } from "../cli/support.js";
import { bundledCli } from "./cli-child.js";

const dir = mkdtempSync(join(tmpdir(), "latent-lock-"));
const data = join(dir, "data");
const tiny = ["--data", data, "--hidden", "32", "--latent", "2", "--batch", "32", "--isa", "simd", "--threads", "1"];
let cli = "";

beforeAll(async () => {
  writeIdxFolder(data);
  cli = await bundledCli("run-lock");
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
  if (cli) rmSync(cli, { force: true });
});

interface Child { readonly pid: number; readonly firstLine: Promise<void>; readonly done: Promise<{ code: number | null; signal: string | null; stderr: string }>; kill(): void }

function start(args: readonly string[]): Child {
  const child = spawn(process.execPath, [cli, ...args], { stdio: ["ignore", "pipe", "pipe"] });
  let stderr = "";
  child.stderr.on("data", (b: Buffer) => { stderr += b.toString(); });
  const firstLine = new Promise<void>((resolve, reject) => {
    child.stdout.once("data", () => resolve());
    child.once("close", () => reject(new Error(`the run ended before its first line: ${stderr}`)));
  });
  firstLine.catch(() => undefined);
  const done = new Promise<{ code: number | null; signal: string | null; stderr: string }>((resolve) => {
    child.on("close", (code, signal) => resolve({ code, signal, stderr }));
  });
  return { pid: child.pid!, firstLine, done, kill: () => { child.kill("SIGKILL"); } };
}

describe("two runs on one folder", () => {
  it("the second, in another process, refuses with one line and exit 2; the first completes", async () => {
    const out = join(dir, "shared");
    const first = start(["train", ...tiny, "--epochs", "120", "--out", out]); // ~10 s; the second refuses within ~1 s of its start
    await first.firstLine; // the first line comes after the lock is taken
    const second = start(["train", ...tiny, "--epochs", "2", "--out", out]);
    const refused = await second.done;
    expect(refused.code).toBe(2);
    expect(refused.stderr.trim().split("\n")).toEqual([
      expect.stringMatching(new RegExp(`^latent: --out ${out} is in use by another latent train \\(pid ${first.pid}, since .*\\); wait for it to end or choose another folder; if no such run exists, delete ${join(out, LOCK_NAME)}$`)),
    ]);
    const ended = await first.done;
    expect([ended.code, ended.stderr]).toEqual([0, ""]);
    expect(modelFile(join(out, "model.safetensors")).training.epochsDone).toBe(120);
    expect(existsSync(join(out, LOCK_NAME))).toBe(false);
  }, 60_000);

  it("in this process: of two at once, one refuses and the other completes", async () => {
    const out = join(dir, "same-process");
    const [a, b] = await Promise.all([latent("train", ...tiny, "--epochs", "3", "--out", out), latent("train", ...tiny, "--epochs", "3", "--out", out)]);
    expect([a.code, b.code].sort()).toEqual([0, 2]);
    const refused = a.code === 2 ? a : b;
    expect(refused.err).toEqual([expect.stringMatching(new RegExp(`is in use by another latent train \\(pid ${process.pid},`))]);
    expect(existsSync(join(out, LOCK_NAME))).toBe(false);
  });

  it("the lock of a killed run does not block the next run", async () => {
    const out = join(dir, "killed");
    const victim = start(["train", ...tiny, "--epochs", "100000", "--out", out]);
    await victim.firstLine;
    victim.kill();
    expect((await victim.done).signal).toBe("SIGKILL");
    expect(readFileSync(join(out, LOCK_NAME), "utf8")).toMatch(new RegExp(`^${victim.pid} `));
    const next = await latent("train", ...tiny, "--epochs", "2", "--out", out);
    expect([next.code, next.err]).toEqual([0, []]);
    expect(existsSync(join(out, LOCK_NAME))).toBe(false);
  }, 60_000);
});

describe("lockRunFolder", () => {
  const folder = (name: string) => { const d = join(dir, name); mkdirSync(d, { recursive: true }); return d; };

  it("refuses a live holder (this process), and a holder on another host; release frees the folder", async () => {
    const d = folder("live");
    const lock = await lockRunFolder(d);
    await expect(lockRunFolder(d)).rejects.toThrow(UsageError);
    await lock.release();
    expect(existsSync(join(d, LOCK_NAME))).toBe(false);
    writeFileSync(join(d, LOCK_NAME), "1 some-other-host 2026-01-01T00:00:00.000Z 0a1b\n");
    await expect(lockRunFolder(d)).rejects.toThrow(/in use by another latent train \(pid 1 on some-other-host, since 2026-01-01T00:00:00.000Z\)/);
  });

  it("of 8 takers at once of a dead run's lock, exactly one holds it (20 times over)", async () => {
    const d = folder("race");
    for (let round = 0; round < 20; round++) {
      writeFileSync(join(d, LOCK_NAME), `999999999 ${hostname().replace(/\s+/g, "_")} 2026-01-01T00:00:00.000Z 0a1b\n`); // no such process
      const tries = await Promise.allSettled(Array.from({ length: 8 }, () => lockRunFolder(d)));
      const held = tries.filter((t) => t.status === "fulfilled");
      expect(held).toHaveLength(1);
      for (const t of tries) if (t.status === "rejected") expect(t.reason).toBeInstanceOf(UsageError);
      await (held[0] as PromiseFulfilledResult<Awaited<ReturnType<typeof lockRunFolder>>>).value.release();
      expect(readdirSync(d)).toEqual([]);
    }
  });

  it("a folder it cannot write to is a FileWriteError naming the lock, not a crash", async () => {
    const missing = join(dir, "no-such-folder");
    await expect(lockRunFolder(missing)).rejects.toThrow(FileWriteError);
    await expect(lockRunFolder(missing)).rejects.toThrow(`writing ${join(missing, LOCK_NAME)} failed at step "prepare": cannot take the run folder's lock: ENOENT`);
  });

  it("takes over a lock whose text is not a lock's, and release leaves another holder's lock alone", async () => {
    const d = folder("garbage");
    writeFileSync(join(d, LOCK_NAME), "");
    const old = new Date(Date.now() - 10_000); // younger, it may be a lock being written: see run-lock-reuse.test.ts
    utimesSync(join(d, LOCK_NAME), old, old);
    const lock = await lockRunFolder(d);
    expect(readFileSync(join(d, LOCK_NAME), "utf8")).toMatch(new RegExp(`^${process.pid} `));
    writeFileSync(join(d, LOCK_NAME), "1 some-other-host 2026-01-01T00:00:00.000Z 0a1b\n"); // not ours any more
    await lock.release();
    expect(existsSync(join(d, LOCK_NAME))).toBe(true);
    expect(readdirSync(d)).toEqual([LOCK_NAME]); // no temporary file left
  });

  it("sweeps the temporary files of run files and of dead runs' locks, and nothing else", async () => {
    const d = folder("sweep");
    const gone = [tempNameFor("model.safetensors"), tempNameFor("metrics.jsonl"), tempNameFor("loss.png"), tempNameFor(LOCK_NAME), `${LOCK_NAME}.takeover`];
    const kept = [tempNameFor("notes.txt"), tempNameFor(`${LOCK_NAME}.x`), "model.safetensors", ".model.safetensors.tmp", "x.safetensors.0123456789abcdef.tmp"];
    for (const name of [...gone, ...kept]) writeFileSync(join(d, name), "");
    const host = hostname().replace(/\s+/g, "_");
    for (const g of [gone[3]!, gone[4]!]) writeFileSync(join(d, g), `999999999 ${host} 2026-01-01T00:00:00.000Z 0a1b\n`); // no such process
    writeFileSync(join(d, kept[1]!), `${process.pid} ${host} ${new Date().toISOString()} 0a1b\n`); // this one, alive
    expect((await sweepTemporaryFiles(d)).sort()).toEqual([...gone].sort());
    expect(readdirSync(d).sort()).toEqual([...kept].sort());
  });
});
