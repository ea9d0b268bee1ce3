/**
 * The one gradient path: an objective's forward pass on a training program returns its value,
 * its named terms and a backward() that writes d(value)/d(params) into the program's gradient
 * buffer. valueAndGrad, the Trainer (so train.step and train.fit) and the evaluation of an
 * objective all run this.
 *
 * Conventions: value and terms are per-sample means over the batch (see ./objective.ts); the
 * gradient is that of value. Keys: the code's noise is drawn from the key itself (so the default
 * objective draws what the code before objectives drew), the corruption from foldIn(key, CORRUPT),
 * Dropout layers from keys the program derives.
 */
import type { Buffer } from "../backend/backend.js";
import type { Program } from "../models/program.js";
import { foldIn, type Key } from "../random/index.js";
import { corruptInto } from "./corrupt.js";
import { iwaeForward } from "./iwae.js";
import { betaAt, type Objective, type Penalty } from "./objective.js";
import type { Pass, PenaltyPass } from "./pass.js";

export const CORRUPT = 0x636f7272;

/**
 * Runs the objective on a program whose x (and labels) are set. `train` lets Dropout layers draw
 * from the key (a training forward); evaluation passes false.
 */
export function forwardPass<B extends Buffer>(prog: Program<B>, obj: Objective, key: Key, step: number, train = true): Pass<B> {
  const { be } = prog;
  if (obj.corrupt) corruptInto(be, obj.corrupt, foldIn(key, CORRUPT), prog.x, prog.corrupted!);
  prog.assembleInput();
  prog.encode(train ? key : null);
  prog.sampleCode(key);
  prog.decode(train ? key : null);
  const penalties = penaltiesForward(prog, obj.penalties);
  if (obj.bound === "iwae") return iwaeForward(prog, key, penalties);

  const batch = prog.batch;
  const recon = prog.reconstructionSum();
  const vae = prog.muRun !== null;
  const kl = vae ? be.klNormalForward(prog.mu!, prog.logvar!) : 0;
  const beta = obj.beta ? betaAt(obj.beta, step) : 0;
  const value = (recon + beta * kl) / batch + penalties.value;
  const terms = Object.freeze({ reconstruction: recon / batch, kl: kl / batch, ...penalties.terms });
  return {
    value, terms, program: prog,
    backward() {
      const scale = batch > 0 ? 1 / batch : 0;
      prog.reconstructionBackward(scale);
      prog.decoderBackward();
      if (!vae) {
        penalties.backward(prog.dz);
        prog.encoderBackward();
        return;
      }
      be.reparamBackward(prog.logvar!, prog.eps, prog.dz, prog.dmu, prog.dlv);
      if (obj.beta) be.klNormalBackward(scale * beta, prog.mu!, prog.logvar!, prog.dmu, prog.dlv);
      penalties.backward(prog.dmu);
      prog.encoderBackward();
    },
  };
}

/** rho_hat is kept in [CLAMP, 1 - CLAMP], where the sparsity term and its gradient are finite (the gradient is 0 where clamped). */
const CLAMP = 1e-6;

function penaltiesForward<B extends Buffer>(prog: Program<B>, penalties: readonly Penalty[]): PenaltyPass<B> {
  if (penalties.length === 0) return { value: 0, terms: {}, backward() {} };
  const { be, batch } = prog;
  const L = prog.spec.latent;
  const code = prog.code;
  const terms: Record<string, number> = {};
  const grads: ((dcode: B) => void)[] = [];
  let value = 0;
  const scale = batch > 0 ? 1 / batch : 0;
  for (const p of penalties) {
    if (p.type === "l1") {
      const s = be.l1Forward(code) / batch;
      terms.l1 = (terms.l1 ?? 0) + s;
      value += p.weight * s;
      grads.push((d) => be.l1Backward(p.weight * scale, code, d));
    } else {
      const sums = be.alloc(L);
      be.colSum(batch, L, code, L, 0, sums);
      const colSums = be.read(sums);
      const g = new Float64Array(L);
      let s = 0;
      for (let j = 0; j < L; j++) {
        const raw = colSums[j]! / batch;
        const r = Math.min(Math.max(raw, CLAMP), 1 - CLAMP);
        s += p.rho * Math.log(p.rho / r) + (1 - p.rho) * Math.log((1 - p.rho) / (1 - r));
        g[j] = raw === r ? p.weight * scale * (-p.rho / r + (1 - p.rho) / (1 - r)) : 0;
      }
      be.write(sums, g);
      terms.sparsity = (terms.sparsity ?? 0) + s;
      value += p.weight * s;
      grads.push((d) => { be.biasAdd(batch, L, sums, d, L); be.free(sums); });
    }
  }
  return { value, terms, backward(dcode) { for (const f of grads) f(dcode); } };
}
