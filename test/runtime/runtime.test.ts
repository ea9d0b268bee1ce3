// Runtimes: init() returns one (still a KernelModule) and makes it the default; createRuntime and
// createRuntimeSync make one and leave the default alone. Two runtimes are two memories: buffers,
// programs and optimizer updates on one never touch the other.
import { describe, expect, it } from "vitest";
import * as latent from "../../src/index.js";
import { defaultBackend, defaultRuntime, init, initSync, NotInitialisedError } from "../../src/backend/default.js";
import { WasmBackend } from "../../src/backend/wasm.js";
import { embeddedBytes, KernelLoadError } from "../../src/kernels/module.js";
import { adam } from "../../src/optim/index.js";
import { createRuntime, createRuntimeSync } from "../../src/runtime/index.js";
import { tensor } from "../../src/tensor/tensor.js";

describe("runtimes", () => {
  it("there is no default before init(), and createRuntime sets none", async () => {
    expect(() => defaultBackend()).toThrow(NotInitialisedError);
    const rt = await createRuntime({ isa: "simd" });
    const rs = createRuntimeSync(undefined, { isa: "scalar" });
    expect(rt.isa).toBe("simd");
    expect(rs.isa).toBe("scalar");
    expect(() => defaultBackend()).toThrow(NotInitialisedError);
    expect(() => defaultRuntime()).toThrow(NotInitialisedError);
  });

  it("init() returns a runtime that is a KernelModule and becomes the default", async () => {
    const module = await init({ isa: "simd" });
    expect(module.isa).toBe("simd");
    expect(typeof module.exports.gemm_f32).toBe("function");
    expect(module.backend).toBeInstanceOf(WasmBackend);
    expect(module.backend.module.exports).toBe(module.exports);
    expect(module.wasmModule).toBeInstanceOf(WebAssembly.Module);
    expect(defaultBackend()).toBe(module.backend);
    expect(defaultRuntime()).toBe(module);
    expect(Object.isFrozen(module)).toBe(true);
    // initSync replaces it; createRuntime does not.
    const again = initSync(module.wasmModule);
    expect(defaultBackend()).toBe(again.backend);
    const other = await createRuntime({ isa: "simd" });
    expect(defaultBackend()).toBe(again.backend);
    expect(other.backend).not.toBe(again.backend);
  });

  it("createRuntimeSync takes a compiled module, bytes, or nothing; the ISA is the module's", () => {
    const bytes = embeddedBytes("scalar");
    for (const source of [new WebAssembly.Module(bytes), bytes, undefined]) {
      const rt = createRuntimeSync(source, { isa: "scalar" });
      expect(rt.isa).toBe("scalar");
      expect(rt.backend.name).toBe("wasm-scalar");
    }
    expect(createRuntimeSync(embeddedBytes("simd"), { isa: "scalar" }).isa).toBe("simd");
    expect(() => createRuntimeSync(new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0]))).toThrow(KernelLoadError);
    expect(() => createRuntimeSync(new Uint8Array([1, 2, 3]))).toThrow(KernelLoadError);
    expect(() => createRuntimeSync(undefined, { isa: "avx" as "simd" })).toThrow(KernelLoadError);
  });

  it("two runtimes are two memories", () => {
    const a = createRuntimeSync(undefined, { isa: "simd" }), b = createRuntimeSync(undefined, { isa: "simd" });
    expect(a.exports.memory).not.toBe(b.exports.memory);
    const x = a.backend.alloc(4), y = b.backend.alloc(4);
    a.backend.write(x, [1, 2, 3, 4]);
    b.backend.write(y, [5, 6, 7, 8]);
    expect(x.ptr).toBe(y.ptr); // the same address in each memory
    expect(Array.from(a.backend.read(x))).toEqual([1, 2, 3, 4]);
    // An optimizer step on either gives the same numbers.
    const opt = adam({ learningRate: 0.1 });
    const params = { w: tensor(Float32Array.from([1, -1]), [2]) }, grads = { w: tensor(Float32Array.from([0.5, 2]), [2]) };
    const on = (be: WasmBackend) => Array.from(opt.update(grads, opt.init(params), params, { backend: be }).updates.w!.data);
    expect(on(a.backend)).toEqual(on(b.backend));
    expect(Array.from(b.backend.read(y))).toEqual([5, 6, 7, 8]);
  });

  it("the package exports the runtime API", () => {
    expect(latent.createRuntime).toBe(createRuntime);
    expect(latent.createRuntimeSync).toBe(createRuntimeSync);
    expect(latent.defaultRuntime).toBe(defaultRuntime);
  });
});

describe("the runtime's Either edge", () => {
  it("loadRuntime and loadRuntimeSync give a KernelLoadError as a Left, never a throw, and a runtime as a Right", async () => {
    const { loadRuntime, loadRuntimeSync } = await import("../../src/runtime/index.js");
    const { KernelLoadError } = await import("../../src/kernels/module.js");
    const bad = loadRuntimeSync(new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0, 99]));
    expect(bad._tag).toBe("Left");
    if (bad._tag === "Left") expect(bad.left).toBeInstanceOf(KernelLoadError);
    const wrongIsa = await loadRuntime({ isa: "avx" as never })();
    expect(wrongIsa._tag === "Left" && wrongIsa.left instanceof KernelLoadError && /isa must be/.test(wrongIsa.left.message)).toBe(true);
    const ok = await loadRuntime({ isa: "scalar" })();
    expect(ok._tag === "Right" && ok.right.isa === "scalar" && ok.right.backend.name === "wasm-scalar").toBe(true);
    const again = ok._tag === "Right" ? loadRuntimeSync(ok.right.wasmModule) : null;
    expect(again?._tag === "Right" && again.right.isa === "scalar").toBe(true);
  });

  it("initSync with the options where the source goes is a KernelLoadError that says so", () => {
    expect(() => initSync({ isa: "simd" } as never)).toThrow(KernelLoadError);
    expect(() => initSync({ isa: "simd" } as never)).toThrow(/must be a WebAssembly.Module or the module's bytes, got object \(options such as \{ isa \} go second/);
    expect(() => createRuntimeSync(null as never)).toThrow(/got null/);
    expect(createRuntimeSync(new Uint8Array(embeddedBytes("scalar")).buffer).isa).toBe("scalar"); // an ArrayBuffer is bytes
  });
});
