// Shared by the CLI tests: the latent command run in-process with captured output.
import { readFileSync } from "node:fs";
import * as E from "fp-ts/lib/Either.js";
import { modelFromSafetensors } from "../../src/io/model-file.js";
import { run } from "../../src/cli/run.js";
import type { Io } from "../../src/cli/io.js";

export async function latent(...argv: string[]): Promise<{ code: number; out: string[]; err: string[] }> {
  const out: string[] = [], err: string[] = [];
  const io: Io = { out: (l) => out.push(l), err: (l) => err.push(l), tty: false };
  const code = await run(argv, io);
  return { code, out, err };
}

/** A model file's parameters (and their bits, to compare runs), training record and model. */
export function modelFile(path: string) {
  const parsed = modelFromSafetensors(new Uint8Array(readFileSync(path)));
  if (E.isLeft(parsed)) throw parsed.left;
  const bits = Object.values(parsed.right.params).flatMap((t) => Array.from(new Uint32Array(t.data.buffer, t.data.byteOffset, t.data.length)));
  return { bits, training: parsed.right.training as Record<string, unknown>, model: parsed.right.model, params: parsed.right.params };
}

/**
 * n noisy side x side uint8 images of three classes (label i % 3): horizontal stripes, vertical
 * stripes, a square; the same for the same seed.
 */
export function stripedImages(n: number, seed: number, side: number): { pixels: Uint8Array; labels: Uint8Array } {
  let s = seed;
  const next = () => { s = (Math.imul(s, 1103515245) + 12345) >>> 0; return s / 2 ** 32; };
  const pixels = new Uint8Array(n * side * side), labels = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const c = i % 3;
    labels[i] = c;
    for (let y = 0; y < side; y++) for (let x = 0; x < side; x++) {
      const on = c === 0 ? y % 4 < 2 : c === 1 ? x % 4 < 2 : y > 2 && y < 9 && x > 2 && x < 9;
      pixels[(i * side + y) * side + x] = Math.max(0, Math.min(255, Math.round((on ? 190 : 40) + 120 * (next() - 0.5))));
    }
  }
  return { pixels, labels };
}
