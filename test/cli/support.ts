// Shared by the CLI tests: the latent command run in-process with captured output.
import { run } from "../../src/cli/run.js";
import type { Io } from "../../src/cli/io.js";

export async function latent(...argv: string[]): Promise<{ code: number; out: string[]; err: string[] }> {
  const out: string[] = [], err: string[] = [];
  const io: Io = { out: (l) => out.push(l), err: (l) => err.push(l), tty: false };
  const code = await run(argv, io);
  return { code, out, err };
}
