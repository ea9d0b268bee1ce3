// Shared by the fuzz tests: the harness's child process bundled by esbuild (as `npm run fuzz`
// does), since a child process cannot load TypeScript.
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { build } from "esbuild";

export async function bundledChild(): Promise<{ dir: string; path: string }> {
  const dir = mkdtempSync(join(tmpdir(), "latent-fuzz-child-"));
  const path = join(dir, "child.cjs");
  await build({ entryPoints: ["bench/fuzz/child.ts"], outfile: path, bundle: true, platform: "node", format: "cjs", logLevel: "error", target: "node20" });
  return { dir, path };
}
