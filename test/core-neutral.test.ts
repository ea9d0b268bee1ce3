// The core is runtime-neutral: outside src/cli and the node/ folders no file imports a
// node: module, calls eval or new Function, or uses Math.random.
import { describe, expect, it } from "vitest";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return name === "cli" || name === "node" ? [] : files(path);
    return path.endsWith(".ts") ? [path] : [];
  });
}

describe("runtime-neutral core", () => {
  const core = files("src");
  it("covers the core folders", () => {
    expect(core.length).toBeGreaterThan(30);
    expect(core.some((f) => f.includes("kernels"))).toBe(true);
  });
  for (const [what, pattern] of [
    ["node: imports", /from\s+["']node:|require\(\s*["']node:|import\(\s*["']node:/],
    ["eval or new Function", /\beval\s*\(|new\s+Function\s*\(/],
    ["Math.random", /Math\.random\s*\(/],
    ["Buffer", /\bBuffer\./],
  ] as const) {
    it(`has no ${what}`, () => {
      const hits = core.filter((f) => f !== "src/interop/ndarray.ts" || what !== "eval or new Function")
        .filter((f) => pattern.test(readFileSync(f, "utf8")));
      expect(hits).toEqual([]);
    });
  }
  it("keeps the ndarray package (which uses new Function) out of everything but the interop entry", () => {
    const hits = core.filter((f) => /from\s+["']ndarray["']/.test(readFileSync(f, "utf8")) && !f.startsWith("src/interop/"));
    expect(hits).toEqual([]);
  });
  it("the kernel modules import nothing from the host", async () => {
    const { embeddedBytes } = await import("../src/kernels/module.js");
    for (const isa of ["simd", "scalar"] as const) expect(WebAssembly.Module.imports(new WebAssembly.Module(embeddedBytes(isa)))).toEqual([]);
  });
});
