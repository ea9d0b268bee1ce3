/**
 * The importance-weighted bound (Burda, Grosse & Salakhutdinov 2016) on k = prog.samples codes
 * per input, after the program's forward pass:
 *   log w_r = -nll_r - (log q(z_r | x_i) - log p(z_r)),  r = i * k + s,
 *   log q - log p = 0.5 sum_j (z_rj^2 - eps_rj^2 - logvar_ij)   (the log 2 pi terms cancel),
 *   L_i = logsumexp_s log w_r - log k,   value = -mean_i L_i.
 * Its gradient weights each sample by its normalised weight wt_r = softmax_s(log w): with
 * z = mu + exp(logvar / 2) eps (eps fixed),
 *   d value / d out_r = wt_r / batch * d nll_r / d out_r,
 *   d value / d z_r  += wt_r / batch * z_r        (from log p - log q; the decoder adds its part),
 *   d value / d mu_i  = sum_s d value / d z_r,
 *   d value / d lv_i  = sum_s d value / d z_r * 0.5 exp(lv_i / 2) eps_r - 0.5 / batch.
 * The latent-sized parts (batch * k * latent numbers) are computed on the host in float64.
 */
import type { Buffer } from "../backend/backend.js";
import type { Program } from "../models/program.js";
import type { Key } from "../random/index.js";
import type { Pass, PenaltyPass } from "./pass.js";

export function iwaeForward<B extends Buffer>(prog: Program<B>, _key: Key, penalties: PenaltyPass<B>): Pass<B> {
  const { be, batch, samples: k, rows } = prog;
  const L = prog.spec.latent;
  const nll = new Float64Array(rows);
  for (let r = 0; r < rows; r++) nll[r] = prog.reconstructionRow(r);
  const z = be.read(prog.z), eps = be.read(prog.eps), lv = be.read(prog.logvar!);
  const logw = new Float64Array(rows);
  for (let r = 0; r < rows; r++) {
    const i = Math.floor(r / k);
    let s = 0;
    for (let j = 0; j < L; j++) {
      const zz = z[r * L + j]!, e = eps[r * L + j]!;
      s += zz * zz - e * e - lv[i * L + j]!;
    }
    logw[r] = -nll[r]! - 0.5 * s;
  }
  const weights = new Float64Array(rows);
  let bound = 0, nllSum = 0;
  for (let i = 0; i < batch; i++) {
    let m = -Infinity;
    for (let s = 0; s < k; s++) m = Math.max(m, logw[i * k + s]!);
    let sum = 0;
    for (let s = 0; s < k; s++) sum += Math.exp(logw[i * k + s]! - m);
    const lse = m + Math.log(sum);
    for (let s = 0; s < k; s++) weights[i * k + s] = Math.exp(logw[i * k + s]! - lse);
    bound += lse - Math.log(k);
  }
  for (let r = 0; r < rows; r++) nllSum += nll[r]!;
  const kl = be.klNormalForward(prog.mu!, prog.logvar!);
  const iwae = batch > 0 ? -bound / batch : 0;
  const terms = Object.freeze({ iwae, reconstruction: rows > 0 ? nllSum / k / batch : 0, kl: batch > 0 ? kl / batch : 0, ...penalties.terms });
  return {
    value: iwae + penalties.value, terms, program: prog,
    backward() {
      const scale = batch > 0 ? 1 / batch : 0;
      prog.reconstructionBackward(scale, weights);
      prog.decoderBackward();
      const dz = be.read(prog.dz);
      const dmu = new Float64Array(batch * L), dlv = new Float64Array(batch * L);
      for (let r = 0; r < rows; r++) {
        const i = Math.floor(r / k), w = weights[r]! * scale;
        for (let j = 0; j < L; j++) {
          const g = dz[r * L + j]! + w * z[r * L + j]!;
          dmu[i * L + j] = dmu[i * L + j]! + g;
          dlv[i * L + j] = dlv[i * L + j]! + g * 0.5 * Math.exp(0.5 * lv[i * L + j]!) * eps[r * L + j]!;
        }
      }
      for (let a = 0; a < dlv.length; a++) dlv[a] = dlv[a]! - 0.5 * scale;
      be.write(prog.dmu, dmu);
      be.write(prog.dlv, dlv);
      penalties.backward(prog.dmu);
      prog.encoderBackward();
    },
  };
}
