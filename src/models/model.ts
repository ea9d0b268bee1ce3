/**
 * A model is its spec plus pure functions of (params, inputs): nothing here mutates an
 * argument or keeps state between calls. Inputs are [n, features] tensors (any ndarray-like
 * value); outputs are fresh contiguous tensors. Large inputs are processed in chunks.
 */
import type { Backend, Buffer } from "../backend/backend.js";
import { defaultBackend } from "../backend/default.js";
import { ConfigError } from "../nn/layer.js";
import type { Params } from "../nn/params.js";
import { foldIn, split, type Key } from "../random/index.js";
import { checkTensorLike, copyInto, ShapeError, tensor, type Tensor, type TensorLike } from "../tensor/tensor.js";
import { architecture, type Architecture } from "./architecture.js";
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

const CHUNK = 512;

export class Model {
  readonly arch: Architecture;

  constructor(readonly spec: ModelSpec) {
    this.arch = architecture(spec);
  }

  get layout() { return this.arch.layout; }

  /** Initial parameters: a frozen record of tensors keyed by PyTorch-style names. */
  init(key: Key): Params {
    const { encoder, mu, logvar, decoder } = this.arch;
    const seqs = [encoder, mu, logvar, decoder];
    const keys = split(key, seqs.length);
    const values = seqs.flatMap((s, i) => (s ? s.init(keys[i]!) : []));
    if (this.arch.learnedObsLogvar) values.push(new Float32Array(this.spec.input));
    const flat = new Float32Array(this.layout.total);
    this.layout.entries.forEach((e, i) => flat.set(values[i]!, e.offset));
    return this.layout.unflatten(flat);
  }

  /** Builds a program on `be` for `batch` rows (the caller disposes it). */
  program<B extends Buffer>(be: Backend<B>, batch: number, o: ProgramOptions<B> = {}): Program<B> {
    return new Program(be, this.spec, this.arch, batch, o);
  }

  encode(params: Params, x: TensorLike): Encoding {
    const n = this.rows(x, this.spec.input, "x");
    const L = this.spec.latent;
    const mean = new Float32Array(n * L);
    const logvar = this.spec.kind === "vae" ? new Float32Array(n * L) : null;
    this.chunks(params, n, (prog, start, rows) => {
      this.upload(prog, x, start, rows);
      prog.encode();
      mean.set(prog.be.read(prog.mu ?? prog.z), start * L);
      if (logvar) logvar.set(prog.be.read(prog.logvar!), start * L);
    });
    return { mean: tensor(mean, [n, L]), logvar: logvar ? tensor(logvar, [n, L]) : null };
  }

  /** Decodes codes z [n, latent] to predictions [n, input] (probabilities for bernoulli, else means). */
  decode(params: Params, z: TensorLike): Tensor {
    const n = this.rows(z, this.spec.latent, "z");
    const D = this.spec.input;
    const out = new Float32Array(n * D);
    this.chunks(params, n, (prog, start, rows) => {
      const zView = prog.be.view(prog.z, 0, rows * this.spec.latent);
      prog.be.write(zView, this.slice(z, start, rows, this.spec.latent));
      prog.decode();
      prog.prediction(prog.x);
      out.set(prog.be.read(prog.x), start * D);
    });
    return tensor(out, [n, D]);
  }

  /** Encodes and decodes x; a VAE uses z = mu, or samples z from q(z|x) when given a key. */
  reconstruct(params: Params, x: TensorLike, key?: Key): Tensor {
    const n = this.rows(x, this.spec.input, "x");
    const D = this.spec.input;
    const out = new Float32Array(n * D);
    this.chunks(params, n, (prog, start, rows, chunk) => {
      this.upload(prog, x, start, rows);
      prog.encode();
      prog.sampleCode(key ? foldIn(key, chunk) : null);
      prog.decode();
      prog.prediction(prog.x);
      out.set(prog.be.read(prog.x), start * D);
    });
    return tensor(out, [n, D]);
  }

  /** n samples from the generative model: z ~ N(0, I), decoded (VAE only). */
  sample(params: Params, key: Key, n: number): Tensor {
    if (this.spec.kind !== "vae") throw new ConfigError("an autoencoder has no prior to sample from: use a vae");
    if (!Number.isSafeInteger(n) || n < 0) throw new ConfigError(`sample count must be a non-negative integer, got ${n}`);
    const be = defaultBackend();
    const eps = be.alloc(n * this.spec.latent);
    try {
      be.normal(key, eps);
      return this.decode(params, tensor(be.read(eps), [n, this.spec.latent]));
    } finally {
      be.free(eps);
    }
  }

  /**
   * The loss on x, as per-sample means: reconstruction (nats, summed over pixels), kl (summed
   * over latent dimensions) and loss = reconstruction + beta * kl. A VAE samples one z per
   * input from the key (the usual single-sample ELBO estimate).
   */
  loss(params: Params, x: TensorLike, key: Key): LossMetrics {
    const n = this.rows(x, this.spec.input, "x");
    let reconstruction = 0, kl = 0;
    this.chunks(params, n, (prog, start, rows, chunk) => {
      this.upload(prog, x, start, rows);
      const sums = prog.forward(foldIn(key, chunk));
      reconstruction += sums.reconstruction;
      kl += sums.kl;
    });
    const d = Math.max(n, 1);
    return { loss: (reconstruction + this.spec.beta * kl) / d, reconstruction: reconstruction / d, kl: kl / d };
  }

  private rows(x: TensorLike, features: number, what: string): number {
    checkTensorLike(x, what);
    if (x.shape.length !== 2 || x.shape[1] !== features) {
      throw new ShapeError(`${what} must have shape [n, ${features}], got [${x.shape.join(", ")}]`);
    }
    return x.shape[0]!;
  }

  private slice(x: TensorLike, start: number, rows: number, features: number): Float32Array {
    const out = new Float32Array(rows * features);
    copyInto({ data: x.data, shape: [rows, features], stride: x.stride, offset: x.offset + start * x.stride[0]! }, out);
    return out;
  }

  private upload<B extends Buffer>(prog: Program<B>, x: TensorLike, start: number, rows: number): void {
    prog.be.write(prog.x, this.slice(x, start, rows, this.spec.input));
  }

  /** Runs fn over chunks of at most CHUNK rows, each on a program holding `params`. */
  private chunks(params: Params, n: number, fn: (prog: Program<Buffer>, start: number, rows: number, chunk: number) => void): void {
    const be = defaultBackend() as Backend<Buffer>;
    const flat = this.layout.flatten(params);
    const programs = new Map<number, Program<Buffer>>();
    try {
      for (let start = 0, chunk = 0; start < n; start += CHUNK, chunk++) {
        const rows = Math.min(CHUNK, n - start);
        let prog = programs.get(rows);
        if (!prog) {
          prog = this.program(be, rows, { forwardOnly: true });
          be.write(prog.params, flat);
          programs.set(rows, prog);
        }
        fn(prog, start, rows, chunk);
      }
    } finally {
      for (const prog of programs.values()) prog.dispose();
    }
  }
}
