/**
 * A model compiled for one backend and one batch size: the flat parameter and gradient
 * buffers, every activation the backward pass needs, and the pieces of a forward and a backward
 * pass that objectives (src/objectives) put together. The loss terms themselves live there.
 *
 * Rows. The encoder runs on `batch` rows. A VAE draws `samples` codes per input (1, or k for the
 * importance-weighted bound), so the code, the decoder and its output have rows = batch * samples
 * rows, row r = i * samples + s belonging to input i.
 * Inputs. `x` [batch, input] is the target. The encoder reads `xIn`: x itself, or a corrupted copy
 * (`corrupted`, when the program is built with `separateInput`), and for a conditional model
 * ([batch, input + classes]) that followed by the one-hot label. The decoder reads z, or
 * [z, one-hot label] for a conditional model (`decIn`).
 * A forward-only program (evaluation, encoding, decoding) holds the parameters and activations
 * but no gradient buffers: about half the memory of a training program.
 */
import type { Backend, Buffer } from "../backend/backend.js";
import { SequentialRun } from "../nn/sequential.js";
import { foldIn, type Key } from "../random/index.js";
import { Activation } from "../kernels/exports.js";
import type { Architecture } from "./architecture.js";
import type { ModelSpec } from "./spec.js";
import { continuousBernoulliMean } from "./likelihood.js";

/** Sums over the batch of the per-sample default loss terms. */
export interface LossSums {
  /** Sum over the rows of the per-row reconstruction term. */
  readonly reconstruction: number;
  /** Sum over the batch of the per-sample KL term (0 for an AE). */
  readonly kl: number;
}

export interface ProgramOptions<B extends Buffer = Buffer> {
  /** No gradient buffers; backward passes throw. */
  readonly forwardOnly?: boolean;
  /**
   * Parameter and gradient buffers (layout.total values each) owned by the caller: the program
   * computes on them and dispose() leaves them alone. A trainer keeps its state in them while
   * it changes batch size.
   */
  readonly buffers?: { readonly params: B; readonly grads: B };
  /** Codes drawn per input (VAE; default 1): the decoder runs on batch * samples rows. */
  readonly samples?: number;
  /** The encoder reads its own copy of x (`corrupted`), for objectives that corrupt the input. */
  readonly separateInput?: boolean;
}

/** Keys of the layers that draw (Dropout) in a training forward, apart from the code's noise (the key itself). */
const ENCODER_LAYERS = 0x656e63, DECODER_LAYERS = 0x646563;

export class Program<B extends Buffer> {
  readonly params: B;
  /** Gradients in the layout of params; empty in a forward-only program. */
  readonly grads: B;
  readonly forwardOnly: boolean;
  readonly samples: number;
  /** batch * samples: the decoder's rows. */
  readonly rows: number;
  readonly classes: number;
  /** [batch, input]: the target, and the encoder's input unless corrupted or conditional. */
  readonly x: B;
  /** [batch, input]: the encoder's copy of x when built with separateInput (the objective corrupts it), else null. */
  readonly corrupted: B | null;
  /** The encoder's input: x, corrupted, or [batch, input + classes] with the one-hot label. */
  readonly xIn: B;
  /** [batch, classes] one-hot labels of a conditional model, else null. */
  readonly onehot: B | null;
  readonly enc: SequentialRun<B>;
  readonly muRun: SequentialRun<B> | null;
  readonly lvRun: SequentialRun<B> | null;
  readonly dec: SequentialRun<B>;
  /** VAE: the noise [rows, latent] and the sampled code [rows, latent]; AE: z is the encoder's output. */
  readonly eps: B;
  readonly z: B;
  /** samples > 1: mu and logvar repeated per sample [rows, latent]; else mu and logvar. */
  readonly muRep: B | null;
  readonly lvRep: B | null;
  /** The decoder's input: z, or [rows, latent + classes] with the label. */
  readonly decIn: B;
  /** d(loss)/d(decoder output) [rows, input]. */
  readonly dOut: B;
  /** d(loss)/dz [rows, latent]: the code's gradient (an AE's encoder output). */
  readonly dz: B;
  /** d(loss)/d(mu), d(logvar) [batch, latent]. */
  readonly dmu: B;
  readonly dlv: B;
  readonly dDecIn: B | null;
  private readonly dh: B;
  private readonly dhOther: B;
  /** The observation log-variance (gaussian) or log-scale (laplace): the learned parameter, or one fixed value. */
  readonly obs: B;
  readonly obsStride: number;
  readonly obsGrad: B | null;
  private readonly owned: B[] = [];

  constructor(readonly be: Backend<B>, readonly spec: ModelSpec, readonly arch: Architecture, readonly batch: number, o: ProgramOptions<B> = {}) {
    const { layout } = arch;
    const forwardOnly = this.forwardOnly = o.forwardOnly ?? false;
    const samples = this.samples = o.samples ?? 1;
    if (!Number.isSafeInteger(samples) || samples < 1) throw new RangeError(`samples must be a positive integer, got ${samples}`);
    if (samples > 1 && spec.kind !== "vae") throw new RangeError("only a vae draws several codes per input");
    const rows = this.rows = batch * samples;
    const C = this.classes = arch.classes;
    /** Sizes of the buffers only backward passes use. */
    const back = (n: number) => (forwardOnly ? 0 : n);
    if (o.buffers && (o.buffers.params.length !== layout.total || o.buffers.grads.length !== back(layout.total))) {
      throw new RangeError(`a program's own parameter and gradient buffers must hold ${layout.total} and ${back(layout.total)} values`);
    }
    const own = (n: number): B => { const b = be.alloc(n); this.owned.push(b); return b; };
    this.params = o.buffers?.params ?? own(layout.total);
    this.grads = o.buffers?.grads ?? own(back(layout.total));
    const views = (flat: B) => layout.entries.map((e) => be.view(flat, e.offset, e.size));
    const p = views(this.params), g = forwardOnly ? null : views(this.grads);
    let at = 0;
    const take = (count: number): [B[], B[] | null] => { const r: [B[], B[] | null] = [p.slice(at, at + count), g ? g.slice(at, at + count) : null]; at += count; return r; };
    const run = (seq: Architecture["encoder"], n: number) => new SequentialRun(be, seq, n, ...take(seq.paramSpecs().length));
    this.enc = run(arch.encoder, batch);
    this.muRun = arch.mu ? run(arch.mu, batch) : null;
    this.lvRun = arch.logvar ? run(arch.logvar, batch) : null;
    this.dec = run(arch.decoder, rows);
    const L = spec.latent, D = spec.input, H = arch.encoder.outFeatures;
    const vae = spec.kind === "vae";
    this.x = own(batch * D);
    this.corrupted = o.separateInput ? own(batch * D) : null;
    this.onehot = C > 0 ? own(batch * C) : null;
    this.xIn = C > 0 ? own(batch * (D + C)) : this.corrupted ?? this.x;
    this.eps = own(rows * L);
    this.z = vae ? own(rows * L) : this.enc.output;
    this.muRep = samples > 1 ? own(rows * L) : null;
    this.lvRep = samples > 1 ? own(rows * L) : null;
    this.decIn = C > 0 ? own(rows * (L + C)) : this.z;
    this.dOut = own(back(rows * D));
    this.dz = own(back(rows * L));
    this.dmu = own(back(batch * L));
    this.dlv = own(back(batch * L));
    this.dDecIn = C > 0 ? own(back(rows * (L + C))) : null;
    this.dh = own(back(batch * H));
    this.dhOther = own(back(batch * H));
    if (arch.learnedObs) {
      this.obs = p[p.length - 1]!;
      this.obsGrad = g ? g[g.length - 1]! : null;
      this.obsStride = 1;
    } else {
      this.obs = own(1);
      be.fill(typeof spec.obsLogvar === "number" ? spec.obsLogvar : 0, this.obs);
      this.obsGrad = null;
      this.obsStride = 0;
    }
    be.finalizer?.register(this, releaser(be, [this.enc, this.muRun, this.lvRun, this.dec], this.owned), this);
  }

  get mu(): B | null { return this.muRun ? this.muRun.output : null; }
  get logvar(): B | null { return this.lvRun ? this.lvRun.output : null; }
  /** The code a penalty acts on: the AE's code, or the VAE's posterior mean [batch, latent]. */
  get code(): B { return this.muRun ? this.muRun.output : this.enc.output; }
  /** The decoder's raw output [rows, input]: logits (bernoulli, continuous Bernoulli) or means. */
  get out(): B { return this.dec.output; }

  /** Sets the one-hot labels (class indices in [0, classes)) of a conditional model's batch. */
  setLabels(labels: ArrayLike<number>, start = 0): void {
    const C = this.classes;
    if (C === 0) return;
    const hot = new Float32Array(this.batch * C);
    for (let i = 0; i < this.batch; i++) {
      const c = labels[start + i]!;
      if (!Number.isSafeInteger(c) || c < 0 || c >= C) throw new RangeError(`label ${start + i} is ${c}; a label is a class index in [0, ${C})`);
      hot[i * C + c] = 1;
    }
    this.be.write(this.onehot!, hot);
  }

  /** A conditional model's encoder input [x (or its corrupted copy), one-hot label]; nothing otherwise. */
  assembleInput(): void {
    if (this.classes === 0) return;
    const D = this.spec.input, C = this.classes, W = D + C;
    this.be.copyRows(this.batch, D, this.corrupted ?? this.x, D, this.xIn, W);
    this.be.copyRows(this.batch, C, this.onehot!, C, this.be.view(this.xIn, D, this.xIn.length - D), W);
  }

  /** Encodes xIn: AE codes, or VAE mean and log-variance. A training key lets Dropout layers draw. */
  encode(key: Key | null = null): void {
    const h = this.enc.forward(this.xIn, key && foldIn(key, ENCODER_LAYERS));
    this.muRun?.forward(h);
    this.lvRun?.forward(h);
  }

  /**
   * Sets z (VAE): z = mu + exp(logvar / 2) * eps per sample, with eps the given noise
   * (rows x latent values) or else drawn from the key; with neither, z = mu.
   */
  sampleCode(key: Key | null, noise?: B): void {
    if (!this.muRun) return;
    const mu = this.muRun.output, lv = this.lvRun!.output;
    if (noise || key) {
      if (noise) this.be.copy(noise, this.eps);
      else this.be.normal(key!, this.eps);
      if (this.samples === 1) {
        this.be.reparamForward(mu, lv, this.eps, this.z);
      } else {
        this.repeat(mu, this.muRep!);
        this.repeat(lv, this.lvRep!);
        this.be.reparamForward(this.muRep!, this.lvRep!, this.eps, this.z);
      }
    } else {
      if (this.samples === 1) this.be.copy(mu, this.z);
      else this.repeat(mu, this.z);
    }
  }

  /** dst [rows, n] = each row of src [batch, n] repeated `samples` times. */
  repeat(src: B, dst: B): void {
    const k = this.samples, n = src.length / Math.max(this.batch, 1);
    for (let i = 0; i < this.batch; i++) {
      const row = this.be.view(src, i * n, n);
      for (let s = 0; s < k; s++) this.be.copy(row, this.be.view(dst, (i * k + s) * n, n));
    }
  }

  /** Decodes z (with the label, for a conditional model). A training key lets Dropout layers draw. */
  decode(key: Key | null = null): B {
    if (this.classes > 0) {
      const L = this.spec.latent, C = this.classes, W = L + C;
      this.be.copyRows(this.rows, L, this.z, L, this.decIn, W);
      const labels = this.be.view(this.decIn, L, this.decIn.length - L);
      if (this.samples === 1) this.be.copyRows(this.batch, C, this.onehot!, C, labels, W);
      else for (let r = 0; r < this.rows; r++) this.be.copy(this.be.view(this.onehot!, Math.floor(r / this.samples) * C, C), this.be.view(labels, r * W, C));
    }
    return this.dec.forward(this.decIn, key && foldIn(key, DECODER_LAYERS));
  }

  /**
   * The default forward pass on x in inference mode (noise as in sampleCode): the sums of the
   * reconstruction and KL terms over the batch. Objectives (src/objectives) run their own.
   */
  forward(key: Key | null, noise?: B): LossSums {
    this.assembleInput();
    this.encode();
    this.sampleCode(key, noise);
    this.decode();
    return { reconstruction: this.reconstructionSum(), kl: this.muRun ? this.be.klNormalForward(this.muRun.output, this.lvRun!.output) : 0 };
  }

  /** Sum over all rows of the reconstruction term (the target of row r is x's row r / samples). */
  reconstructionSum(): number {
    if (this.samples === 1) return this.reconstructionRows(this.out, this.x, this.batch);
    let s = 0;
    for (let r = 0; r < this.rows; r++) s += this.reconstructionRow(r);
    return s;
  }

  /** The reconstruction term of decoder row r. */
  reconstructionRow(r: number): number {
    const D = this.spec.input;
    return this.reconstructionRows(this.be.view(this.out, r * D, D), this.be.view(this.x, Math.floor(r / this.samples) * D, D), 1);
  }

  private reconstructionRows(out: B, x: B, m: number): number {
    const { be } = this;
    const D = this.spec.input;
    switch (this.spec.likelihood) {
      case "bernoulli": return be.bceLogitsForward(out, x);
      case "continuousBernoulli": return be.cbLogitsForward(out, x);
      case "mse": return be.sqErrForward(out, x);
      case "gaussian": return be.gaussianNllForward(m, D, out, x, this.obs, this.obsStride);
      case "laplace": return be.laplaceNllForward(m, D, out, x, this.obs, this.obsStride);
    }
  }

  /**
   * Writes dOut = scale * d(reconstruction)/d(out) for all rows (samples 1) or, with `weights`,
   * row r's gradient scaled by weights[r]; the learned observation parameter's gradient is written
   * (zeroed first) into obsGrad.
   */
  reconstructionBackward(scale: number, weights?: ArrayLike<number>): void {
    if (this.forwardOnly) throw new Error("a backward pass on a forward-only program");
    if (this.obsGrad) this.be.fill(0, this.obsGrad);
    if (!weights) { this.reconstructionRowsBackward(scale, this.out, this.x, this.dOut, this.batch); return; }
    const D = this.spec.input;
    for (let r = 0; r < this.rows; r++) {
      this.reconstructionRowsBackward(scale * weights[r]!, this.be.view(this.out, r * D, D),
        this.be.view(this.x, Math.floor(r / this.samples) * D, D), this.be.view(this.dOut, r * D, D), 1);
    }
  }

  private reconstructionRowsBackward(scale: number, out: B, x: B, dOut: B, m: number): void {
    const { be } = this;
    const D = this.spec.input;
    switch (this.spec.likelihood) {
      case "bernoulli": be.bceLogitsBackward(scale, out, x, dOut); break;
      case "continuousBernoulli": be.cbLogitsBackward(scale, out, x, dOut); break;
      case "mse": be.sqErrBackward(scale, out, x, dOut); break;
      case "gaussian": be.gaussianNllBackward(m, D, scale, out, x, this.obs, this.obsStride, dOut, this.obsGrad); break;
      case "laplace": be.laplaceNllBackward(m, D, scale, out, x, this.obs, this.obsStride, dOut, this.obsGrad); break;
    }
  }

  /** Backward through the decoder from dOut: leaves d(loss)/dz in dz. */
  decoderBackward(): void {
    if (!this.dDecIn) { this.dec.backward(this.decIn, this.dOut, this.dz); return; }
    const L = this.spec.latent;
    this.dec.backward(this.decIn, this.dOut, this.dDecIn);
    this.be.copyRows(this.rows, L, this.dDecIn, L + this.classes, this.dz, L);
  }

  /** Backward through the heads and the encoder from dmu, dlv (VAE) or from dz (AE: the code's gradient). */
  encoderBackward(): void {
    if (!this.muRun) { this.enc.backward(this.xIn, this.dz, null); return; }
    const h = this.enc.output;
    this.muRun.backward(h, this.dmu, this.dh);
    this.lvRun!.backward(h, this.dlv, this.dhOther);
    this.be.add(this.dh, this.dhOther, this.dh);
    this.enc.backward(this.xIn, this.dh, null);
  }

  /** The decoder's output as the model's prediction: the mean of the likelihood (sigmoid of the logits for bernoulli). */
  prediction(into: B): void {
    const { be } = this;
    switch (this.spec.likelihood) {
      case "bernoulli": be.actForward(Activation.sigmoid, 0, this.out, into); break;
      case "continuousBernoulli": {
        const logits = be.read(this.out);
        be.write(into, continuousBernoulliMean(logits));
        break;
      }
      default: be.copy(this.out, into);
    }
  }

  /** Frees the activations and the buffers the program allocated (not a trainer's lent parameters). */
  dispose(): void {
    this.be.finalizer?.unregister(this);
    release(this.be, [this.enc, this.muRun, this.lvRun, this.dec], this.owned);
  }

  [Symbol.dispose](): void { this.dispose(); }
}

function release<B extends Buffer>(be: Backend<B>, runs: readonly (SequentialRun<B> | null)[], owned: B[]): void {
  for (const r of runs) r?.dispose();
  for (const b of owned) be.free(b);
  owned.length = 0;
}

/** The finalizer's callback for a program nobody disposed: it holds the buffers, not the program. */
function releaser<B extends Buffer>(be: Backend<B>, runs: readonly (SequentialRun<B> | null)[], owned: B[]): () => void {
  return () => release(be, runs, owned);
}
