/**
 * A model over many rows in bounded memory: the loss, codes, reconstructions and decodes of
 * any number of rows on kernel programs of bounded size, one program at a time. Model's
 * functions (loss, encode, decode, reconstruct, sample) are these over a tensor's rows; the
 * commands run them over a data split read as uint8 and normalised on demand (data/rows.ts).
 *
 * Program size: a program holds the parameters and, per row, every layer's output and the
 * convolution columns (forward-only: no gradients). programRows(model) is the largest power
 * of two up to 512 rows whose buffers fit in PROGRAM_BYTES: 512 for the MLPs, 64 for the
 * default conv model (whose 512-row program would hold ~230 MB; WebAssembly memory never
 * shrinks).
 *
 * Noise: a VAE's sampled codes for rows [512 j, 512 (j + 1)) come from foldIn(key, j),
 * whatever the program size: the noise of each 512-row block is drawn once (normal draws are
 * counter-based, so a block's first k values do not depend on its length) and each batch
 * takes its slice. Loss sums are float64, added batch by batch in row order.
 */
import type { Backend, Buffer } from "../backend/backend.js";
import { defaultBackend } from "../backend/default.js";
import { ConfigError } from "../nn/layer.js";
import type { Params } from "../nn/params.js";
import { foldIn, type Key } from "../random/index.js";
import { tensorRows, type Rows } from "../tensor/rows.js";
import { tensor, type Tensor, type TensorLike } from "../tensor/tensor.js";
import type { Encoding, LossMetrics, Model } from "./model.js";
import type { Program } from "./program.js";

/** Rows per noise key: rows [512 j, 512 (j + 1)) use foldIn(key, j). */
export const NOISE_BLOCK = 512;
/** Bound on one program's per-row buffers, in bytes. */
export const PROGRAM_BYTES = 32 * 2 ** 20;

/** Where and in how many rows a program runs. */
export interface RunOptions {
  /** The backend (default: the one init() set), e.g. the threads a run trains on. */
  readonly backend?: Backend<Buffer>;
  /** Rows of one program (default programRows(model)); a power of two tiles the noise blocks best. */
  readonly rows?: number;
  /** A conditional model's class index for each row (of x, of the codes, or of the samples). */
  readonly labels?: ArrayLike<number>;
}

/** Checks that a conditional model has one label per row and an unconditional one none. */
function checkLabels(model: Model, n: number, o: RunOptions): void {
  const C = model.arch.classes;
  if (C > 0 && (!o.labels || o.labels.length !== n)) {
    throw new ConfigError(`a conditional model (${C} classes) needs labels: one class index per row (${n}), got ${o.labels ? o.labels.length : "none"}`);
  }
  if (C === 0 && o.labels) throw new ConfigError("labels were given, but the model is not conditional (classes: 0)");
}

function backendOf(o: RunOptions): Backend<Buffer> {
  return o.backend ?? (defaultBackend() as unknown as Backend<Buffer>);
}

/** Numbers a forward-only program allocates per row: every layer's output, the convolution columns, x, codes. */
function floatsPerRow(model: Model): number {
  const { encoder, mu, logvar, decoder } = model.arch;
  let floats = model.spec.input + 2 * model.spec.latent;
  for (const seq of [encoder, mu, logvar, decoder]) {
    for (const layer of seq?.layers ?? []) floats += layer.outFeatures + (layer.workspace?.(NOISE_BLOCK) ?? 0) / NOISE_BLOCK;
  }
  return floats;
}

/** Rows of one program: the largest power of two up to 512 whose per-row buffers fit in `budget` bytes (at least 1). */
export function programRows(model: Model, budget = PROGRAM_BYTES): number {
  const bytes = 4 * floatsPerRow(model);
  let rows = NOISE_BLOCK;
  while (rows > 1 && rows * bytes > budget) rows >>= 1;
  return rows;
}

function checkRows(rows: number): number {
  if (!Number.isSafeInteger(rows) || rows < 1) throw new ConfigError(`rows must be a positive integer, got ${rows}`);
  return rows;
}

/** One forward-only program at a time on a backend, holding `params`: replaced when another row count is needed. */
class Runner {
  private current: Program<Buffer> | null = null;
  constructor(private readonly model: Model, private readonly params: Params, private readonly be: Backend<Buffer>) {}
  program(rows: number): Program<Buffer> {
    if (this.current?.batch === rows) return this.current;
    this.dispose();
    const prog = this.model.program(this.be, rows, { forwardOnly: true });
    this.current = prog;
    // Straight into the program's memory where the backend exposes it (no flat copy in between).
    const view = prog.be.hostView?.(prog.params);
    if (view instanceof Float32Array) this.model.layout.flatten(this.params, view);
    else prog.be.write(prog.params, this.model.layout.flatten(this.params));
    return prog;
  }
  dispose(): void {
    this.current?.dispose();
    this.current = null;
  }
}

/** Writes rows [start, start + prog.batch) into the program's input: straight into its memory where the backend allows. */
function upload(prog: Program<Buffer>, x: Rows, start: number, staging?: Float32Array, labels?: ArrayLike<number>): void {
  const count = prog.batch;
  if (labels) prog.setLabels(labels, start);
  if (!staging) {
    const view = prog.be.hostView?.(prog.x);
    if (view instanceof Float32Array) { x.fill(start, count, view); return; }
  }
  const buf = staging ?? new Float32Array(count * x.width);
  x.fill(start, count, buf);
  prog.be.write(prog.x, buf);
}

function checkWidth(x: Rows, width: number, what: string): void {
  if (x.width !== width) throw new RangeError(`${what} rows have ${x.width} values, the model takes ${width}`);
}

/**
 * Visits rows [0, n) in batches of at most `rows` that never cross a 512-row noise block. With
 * a key (and a VAE), each block's noise is drawn into one buffer and fn gets the batch's slice.
 */
function blocks(be: Backend<Buffer>, model: Model, n: number, rows: number, key: Key | null,
  fn: (start: number, count: number, noise: Buffer | null) => void): void {
  const L = model.spec.latent;
  const noise = key && model.spec.kind === "vae" && n > 0 ? be.alloc(Math.min(NOISE_BLOCK, n) * L) : null;
  try {
    for (let block = 0, start = 0; start < n; block++, start += NOISE_BLOCK) {
      const blockRows = Math.min(NOISE_BLOCK, n - start);
      if (noise) be.normal(foldIn(key!, block), be.view(noise, 0, blockRows * L));
      for (let s = 0; s < blockRows; s += rows) {
        const count = Math.min(rows, blockRows - s);
        fn(start + s, count, noise ? be.view(noise, s * L, count * L) : null);
      }
    }
  } finally {
    if (noise) be.free(noise);
  }
}

/** The loss over the rows (per-sample means); a VAE samples one z per row, keyed per 512-row block. */
export function evaluateLoss(model: Model, params: Params, x: Rows, key: Key, o: RunOptions = {}): LossMetrics {
  checkWidth(x, model.spec.input, "input");
  checkLabels(model, x.n, o);
  const be = backendOf(o);
  const runner = new Runner(model, params, be);
  let reconstruction = 0, kl = 0;
  try {
    blocks(be, model, x.n, checkRows(o.rows ?? programRows(model)), key, (start, count, noise) => {
      const prog = runner.program(count);
      upload(prog, x, start, undefined, o.labels);
      const sums = prog.forward(key, noise ?? undefined);
      reconstruction += sums.reconstruction;
      kl += sums.kl;
    });
  } finally {
    runner.dispose();
  }
  const d = Math.max(x.n, 1);
  return { loss: (reconstruction + model.spec.beta * kl) / d, reconstruction: reconstruction / d, kl: kl / d };
}

export interface ReconstructionBatch {
  readonly start: number;
  readonly count: number;
  /** The normalised inputs [count, input] (only when asked for with `inputs`). */
  readonly input: Float32Array | null;
  /** The codes (AE) or posterior means (VAE) [count, latent], and the VAE's log-variances. */
  readonly mean: Float32Array;
  readonly logvar: Float32Array | null;
  /** The predictions [count, input] (absent when decode is false). */
  readonly reconstruction: Float32Array | null;
}

export interface ReconstructionOptions extends RunOptions {
  /** Decode the codes too (default true). */
  readonly decode?: boolean;
  /** Hand each batch's normalised inputs to fn. */
  readonly inputs?: boolean;
  /** A VAE decodes a z sampled from q(z|x) with this key (keyed per 512-row block) instead of z = mean. */
  readonly key?: Key;
}

/** Encodes the rows batch by batch and (unless decode is false) reconstructs them; fn sees each batch in order (its arrays are fresh). */
export function forEachReconstruction(model: Model, params: Params, x: Rows, fn: (batch: ReconstructionBatch) => void,
  o: ReconstructionOptions = {}): void {
  checkWidth(x, model.spec.input, "input");
  checkLabels(model, x.n, o);
  const be = backendOf(o);
  const decode = o.decode ?? true;
  const runner = new Runner(model, params, be);
  let staging: Float32Array | null = null;
  try {
    blocks(be, model, x.n, checkRows(o.rows ?? programRows(model)), decode ? o.key ?? null : null, (start, count, noise) => {
      const prog = runner.program(count);
      if (o.inputs && staging?.length !== count * x.width) staging = new Float32Array(count * x.width);
      upload(prog, x, start, o.inputs ? staging! : undefined, o.labels);
      prog.assembleInput();
      prog.encode();
      const mean = be.read(prog.mu ?? prog.z) as Float32Array;
      const logvar = prog.logvar ? be.read(prog.logvar) as Float32Array : null;
      let reconstruction: Float32Array | null = null;
      if (decode) {
        prog.sampleCode(null, noise ?? undefined);
        prog.decode();
        prog.prediction(prog.x);
        reconstruction = be.read(prog.x) as Float32Array;
      }
      fn({ start, count, input: o.inputs ? staging!.slice() : null, mean, logvar, reconstruction });
    });
  } finally {
    runner.dispose();
  }
}

/** Codes (AE) or posterior means and log-variances (VAE) of the rows. */
export function encodeRows(model: Model, params: Params, x: Rows, o: RunOptions = {}): Encoding {
  const L = model.spec.latent;
  const mean = new Float32Array(x.n * L);
  const logvar = model.spec.kind === "vae" ? new Float32Array(x.n * L) : null;
  forEachReconstruction(model, params, x, (b) => {
    mean.set(b.mean, b.start * L);
    if (logvar) logvar.set(b.logvar!, b.start * L);
  }, { ...o, decode: false });
  return { mean: tensor(mean, [x.n, L]), logvar: logvar ? tensor(logvar, [x.n, L]) : null };
}

/** Reconstructions of the rows [n, input]: at z = mean, or (VAE, with a key) at a sampled z. */
export function reconstructRows(model: Model, params: Params, x: Rows, o: RunOptions & { readonly key?: Key } = {}): Tensor {
  const D = model.spec.input;
  const out = new Float32Array(x.n * D);
  forEachReconstruction(model, params, x, (b) => out.set(b.reconstruction!, b.start * D), o);
  return tensor(out, [x.n, D]);
}

/** Predictions [n, input] decoded from codes z [n, latent]. */
export function decodeRows(model: Model, params: Params, z: Rows | TensorLike, o: RunOptions = {}): Tensor {
  const L = model.spec.latent, D = model.spec.input;
  const codes = "fill" in z ? z : tensorRows(z);
  checkWidth(codes, L, "code");
  checkLabels(model, codes.n, o);
  const be = backendOf(o);
  const rows = checkRows(o.rows ?? programRows(model));
  const out = new Float32Array(codes.n * D);
  const runner = new Runner(model, params, be);
  try {
    for (let start = 0; start < codes.n; start += rows) {
      const count = Math.min(rows, codes.n - start);
      const prog = runner.program(count);
      const buf = new Float32Array(count * L);
      codes.fill(start, count, buf);
      be.write(prog.z, buf);
      if (o.labels) prog.setLabels(o.labels, start);
      prog.decode();
      prog.prediction(prog.x);
      out.set(be.read(prog.x), start * D);
    }
  } finally {
    runner.dispose();
  }
  return tensor(out, [codes.n, D]);
}

/** n samples from a VAE's generative model: z ~ N(0, I) drawn from the key, decoded in bounded batches. */
export function sampleRows(model: Model, params: Params, key: Key, n: number, o: RunOptions = {}): Tensor {
  if (model.spec.kind !== "vae") throw new ConfigError("an autoencoder has no prior to sample from: use a vae");
  if (!Number.isSafeInteger(n) || n < 0) throw new ConfigError(`sample count must be a non-negative integer, got ${n}`);
  const be = backendOf(o);
  const eps = be.alloc(n * model.spec.latent);
  let z: Float32Array;
  try {
    be.normal(key, eps);
    z = Float32Array.from(be.read(eps));
  } finally {
    be.free(eps);
  }
  return decodeRows(model, params, tensor(z, [n, model.spec.latent]), o);
}
