import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { chmod, mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as E from "fp-ts/lib/Either.js";
import { FileWriteError, nodeFs, writeFileAtomic, type WriteStep } from "../../src/io/node/atomic-write.js";

const bytes = (s: string) => new TextEncoder().encode(s);

let root = "";
let n = 0;
/** A fresh empty folder per test, so that "no temporary file left" means "only the target". */
async function folder(): Promise<string> {
  const dir = join(root, `t${n++}`);
  await mkdir(dir);
  return dir;
}

async function rejected(p: Promise<unknown>, step: WriteStep, path: string): Promise<FileWriteError> {
  const e = await p.then(() => { throw new Error("expected the write to fail"); }, (e: unknown) => e);
  expect(e).toBeInstanceOf(FileWriteError);
  const err = e as FileWriteError;
  expect({ step: err.step, path: err.path, message: err.message }).toMatchObject({ step, path });
  expect(err.message).toContain(path);
  return err;
}

const errno = (code: string) => Object.assign(new Error(`${code}: simulated`), { code });

beforeAll(async () => { root = await mkdtemp(join(tmpdir(), "latent-atomic-")); });
afterAll(async () => { await rm(root, { recursive: true, force: true }); });

describe("writeFileAtomic", () => {
  it("writes a new file", async () => {
    const dir = await folder();
    const path = join(dir, "a.bin");
    await writeFileAtomic(path, bytes("hello"));
    expect(await readFile(path, "utf8")).toBe("hello");
    expect(await readdir(dir)).toEqual(["a.bin"]);
  });

  it("overwrites an existing file, keeping its permission bits", async () => {
    const dir = await folder();
    const path = join(dir, "a.bin");
    await writeFile(path, "old contents");
    if (process.platform !== "win32") await chmod(path, 0o640);
    await writeFileAtomic(path, bytes("new"));
    expect(await readFile(path, "utf8")).toBe("new");
    if (process.platform !== "win32") expect((await stat(path)).mode & 0o777).toBe(0o640);
    expect(await readdir(dir)).toEqual(["a.bin"]);
  });

  it("writes empty and large contents exactly", async () => {
    const dir = await folder();
    const path = join(dir, "a.bin");
    await writeFileAtomic(path, new Uint8Array(0));
    expect((await readFile(path)).length).toBe(0);
    const big = Uint8Array.from({ length: 3 << 20 }, (_, i) => (i * 31) & 255);
    await writeFileAtomic(path, big);
    expect(Buffer.compare(await readFile(path), big)).toBe(0); // (toEqual on 3 MB is slow)
  });

  it("a crash right before the rename leaves the old file intact and no temporary file", async () => {
    const dir = await folder();
    const path = join(dir, "model.safetensors");
    await writeFile(path, "old");
    let temp = "";
    const p = writeFileAtomic(path, bytes("new"), {
      hooks: {
        beforeRename: async (t) => {
          temp = t;
          // The temporary file is complete and in the same folder at this point.
          expect(await readFile(t, "utf8")).toBe("new");
          expect(await readFile(path, "utf8")).toBe("old");
          throw new Error("simulated crash");
        },
      },
    });
    const e = await rejected(p, "rename", path);
    expect(e.message).toContain("simulated crash");
    expect(temp.startsWith(join(dir, ".model.safetensors."))).toBe(true);
    expect(await readFile(path, "utf8")).toBe("old");
    expect(await readdir(dir)).toEqual(["model.safetensors"]);
  });

  it("a validator failure leaves the old file intact; the validator sees the bytes read back", async () => {
    const dir = await folder();
    const path = join(dir, "a.bin");
    await writeFile(path, "old");
    let seen: Uint8Array | null = null;
    const p = writeFileAtomic(path, bytes("bad"), { validate: (b) => { seen = b; return E.left(new Error("not a model")); } });
    const e = await rejected(p, "validate", path);
    expect(e.message).toContain("not a model");
    expect(new TextDecoder().decode(seen!)).toBe("bad");
    expect(await readFile(path, "utf8")).toBe("old");
    expect(await readdir(dir)).toEqual(["a.bin"]);
    await writeFileAtomic(path, bytes("good"), { validate: (b) => E.right(b.length) });
    expect(await readFile(path, "utf8")).toBe("good");
  });

  it.each([["chunked compare", false], ["whole read-back for a validator", true]])("bytes that read back differently (a lying disk) are refused before the rename (%s)", async (_, validated) => {
    const dir = await folder();
    const path = join(dir, "a.bin");
    await writeFile(path, "old");
    const lying = { writeNew: async (t: string, parts: readonly Uint8Array[], m: number | undefined) => { const c = parts[0]!.slice(); c[1] = 0; await nodeFs.writeNew(t, [c], m); } };
    const p = writeFileAtomic(path, bytes("abc"), { fs: lying, ...(validated ? { validate: (b: Uint8Array) => E.right(b.length) } : {}) });
    expect((await rejected(p, "verify", path)).message).toContain("first at byte 1");
    expect(await readFile(path, "utf8")).toBe("old");
    expect(await readdir(dir)).toEqual(["a.bin"]);
  });

  it("the chunked compare finds the first difference past the first chunk and across parts, and a length mismatch", async () => {
    const dir = await folder();
    const path = join(dir, "big.bin");
    const data = new Uint8Array(3 * 2 ** 20 + 17).map((_, i) => (i * 7) & 255);
    await writeFile(path, data);
    const split = (b: Uint8Array, ...cuts: number[]) => [0, ...cuts, b.length].slice(1).map((end, i, ends) => b.subarray(i === 0 ? 0 : ends[i - 1]!, end));
    for (const parts of [[data], split(data, 5, 2 ** 20 + 3, 2 ** 20 + 3, 2 * 2 ** 20 + 1)]) {
      expect(await nodeFs.compare(path, parts)).toEqual({ size: data.length, firstDifference: -1 });
    }
    const changed = data.slice();
    changed[2 ** 20 + 5] = changed[2 ** 20 + 5]! ^ 1;
    expect(await nodeFs.compare(path, [changed])).toEqual({ size: data.length, firstDifference: 2 ** 20 + 5 });
    expect(await nodeFs.compare(path, split(changed, 7, 2 ** 20 + 4))).toEqual({ size: data.length, firstDifference: 2 ** 20 + 5 });
    expect(await nodeFs.compare(path, [data.subarray(0, data.length - 1)])).toEqual({ size: data.length, firstDifference: data.length - 1 });
    const longer = new Uint8Array(data.length + 3);
    longer.set(data);
    expect(await nodeFs.compare(path, [longer])).toEqual({ size: data.length, firstDifference: data.length });
    expect(await nodeFs.compare(path, [data, bytes("x")])).toEqual({ size: data.length, firstDifference: data.length });
    await writeFile(path, new Uint8Array(0));
    expect(await nodeFs.compare(path, [])).toEqual({ size: 0, firstDifference: -1 });
    expect(await nodeFs.compare(path, [bytes("a")])).toEqual({ size: 0, firstDifference: 0 });
  });

  it("writes pieces one after another, the same file as their concatenation", async () => {
    const dir = await folder();
    const path = join(dir, "parts.bin");
    await writeFileAtomic(path, [bytes("he"), new Uint8Array(0), bytes("llo")]);
    expect(await readFile(path, "utf8")).toBe("hello");
    await writeFileAtomic(path, [bytes("ab"), bytes("c")], { validate: (b) => (b.length === 3 ? E.right(3) : E.left(new Error("length"))) });
    expect(await readFile(path, "utf8")).toBe("abc");
    await expect(writeFileAtomic(path, [bytes("a"), "b" as unknown as Uint8Array])).rejects.toThrow(/Uint8Array/);
  });

  it("a failing write or rename removes the temporary file", async () => {
    const dir = await folder();
    const path = join(dir, "a.bin");
    await writeFile(path, "old");
    const failingWrite = writeFileAtomic(path, bytes("new"), {
      fs: { writeNew: async (t, parts, m) => { await nodeFs.writeNew(t, [parts[0]!.subarray(0, 1)], m); throw errno("ENOSPC"); } },
    });
    expect((await rejected(failingWrite, "write", path)).cause).toMatchObject({ code: "ENOSPC" });
    expect(await readdir(dir)).toEqual(["a.bin"]); // the fake left a partial file; it was removed
    const failingRename = writeFileAtomic(path, bytes("new"), { fs: { rename: async () => { throw errno("EXDEV"); } } });
    await rejected(failingRename, "rename", path);
    expect(await readFile(path, "utf8")).toBe("old");
    expect(await readdir(dir)).toEqual(["a.bin"]);
  });

  it("the default writeNew removes its file when writing fails", async () => {
    const dir = await folder();
    const p = join(dir, "x.tmp");
    await expect(nodeFs.writeNew(p, [12 as unknown as Uint8Array], undefined)).rejects.toThrow();
    expect(await readdir(dir)).toEqual([]);
    await writeFile(p, "exists");
    await expect(nodeFs.writeNew(p, [bytes("x")], undefined)).rejects.toMatchObject({ code: "EEXIST" });
    expect(await readFile(p, "utf8")).toBe("exists");
  });

  it("a folder that cannot be fsynced (EINVAL) is fine; other fsync errors are reported", async () => {
    const dir = await folder();
    const path = join(dir, "a.bin");
    await writeFileAtomic(path, bytes("one"), { fs: { syncDir: async () => { throw errno("EINVAL"); } } });
    expect(await readFile(path, "utf8")).toBe("one");
    const p = writeFileAtomic(path, bytes("two"), { fs: { syncDir: async () => { throw errno("EIO"); } } });
    expect((await rejected(p, "sync-dir", path)).cause).toMatchObject({ code: "EIO" });
    // The rename had happened: the new contents are in place, and no temporary file is left.
    expect(await readFile(path, "utf8")).toBe("two");
    expect(await readdir(dir)).toEqual(["a.bin"]);
  });

  it("a temporary name that already exists (EEXIST) is not removed: it is not ours", async () => {
    const dir = await folder();
    const path = join(dir, "a.bin");
    let other = "";
    const p = writeFileAtomic(path, bytes("x"), { fs: { writeNew: async (t) => { other = t; await writeFile(t, "someone else's"); throw errno("EEXIST"); } } });
    await rejected(p, "write", path);
    expect(await readFile(other, "utf8")).toBe("someone else's");
  });

  it("a missing folder fails at the write step, naming the path", async () => {
    const dir = await folder();
    const path = join(dir, "no", "such", "a.bin");
    const e = await rejected(writeFileAtomic(path, bytes("x")), "write", path);
    expect(e.cause).toMatchObject({ code: "ENOENT" });
    expect(await readdir(dir)).toEqual([]);
  });

  it("refuses contents that are not bytes", async () => {
    const dir = await folder();
    const path = join(dir, "a.bin");
    await rejected(writeFileAtomic(path, "text" as unknown as Uint8Array), "prepare", path);
    expect(await readdir(dir)).toEqual([]);
  });
});
