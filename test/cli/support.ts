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
