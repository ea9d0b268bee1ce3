// The static range coder: it round-trips any symbol stream, and its output is within a few bytes
// of the stream's empirical entropy (computed here from the counts, the oracle). On garbage the
// decoder still returns symbols of the table, in bounded time.
import * as fc from "fast-check";
import { describe, expect, it } from "vitest";
import { countSymbols, frequencyTable, MAX_TOTAL, symbolAt } from "../../src/apps/compress/frequency.js";
import { decodeSymbols, encodeSymbols } from "../../src/apps/compress/range-coder.js";

/** Empirical entropy of the stream in bits: sum over symbols of -c log2(c / n). */
function entropyBits(symbols: ArrayLike<number>): number {
  const counts = new Map<number, number>();
  for (let i = 0; i < symbols.length; i++) counts.set(symbols[i]!, (counts.get(symbols[i]!) ?? 0) + 1);
  let h = 0;
  for (const c of counts.values()) h -= c * Math.log2(c / symbols.length);
  return h;
}

/** Lengths 0, 1, odd and any up to 3000. */
const length = fc.oneof(fc.constant(0), fc.constant(1), fc.integer({ min: 0, max: 600 }).map((m) => 2 * m + 1), fc.integer({ min: 0, max: 3000 }));

/** A stream over an alphabet of 1..256 symbols, skewed towards 0 by a random power. */
const stream = fc.record({ K: fc.integer({ min: 1, max: 256 }), n: length, power: fc.double({ min: 1, max: 12, noNaN: true }), seed: fc.integer() })
  .map(({ K, n, power, seed }) => {
    let state = seed >>> 0 || 1;
    const next = () => { state ^= state << 13; state >>>= 0; state ^= state >>> 17; state ^= state << 5; state >>>= 0; return state / 2 ** 32; };
    return { K, symbols: Uint16Array.from({ length: n }, () => Math.min(K - 1, Math.floor(K * next() ** power))) };
  });

describe("range coder", () => {
  // Each symbol costs at most -log2(1 - 2^16 / 2^24) < 1/128 bit above -log2(freq / total) (the
  // truncation of range / total), and the flush at most 2 bytes.
  it("round-trips any stream, within 1/128 bit per symbol and 2 bytes of the empirical entropy", () => {
    fc.assert(fc.property(stream, ({ K, symbols }) => {
      const [counts] = countSymbols(symbols, 1, K);
      const table = frequencyTable(counts!);
      const bytes = encodeSymbols(symbols, [table]);
      expect(decodeSymbols(bytes, [table], symbols.length)).toEqual(symbols);
      const h = entropyBits(symbols);
      expect(8 * bytes.length).toBeLessThanOrEqual(h + symbols.length / 128 + 16);
      expect(8 * bytes.length).toBeGreaterThanOrEqual(h - 40);
    }), { numRuns: 300 });
  });

  it("round-trips interleaved streams with one table per dimension", () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: 9 }), stream, (L, { K, symbols }) => {
      const n = symbols.length - (symbols.length % L);
      const s = symbols.subarray(0, n);
      const tables = countSymbols(s, L, K).map(frequencyTable);
      expect(decodeSymbols(encodeSymbols(s, tables), tables, n)).toEqual(s);
    }), { numRuns: 100 });
  });

  it("codes a one-symbol alphabet in no bytes at all", () => {
    const t = frequencyTable([1000]);
    expect(encodeSymbols(new Uint16Array(1000), [t]).length).toBe(0);
    expect(decodeSymbols(new Uint8Array(0), [t], 1000)).toEqual(new Uint16Array(1000));
  });

  it("scales counts above 2^16 to a total <= 2^16 and stays near the entropy", () => {
    const n = 100_001, K = 200;
    let state = 12345;
    const symbols = Uint16Array.from({ length: n }, () => { state = (state * 1103515245 + 12345) % 2 ** 31; return Math.min(K - 1, Math.floor(-Math.log(1 - state / 2 ** 31) * 8)); });
    const [counts] = countSymbols(symbols, 1, K);
    const table = frequencyTable(counts!);
    expect(table.total).toBeLessThanOrEqual(MAX_TOTAL);
    for (let s = 0; s < K; s++) expect(table.freq[s]! > 0).toBe(counts![s]! > 0);
    const bytes = encodeSymbols(symbols, [table]);
    const back = decodeSymbols(bytes, [table], n);
    expect(back.every((s, i) => s === symbols[i])).toBe(true);
    expect(8 * bytes.length).toBeLessThan(entropyBits(symbols) * 1.002 + 64);
  });

  it("decodes garbage to symbols of nonzero frequency, never throwing", () => {
    const table = frequencyTable([5, 0, 0, 17, 1, 0, 9]);
    fc.assert(fc.property(fc.uint8Array({ maxLength: 64 }), fc.integer({ min: 0, max: 500 }), (bytes, n) => {
      const out = decodeSymbols(bytes, [table], n);
      expect(out.length).toBe(n);
      for (const s of out) expect(table.freq[s]).toBeGreaterThan(0);
    }));
  });

  it("finds each value's symbol, skipping symbols of frequency 0", () => {
    const t = frequencyTable([0, 3, 0, 0, 2, 0]);
    expect(Array.from({ length: 5 }, (_, v) => symbolAt(t, v))).toEqual([1, 1, 1, 4, 4]);
  });

  it("refuses to code a symbol its table gives no frequency", () => {
    expect(() => encodeSymbols([1], [frequencyTable([3, 0])])).toThrow(/frequency is 0/);
    expect(() => encodeSymbols([2], [frequencyTable([3, 0])])).toThrow(/outside the alphabet/);
  });
});
