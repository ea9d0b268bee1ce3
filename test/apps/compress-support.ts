// Shared by the compression tests: the compress and decompress commands run in-process the way
// src/cli/run.ts runs every command (errors reported by report(): one line and exit code 2 for the
// typed ones), a CRC-32 written bit by bit from its definition, the oracle of the file's CRCs, and
// an arbitrary of compressed codes.
import * as fc from "fast-check";
import type { CompressedCodes } from "../../src/apps/compress/format.js";
import type { Quantiser } from "../../src/apps/compress/quantiser.js";
import { report } from "../../src/cli/errors.js";
import type { Io } from "../../src/cli/io.js";
import { compressCommands } from "../../src/cli/commands/compress.js";
import { run } from "../../src/cli/run.js";

export async function latent(...argv: string[]): Promise<{ code: number; out: string[]; err: string[] }> {
  const out: string[] = [], err: string[] = [];
  const io: Io = { out: (l) => out.push(l), err: (l) => err.push(l), tty: false };
  const [command, ...rest] = argv;
  const own = compressCommands[command!];
  if (!own) return { code: await run(argv, io), out, err };
  try {
    await own(rest, io);
    return { code: 0, out, err };
  } catch (e) {
    return { code: report(e, io.err), out, err };
  }
}

/** CRC-32 (reflected 0xEDB88320, init and final XOR 0xFFFFFFFF) one bit at a time. */
export function crcOracle(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (const b of bytes) {
    c ^= b;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0xedb88320 : c >>> 1;
  }
  return (c ^ 0xffffffff) >>> 0;
}

/** Codes of any shape and quantiser, with symbols skewed towards 0. */
export const compressedCodes = fc.record({
  bits: fc.integer({ min: 1, max: 12 }), count: fc.integer({ min: 0, max: 40 }), latent: fc.integer({ min: 1, max: 6 }),
  uniform: fc.boolean(), seed: fc.integer(), imagesCrc: fc.integer({ min: 0, max: 2 ** 32 - 1 }), hash: fc.uint8Array({ minLength: 32, maxLength: 32 }),
}).map(({ bits, count, latent, uniform, seed, imagesCrc, hash }): CompressedCodes => {
  let s = seed >>> 0 || 7;
  const next = () => { s = (Math.imul(s, 1664525) + 1013904223) >>> 0; return s / 2 ** 32; };
  const K = 2 ** bits;
  const symbols = Uint16Array.from({ length: count * latent }, () => Math.floor(K * next() ** 4));
  const lo = Float32Array.from({ length: latent }, () => (next() - 0.5) * 10);
  const quantiser: Quantiser = uniform ? { kind: "uniform", lo, hi: lo.map((v) => v + next() * 3) } : { kind: "normal" };
  return { quantiser, bits, modelHash: hash, count, latent, imagesCrc, symbols };
});

