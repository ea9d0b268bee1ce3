// Bad, truncated, corrupted or hostile .latc files: decodeCompressed returns a DataError (naming a
// byte offset) or, for corruption that keeps the file consistent, a valid decode; it never throws,
// never hangs, and allocates nothing from a header before checking its bounds.
import * as fc from "fast-check";
import * as E from "fp-ts/lib/Either.js";
import { describe, expect, it } from "vitest";
import { checkAgainstModel } from "../../src/apps/compress/codec.js";
import { decodeCompressed, encodeCompressed, type CompressedCodes } from "../../src/apps/compress/format.js";
import { DataError } from "../../src/data/errors.js";
import type { Model } from "../../src/models/model.js";
import { compressedCodes, crcOracle } from "./compress-support.js";

const small: CompressedCodes = {
  quantiser: { kind: "uniform", lo: Float32Array.of(-1, 0, 2), hi: Float32Array.of(1, 0.5, 9) }, bits: 3,
  modelHash: Uint8Array.from({ length: 32 }, (_, i) => i), count: 5, latent: 3, imagesCrc: 0xdeadbeef,
  symbols: Uint16Array.of(0, 1, 7, 3, 3, 3, 0, 0, 0, 7, 6, 5, 1, 1, 2),
};
const good = encodeCompressed(small).bytes;

/** Decodes, failing the test if the decoder throws; returns the Either. */
function settle(bytes: Uint8Array) {
  let r: ReturnType<typeof decodeCompressed>;
  expect(() => { r = decodeCompressed(bytes, "f.latc"); }).not.toThrow();
  if (E.isLeft(r!)) {
    expect(r!.left).toBeInstanceOf(DataError);
    expect(r!.left.message).toMatch(/^f\.latc at byte \d+: /);
  }
  return r!;
}

/** Recomputes both CRCs (with the oracle) so that a corruption reaches the structural checks. */
function reseal(bytes: Uint8Array): Uint8Array {
  const out = bytes.slice();
  const view = new DataView(out.buffer);
  const Q = out[6] === 0 ? 8 * view.getUint32(12, true) : 0;
  if (out.length >= 64 + Q) {
    view.setUint32(52, crcOracle(out.subarray(64 + Q)), true);
    view.setUint32(60 + Q, crcOracle(out.subarray(0, 60 + Q)), true);
  }
  return out;
}

function leftMessage(bytes: Uint8Array): string {
  const r = settle(bytes);
  expect(E.isLeft(r)).toBe(true);
  return E.isLeft(r) ? r.left.message : "";
}

describe("a damaged compressed-codes file", () => {
  it("is refused at every truncation", () => {
    expect(E.isRight(settle(good))).toBe(true);
    for (let len = 0; len < good.length; len++) expect(leftMessage(good.subarray(0, len))).toMatch(/truncated/);
  });

  it("is refused with any single bit flipped (the CRCs catch what the bounds do not)", () => {
    for (let bit = 0; bit < 8 * good.length; bit++) {
      const bad = good.slice();
      bad[bit >> 3]! ^= 1 << (bit & 7);
      expect(leftMessage(bad)).toMatch(/checksum mismatch|not a latent|version|quantiser|out of bounds|truncated|after the end|payload length/);
    }
  });

  it("with any bytes overwritten gives a DataError or a valid decode, also when its CRCs are made to match", () => {
    fc.assert(fc.property(compressedCodes, fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 6 }), fc.boolean(), (c, edits, resealed) => {
      let bytes: Uint8Array = encodeCompressed(c).bytes.slice();
      for (const [at, v] of edits) bytes[at % bytes.length] = v;
      if (resealed) bytes = reseal(bytes);
      const r = settle(bytes);
      if (E.isRight(r)) {
        expect(r.right.symbols.length).toBe(r.right.count * r.right.latent);
        expect(r.right.symbols.every((s) => s < 2 ** r.right.bits)).toBe(true);
      }
    }), { numRuns: 400 });
  });

  it("is refused when it is garbage, has another magic, another version or trailing bytes", () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => { settle(bytes); }));
    expect(leftMessage(Uint8Array.of(0x50, 0x4b, 3, 4, 0, 0))).toMatch(/at byte 0: not a latent compressed-codes file: it starts with 50 4b 03 04/);
    const v2 = good.slice(); v2[4] = 2;
    expect(leftMessage(reseal(v2))).toMatch(/at byte 4: format version 2 is not supported/);
    expect(leftMessage(Uint8Array.from([...good, 0]))).toMatch(/1 bytes after the end of the payload/);
  });

  it("with hostile sizes in a consistent header is refused before anything is allocated from them", () => {
    const hostile = (edit: (v: DataView, b: Uint8Array) => void) => {
      const b = good.slice();
      edit(new DataView(b.buffer), b);
      return reseal(b);
    };
    const started = Date.now();
    expect(leftMessage(hostile((v) => v.setUint32(8, 0xffffffff, true)))).toMatch(/out of bounds: count is 4294967295/);
    expect(leftMessage(hostile((v) => v.setUint32(12, 0xffffffff, true)))).toMatch(/out of bounds: latent size is 4294967295/);
    expect(leftMessage(hostile((v) => { v.setUint32(8, 2 ** 20, true); v.setUint32(12, 4096, true); }))).toMatch(/out of bounds: .* symbols/);
    expect(leftMessage(hostile((_, b) => { b[7] = 200; }))).toMatch(/out of bounds: bits is 200/);
    expect(leftMessage(hostile((_, b) => { b[7] = 12; new DataView(b.buffer).setUint32(12, 2048, true); }))).toMatch(/out of bounds|truncated/);
    expect(leftMessage(hostile((v) => v.setUint32(48, 0xffffffff, true)))).toMatch(/payload length 4294967295 exceeds/);
    expect(leftMessage(hostile((v) => v.setUint32(48, 2 ** 30, true)))).toMatch(/truncated: the header announces/);
    // The largest count the bounds allow, with the small file's tables: the tables' sums give it away.
    expect(leftMessage(hostile((v) => v.setUint32(8, 2 ** 20, true)))).toMatch(/table 0's counts add up to/);
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it("is refused for another model or another latent size", () => {
    const file = E.getOrElseW(() => { throw new Error("decode failed"); })(decodeCompressed(good));
    const model = (latent: number) => ({ spec: { latent } }) as unknown as Model;
    expect(E.isRight(checkAgainstModel(file, model(3), small.modelHash, "f.latc"))).toBe(true);
    const other = small.modelHash.slice(); other[31]! ^= 1;
    const wrong = checkAgainstModel(file, model(3), other, "f.latc");
    expect(E.isLeft(wrong) && wrong.left.message).toMatch(/^f\.latc: was compressed with another model/);
    const narrow = checkAgainstModel(file, model(4), small.modelHash, "f.latc");
    expect(E.isLeft(narrow) && narrow.left.message).toMatch(/codes of 3 dimensions, the model's latent size is 4/);
  });
});
