// `npm run fuzz -- ...`: bundles the fuzz harness (bench/fuzz/run.ts and its child process,
// bench/fuzz/child.ts) with esbuild into dist/fuzz/ and runs it with the given arguments.
// It runs in the repository's root (the seed files' paths are relative to it), found from this
// file's location, whatever the working directory.
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const root = fileURLToPath(new URL("..", import.meta.url));
const outdir = join(root, "dist/fuzz");
await build({
  entryPoints: { run: join(root, "bench/fuzz/run.ts"), child: join(root, "bench/fuzz/child.ts") },
  outdir, bundle: true, platform: "node", format: "cjs", outExtension: { ".js": ".cjs" }, logLevel: "warning", target: "node20",
});
const r = spawnSync(process.execPath, [join(outdir, "run.cjs"), ...process.argv.slice(2)], { stdio: "inherit", cwd: root });
process.exit(r.status ?? 1);
