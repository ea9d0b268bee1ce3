// `npm run fuzz -- ...`: bundles the fuzz harness (bench/fuzz/run.ts and its child process,
// bench/fuzz/child.ts) with esbuild into dist/fuzz/ and runs it with the given arguments.
import { spawnSync } from "node:child_process";
import { build } from "esbuild";

const outdir = "dist/fuzz";
await build({
  entryPoints: { run: "bench/fuzz/run.ts", child: "bench/fuzz/child.ts" },
  outdir, bundle: true, platform: "node", format: "cjs", outExtension: { ".js": ".cjs" }, logLevel: "warning", target: "node20",
});
const r = spawnSync(process.execPath, [`${outdir}/run.cjs`, ...process.argv.slice(2)], { stdio: "inherit" });
process.exit(r.status ?? 1);
