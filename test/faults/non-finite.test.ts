// A NaN or infinity in training (NonFiniteError, src/train/trainer.ts):
// - the API: fit names the epoch, the step and the batch, and carries the last finite state, which
//   equals (bit for bit) folding the pure `step` over the batches before the failing one, for a
//   NaN in the data in the middle of an epoch and for a learning rate that diverges;
// - the command: a run whose learning rate diverges after a checkpoint (a checkpoint of a good run
//   stored again with lr 1e39, then resumed) ends with one line naming the epoch and the step, exit
//   2; checkpoint.safetensors and best.safetensors keep their bytes and load; the last finite state
//   is in last-finite.safetensors, equal to the checkpoint's (the first step of the epoch failed).
//   The command's data loaders give uint8 pixels, which cannot hold a NaN: data NaNs are API cases.
import { mkdtempSync, readFileSync, rmSync, existsSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as E from "fp-ts/lib/Either.js";
import { initSync } from "../../src/backend/default.js";
import { modelFromSafetensors, modelToSafetensors } from "../../src/io/model-file.js";
import { ae, vae } from "../../src/models/index.js";
import type { Params } from "../../src/nn/params.js";
import { adam, sgd } from "../../src/optim/index.js";
import { foldIn, key, uniform } from "../../src/random/index.js";
import { tensor, type Tensor } from "../../src/tensor/tensor.js";
import { fit, initState, NonFiniteError, step, type TrainState } from "../../src/train/index.js";
import { writeIdxFolder } from "../../bench/soak-kill.js";
import { latent, modelFile } from "../cli/support.js";

beforeAll(() => { initSync(undefined, { isa: "simd" }); });

const D = 12, ROWS = 8;
const rows = (seed: number) => tensor(uniform(key(seed), ROWS * D), [ROWS, D]);
const bitsOf = (p: Params) => Object.values(p).flatMap((t) => Array.from(new Uint32Array(t.data.buffer, t.data.byteOffset, t.data.length)));
const stateBits = (s: TrainState) => ({ params: bitsOf(s.params), slots: Array.from(new Uint32Array(s.opt.slots.buffer.slice(0))), count: s.opt.count });

/** Epoch e yields batches seed 10e + b for b < 4, the batch `bad` of epoch `badEpoch` (0-based) with a NaN. */
function source(badEpoch: number, bad: number) {
  return (epoch: number) => Array.from({ length: 4 }, (_, b) => {
    const x = rows(10 * epoch + b);
    if (epoch === badEpoch && b === bad) { const d = x.data.slice(); d[5] = NaN; return tensor(d, [ROWS, D]); }
    return x;
  });
}

/** The state after folding the pure step over the first `n` batches of `data`, with fit's keys foldIn(key, count). */
function folded(model: ReturnType<typeof vae.mlp>, opt: ReturnType<typeof adam>, state0: TrainState, data: (epoch: number) => Tensor[], n: number, k: ReturnType<typeof key>): TrainState {
  const fn = step(model, opt);
  let s = state0;
  for (let i = 0; i < n; i++) s = fn(s, data(Math.floor(i / 4))[i % 4]!, foldIn(k, s.opt.count)).state;
  fn.dispose();
  return s;
}

describe("NonFiniteError from fit", () => {
  it("a NaN in the data, batch 3 of epoch 2: names them, and carries the state of the 6 steps before, bit for bit", async () => {
    const model = vae.mlp({ input: D, hidden: [9], latent: 3 });
    const opt = adam({ learningRate: 1e-2 });
    const state0 = initState(model.init(key(1)), opt);
    const data = source(1, 2);
    const error = await fit(model, opt, { state: state0, data, epochs: 3, key: key(2) }).then(() => null, (e: unknown) => e);
    expect(error).toBeInstanceOf(NonFiniteError);
    const e = error as NonFiniteError;
    expect([e.step, e.place]).toEqual([6, { epoch: 2, batch: 2 }]);
    expect(e.message).toBe("training stopped at epoch 2 (batch 3), step 6: the input batch is not finite; the state before this step is kept");
    expect(stateBits(e.state)).toEqual(stateBits(folded(model, opt, state0, data, 6, key(2))));
  });

  it("a learning rate that diverges: the epoch and step named, the state before the failing step, finite", async () => {
    const model = ae.mlp({ input: D, hidden: [9], latent: 3, likelihood: "mse" });
    const opt = sgd({ learningRate: 1e12 });
    const state0 = initState(model.init(key(1)), opt);
    const data = source(-1, -1);
    const error = await fit(model, opt, { state: state0, data, epochs: 50, key: key(2) }).then(() => null, (e: unknown) => e);
    expect(error).toBeInstanceOf(NonFiniteError);
    const e = error as NonFiniteError;
    expect(e.place).toEqual({ epoch: Math.floor(e.step / 4) + 1, batch: e.step % 4 });
    expect(e.message).toMatch(new RegExp(`^training stopped at epoch ${e.place!.epoch} \\(batch ${e.place!.batch + 1}\\), step ${e.step}: .* is not finite`));
    expect(Object.values(e.state.params).every((t) => t.data.every(Number.isFinite))).toBe(true);
    expect(stateBits(e.state)).toEqual(stateBits(folded(model, opt, state0, data, e.step, key(2))));
  });
});

describe("latent train meeting a non-finite value", () => {
  const dir = mkdtempSync(join(tmpdir(), "latent-nonfinite-"));
  const data = join(dir, "data"), out = join(dir, "run");
  const tiny = ["--hidden", "32", "--latent", "2", "--batch", "32", "--isa", "simd", "--threads", "1"];
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("a learning rate that diverges after 2 good epochs: one line naming epoch 3 and its step, exit 2, the checkpoints intact", async () => {
    writeIdxFolder(data); // 96 training images: 3 steps an epoch
    expect((await latent("train", "--data", data, ...tiny, "--epochs", "2", "--out", out)).code).toBe(0);
    const ck = join(out, "checkpoint.safetensors"), best = join(out, "best.safetensors"), diverging = join(dir, "diverging.safetensors");
    const before = { ck: readFileSync(ck), best: readFileSync(best) };
    const parsed = modelFromSafetensors(new Uint8Array(before.ck));
    if (E.isLeft(parsed)) throw parsed.left;
    const f = parsed.right;
    // The same run, stored with a learning rate whose first update overflows float32.
    writeFileSync(diverging, modelToSafetensors({ spec: f.spec, params: f.params, normalization: f.normalization, optState: f.optState, transform: f.transform,
      training: { ...(f.training as Record<string, unknown>), lr: 1e39 } as never }));
    rmSync(join(out, "model.safetensors"));
    const r = await latent("train", "--resume", diverging, "--epochs", "4", "--isa", "simd", "--threads", "1", "--out", out);
    expect(r.code).toBe(2);
    expect(r.err).toEqual([`latent: training stopped at epoch 3 (batch 1), step 6: the updated parameters or optimizer state is not finite; ` +
      `the state before this step is kept; it is in ${join(out, "last-finite.safetensors")} (not resumable: the checkpoints of earlier epochs are untouched)`]);
    expect(Buffer.compare(readFileSync(ck), before.ck)).toBe(0);
    expect(Buffer.compare(readFileSync(best), before.best)).toBe(0);
    expect(modelFile(ck).training.epochsDone).toBe(2);
    expect(existsSync(join(out, "model.safetensors"))).toBe(false);
    const last = modelFile(join(out, "last-finite.safetensors"));
    expect(last.bits).toEqual(modelFile(ck).bits);
    expect(last.training).toBeUndefined();
    const lastFile = modelFromSafetensors(new Uint8Array(readFileSync(join(out, "last-finite.safetensors"))));
    expect(E.isRight(lastFile) && lastFile.right.optState?.count).toBe(6);
    const again = await latent("train", "--resume", join(out, "last-finite.safetensors"), "--epochs", "4", "--out", join(dir, "x"));
    expect([again.code, again.err.length]).toEqual([2, 1]);
    expect(existsSync(join(out, ".latent.lock"))).toBe(false);
  });

  it("--lr 1e9 from the start: one line naming epoch 1, exit 2", async () => {
    const r = await latent("train", "--data", data, ...tiny, "--epochs", "3", "--lr", "1e9", "--out", join(dir, "fresh"));
    expect(r.code).toBe(2);
    expect(r.err).toEqual([expect.stringMatching(/^latent: training stopped at epoch 1 \(batch \d+\), step \d+: .* is not finite; the state before this step is kept; it is in .*last-finite\.safetensors/)]);
    expect(existsSync(join(dir, "fresh", "checkpoint.safetensors"))).toBe(false);
  });
});
