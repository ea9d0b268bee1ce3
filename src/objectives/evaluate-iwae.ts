/**
 * The importance-weighted bound on log p(x) (Burda, Grosse & Salakhutdinov 2016) as an
 * evaluation over any number of rows, with K up to thousands of codes per input, in memory
 * bounded independently of K and of the number of rows.
 *
 * Per input x_i, in nats (the reconstruction term summed over pixels), with
 * z_is = mu_i + exp(lv_i / 2) eps_is for s = 0 .. K-1:
 *   log w_is = -nll(x_i | z_is) - (log q(z_is | x_i) - log p(z_is)),
 *   log q - log p = 0.5 sum_j (z_isj^2 - eps_isj^2 - lv_ij)   (the log 2 pi terms cancel),
 *   L_K(x_i) = log (1/K) sum_s w_is  <=  log p(x_i),   and E[L_K] never falls as K grows.
 * `elbo` is the one-sample ELBO at the first code z_i0 with the KL in closed form,
 * -(nll(x_i | z_i0) + KL(q(z|x_i) || N(0, I))): with the same key it is the negated loss that
 * Model.loss / evaluateLoss report (beta taken as 1). L_1 is the same ELBO with the KL replaced
 * by its one-sample estimate log q - log p. Results are per-sample means over the rows.
 *
 * Log-sum-exp, streamed: per input a running maximum m and a sum S of exp(log w - m) in float64,
 * updated sample by sample in the order s = 0 .. K-1 (a larger log w rescales S). The sequence
 * of operations is the same however the K samples are cut into chunks, so chunking changes no
 * bit as long as the kernels give each row the same log w whatever the program's row count (the
 * float64 reference backend does; the f32 kernels did on the shapes tested).
 *
 * Noise: the code noise of sample s for rows [512 j, 512 (j + 1)) is normal(foldIn(k_s, j)),
 * row by row, with k_0 = key and k_s = foldIn(foldIn(key, IWAE_SAMPLES), s): sample 0 is the
 * noise evaluateLoss draws with the same key (../models/batched.ts), and no draw depends on the
 * chunk sizes.
 *
 * Memory: one forward-only program at a time, of b inputs (at most 512) and c codes per input,
 * so b * c decoder rows, and the K samples run as ceil(K / c) chunks. b and c are chosen so that
 * everything that grows with them stays within `bytes` (default 32 MiB): the program's per-row
 * buffers, two [b c, latent] buffers of repeated means and log-variances, the host's staging
 * copies of a chunk and its c noise vectors of 512 x latent values. Beyond that: the parameters
 * (one copy in the program), per 512-row block the codes' means and log-variances and two
 * float64 numbers per input, and the per-input results (2 n numbers). Nothing grows with K.
 *
 * Threads: on a ThreadedBackend (parallel.startThreads) every kernel gives the bits of one
 * thread and the host part is the same code in the same order, so the result is bit-identical
 * for any number of threads.
 */
import type { Backend, Buffer } from "../backend/backend.js";
import { defaultBackend } from "../backend/default.js";
import { NOISE_BLOCK, PROGRAM_BYTES } from "../models/batched.js";
import type { Model } from "../models/model.js";
import type { Program } from "../models/program.js";
import { ConfigError } from "../nn/layer.js";
import type { Params } from "../nn/params.js";
import { foldIn, type Key } from "../random/index.js";
import type { Rows } from "../tensor/rows.js";

/** Tag of the keys of samples 1 .. K-1: k_s = foldIn(foldIn(key, IWAE_SAMPLES), s). */
export const IWAE_SAMPLES = 0x69776165;
/** The largest K evaluateIwae accepts. */
export const MAX_IWAE_SAMPLES = 1_000_000;

export interface IwaeOptions {
  /** K: codes drawn per input (1 .. 1,000,000). */
  readonly samples: number;
  /** The backend (default: the one init() set), e.g. a ThreadedBackend. */
  readonly backend?: Backend<Buffer>;
  /** A conditional model's class index per row. */
  readonly labels?: ArrayLike<number>;
  /** Bound on what grows with the program's rows and the chunk (see the module comment), in bytes (default 32 MiB). */
  readonly bytes?: number;
  /** Inputs per program (default: the largest power of two up to 512 that fits `bytes`). */
  readonly inputs?: number;
  /** Codes per input in one program (default: as many as fit `bytes`, at most K). */
  readonly chunk?: number;
  /** Called after each chunk with the fraction of the work done, in (0, 1]. */
  readonly onProgress?: (fraction: number) => void;
}

/** How the work is cut: b inputs x c codes per program, and the estimated bytes that grow with them (within `bytes` unless one row exceeds it). */
export interface IwaePlan {
  readonly inputs: number;
  readonly chunk: number;
  readonly decoderRows: number;
  readonly bytes: number;
}

export interface IwaeEvaluation {
  readonly samples: number;
  readonly n: number;
  /** Mean over the rows of L_K(x): a lower bound on the mean log p(x), nats per sample. */
  readonly bound: number;
  /** Mean over the rows of the one-sample ELBO at the first code, KL in closed form (nats per sample). */
  readonly elbo: number;
  /** Standard errors over the rows of the bound and of bound - elbo (null for fewer than 2 rows). */
  readonly boundSe: number | null;
  readonly gapSe: number | null;
  /** L_K(x_i) and the ELBO of each row. */
  readonly bounds: Float64Array;
  readonly elbos: Float64Array;
  readonly plan: IwaePlan;
}

/** Numbers a layer sequence allocates per row: each layer's output and (per row) its scratch. */
function layerFloats(seq: Model["arch"]["encoder"] | null): number {
  let f = 0;
  for (const layer of seq?.layers ?? []) f += layer.outFeatures + (layer.workspace?.(NOISE_BLOCK) ?? 0) / NOISE_BLOCK;
  return f;
}

function positive(v: number | undefined, what: string, max = Number.MAX_SAFE_INTEGER): number | undefined {
  if (v === undefined) return undefined;
  if (!Number.isSafeInteger(v) || v < 1 || v > max) throw new ConfigError(`${what} must be an integer in [1, ${max}], got ${v}`);
  return v;
}

/** The cut of the work for K samples of n rows: inputs (a power of two) and codes per program within `bytes` (see the module comment). */
export function iwaePlan(model: Model, K: number, o: Omit<IwaeOptions, "samples"> = {}, n = NOISE_BLOCK): IwaePlan {
  const { input: D, latent: L } = model.spec;
  const C = model.arch.classes;
  const budget = positive(o.bytes, "bytes") ?? PROGRAM_BYTES;
  // Per input: x, the encoder's input with the label, the encoder's layers, the two heads, the one-hot label.
  const perInput = D + (C > 0 ? D + 2 * C : 0) + layerFloats(model.arch.encoder) + 2 * L;
  // Per decoder row: eps, z, the program's repeated mu and logvar, the decoder's input with the
  // label, the decoder's layers, this module's repeated mu and logvar; on the host the float64
  // staging of eps, mu and logvar and a copy of z (13 L f32-sized numbers in all).
  const perRow = 13 * L + (C > 0 ? L + C : 0) + layerFloats(model.arch.decoder);
  // Per code of a chunk: its noise for the whole 512-row block, in float64 on the host.
  const m = Math.min(NOISE_BLOCK, n), perCode = 2 * m * L;
  let b = positive(o.inputs, "inputs", NOISE_BLOCK);
  if (b === undefined) {
    b = NOISE_BLOCK;
    while (b > 1 && b >= 2 * n) b >>= 1;
    while (b > 1 && 4 * (b * (perInput + perRow) + perCode) > budget) b >>= 1;
  }
  const fit = Math.floor((budget / 4 - b * perInput) / (b * perRow + perCode));
  const c = positive(o.chunk, "chunk") ?? Math.max(1, Math.min(K, fit));
  const chunk = Math.min(c, K);
  return Object.freeze({ inputs: b, chunk, decoderRows: b * chunk, bytes: 4 * (b * perInput + chunk * (b * perRow + perCode)) });
}

/** The importance-weighted bound with K = o.samples codes per row, beside the ELBO (see the module comment). */
export function evaluateIwae(model: Model, params: Params, x: Rows, key: Key, o: IwaeOptions): IwaeEvaluation {
  if (model.spec.kind !== "vae") throw new ConfigError("an autoencoder has no posterior q(z|x) to sample: the importance-weighted bound needs a vae");
  const K = positive(o?.samples ?? 0, "iwae samples", MAX_IWAE_SAMPLES)!;
  const { input: D, latent: L } = model.spec;
  if (x.width !== D) throw new ConfigError(`input rows have ${x.width} values, the model takes ${D}`);
  if (x.n < 1) throw new ConfigError("no rows to evaluate the bound on");
  const C = model.arch.classes;
  if (C > 0 && (!o.labels || o.labels.length !== x.n)) throw new ConfigError(`a conditional model (${C} classes) needs one label per row (${x.n})`);
  if (C === 0 && o.labels) throw new ConfigError("labels were given, but the model is not conditional (classes: 0)");
  const be = o.backend ?? (defaultBackend() as unknown as Backend<Buffer>);
  const plan = iwaePlan(model, K, o, x.n);
  const n = x.n, b = plan.inputs, c = plan.chunk;
  const tagged = foldIn(key, IWAE_SAMPLES);
  const sampleKey = (s: number): Key => (s === 0 ? key : foldIn(tagged, s));

  const bounds = new Float64Array(n), elbos = new Float64Array(n);
  // Host staging of one program's rows: noise, repeated means and log-variances.
  const stage = { e: new Float64Array(plan.decoderRows * L), mu: new Float64Array(plan.decoderRows * L), lv: new Float64Array(plan.decoderRows * L) };
  const noise = be.alloc(Math.min(NOISE_BLOCK, n) * L);
  const muRep = be.alloc(plan.decoderRows * L), lvRep = be.alloc(plan.decoderRows * L);
  let prog: Program<Buffer> | null = null;
  /** The first row (of x) whose inputs prog.x holds, or -1. */
  let loaded = -1;
  const programFor = (batch: number, samples: number): Program<Buffer> => {
    if (prog && prog.batch === batch && prog.samples === samples) return prog;
    prog?.dispose();
    prog = null;
    const p = model.program(be, batch, { samples, forwardOnly: true });
    prog = p;
    loaded = -1;
    const view = be.hostView?.(p.params);
    if (view instanceof Float32Array) model.layout.flatten(params, view);
    else be.write(p.params, model.layout.flatten(params));
    return p;
  };
  const load = (p: Program<Buffer>, first: number): void => {
    if (loaded === first) return;
    const buf = new Float32Array(p.batch * D);
    x.fill(first, p.batch, buf);
    be.write(p.x, buf);
    if (C > 0) p.setLabels(o.labels!, first);
    loaded = first;
  };
  const chunks = Math.ceil(K / c), work = Math.ceil(n / NOISE_BLOCK) * chunks;
  try {
    for (let block = 0, start = 0; start < n; block++, start += NOISE_BLOCK) {
      const m = Math.min(NOISE_BLOCK, n - start);
      const bb = Math.min(b, m);
      // The block's posterior means and log-variances, and each input's closed-form KL.
      const mean = new Float64Array(m * L), logvar = new Float64Array(m * L);
      for (let a = 0; a < m; a += bb) {
        const p = programFor(Math.min(bb, m - a), Math.min(c, K));
        load(p, start + a);
        p.assembleInput();
        p.encode();
        mean.set(be.read(p.mu!), a * L);
        logvar.set(be.read(p.logvar!), a * L);
      }
      const kl = new Float64Array(m);
      for (let i = 0; i < m; i++) {
        let s = 0;
        for (let j = 0; j < L; j++) {
          const mu = mean[i * L + j]!, lv = logvar[i * L + j]!;
          s += mu * mu + Math.exp(lv) - 1 - lv;
        }
        kl[i] = 0.5 * s;
      }
      // Running log-sum-exp per input: maximum and sum of exp(log w - maximum).
      const top = new Float64Array(m).fill(-Infinity), sum = new Float64Array(m);
      const eps = new Float64Array(Math.min(c, K) * m * L);
      for (let s0 = 0; s0 < K; s0 += c) {
        const cc = Math.min(c, K - s0);
        const all = be.view(noise, 0, m * L);
        for (let t = 0; t < cc; t++) {
          be.normal(foldIn(sampleKey(s0 + t), block), all);
          eps.set(be.read(all), t * m * L);
        }
        for (let a = 0; a < m; a += bb) {
          const count = Math.min(bb, m - a), rows = count * cc;
          const p = programFor(count, cc);
          load(p, start + a);
          // Row r = i * cc + t: input a + i of the block, sample s0 + t.
          const e = stage.e.subarray(0, rows * L), mu = stage.mu.subarray(0, rows * L), lv = stage.lv.subarray(0, rows * L);
          for (let i = 0; i < count; i++) {
            for (let t = 0; t < cc; t++) {
              const r = (i * cc + t) * L, from = t * m * L + (a + i) * L, own = (a + i) * L;
              for (let j = 0; j < L; j++) { e[r + j] = eps[from + j]!; mu[r + j] = mean[own + j]!; lv[r + j] = logvar[own + j]!; }
            }
          }
          const muV = be.view(muRep, 0, rows * L), lvV = be.view(lvRep, 0, rows * L);
          be.write(p.eps, e);
          be.write(muV, mu);
          be.write(lvV, lv);
          be.reparamForward(muV, lvV, p.eps, p.z);
          p.decode();
          const z = be.read(p.z);
          for (let i = 0; i < count; i++) {
            const row = a + i;
            for (let t = 0; t < cc; t++) {
              const r = i * cc + t;
              const nll = p.reconstructionRow(r);
              let q = 0;
              for (let j = 0; j < L; j++) {
                const zz = z[r * L + j]!, ee = e[r * L + j]!;
                q += zz * zz - ee * ee - lv[r * L + j]!;
              }
              const logw = -nll - 0.5 * q;
              if (s0 + t === 0) elbos[start + row] = -(nll + kl[row]!);
              // exp(-inf - m) adds nothing; a NaN log w makes the bound NaN.
              if (logw === -Infinity) continue;
              const mx = top[row]!;
              if (logw > mx) { sum[row] = sum[row]! * Math.exp(mx - logw) + 1; top[row] = logw; }
              else sum[row] = sum[row]! + Math.exp(logw - mx);
            }
          }
        }
        o.onProgress?.((block * chunks + s0 / c + 1) / work);
      }
      for (let i = 0; i < m; i++) bounds[start + i] = top[i]! + Math.log(sum[i]!) - Math.log(K);
    }
  } finally {
    (prog as Program<Buffer> | null)?.dispose();
    be.free(noise);
    be.free(muRep);
    be.free(lvRep);
  }
  const average = (v: Float64Array) => v.reduce((s, t) => s + t, 0) / v.length;
  const se = (v: Float64Array): number | null => {
    if (v.length < 2) return null;
    const mu = average(v);
    return Math.sqrt(v.reduce((s, t) => s + (t - mu) ** 2, 0) / (v.length - 1) / v.length);
  };
  const gaps = bounds.map((v, i) => v - elbos[i]!);
  return Object.freeze({
    samples: K, n, bound: average(bounds), elbo: average(elbos), boundSe: se(bounds), gapSe: se(gaps), bounds, elbos, plan,
  });
}
