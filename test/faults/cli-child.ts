// The latent command as a child process, for the tests that kill it or run two at once: the
// sources bundled by esbuild into node_modules/.cache (so its packages resolve from the repo's
// node_modules), once per test file; no build of dist/ needed.
import { build } from "esbuild";
import { mkdirSync } from "node:fs";
import { join } from "node:path";

const root = new URL("../..", import.meta.url).pathname;

/** Bundles src/cli/main.ts into a file of its own (`name`) and returns its path. */
export async function bundledCli(name: string): Promise<string> {
  const dir = join(root, "node_modules", ".cache", "latent-faults");
  mkdirSync(dir, { recursive: true });
  const outfile = join(dir, `${name}-${process.pid}.mjs`);
  await build({ entryPoints: [join(root, "src/cli/main.ts")], bundle: true, platform: "node", format: "esm", packages: "external", outfile, logLevel: "error" });
  return outfile;
}
