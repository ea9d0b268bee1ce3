// The .latc file format: every field where format.ts's layout says it is (read here by hand, CRCs by
// the bitwise oracle), and a round trip of any codes. Corruption is test/apps/compress-corruption.test.ts.
import * as fc from "fast-check";
import * as E from "fp-ts/lib/Either.js";
import { describe, expect, it } from "vitest";
import { crc32, crc32Update } from "../../src/io/crc32.js";
import { decodeCompressed, encodeCompressed, type CompressedCodes } from "../../src/apps/compress/format.js";
import { compressedCodes, crcOracle } from "./compress-support.js";

describe("CRC-32", () => {
  it("is zlib's: the check value of \"123456789\", and the bitwise definition on any bytes, in pieces too", () => {
    expect(crc32(new TextEncoder().encode("123456789"))).toBe(0xcbf43926);
    fc.assert(fc.property(fc.uint8Array({ maxLength: 300 }), fc.nat(), (bytes, cut) => {
      const at = cut % (bytes.length + 1);
      expect(crc32(bytes)).toBe(crcOracle(bytes));
      expect(crc32Update(crc32(bytes.subarray(0, at)), bytes.subarray(at))).toBe(crcOracle(bytes));
    }));
  });
});

describe("the compressed-codes file", () => {
  it("holds every field at its documented offset, and decodes to what was written", () => {
    fc.assert(fc.property(compressedCodes, (c) => {
      const { bytes, sizes } = encodeCompressed(c);
      const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      expect(Array.from(bytes.subarray(0, 4))).toEqual([0x4c, 0x41, 0x54, 0x43]);
      expect(view.getUint16(4, true)).toBe(1);
      expect(bytes[6]).toBe(c.quantiser.kind === "uniform" ? 0 : 1);
      expect(bytes[7]).toBe(c.bits);
      expect(view.getUint32(8, true)).toBe(c.count);
      expect(view.getUint32(12, true)).toBe(c.latent);
      expect(bytes.subarray(16, 48)).toEqual(c.modelHash);
      const Q = c.quantiser.kind === "uniform" ? 8 * c.latent : 0;
      const P = view.getUint32(48, true);
      expect(bytes.length).toBe(64 + Q + P);
      expect(view.getUint32(52, true)).toBe(crcOracle(bytes.subarray(64 + Q)));
      expect(view.getUint32(56, true)).toBe(c.imagesCrc);
      if (c.quantiser.kind === "uniform") {
        for (let j = 0; j < c.latent; j++) {
          expect(view.getFloat32(60 + 8 * j, true)).toBe(c.quantiser.lo[j]);
          expect(view.getFloat32(64 + 8 * j, true)).toBe(c.quantiser.hi[j]);
        }
      }
      expect(view.getUint32(60 + Q, true)).toBe(crcOracle(bytes.subarray(0, 60 + Q)));
      expect(sizes).toEqual({ header: 64 + Q, tables: sizes.tables, stream: P - sizes.tables, total: bytes.length });

      const back = decodeCompressed(bytes);
      if (E.isLeft(back)) throw back.left;
      const { sizes: readSizes, ...fields } = back.right;
      expect(readSizes).toEqual(sizes);
      expect(fields).toEqual(c);
    }), { numRuns: 200 });
  });

  it("writes the tables as varint counts with zero runs", () => {
    // bits 2, one dimension, symbols [0, 0, 3]: counts [2, 0, 0, 1] -> 02, 00 01 (a zero and one more), 01
    const { bytes, sizes } = encodeCompressed({ quantiser: { kind: "normal" }, bits: 2, modelHash: new Uint8Array(32), count: 3, latent: 1, imagesCrc: 0, symbols: Uint16Array.of(0, 0, 3) });
    expect(sizes.tables).toBe(4);
    expect(Array.from(bytes.subarray(64, 68))).toEqual([2, 0, 1, 1]);
    // counts of 300 take two varint bytes: 300 = 0b10_0101100 -> ac 02
    const many = encodeCompressed({ quantiser: { kind: "normal" }, bits: 1, modelHash: new Uint8Array(32), count: 300, latent: 1, imagesCrc: 0, symbols: new Uint16Array(300) });
    expect(Array.from(many.bytes.subarray(64))).toEqual([0xac, 0x02, 0x00, 0x00]); // symbol 1: a run of one zero; no stream bytes at all
  });

  it("round-trips counts above 2^16 (scaled tables)", () => {
    const n = 70_000;
    const symbols = Uint16Array.from({ length: 2 * n }, (_, i) => (i * 2654435761) % 97 % (i % 2 ? 16 : 3));
    const c: CompressedCodes = { quantiser: { kind: "normal" }, bits: 4, modelHash: new Uint8Array(32).fill(9), count: n, latent: 2, imagesCrc: 5, symbols };
    const back = decodeCompressed(encodeCompressed(c).bytes);
    expect(E.isRight(back) && back.right.symbols.every((s, i) => s === symbols[i])).toBe(true);
  });

  it("refuses to write what it could not read back", () => {
    const ok: CompressedCodes = { quantiser: { kind: "normal" }, bits: 2, modelHash: new Uint8Array(32), count: 1, latent: 2, imagesCrc: 0, symbols: Uint16Array.of(1, 2) };
    expect(() => encodeCompressed({ ...ok, symbols: Uint16Array.of(1, 4) })).toThrow(/outside 0\.\.3/);
    expect(() => encodeCompressed({ ...ok, symbols: Uint16Array.of(1) })).toThrow(/1 symbols for 1 codes of 2/);
    expect(() => encodeCompressed({ ...ok, modelHash: new Uint8Array(31) })).toThrow(/32 bytes/);
    expect(() => encodeCompressed({ ...ok, count: 2 ** 20 + 1, symbols: new Uint16Array(2 * (2 ** 20 + 1)) })).toThrow(/count is 1048577/);
    expect(() => encodeCompressed({ ...ok, quantiser: { kind: "uniform", lo: Float32Array.of(0), hi: Float32Array.of(1) } })).toThrow(/1 dimensions/);
  });
});
