/**
 * `npm run fuzz -- --format F --n N [--seed S] [--timeout MS] [--max-rss MB] [--no-bombs]`:
 * mutates the seed files of format F (or `all`) N times, runs each case in a child process under
 * a time limit and a memory bound, and prints per format the cases, valid loads, refusals (and
 * which limits refused), failures, the slowest load and the highest peak RSS. Failed cases are
 * saved in test/fixtures/fuzz/failures/. `--make-seeds` writes the seed files again.
 * Exit code: 0 without failures, 1 with, 2 for bad arguments.
 */
import { dirname, join } from "node:path";
import { FORMATS, type FormatName } from "./formats.js";
import { DEFAULT_MAX_RSS, runFuzz, type FuzzSummary } from "./harness.js";
import { makeSeeds, SEEDS } from "./seeds.js";

function usage(message: string): never {
  console.error(`fuzz: ${message}\nusage: npm run fuzz -- --format ${FORMATS.join("|")}|all --n N [--seed S] [--timeout MS] [--max-rss MB] [--no-bombs] | --make-seeds`);
  process.exit(2);
}

function args(argv: string[]): Record<string, string | true> {
  const out: Record<string, string | true> = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (!a.startsWith("--")) usage(`unexpected argument ${a}`);
    const next = argv[i + 1];
    if (next === undefined || next.startsWith("--")) out[a.slice(2)] = true;
    else { out[a.slice(2)] = next; i++; }
  }
  return out;
}

const int = (v: string | true | undefined, name: string, fallback: number): number => {
  if (v === undefined) return fallback;
  const n = Number(v);
  if (v === true || !Number.isSafeInteger(n) || n < 0) usage(`--${name} needs a non-negative integer, got ${String(v)}`);
  return n;
};

export function formatSummary(s: FuzzSummary): string {
  const limits = Object.entries(s.limits).map(([k, v]) => `${k} ${v}`).join(", ");
  return `${s.format}: ${s.cases} cases in ${s.seconds.toFixed(1)} s: ${s.valid} valid, ${s.refused} refused${limits ? ` (limits: ${limits})` : ""}, `
    + `${s.failures.length} failures; slowest load ${s.slowest.ms.toFixed(1)} ms (${s.slowest.what}); highest peak RSS ${(s.maxRss / 2 ** 20).toFixed(0)} MiB (${s.maxRssWhat})`;
}

async function main(): Promise<void> {
  const a = args(process.argv.slice(2));
  if (a["make-seeds"]) {
    for (const p of await makeSeeds()) console.log(p);
    return;
  }
  const format = a.format;
  if (typeof format !== "string" || !(format === "all" || (FORMATS as readonly string[]).includes(format))) usage(`--format must be one of ${FORMATS.join(", ")}, all`);
  const formats = format === "all" ? [...FORMATS] : [format as FormatName];
  const n = int(a.n, "n", 1000), seed = int(a.seed, "seed", 1), timeoutMs = int(a.timeout, "timeout", 10_000);
  const maxRssBytes = int(a["max-rss"], "max-rss", DEFAULT_MAX_RSS / 2 ** 20) * 2 ** 20;
  const childPath = join(dirname(process.argv[1]!), "child.cjs");
  let failed = 0;
  for (const f of formats) {
    const s = await runFuzz({ format: f, n, seed, childPath, timeoutMs, maxRssBytes, bombs: !a["no-bombs"], saveTo: join(SEEDS, "failures") });
    console.log(formatSummary(s));
    for (const x of s.failures.slice(0, 20)) console.log(`  FAIL ${x.request.format} seed ${x.request.seed} index ${x.request.index}: ${x.what}: ${x.reason.split("\n")[0]}`);
    failed += s.failures.length;
  }
  process.exitCode = failed > 0 ? 1 : 0;
}

void main();
