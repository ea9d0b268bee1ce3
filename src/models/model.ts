/**
 * A model is its spec plus pure functions of (params, inputs): nothing here mutates an
 * argument or keeps state between calls. Inputs are [n, features] tensors (any ndarray-like
 * value); outputs are fresh contiguous tensors. Any number of rows runs in bounded memory, on
 * forward-only programs of at most programRows(model) rows (./batched.ts).
 */
import type { Backend, Buffer } from "../backend/backend.js";
import { ConfigError } from "../nn/layer.js";
import type { Params } from "../nn/params.js";
import { split, type Key } from "../random/index.js";
import { tensorRows } from "../tensor/rows.js";
import { checkTensorLike, ShapeError, tensor, type Tensor, type TensorLike } from "../tensor/tensor.js";
import { decodeRows, encodeRows, evaluateLoss, reconstructRows, sampleRows, type RunOptions } from "./batched.js";
import { presetArchitecture, type Architecture } from "./architecture.js";
import { validateComposed } from "./compose.js";
import { Program, type ProgramOptions } from "./program.js";
import type { ModelSpec } from "./spec.js";

/** Per-sample means over a data set, in nats for the likelihoods. */
export interface LossMetrics {
  readonly loss: number;
  readonly reconstruction: number;
  readonly kl: number;
}

export interface Encoding {
  /** [n, latent]: the AE's code or the VAE's posterior mean. */
  readonly mean: Tensor;
  /** [n, latent]: the VAE's posterior log-variance; null for an AE. */
  readonly logvar: Tensor | null;
}

export class Model {
  readonly arch: Architecture;

  constructor(readonly spec: ModelSpec) {
    this.arch = spec.arch === "composed" ? validateComposed(spec) : presetArchitecture(spec);
  }

  get layout() { return this.arch.layout; }

  /** Initial parameters: a frozen record of tensors keyed by PyTorch-style names. */
  init(key: Key): Params {
    const { encoder, mu, logvar, decoder } = this.arch;
    const seqs = [encoder, mu, logvar, decoder];
    const keys = split(key, seqs.length);
    const values = seqs.flatMap((s, i) => (s ? s.init(keys[i]!) : []));
    if (this.arch.learnedObs) values.push(new Float32Array(this.spec.input));
    const { entries } = this.layout;
    // The layers' fresh arrays become the tensors' data (no flat copy) when each owns its whole buffer.
    const owned = values.length === entries.length && values.every((v, i) => v.length === entries[i]!.size
      && v.byteOffset === 0 && v.byteLength === v.buffer.byteLength && values.findIndex((w) => w.buffer === v.buffer) === i);
    if (!owned) {
      const flat = new Float32Array(this.layout.total);
      entries.forEach((e, i) => flat.set(values[i]!, e.offset));
      return this.layout.unflatten(flat);
    }
    const out: Record<string, Tensor> = {};
    entries.forEach((e, i) => { out[e.name] = tensor(values[i]!, e.shape); });
    return Object.freeze(out);
  }

  /** Builds a program on `be` for `batch` rows (the caller disposes it). */
  program<B extends Buffer>(be: Backend<B>, batch: number, o: ProgramOptions<B> = {}): Program<B> {
    return new Program(be, this.spec, this.arch, batch, o);
  }

  /** Codes of x [n, input]: the AE's code, or the VAE's posterior mean and log-variance. */
  encode(params: Params, x: TensorLike, o: RunOptions = {}): Encoding {
    this.rows(x, this.spec.input, "x");
    return encodeRows(this, params, tensorRows(x), o);
  }

  /** Decodes codes z [n, latent] to predictions [n, input] (probabilities for bernoulli, else means). */
  decode(params: Params, z: TensorLike, o: RunOptions = {}): Tensor {
    this.rows(z, this.spec.latent, "z");
    return decodeRows(this, params, tensorRows(z), o);
  }

  /** Encodes and decodes x; a VAE uses z = mu, or samples z from q(z|x) when given a key. */
  reconstruct(params: Params, x: TensorLike, key?: Key, o: RunOptions = {}): Tensor {
    this.rows(x, this.spec.input, "x");
    return reconstructRows(this, params, tensorRows(x), key ? { ...o, key } : o);
  }

  /** n samples from the generative model: z ~ N(0, I), decoded (VAE only). */
  sample(params: Params, key: Key, n: number, o: RunOptions = {}): Tensor {
    return sampleRows(this, params, key, n, o);
  }

  /**
   * The loss on x, as per-sample means: reconstruction (nats, summed over pixels), kl (summed
   * over latent dimensions) and loss = reconstruction + beta * kl. A VAE samples one z per
   * input from the key (the usual single-sample ELBO estimate).
   */
  loss(params: Params, x: TensorLike, key: Key, o: RunOptions = {}): LossMetrics {
    this.rows(x, this.spec.input, "x");
    return evaluateLoss(this, params, tensorRows(x), key, o);
  }

  private rows(x: TensorLike, features: number, what: string): number {
    checkTensorLike(x, what);
    if (x.shape.length !== 2 || x.shape[1] !== features) {
      throw new ShapeError(`${what} must have shape [n, ${features}], got [${x.shape.join(", ")}]`);
    }
    return x.shape[0]!;
  }
}
