import { describe, expect, it } from "vitest";
import * as E from "fp-ts/lib/Either.js";
import { embeddedBytes, instantiate, instantiateSync, relaxedSimdSupported, simdSupported } from "../../src/kernels/module.js";
import { init } from "../../src/backend/default.js";
import { Arena } from "../../src/kernels/arena.js";

describe("kernel module loading", () => {
  it("loads both builds and each reports its ISA", () => {
    expect(simdSupported()).toBe(true);
    for (const isa of ["simd", "scalar"] as const) {
      const loaded = instantiateSync(undefined, { isa });
      expect(E.isRight(loaded)).toBe(true);
      if (E.isRight(loaded)) expect(loaded.right.isa).toBe(isa);
    }
  });

  it("embeds the relaxed-SIMD build, which plain Node 20 rejects: auto stays simd there; the default is simd everywhere", async () => {
    const relaxed = embeddedBytes("relaxed");
    expect(relaxed.length).toBeGreaterThan(1000);
    // Node 20 ships relaxed SIMD only behind --experimental-wasm-relaxed-simd (the child-process
    // test in module-relaxed.test.ts runs with it); later runtimes may accept it by default.
    if (process.versions.node.startsWith("20.") && !process.execArgv.includes("--experimental-wasm-relaxed-simd")) {
      expect(relaxedSimdSupported()).toBe(false);
      expect(WebAssembly.validate(relaxed)).toBe(false);
      expect((await init({ isa: "auto" })).isa).toBe("simd");
      const sync = instantiateSync(undefined, { isa: "relaxed" });
      expect(E.isLeft(sync) && sync.left.name).toBe("KernelLoadError");
      expect(E.isLeft(sync) && sync.left.message).toMatch(/isa 'relaxed' requested but this runtime does not support WebAssembly relaxed SIMD/);
      const async = await instantiate({ isa: "relaxed" })();
      expect(E.isLeft(async) && async.left.name).toBe("KernelLoadError");
      await expect(init({ isa: "relaxed" })).rejects.toThrow(/does not support WebAssembly relaxed SIMD/);
    }
    // Whichever the runtime, the probe and the real module agree.
    expect(relaxedSimdSupported()).toBe(WebAssembly.validate(relaxed));
    expect((await init({ isa: "auto" })).isa).toBe(relaxedSimdSupported() ? "relaxed" : "simd");
    expect((await init()).isa).toBe("simd");
    const sync = instantiateSync();
    expect(E.isRight(sync) && sync.right.isa).toBe("simd");
  });

  it("rejects an unknown isa with a typed error", () => {
    const bad = instantiateSync(undefined, { isa: "avx" as never });
    expect(E.isLeft(bad) && bad.left.message).toMatch(/isa must be "auto", "relaxed", "simd" or "scalar", got avx/);
  });

  it("accepts a precompiled WebAssembly.Module and reads the ISA from it", () => {
    const module = new WebAssembly.Module(embeddedBytes("scalar"));
    const loaded = instantiateSync(module);
    expect(E.isRight(loaded) && loaded.right.isa).toBe("scalar");
  });

  it("refuses bytes that are not a kernel module with a typed error", () => {
    const garbage = instantiateSync(new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0]));
    expect(E.isLeft(garbage) && garbage.left.name).toBe("KernelLoadError");
    const junk = instantiateSync(new Uint8Array([1, 2, 3]));
    expect(E.isLeft(junk) && junk.left.message).toMatch(/instantiating the kernel module failed/);
  });
});

describe("arena", () => {
  it("hands out aligned, disjoint blocks, reuses freed ones and survives memory.grow", () => {
    const loaded = instantiateSync(undefined, { isa: "simd" });
    if (E.isLeft(loaded)) throw loaded.left;
    const arena = new Arena(loaded.right.exports);
    const a = arena.alloc(10);
    const b = arena.alloc(0);
    const c = arena.alloc(3);
    for (const p of [a, b, c]) expect(p % 64).toBe(0);
    expect(new Set([a, b, c]).size).toBe(3);
    arena.f32(a, 10).fill(7);
    const before = loaded.right.exports.memory.buffer.byteLength;
    const big = arena.alloc(4 * 1024 * 1024); // 16 MiB: forces a grow
    expect(loaded.right.exports.memory.buffer.byteLength).toBeGreaterThan(before);
    expect(Array.from(arena.f32(a, 10))).toEqual(new Array(10).fill(7));
    arena.release(b);
    expect(arena.alloc(1)).toBe(b);
    arena.release(big);
    arena.release(c);
    expect(() => arena.release(c)).toThrow(/not allocated/);
    expect(() => arena.alloc(-1)).toThrow(/non-negative/);
  });
});
