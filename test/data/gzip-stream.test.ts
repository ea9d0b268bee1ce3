// Gzip files are streamed from disk into one buffer sized by the gzip trailer: the result is the
// same whatever the trailer says (several members, a wrong size, none), the caps hold on the
// streaming path too, and truncated or corrupt files stay DataErrors.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { gunzip, readMaybeGzipped } from "../../src/data/node/gzip.js";
import { expectBytes, left, right, tempRoot } from "./support.js";

const freshDir = tempRoot("latent-gzip-");
const payload = (n: number, seed = 1) => Uint8Array.from({ length: n }, (_, i) => ((i * 2654435761 + seed) >>> 13) & 0xff);

describe("streamed gzip", () => {
  it("reads a file whose payload spans many stream chunks", async () => {
    const dir = freshDir();
    const data = payload(3_000_001);
    writeFileSync(join(dir, "big.gz"), gzipSync(data));
    const out = right(await readMaybeGzipped(join(dir, "big.gz"))());
    expect(out.length).toBe(data.length);
    expectBytes(out, data);
    expect(out.buffer.byteLength).toBe(data.length); // one buffer of the announced size, no slack
  });

  it("grows past a trailer that announces less (several gzip members), in memory and from a file", async () => {
    const a = payload(70_000, 2), b = payload(1000, 3);
    const both = new Uint8Array([...gzipSync(a), ...gzipSync(b)]);
    const whole = new Uint8Array([...a, ...b]);
    expectBytes(right(await gunzip(both, "two")()), whole);
    const dir = freshDir();
    writeFileSync(join(dir, "two.gz"), both);
    expectBytes(right(await readMaybeGzipped(join(dir, "two.gz"))()), whole);
  });

  it("an empty payload and a tiny file", async () => {
    expect(right(await gunzip(gzipSync(new Uint8Array(0)), "empty")()).length).toBe(0);
    const dir = freshDir();
    writeFileSync(join(dir, "one"), Uint8Array.from([0x1f]));
    expect(Array.from(right(await readMaybeGzipped(join(dir, "one"))()))).toEqual([0x1f]);
  });

  it("a trailer announcing an absurd size is not trusted for the allocation, and the stream reports the mismatch", async () => {
    const gz = Uint8Array.from(gzipSync(payload(5000)));
    gz.set([0xff, 0xff, 0xff, 0x7f], gz.length - 4);
    expect(left(await gunzip(gz, "lie.gz")()).message).toMatch(/lie\.gz: corrupt gzip data.*incorrect length check/);
    const dir = freshDir();
    writeFileSync(join(dir, "lie.gz"), gz);
    expect(left(await readMaybeGzipped(join(dir, "lie.gz"))()).message).toMatch(/corrupt gzip data.*incorrect length check/);
  });

  it("zero padding after the gzip data is accepted, in memory and from a file past the first read", async () => {
    const data = payload(100_000, 4);
    const padded = new Uint8Array([...gzipSync(data), ...new Uint8Array(3 << 20)]); // 3 MiB of zeros: several reads
    expectBytes(right(await gunzip(padded, "pad")()), data);
    const dir = freshDir();
    writeFileSync(join(dir, "pad.gz"), padded);
    expectBytes(right(await readMaybeGzipped(join(dir, "pad.gz"))()), data);
  });

  it("any other byte after the gzip data is refused with its offset, in memory and from a file", async () => {
    const gz = gzipSync(payload(100_000, 5));
    const bad = new Uint8Array(gz.length + (2 << 20));
    bad.set(gz);
    const at = gz.length + (3 << 19); // 1.5 MiB after the end: past the first read of the file
    bad[at] = 0x2a;
    const message = `byte ${at} (0x2a) follows the end of the gzip data at byte ${gz.length} and is not zero padding`;
    expect(left(await gunzip(bad, "tail")()).message).toBe(`tail: ${message}`);
    const dir = freshDir();
    writeFileSync(join(dir, "tail.gz"), bad);
    expect(left(await readMaybeGzipped(join(dir, "tail.gz"))()).message).toBe(`${join(dir, "tail.gz")}: ${message}`);
  });

  it("caps the decompressed size of a file and reports truncation, naming the file", async () => {
    const dir = freshDir();
    const bomb = gzipSync(new Uint8Array(1 << 20));
    writeFileSync(join(dir, "bomb.gz"), bomb);
    expect(left(await readMaybeGzipped(join(dir, "bomb.gz"), { maxBytes: 5000 })()).message)
      .toMatch(/bomb\.gz: gzip data decompresses to more than 5000 bytes \(the maxBytes limit\)/);
    const gz = gzipSync(payload(50_000));
    writeFileSync(join(dir, "cut.gz"), gz.subarray(0, gz.length - 100));
    expect(left(await readMaybeGzipped(join(dir, "cut.gz"))()).message).toMatch(/cut\.gz: truncated gzip data/);
    expect(left(await readMaybeGzipped(dir)()).message).toMatch(/expected a regular file/);
  });
});
