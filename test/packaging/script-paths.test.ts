// The build scripts find the repository from their own location (import.meta.url), which must
// work for a checkout whose path holds a space: each script is copied into such a folder and run.
import { execFileSync } from "node:child_process";
import { copyFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, describe, expect, it } from "vitest";

const repo = resolve(import.meta.dirname, "../..");
const spaced = mkdtempSync(join(tmpdir(), "latent scripts "));
afterAll(() => rmSync(spaced, { recursive: true, force: true }));

/** A folder under `spaced` with the named scripts copied into its scripts/. */
function checkout(name: string, scripts: readonly string[]): string {
  const root = join(spaced, name);
  mkdirSync(join(root, "scripts"), { recursive: true });
  for (const s of scripts) copyFileSync(join(repo, "scripts", s), join(root, "scripts", s));
  return root;
}

const node = (root: string, script: string, ...args: string[]) =>
  execFileSync(process.execPath, [join(root, "scripts", script), ...args], { cwd: root, stdio: "pipe" });

describe("build scripts in a folder whose path holds a space", () => {
  it("prune-dist removes what has no source any more", () => {
    const root = checkout("prune", ["prune-dist.mjs"]);
    mkdirSync(join(root, "src"), { recursive: true });
    writeFileSync(join(root, "src/kept.ts"), "");
    mkdirSync(join(root, "dist/src"), { recursive: true });
    for (const f of ["kept.js", "kept.d.ts", "gone.js", "gone.d.ts"]) writeFileSync(join(root, "dist/src", f), "");
    node(root, "prune-dist.mjs");
    expect(readdirSync(join(root, "dist/src")).sort()).toEqual(["kept.d.ts", "kept.js"]);
  });

  it("build-wasm finds its inputs and outputs (up to date: only --out is written)", () => {
    const root = checkout("wasm", ["build-wasm.mjs"]);
    cpSync(join(repo, "assembly"), join(root, "assembly"), { recursive: true });
    copyFileSync(join(repo, "asconfig.json"), join(root, "asconfig.json"));
    const targets = ["relaxed", "simd", "scalar", "simd-shared", "relaxed-shared"];
    // Outputs written after the inputs, so the build is skipped.
    mkdirSync(join(root, "src/kernels/generated"), { recursive: true });
    writeFileSync(join(root, "src/kernels/generated/wasm-modules.ts"), "");
    for (const d of ["build", "dist/wasm"]) mkdirSync(join(root, d), { recursive: true });
    for (const t of targets) {
      writeFileSync(join(root, `build/latent.${t}.wasm`), t);
      writeFileSync(join(root, `dist/wasm/${t}.wasm`), t);
    }
    const out = join(root, "out");
    node(root, "build-wasm.mjs", "--out", out);
    expect(readdirSync(join(out, "wasm")).sort()).toEqual(targets.map((t) => `${t}.wasm`).sort());
  });

  it("build-browser bundles into --out", () => {
    const root = checkout("browser", ["build-browser.mjs"]);
    for (const d of ["src", "node_modules"]) symlinkSync(join(repo, d), join(root, d));
    const out = join(root, "out");
    node(root, "build-browser.mjs", "--out", out);
    expect(existsSync(join(out, "browser/latent.js")) && existsSync(join(out, "browser/worker.js"))).toBe(true);
  }, 60_000);
});
