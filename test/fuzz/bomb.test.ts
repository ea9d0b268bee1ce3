// The bomb generator of the fuzz harness (bench/fuzz/bomb.ts) against zlib: the streams it
// concatenates inflate, by Node's zlib, to exactly the prefix and zeros asked for, with the
// CRC-32 and Adler-32 zlib checks, so a bomb is a valid stream and its refusal is the loaders' doing.
import { gunzipSync, inflateSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { crc32AppendZeros, gzipZeros, ZERO_UNIT, zlibZeros } from "../../bench/fuzz/bomb.js";
import { crc32 } from "../../src/io/crc32.js";

const expected = (prefix: Uint8Array, zeros: number) => {
  const b = new Uint8Array(prefix.length + zeros);
  b.set(prefix);
  return b;
};

describe("decompression bombs", () => {
  it("inflate to the prefix and the zeros, checksums and size included", () => {
    const prefix = Uint8Array.of(0, 0, 8, 3, 1, 2, 3);
    for (const zeros of [0, 5, 70_000, ZERO_UNIT, 2 * ZERO_UNIT + 17]) {
      const want = expected(prefix, zeros);
      expect(Buffer.from(gunzipSync(gzipZeros(prefix, zeros))).equals(want), `gzip ${zeros}`).toBe(true);
      expect(Buffer.from(inflateSync(zlibZeros(prefix, zeros))).equals(want), `zlib ${zeros}`).toBe(true);
    }
  });

  it("the CRC-32 of appended zeros equals the CRC over the bytes", () => {
    for (const n of [0, 1, 7, 1000, 65_537]) expect(crc32AppendZeros(crc32(Uint8Array.of(9, 8, 7)), n)).toBe(crc32(expected(Uint8Array.of(9, 8, 7), n)));
  });

  it("10 GB of zeros takes about 10 MB", () => {
    const n = gzipZeros(new Uint8Array(0), 10e9).length;
    expect(n).toBeGreaterThan(5e6);
    expect(n).toBeLessThan(12e6);
  });
});
