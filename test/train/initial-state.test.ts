// The memory of a run's start: optimizer.init's zero slots are made only when read (a trainer
// zeroes its own), model.init's tensors are the layers' own arrays, and fit lets go of the
// initial state once its trainer holds it. Each gives the bits an explicit state gives.
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { beforeAll, describe, expect, it } from "vitest";
import { initSync } from "../../src/backend/default.js";
import { batches } from "../../src/data/batches.js";
import { vae } from "../../src/models/index.js";
import { adam, momentum, sgd, type OptState } from "../../src/optim/index.js";
import { foldIn, key, split, uniform } from "../../src/random/index.js";
import { tensor, type Tensor } from "../../src/tensor/tensor.js";
import { fit, initState, step, type TrainState } from "../../src/train/index.js";

beforeAll(() => { initSync(); });

const D = 12;
const data = tensor(uniform(key(5), 21 * D), [21, D]);
const model = vae.mlp({ input: D, hidden: [9], latent: 3 });
// By hand: encoder 12->9, mu and logvar 9->3 each, decoder 3->9->12.
const PARAMS = 12 * 9 + 9 + 2 * (9 * 3 + 3) + 3 * 9 + 9 + 9 * 12 + 12;

const bits = (a: Float32Array) => Array.from(new Uint32Array(a.buffer, a.byteOffset, a.length));
const snapshot = (s: TrainState) => ({ params: Object.values(s.params).flatMap((t) => bits(t.data)), slots: bits(s.opt.slots), count: s.opt.count });
/** The same parameters in new arrays and the optimizer state written out: count 0, `slots` explicit zeros. */
function explicit(params: TrainState["params"], slots: number): TrainState {
  const copy: Record<string, Tensor> = {};
  for (const [name, t] of Object.entries(params)) copy[name] = tensor(t.data.slice(), t.shape);
  const opt: OptState = { count: 0, slots: new Float32Array(slots) };
  return { params: copy, opt };
}

describe("the initial state", () => {
  it("optimizer.init's slots read as zeros of slots x parameters, the same array each time", () => {
    const params = model.init(key(1));
    for (const [opt, per] of [[adam({ learningRate: 1e-3 }), 2], [momentum({ learningRate: 1e-2 }), 1], [sgd({ learningRate: 1e-2 }), 0]] as const) {
      const s = opt.init(params);
      expect(s.count).toBe(0);
      expect(s.slots).toBeInstanceOf(Float32Array);
      expect(s.slots.length).toBe(per * PARAMS);
      expect(s.slots.every((v) => v === 0)).toBe(true);
      expect(s.slots).toBe(s.slots);
      expect(Object.isFrozen(s)).toBe(true);
    }
  });

  it("model.init's tensors each own their whole array, with torch's init ranges", () => {
    const params = model.init(key(2));
    const arrays = Object.values(params).map((t) => t.data);
    expect(arrays.reduce((n, a) => n + a.length, 0)).toBe(PARAMS);
    expect(new Set(arrays.map((a) => a.buffer)).size).toBe(arrays.length);
    for (const a of arrays) expect(a.byteLength).toBe(a.buffer.byteLength);
    // torch's default init: every encoder.0 value within 1/sqrt(12), every decoder.0 value within 1/sqrt(3).
    expect(params["encoder.0.weight"]!.data.every((v) => Math.abs(v) <= 1 / Math.sqrt(12))).toBe(true);
    expect(params["decoder.0.weight"]!.data.every((v) => Math.abs(v) <= 1 / Math.sqrt(3))).toBe(true);
    // Their bits against the code before: test/models/preset-bits.test.ts (a fixture of digests).
  });

  it.each([["adam (fused)", adam({ learningRate: 3e-3 }), 2], ["momentum", momentum({ learningRate: 1e-2 }), 1]] as const)(
    "%s: step and fit from optimizer.init's state give the bits of explicit zero slots, also on a trainer that has run", async (_, opt, per) => {
      const [kInit, kFit, kData] = split(key(3), 3);
      const params = model.init(kInit!);
      const source = batches(data, { batchSize: 8, key: kData! });
      const batch = [...source(0)][0]!;
      const want = step(model, opt)(explicit(params, per * PARAMS), batch, foldIn(kFit!, 0)).state;
      const fn = step(model, opt);
      expect(snapshot(fn(initState(params, opt), batch, foldIn(kFit!, 0)).state)).toEqual(snapshot(want));
      // The same function again: its slots now hold the first step's moments, which the initial state must clear.
      expect(snapshot(fn(initState(params, opt), batch, foldIn(kFit!, 0)).state)).toEqual(snapshot(want));
      const donating = step(model, opt, { donate: true });
      expect(snapshot(donating(initState(params, opt), batch, foldIn(kFit!, 0)).state)).toEqual(snapshot(want));
      const fitted = await fit(model, opt, { state: initState(params, opt), data: source, epochs: 2, key: kFit! });
      const fittedExplicit = await fit(model, opt, { state: explicit(params, per * PARAMS), data: source, epochs: 2, key: kFit! });
      expect(snapshot(fitted.state)).toEqual(snapshot(fittedExplicit.state));
    });

  it("fit lets go of the initial state once its trainer holds it (a caller who keeps none lets it be collected)", async () => {
    setFlagsFromString("--expose-gc");
    const gc = runInNewContext("gc") as () => void;
    const opt = adam({ learningRate: 1e-3 });
    const [kInit, kFit, kData] = split(key(4), 3);
    let collected = false;
    const registry = new FinalizationRegistry(() => { collected = true; });
    const start = (): TrainState => {
      const s = initState(model.init(kInit!), opt);
      registry.register(s.params["encoder.0.weight"]!.data, "initial");
      return s;
    };
    await fit(model, opt, {
      state: start(), data: batches(data, { batchSize: 8, key: kData! }), epochs: 1, key: kFit!,
      onBatch: async (info) => {
        if (info.batch !== 1) return;
        for (let round = 0; round < 20 && !collected; round++) { gc(); await new Promise((r) => setTimeout(r, 5)); }
      },
    });
    expect(collected).toBe(true);
  });
});
