import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as E from "fp-ts/lib/Either.js";
import { ae, vae, type Model } from "../../src/models/index.js";
import type { Params } from "../../src/nn/params.js";
import { key } from "../../src/random/index.js";
import { tensor } from "../../src/tensor/tensor.js";
import { SafetensorsError, type SafeTensor } from "../../src/io/safetensors-format.js";
import { decodeSafetensors } from "../../src/io/safetensors-read.js";
import { encodeSafetensors } from "../../src/io/safetensors-write.js";
import { ModelFileError, modelFromSafetensors, modelToSafetensors, modelToSafetensorsParts, type ModelFile, type ModelFileErrorKind, type ModelFileInput } from "../../src/io/model-file.js";
import { loadModel, saveModel } from "../../src/io/node/model-file.js";
import { FileWriteError } from "../../src/io/node/atomic-write.js";

const small = (): { model: Model; params: Params } => {
  const model = vae.mlp({ input: 6, hidden: [5, 4], latent: 3 });
  return { model, params: model.init(key(1)) };
};

function load(bytes: Uint8Array): ModelFile {
  const r = modelFromSafetensors(bytes);
  if (E.isLeft(r)) throw r.left;
  return r.right;
}

function refused(bytes: Uint8Array, kind: ModelFileErrorKind): ModelFileError {
  const r = modelFromSafetensors(bytes);
  if (E.isRight(r)) throw new Error(`expected a ${kind} error, loading succeeded`);
  expect(r.left).toBeInstanceOf(ModelFileError);
  expect({ kind: r.left.kind, message: r.left.message }).toMatchObject({ kind });
  return r.left;
}

function throwsKind(f: () => unknown, kind: ModelFileErrorKind): ModelFileError {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(ModelFileError);
    expect({ kind: (e as ModelFileError).kind, message: (e as Error).message }).toMatchObject({ kind });
    return e as ModelFileError;
  }
  throw new Error(`expected a ${kind} error`);
}

/** Values compared as bit patterns (so -0 and NaN payloads count). */
const bits = (a: Float32Array) => Array.from(new Uint32Array(a.buffer, a.byteOffset, a.length));

function expectSameParams(got: Params, want: Params): void {
  expect(Object.keys(got)).toEqual(Object.keys(want));
  for (const [name, t] of Object.entries(want)) {
    expect(got[name]!.shape).toEqual(t.shape);
    expect(bits(got[name]!.data)).toEqual(bits(t.data));
  }
}

/** Re-encodes a model file with its tensors and metadata edited. */
function edit(bytes: Uint8Array, f: (tensors: Record<string, SafeTensor>, metadata: Record<string, string>) => void): Uint8Array {
  const d = decodeSafetensors(bytes);
  if (E.isLeft(d)) throw d.left;
  const tensors = { ...d.right.tensors }, metadata = { ...d.right.metadata };
  f(tensors, metadata);
  return encodeSafetensors(tensors, metadata);
}

describe("model files", () => {
  it("a VAE round trips: params bit-identical, spec equal, the model rebuilt", () => {
    const { model, params } = small();
    const loaded = load(modelToSafetensors({ spec: model.spec, params }));
    expectSameParams(loaded.params, params);
    expect(loaded.spec).toEqual(model.spec);
    expect(loaded.model.spec).toEqual(model.spec);
    expect(loaded.model.layout.entries).toEqual(model.layout.entries);
    expect(loaded.normalization).toBeUndefined();
    expect(loaded.training).toBeUndefined();
    expect(loaded.optState).toBeUndefined();
  });

  it("an AE with a learned Gaussian log-variance round trips, obs.logvar included", () => {
    const model = ae.mlp({ input: 5, hidden: [3], latent: 2, likelihood: "gaussian", obsLogvar: "learned", activation: "tanh", init: "glorot" });
    const params = model.init(key(7));
    expect(Object.keys(params)).toContain("obs.logvar");
    const loaded = load(modelToSafetensors({ spec: model.spec, params }));
    expectSameParams(loaded.params, params);
    expect(loaded.spec).toEqual(model.spec);
  });

  it("stores PyTorch state_dict names and shapes as F32, and the metadata as JSON strings", () => {
    const { model, params } = small();
    const d = decodeSafetensors(modelToSafetensors({ spec: model.spec, params, normalization: { scale: 1 / 255 } }));
    if (E.isLeft(d)) throw d.left;
    const { tensors, metadata } = d.right;
    expect(Object.keys(tensors)).toEqual(model.layout.entries.map((e) => e.name));
    expect(tensors["encoder.0.weight"]).toMatchObject({ dtype: "F32", shape: [5, 6] });
    expect(tensors["encoder.0.bias"]).toMatchObject({ dtype: "F32", shape: [5] });
    expect(tensors["mu.0.weight"]).toMatchObject({ dtype: "F32", shape: [3, 4] });
    expect(tensors["logvar.0.weight"]).toMatchObject({ dtype: "F32", shape: [3, 4] });
    expect(tensors["decoder.0.weight"]).toMatchObject({ dtype: "F32", shape: [4, 3] });
    expect(metadata["latent.format"]).toBe("1");
    expect(JSON.parse(metadata["latent.spec"]!)).toEqual(model.spec);
    expect(JSON.parse(metadata["latent.normalization"]!)).toEqual({ scale: 1 / 255 });
  });

  it("normalization, training config and optimizer state round trip", () => {
    const { model, params } = small();
    const n = model.layout.total;
    const slots = Float32Array.from({ length: 2 * n }, (_, i) => Math.sin(i) * 1e-3);
    slots[3] = -0;
    const input: ModelFileInput = {
      spec: model.spec, params,
      normalization: { mean: [0.1, 0.2, 0.3], std: [1, 2, 3] },
      training: { optimizer: "adam", learningRate: 1e-3, epochs: 3, batch: 128, seed: 1, note: null },
      optState: { count: 42, slots }, transform: "adam",
    };
    const loaded = load(modelToSafetensors(input));
    expectSameParams(loaded.params, params);
    expect(loaded.normalization).toEqual(input.normalization);
    expect(loaded.training).toEqual(input.training);
    expect(loaded.optState!.count).toBe(42);
    expect(bits(loaded.optState!.slots)).toEqual(bits(slots));
    expect(loaded.transform).toBe("adam");
    // SGD keeps no slots: an empty optimizer.slots tensor.
    const sgd = load(modelToSafetensors({ spec: model.spec, params, optState: { count: 3, slots: new Float32Array(0) } }));
    expect(sgd.optState).toEqual({ count: 3, slots: new Float32Array(0) });
    expect(sgd.transform).toBeUndefined();
  });

  it("loaded tensors do not share memory with the bytes read", () => {
    const { model, params } = small();
    const bytes = modelToSafetensors({ spec: model.spec, params, optState: { count: 1, slots: new Float32Array(model.layout.total) } });
    const loaded = load(bytes);
    for (const t of Object.values(loaded.params)) expect(t.data.buffer).not.toBe(bytes.buffer);
    expect(loaded.optState!.slots.buffer).not.toBe(bytes.buffer);
  });

  it("accepts params as strided views, written in row-major order", () => {
    const model = ae.mlp({ input: 2, hidden: [], latent: 2 });
    const params = model.init(key(2));
    const w = params["encoder.0.weight"]!; // [2, 2]; store its transpose's transpose through strides
    const t = { data: Float32Array.from([w.data[0]!, w.data[2]!, w.data[1]!, w.data[3]!]), shape: [2, 2], stride: [1, 2], offset: 0 };
    const loaded = load(modelToSafetensors({ spec: model.spec, params: { ...params, "encoder.0.weight": t } }));
    expectSameParams(loaded.params, params);
    // A contiguous view at an offset into a larger array is written from its own elements.
    const padded = new Float32Array(3 + w.data.length);
    padded.set(w.data, 3);
    const shifted = { data: padded, shape: [2, 2], stride: [2, 1], offset: 3 };
    expectSameParams(load(modelToSafetensors({ spec: model.spec, params: { ...params, "encoder.0.weight": shifted } })).params, params);
  });

  it("as pieces: their concatenation is the file, and contiguous tensors are views, not copies", () => {
    const { model, params } = small();
    const slots = new Float32Array(2 * model.layout.total).fill(0.5);
    const input = { spec: model.spec, params, optState: { count: 3, slots } };
    const whole = modelToSafetensors(input);
    const { parts, length } = modelToSafetensorsParts(input);
    expect(length).toBe(whole.length);
    expect(Buffer.compare(Buffer.concat(parts), whole)).toBe(0);
    expect(parts.some((p) => p.buffer === slots.buffer)).toBe(true);
    expect(parts.some((p) => p.buffer === params["encoder.0.weight"]!.data.buffer)).toBe(true);
  });
});

describe("model files refuse bad input when writing", () => {
  const { model, params } = small();

  it("non-finite parameters or optimizer values", () => {
    for (const bad of [NaN, Infinity, -Infinity]) {
      const name = "decoder.2.bias"; // indices count activation layers too, as in nn.Sequential
      const data = Float32Array.from(params[name]!.data);
      data[1] = bad;
      const e = throwsKind(() => modelToSafetensors({ spec: model.spec, params: { ...params, [name]: tensor(data, params[name]!.shape) } }), "non-finite");
      expect(e.details.tensor).toBe(name);
      expect(e.message).toContain(name);
    }
    const slots = new Float32Array(model.layout.total);
    slots[5] = NaN;
    expect(throwsKind(() => modelToSafetensors({ spec: model.spec, params, optState: { count: 1, slots } }), "non-finite").details.tensor).toBe("optimizer.slots");
  });

  it("missing, misshapen or extra parameters; a bad spec; bad optimizer state; non-JSON metadata", () => {
    const { ["mu.0.bias"]: _, ...missing } = params;
    expect(throwsKind(() => modelToSafetensors({ spec: model.spec, params: missing }), "missing").details.tensor).toBe("mu.0.bias");
    throwsKind(() => modelToSafetensors({ spec: model.spec, params: { ...params, "mu.0.bias": tensor(new Float32Array(4), [4]) } }), "shape");
    throwsKind(() => modelToSafetensors({ spec: model.spec, params: { ...params, extra: tensor(new Float32Array(1), [1]) } }), "unknown");
    throwsKind(() => modelToSafetensors({ spec: { ...model.spec, latent: 0 }, params }), "spec");
    throwsKind(() => modelToSafetensors({ spec: { ...model.spec, color: "red" } as never, params }), "spec");
    throwsKind(() => modelToSafetensors({ spec: model.spec, params, optState: { count: -1, slots: new Float32Array(0) } }), "optimizer");
    throwsKind(() => modelToSafetensors({ spec: model.spec, params, optState: { count: 0, slots: new Float32Array(model.layout.total + 1) } }), "optimizer");
    throwsKind(() => modelToSafetensors({ spec: model.spec, params, transform: "adam" }), "optimizer");
    throwsKind(() => modelToSafetensors({ spec: model.spec, params, normalization: { scale: NaN } }), "metadata");
    throwsKind(() => modelToSafetensors({ spec: model.spec, params, normalization: [1] as never }), "metadata");
    throwsKind(() => modelToSafetensors({ spec: model.spec, params, training: { f: (() => 1) as never } }), "metadata");
    throwsKind(() => modelToSafetensors({ spec: model.spec, params, training: { a: new Float32Array(2) as never } }), "metadata");
  });
});

describe("model files refuse bad files when reading", () => {
  const { model, params } = small();
  const bytes = modelToSafetensors({ spec: model.spec, params, optState: { count: 2, slots: new Float32Array(2 * model.layout.total) }, transform: "adam" });

  it("a file that is not valid safetensors, with the SafetensorsError as cause", () => {
    const e = refused(bytes.subarray(0, bytes.length - 1), "safetensors");
    expect(e.cause).toBeInstanceOf(SafetensorsError);
    refused(new Uint8Array(3), "safetensors");
  });

  it("a missing parameter", () => {
    const e = refused(edit(bytes, (t) => { delete t["decoder.0.weight"]; }), "missing");
    expect(e.details.tensor).toBe("decoder.0.weight");
    expect(e.message).toContain("decoder.0.weight");
  });

  it("a parameter of the wrong shape or dtype", () => {
    const e = refused(edit(bytes, (t) => { t["encoder.0.weight"] = { dtype: "F32", shape: [6, 5], data: new Float32Array(30) }; }), "shape");
    expect(e.details).toMatchObject({ tensor: "encoder.0.weight", expected: "[5, 6]", found: "[6, 5]" });
    refused(edit(bytes, (t) => { t["encoder.0.bias"] = { dtype: "F64", shape: [5], data: new Float64Array(5) }; }), "dtype");
  });

  it("non-finite values in parameters or optimizer state", () => {
    refused(edit(bytes, (t) => { t["mu.0.bias"] = { dtype: "F32", shape: [3], data: new Float32Array([0, NaN, 0]) }; }), "non-finite");
    refused(edit(bytes, (t) => { const s = new Float32Array(2 * model.layout.total); s[0] = Infinity; t["optimizer.slots"] = { dtype: "F32", shape: [s.length], data: s }; }), "non-finite");
  });

  it("unknown tensors, including unknown optimizer.* tensors", () => {
    refused(edit(bytes, (t) => { t["encoder.9.weight"] = { dtype: "F32", shape: [1], data: new Float32Array(1) }; }), "unknown");
    refused(edit(bytes, (t) => { t["optimizer.other"] = { dtype: "F32", shape: [1], data: new Float32Array(1) }; }), "unknown");
  });

  it("a wrong or missing format version, an unknown latent.* key", () => {
    refused(edit(bytes, (_, m) => { m["latent.format"] = "2"; }), "format");
    refused(edit(bytes, (_, m) => { delete m["latent.format"]; }), "format");
    refused(edit(bytes, (_, m) => { m["latent.extra"] = "{}"; }), "metadata");
    expect(load(edit(bytes, (_, m) => { m["format"] = "pt"; })).spec).toEqual(model.spec); // foreign keys are ignored
  });

  it("a missing, malformed or invalid spec", () => {
    refused(edit(bytes, (_, m) => { delete m["latent.spec"]; }), "spec");
    refused(edit(bytes, (_, m) => { m["latent.spec"] = "{"; }), "spec");
    refused(edit(bytes, (_, m) => { m["latent.spec"] = "[]"; }), "spec");
    refused(edit(bytes, (_, m) => { m["latent.spec"] = JSON.stringify({ ...model.spec, hidden: [5, -4] }); }), "spec");
    refused(edit(bytes, (_, m) => { m["latent.spec"] = JSON.stringify({ ...model.spec, activation: "swish" }); }), "spec");
    refused(edit(bytes, (_, m) => { m["latent.spec"] = JSON.stringify({ ...model.spec, extra: 1 }); }), "spec");
    const { beta: _, ...noBeta } = model.spec;
    refused(edit(bytes, (_, m) => { m["latent.spec"] = JSON.stringify(noBeta); }), "spec");
    // A spec for a different architecture: the parameters no longer fit.
    refused(edit(bytes, (_, m) => { m["latent.spec"] = JSON.stringify({ ...model.spec, latent: 2 }); }), "shape");
  });

  it("inconsistent optimizer state", () => {
    refused(edit(bytes, (_, m) => { delete m["latent.optimizer"]; }), "optimizer");
    refused(edit(bytes, (t) => { delete t["optimizer.slots"]; }), "optimizer");
    refused(edit(bytes, (_, m) => { m["latent.optimizer"] = '{"count":-1}'; }), "optimizer");
    refused(edit(bytes, (_, m) => { m["latent.optimizer"] = '{"count":1.5}'; }), "optimizer");
    refused(edit(bytes, (_, m) => { m["latent.optimizer"] = '{"count":1,"transform":3}'; }), "optimizer");
    refused(edit(bytes, (t) => { t["optimizer.slots"] = { dtype: "F32", shape: [7], data: new Float32Array(7) }; }), "optimizer");
  });

  it("malformed normalization or training metadata", () => {
    refused(edit(bytes, (_, m) => { m["latent.normalization"] = "[1]"; }), "metadata");
    refused(edit(bytes, (_, m) => { m["latent.training"] = "{nope"; }), "metadata");
  });
});

describe("saveModel and loadModel (node)", () => {
  let dir = "";
  beforeAll(async () => { dir = await mkdtemp(join(tmpdir(), "latent-model-file-")); });
  afterAll(async () => { await rm(dir, { recursive: true, force: true }); });

  it("saves and loads a model; the file is the encoded bytes", async () => {
    const { model, params } = small();
    const path = join(dir, "vae.safetensors");
    const input = { spec: model.spec, params, training: { epochs: 1 } };
    expect(await saveModel(path, input)()).toEqual(E.right(undefined));
    expect(new Uint8Array(await readFile(path))).toEqual(modelToSafetensors(input));
    const loaded = await loadModel(path)();
    if (E.isLeft(loaded)) throw loaded.left;
    expectSameParams(loaded.right.params, params);
    expect(loaded.right.spec).toEqual(model.spec);
    expect(loaded.right.training).toEqual({ epochs: 1 });
    expect((await readdir(dir)).filter((f) => f.endsWith(".tmp"))).toEqual([]);
  });

  it("refuses to save non-finite parameters and leaves the old file as it was", async () => {
    const { model, params } = small();
    const path = join(dir, "keep.safetensors");
    await writeFile(path, "old");
    const data = Float32Array.from(params["mu.0.bias"]!.data);
    data[0] = NaN;
    const r = await saveModel(path, { spec: model.spec, params: { ...params, "mu.0.bias": tensor(data, [3]) } })();
    if (E.isRight(r)) throw new Error("expected an error");
    expect(r.left).toBeInstanceOf(ModelFileError);
    expect(r.left.message).toContain(path);
    expect((r.left as ModelFileError).kind).toBe("non-finite");
    expect(await readFile(path, "utf8")).toBe("old");
  });

  it("a failed write (crash before the rename) keeps the old model", async () => {
    const { model, params } = small();
    const path = join(dir, "crash.safetensors");
    await saveModel(path, { spec: model.spec, params })();
    const before = await readFile(path);
    const other = ae.mlp({ input: 6, hidden: [2], latent: 1 });
    const r = await saveModel(path, { spec: other.spec, params: other.init(key(3)) }, { hooks: { beforeRename: () => { throw new Error("simulated crash"); } } })();
    if (E.isRight(r)) throw new Error("expected an error");
    expect(r.left).toBeInstanceOf(FileWriteError);
    expect(r.left.message).toContain(path);
    expect(await readFile(path)).toEqual(before);
    expect((await readdir(dir)).filter((f) => f.endsWith(".tmp"))).toEqual([]);
  });

  it("loading names the path: a missing file, a file that is not a model", async () => {
    const missing = join(dir, "nope.safetensors");
    const r1 = await loadModel(missing)();
    if (E.isRight(r1)) throw new Error("expected an error");
    expect(r1.left).toMatchObject({ kind: "io", details: { path: missing } });
    expect(r1.left.message).toContain(missing);
    const junk = join(dir, "junk.safetensors");
    await writeFile(junk, "not a model at all");
    const r2 = await loadModel(junk)();
    if (E.isRight(r2)) throw new Error("expected an error");
    expect(r2.left).toMatchObject({ kind: "safetensors", details: { path: junk } });
    expect(r2.left.message.startsWith(junk)).toBe(true);
    const plain = join(dir, "plain.safetensors");
    await writeFile(plain, encodeSafetensors({ w: { dtype: "F32", shape: [1], data: new Float32Array(1) } }));
    const r3 = await loadModel(plain)();
    expect(E.isLeft(r3) && r3.left.kind).toBe("format");
  });
});
