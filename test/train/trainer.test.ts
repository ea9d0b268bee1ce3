// The Trainer keeps its state in place across batch sizes (resize rebuilds only the
// activations): a run that resizes equals fresh trainers loaded with each state, bit for bit.
// A forward-only program computes what a training program's forward does, without gradients.
import { beforeAll, describe, expect, it } from "vitest";
import { defaultBackend, initSync } from "../../src/backend/default.js";
import { ae, vae } from "../../src/models/index.js";
import type { Params } from "../../src/nn/params.js";
import { adam, momentum } from "../../src/optim/index.js";
import { key, foldIn, uniform } from "../../src/random/index.js";
import { tensor } from "../../src/tensor/tensor.js";
import { initState, type TrainState } from "../../src/train/index.js";
import { Trainer } from "../../src/train/trainer.js";
import { forwardPass } from "../../src/objectives/evaluate.js";
import { defaultObjective } from "../../src/objectives/objective.js";

beforeAll(() => { initSync(); });

const D = 12;
const rowsOf = (n: number, seed: number) => tensor(uniform(key(seed), n * D), [n, D]);

function bitsOf(p: Params): number[] {
  return Object.values(p).flatMap((t) => Array.from(new Uint32Array(t.data.buffer, t.data.byteOffset, t.data.length)));
}
function snapshot(s: TrainState) {
  return { params: bitsOf(s.params), slots: Array.from(new Uint32Array(s.opt.slots.buffer.slice(0))), count: s.opt.count };
}

describe("Trainer.resize", () => {
  for (const [name, m, opt] of [
    ["vae + adam (fused)", vae.mlp({ input: D, hidden: [9], latent: 3 }), adam({ learningRate: 1e-2 })],
    ["ae + momentum", ae.mlp({ input: D, hidden: [7], latent: 2, likelihood: "mse" }), momentum({ learningRate: 1e-2 })],
  ] as const) {
    it(`keeps the state across batch sizes 8 -> 5 -> 1 -> 8 (${name})`, () => {
      const be = defaultBackend();
      const sizes = [8, 5, 5, 1, 8, 8];
      const state0 = initState(m.init(key(3)), opt);
      const resized = new Trainer(be, m, opt.transform, sizes[0]!);
      resized.load(state0);
      let fresh = state0;
      sizes.forEach((n, i) => {
        const x = rowsOf(n, 10 + i);
        resized.resize(n);
        expect(resized.batch).toBe(n);
        const a = resized.run(x, foldIn(key(4), i));
        const t = new Trainer(be, m, opt.transform, n);
        t.load(fresh);
        const b = t.run(x, foldIn(key(4), i));
        fresh = t.state();
        t.dispose();
        expect(a).toEqual(b);
        expect(snapshot(resized.state())).toEqual(snapshot(fresh));
      });
      resized.dispose();
    });
  }

  it("state() is read out once per step: the same record until the next run or load", () => {
    const m = vae.mlp({ input: D, hidden: [9], latent: 3 });
    const opt = adam({ learningRate: 1e-2 });
    const t = new Trainer(defaultBackend(), m, opt.transform, 4);
    const s0 = initState(m.init(key(1)), opt);
    t.load(s0);
    const a = t.state();
    expect(t.state()).toBe(a);
    t.run(rowsOf(4, 2), key(5));
    const b = t.state();
    expect(b).not.toBe(a);
    expect(b.opt.count).toBe(1);
    t.load(s0);
    expect(t.state()).not.toBe(b);
    expect(snapshot(t.state())).toEqual(snapshot(a));
    t.dispose();
  });
});

describe("forward-only programs", () => {
  it("compute the same loss, codes and outputs as a training program, and refuse backward()", () => {
    const be = defaultBackend();
    for (const m of [
      vae.mlp({ input: D, hidden: [9], latent: 3 }),
      vae.mlp({ input: D, hidden: [9], latent: 3, likelihood: "gaussian", obsLogvar: "learned" }),
      ae.mlp({ input: D, hidden: [7], latent: 2, likelihood: "mse" }),
    ]) {
      const flat = m.layout.flatten(m.init(key(2)));
      const x = rowsOf(6, 7);
      const run = (forwardOnly: boolean) => {
        const p = m.program(be, 6, { forwardOnly });
        be.write(p.params, flat);
        be.write(p.x, x.data);
        const sums = p.forward(key(9));
        const out = { sums, z: Array.from(be.read(p.z)), out: Array.from(be.read(p.out)), gradsLength: p.grads.length };
        if (forwardOnly) expect(() => forwardPass(p, defaultObjective(m.spec), key(9), 0, false).backward()).toThrow(/forward-only/);
        p.dispose();
        return out;
      };
      const full = run(false), fwd = run(true);
      expect(fwd.sums).toEqual(full.sums);
      expect(fwd.z).toEqual(full.z);
      expect(fwd.out).toEqual(full.out);
      expect(full.gradsLength).toBe(m.layout.total);
      expect(fwd.gradsLength).toBe(0);
    }
  });

  it("a program on caller-owned buffers leaves them alone when disposed, and checks their sizes", () => {
    const be = defaultBackend();
    const m = vae.mlp({ input: D, hidden: [9], latent: 3 });
    const params = be.alloc(m.layout.total), grads = be.alloc(m.layout.total);
    const flat = m.layout.flatten(m.init(key(2)));
    be.write(params, flat);
    m.program(be, 3, { buffers: { params, grads } }).dispose();
    const again = m.program(be, 5, { buffers: { params, grads } });
    expect(Array.from(be.read(again.params))).toEqual(Array.from(flat));
    again.dispose();
    expect(() => m.program(be, 3, { buffers: { params, grads: be.alloc(1) } })).toThrow(RangeError);
    be.free(params); be.free(grads);
  });
});
