/**
 * A model over many rows in bounded memory, for the commands: the loss, codes, reconstructions
 * and decodes of a data split without the split ever held as floats, and on kernel programs of
 * bounded size.
 *
 * Why not model.loss / encode / reconstruct on a whole split: they take one [n, features] f32
 * tensor (Fashion-MNIST's test split is 31 MB as f32, its train split 188 MB, against 47 MB as
 * uint8) and run it in chunks of 512 rows; a program of 512 rows holds every activation, its
 * gradient and the convolution columns of those rows, which for the default conv model is
 * ~0.9 MB a row: 455 MB, and the WebAssembly memory never shrinks.
 *
 * Here rows come from a source that normalises them on demand (splitRows: uint8 -> the data
 * set's Normalization, written straight into the program's input buffer), and each program has
 * at most programRows(model) rows (a power of two, 512 at most, within PROGRAM_BYTES); one
 * program exists at a time.
 *
 * Same numbers as the Model functions: a VAE's loss draws the noise of rows [512 j, 512 (j + 1))
 * from foldIn(key, j), as model.loss does (its chunk is 512 rows); when a program has fewer rows
 * the noise of the 512-row block is drawn once and each sub-batch takes its slice (the normal
 * draws are counter-based, so a block's first k values do not depend on the block's length).
 * With 512-row programs (the MNIST and Fashion-MNIST MLPs) every sum is bit-identical to
 * model.loss; with smaller ones (the conv models: 32 rows) the per-batch sums are grouped
 * differently, a difference of rounding only. Sums are float64 and added in row order.
 * NOISE_BLOCK must follow Model's chunk; test/cli/evaluate.test.ts checks the equality.
 */
import type { Backend, Buffer } from "../backend/backend.js";
import { defaultBackend } from "../backend/default.js";
import { gatherInto, type Split } from "../data/dataset.js";
import type { Normalization } from "../data/normalize.js";
import type { Encoding, LossMetrics, Model, Program } from "../models/index.js";
import type { Params } from "../nn/params.js";
import { foldIn, type Key } from "../random/index.js";
import { copyInto, tensor, type Tensor, type TensorLike } from "../tensor/tensor.js";

/** The rows model.loss keys its noise by (Model's chunk): rows [512 j, 512 (j + 1)) use foldIn(key, j). */
export const NOISE_BLOCK = 512;
/** Bound on one program's kernel buffers, in bytes. */
export const PROGRAM_BYTES = 32 * 2 ** 20;

/** Where and in how many rows a program runs. */
export interface EvalOptions {
  /** The backend (default: the one init() set), e.g. the threads a run trains on. */
  readonly backend?: Backend<Buffer>;
  /** Rows of one program (default programRows(model)). */
  readonly rows?: number;
}

function backendOf(o: EvalOptions): Backend<Buffer> {
  return o.backend ?? (defaultBackend() as unknown as Backend<Buffer>);
}

/** Rows a command reads in batches: `n` rows of `width` values. */
export interface Rows {
  readonly n: number;
  readonly width: number;
  /** Writes rows [start, start + count) into out[0 .. count * width). */
  fill(start: number, count: number, out: Float32Array): void;
}

/** The samples of a split (all, or those at `indices`, in that order), normalised when read. */
export function splitRows(split: Split, d: number, norm: Normalization, indices?: ArrayLike<number>): Rows {
  const n = indices ? indices.length : split.n;
  return {
    n, width: d,
    fill(start, count, out) {
      const rows = new Uint32Array(count);
      for (let i = 0; i < count; i++) rows[i] = indices ? indices[start + i]! : start + i;
      gatherInto(split, d, rows, out, 0, norm);
    },
  };
}

/** The rows of a [n, width] tensor. */
export function tensorRows(t: TensorLike): Rows {
  const width = t.shape[1]!;
  return {
    n: t.shape[0]!, width,
    fill(start, count, out) {
      copyInto({ data: t.data, shape: [count, width], stride: t.stride, offset: t.offset + start * t.stride[0]! }, out);
    },
  };
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

/** Rows of one program: the largest power of two up to 512 whose buffers fit in `budget` bytes (at least 1). */
export function programRows(model: Model, budget = PROGRAM_BYTES): number {
  const bytes = 4 * floatsPerRow(model);
  let rows = NOISE_BLOCK;
  while (rows > 1 && rows * bytes > budget) rows >>= 1;
  return rows;
}

/** One program at a time on a backend: replaced (and the old one freed) when another row count is needed. */
class Runner {
  private current: Program<Buffer> | null = null;
  constructor(private readonly model: Model, private readonly params: Params, private readonly be: Backend<Buffer>) {}
  program(rows: number): Program<Buffer> {
    if (this.current?.batch === rows) return this.current;
    this.dispose();
    const prog = this.model.program(this.be, rows, { forwardOnly: true });
    // Straight into the program's memory where the backend exposes it (no flat copy in between).
    const view = prog.be.hostView?.(prog.params);
    if (view instanceof Float32Array) this.model.layout.flatten(this.params, view);
    else prog.be.write(prog.params, this.model.layout.flatten(this.params));
    this.current = prog;
    return prog;
  }
  dispose(): void {
    this.current?.dispose();
    this.current = null;
  }
}

/** Writes rows [start, start + prog.batch) into the program's input: straight into its memory where the backend allows. */
function upload(prog: Program<Buffer>, x: Rows, start: number, staging?: Float32Array): void {
  const count = prog.batch;
  if (!staging) {
    const view = prog.be.hostView?.(prog.x);
    if (view instanceof Float32Array) { x.fill(start, count, view); return; }
  }
  const buf = staging ?? new Float32Array(count * x.width);
  x.fill(start, count, buf);
  prog.be.write(prog.x, buf);
}

/** Batches [start, count) of at most `rows` rows covering n. */
function* batches(n: number, rows: number): Generator<[number, number]> {
  for (let start = 0; start < n; start += rows) yield [start, Math.min(rows, n - start)];
}

function checkWidth(x: Rows, width: number, what: string): void {
  if (x.width !== width) throw new RangeError(`${what} rows have ${x.width} values, the model takes ${width}`);
}

/**
 * A backend that is `be` except that normal() copies the slice `noise()` instead of drawing:
 * how a sub-batch of a 512-row noise block gets its part of the block's draws.
 */
function withNoise(be: Backend<Buffer>, noise: () => Buffer): Backend<Buffer> {
  const normal = (_key: Key, out: Buffer): void => { be.copy(noise(), out); };
  return new Proxy(be, {
    get(target, prop) {
      if (prop === "normal") return normal;
      const v = Reflect.get(target, prop, target) as unknown;
      return typeof v === "function" ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
}

/** model.loss(params, x, key), in bounded batches. */
export function evaluateLoss(model: Model, params: Params, x: Rows, key: Key, o: EvalOptions = {}): LossMetrics {
  checkWidth(x, model.spec.input, "input");
  const be = backendOf(o);
  const L = model.spec.latent;
  const step = Math.min(o.rows ?? programRows(model), NOISE_BLOCK);
  const noise = model.spec.kind === "vae" && step < NOISE_BLOCK ? be.alloc(NOISE_BLOCK * L) : null;
  let slice: Buffer | null = null;
  const runner = new Runner(model, params, noise ? withNoise(be, () => slice!) : be);
  let reconstruction = 0, kl = 0;
  try {
    for (let block = 0, start = 0; start < x.n; block++, start += NOISE_BLOCK) {
      const blockRows = Math.min(NOISE_BLOCK, x.n - start);
      const blockKey = foldIn(key, block);
      if (noise) be.normal(blockKey, be.view(noise, 0, blockRows * L));
      for (const [s, count] of batches(blockRows, step)) {
        const prog = runner.program(count);
        upload(prog, x, start + s);
        if (noise) slice = be.view(noise, s * L, count * L);
        const sums = prog.forward(blockKey);
        reconstruction += sums.reconstruction;
        kl += sums.kl;
      }
    }
  } finally {
    runner.dispose();
    if (noise) be.free(noise);
  }
  const d = Math.max(x.n, 1);
  return { loss: (reconstruction + model.spec.beta * kl) / d, reconstruction: reconstruction / d, kl: kl / d };
}

/** model.encode(params, x), in bounded batches. */
export function encodeRows(model: Model, params: Params, x: Rows, o: EvalOptions = {}): Encoding {
  const mean = new Float32Array(x.n * model.spec.latent);
  const logvar = model.spec.kind === "vae" ? new Float32Array(x.n * model.spec.latent) : null;
  forEachReconstruction(model, params, x, (b) => {
    mean.set(b.mean, b.start * model.spec.latent);
    if (logvar) logvar.set(b.logvar!, b.start * model.spec.latent);
  }, { ...o, decode: false });
  const L = model.spec.latent;
  return { mean: tensor(mean, [x.n, L]), logvar: logvar ? tensor(logvar, [x.n, L]) : null };
}

export interface ReconstructionBatch {
  readonly start: number;
  readonly count: number;
  /** The normalised inputs [count, input] (only when asked for with `inputs`). */
  readonly input: Float32Array | null;
  /** The codes (AE) or posterior means (VAE) [count, latent], and the VAE's log-variances. */
  readonly mean: Float32Array;
  readonly logvar: Float32Array | null;
  /** The predictions at z = mean [count, input] (absent when decode is false). */
  readonly reconstruction: Float32Array | null;
}

/**
 * Encodes the rows batch by batch and (unless decode is false) reconstructs them at z = mean, as
 * model.encode and model.reconstruct do; fn sees each batch in order (its arrays are fresh).
 */
export function forEachReconstruction(model: Model, params: Params, x: Rows, fn: (batch: ReconstructionBatch) => void,
  o: EvalOptions & { readonly decode?: boolean; readonly inputs?: boolean } = {}): void {
  checkWidth(x, model.spec.input, "input");
  const be = backendOf(o);
  const rows = o.rows ?? programRows(model);
  const decode = o.decode ?? true;
  const runner = new Runner(model, params, be);
  let staging: Float32Array | null = null;
  try {
    for (const [start, count] of batches(x.n, rows)) {
      const prog = runner.program(count);
      if (o.inputs && staging?.length !== count * x.width) staging = new Float32Array(count * x.width);
      upload(prog, x, start, o.inputs ? staging! : undefined);
      prog.encode();
      const mean = be.read(prog.mu ?? prog.z) as Float32Array;
      const logvar = prog.logvar ? be.read(prog.logvar) as Float32Array : null;
      let reconstruction: Float32Array | null = null;
      if (decode) {
        prog.sampleCode(null);
        prog.decode();
        prog.prediction(prog.x);
        reconstruction = be.read(prog.x) as Float32Array;
      }
      fn({ start, count, input: o.inputs ? staging!.slice() : null, mean, logvar, reconstruction });
    }
  } finally {
    runner.dispose();
  }
}

/** model.reconstruct(params, x) (z = mean), in bounded batches. */
export function reconstructRows(model: Model, params: Params, x: Rows, o: EvalOptions = {}): Tensor {
  const D = model.spec.input;
  const out = new Float32Array(x.n * D);
  forEachReconstruction(model, params, x, (b) => out.set(b.reconstruction!, b.start * D), o);
  return tensor(out, [x.n, D]);
}

/** model.decode(params, z), in bounded batches. */
export function decodeRows(model: Model, params: Params, z: TensorLike, o: EvalOptions = {}): Tensor {
  const L = model.spec.latent, D = model.spec.input;
  const codes = tensorRows(z);
  checkWidth(codes, L, "code");
  const be = backendOf(o);
  const rows = o.rows ?? programRows(model);
  const out = new Float32Array(codes.n * D);
  const runner = new Runner(model, params, be);
  try {
    for (const [start, count] of batches(codes.n, rows)) {
      const prog = runner.program(count);
      const buf = new Float32Array(count * L);
      codes.fill(start, count, buf);
      be.write(prog.z, buf);
      prog.decode();
      prog.prediction(prog.x);
      out.set(be.read(prog.x), start * D);
    }
  } finally {
    runner.dispose();
  }
  return tensor(out, [codes.n, D]);
}

/** model.sample(params, key, n): the same draws z ~ N(0, I), decoded in bounded batches. */
export function sampleRows(model: Model, params: Params, key: Key, n: number, o: EvalOptions = {}): Tensor {
  if (model.spec.kind !== "vae") return model.sample(params, key, n); // throws the model's own error
  if (!Number.isSafeInteger(n) || n < 0) return model.sample(params, key, n);
  const be = backendOf(o);
  const eps = be.alloc(n * model.spec.latent);
  let z: Float32Array;
  try {
    be.normal(key, eps);
    z = be.read(eps) as Float32Array;
  } finally {
    be.free(eps);
  }
  return decodeRows(model, params, tensor(z, [n, model.spec.latent]), o);
}
