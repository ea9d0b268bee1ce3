// Peak RSS of `latent train --data fashion-mnist --epochs 1` (60,000 training images, the
// default 784-400-20 VAE, every core), measured in a child process: a module loaded with
// --import reports, when the process exits, VmHWM from /proc/self/status (the high-water mark
// of the process's own memory, every thread included; Linux). Not getrusage's maxRSS: Linux
// carries that over from the forking parent across exec, so a child of a large benchmark
// process would report the parent's pages. Elsewhere there is no figure.
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

export interface CliRss {
  command: string;
  /** MB (10^6 bytes), or null when the run failed or could not start. */
  peakMB: number | null;
  seconds: number;
  /** Why there is no figure. */
  skipped?: string;
}

export function cliTrainRss(args: readonly string[] = ["--data", "fashion-mnist", "--epochs", "1"]): CliRss {
  const dir = mkdtempSync(join(tmpdir(), "latent-rss-"));
  const command = `latent train ${args.join(" ")}`;
  try {
    const probe = join(dir, "max-rss.mjs");
    writeFileSync(probe, `import { readFileSync } from "node:fs";
process.on("exit", () => {
  let hwm = "";
  try { hwm = /VmHWM:\\s+(\\d+) kB/.exec(readFileSync("/proc/self/status", "utf8"))?.[1] ?? ""; } catch {}
  process.stderr.write("\\nVmHWM " + hwm + "\\n");
});
`);
    const cli = fileURLToPath(new URL("../src/cli/main.js", import.meta.url));
    const t = performance.now();
    const r = spawnSync(process.execPath, ["--import", pathToFileURL(probe).href, cli, "train", ...args, "--out", join(dir, "run")], { encoding: "utf8" });
    const seconds = (performance.now() - t) / 1000;
    const kb = /VmHWM (\d+)/.exec(r.stderr ?? "")?.[1];
    if (r.status !== 0 || !kb) return { command, peakMB: null, seconds, skipped: (r.stderr || r.stdout || String(r.error)).trim().split("\n")[0]! };
    return { command, peakMB: (Number(kb) * 1024) / 1e6, seconds };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const r = cliTrainRss(process.argv.slice(2).length ? process.argv.slice(2) : undefined);
  console.log(r.peakMB === null ? `${r.command}: no figure (${r.skipped})` : `${r.command}: peak RSS ${r.peakMB.toFixed(0)} MB (${r.seconds.toFixed(1)} s)`);
}
