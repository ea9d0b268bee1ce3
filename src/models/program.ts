/**
 * A model compiled for one backend and one batch size: the flat parameter and gradient
 * buffers, every activation the backward pass needs, and the loss.
 *
 * Loss conventions (per sample, in nats for the likelihoods):
 *   reconstruction = -log p(x | z), summed over pixels;  kl = KL(q(z|x) || N(0, I)), summed over
 *   latent dimensions;  loss = reconstruction + beta * kl (the negative ELBO when beta = 1).
 * forward() returns the sums over the batch; gradients are of the batch mean of the loss.
 * A forward-only program (evaluation, encoding, decoding) holds the parameters and activations
 * but no gradient buffers: about half the memory of a training program.
 */
import type { Backend, Buffer } from "../backend/backend.js";
import { SequentialRun } from "../nn/sequential.js";
import type { Key } from "../random/index.js";
import { Activation } from "../kernels/exports.js";
import type { Architecture } from "./architecture.js";
import type { ModelSpec } from "./spec.js";

export interface LossSums {
  /** Sum over the batch of the per-sample reconstruction term. */
  readonly reconstruction: number;
  /** Sum over the batch of the per-sample KL term (0 for an AE). */
  readonly kl: number;
}

export interface ProgramOptions<B extends Buffer = Buffer> {
  /** No gradient buffers; backward() throws. */
  readonly forwardOnly?: boolean;
  /**
   * Parameter and gradient buffers (layout.total values each) owned by the caller: the program
   * computes on them and dispose() leaves them alone. A trainer keeps its state in them while
   * it changes batch size.
   */
  readonly buffers?: { readonly params: B; readonly grads: B };
}

export class Program<B extends Buffer> {
  readonly params: B;
  /** Gradients in the layout of params; empty in a forward-only program. */
  readonly grads: B;
  readonly forwardOnly: boolean;
  readonly x: B;
  readonly enc: SequentialRun<B>;
  readonly muRun: SequentialRun<B> | null;
  readonly lvRun: SequentialRun<B> | null;
  readonly dec: SequentialRun<B>;
  /** VAE: the noise and the sampled code; AE: z is the encoder's output. */
  readonly eps: B;
  readonly z: B;
  private readonly dOut: B;
  private readonly dz: B;
  private readonly dmu: B;
  private readonly dlv: B;
  private readonly dh: B;
  private readonly dhOther: B;
  private readonly obsLogvar: B;
  private readonly obsLogvarGrad: B | null;
  private readonly owned: B[];

  constructor(readonly be: Backend<B>, readonly spec: ModelSpec, readonly arch: Architecture, readonly batch: number, o: ProgramOptions<B> = {}) {
    const { layout } = arch;
    const forwardOnly = this.forwardOnly = o.forwardOnly ?? false;
    /** Sizes of the buffers only backward() uses. */
    const back = (n: number) => (forwardOnly ? 0 : n);
    if (o.buffers && (o.buffers.params.length !== layout.total || o.buffers.grads.length !== back(layout.total))) {
      throw new RangeError(`a program's own parameter and gradient buffers must hold ${layout.total} and ${back(layout.total)} values`);
    }
    this.params = o.buffers?.params ?? be.alloc(layout.total);
    this.grads = o.buffers?.grads ?? be.alloc(back(layout.total));
    const views = (flat: B) => layout.entries.map((e) => be.view(flat, e.offset, e.size));
    const p = views(this.params), g = forwardOnly ? null : views(this.grads);
    let at = 0;
    const take = (count: number): [B[], B[] | null] => { const r: [B[], B[] | null] = [p.slice(at, at + count), g ? g.slice(at, at + count) : null]; at += count; return r; };
    const run = (seq: Architecture["encoder"]) => new SequentialRun(be, seq, batch, ...take(seq.paramSpecs().length));
    this.enc = run(arch.encoder);
    this.muRun = arch.mu ? run(arch.mu) : null;
    this.lvRun = arch.logvar ? run(arch.logvar) : null;
    this.dec = run(arch.decoder);
    const L = spec.latent, D = spec.input, H = arch.encoder.outFeatures;
    this.x = be.alloc(batch * D);
    this.eps = be.alloc(batch * L);
    this.z = spec.kind === "vae" ? be.alloc(batch * L) : this.enc.output;
    this.dOut = be.alloc(back(batch * D));
    this.dz = be.alloc(back(batch * L));
    this.dmu = be.alloc(back(batch * L));
    this.dlv = be.alloc(back(batch * L));
    this.dh = be.alloc(back(batch * H));
    this.dhOther = be.alloc(back(batch * H));
    this.owned = [...(o.buffers ? [] : [this.params, this.grads]), this.x, this.eps, this.dOut, this.dz, this.dmu, this.dlv, this.dh, this.dhOther];
    if (spec.kind === "vae") this.owned.push(this.z);
    if (arch.learnedObsLogvar) {
      this.obsLogvar = p[p.length - 1]!;
      this.obsLogvarGrad = g ? g[g.length - 1]! : null;
    } else {
      this.obsLogvar = be.alloc(1);
      be.fill(typeof spec.obsLogvar === "number" ? spec.obsLogvar : 0, this.obsLogvar);
      this.obsLogvarGrad = null;
      this.owned.push(this.obsLogvar);
    }
  }

  get mu(): B | null { return this.muRun ? this.muRun.output : null; }
  get logvar(): B | null { return this.lvRun ? this.lvRun.output : null; }
  /** The decoder's raw output: logits (bernoulli) or means (gaussian, mse). */
  get out(): B { return this.dec.output; }

  /** Encodes this.x: AE codes, or VAE mean and log-variance. */
  encode(): void {
    const h = this.enc.forward(this.x);
    this.muRun?.forward(h);
    this.lvRun?.forward(h);
  }

  /**
   * Sets z (VAE): z = mu + exp(logvar / 2) * eps, with eps the given noise (batch x latent
   * values) or else drawn from the key; with neither, z = mu.
   */
  sampleCode(key: Key | null, noise?: B): void {
    if (!this.muRun) return;
    if (noise || key) {
      if (noise) this.be.copy(noise, this.eps);
      else this.be.normal(key!, this.eps);
      this.be.reparamForward(this.muRun.output, this.lvRun!.output, this.eps, this.z);
    } else {
      this.be.copy(this.muRun.output, this.z);
    }
  }

  decode(): B { return this.dec.forward(this.z); }

  /** Full forward pass on this.x (noise as in sampleCode); returns the loss sums over the batch. */
  forward(key: Key | null, noise?: B): LossSums {
    this.encode();
    this.sampleCode(key, noise);
    this.decode();
    return { reconstruction: this.reconstructionLoss(), kl: this.muRun ? this.be.klNormalForward(this.muRun.output, this.lvRun!.output) : 0 };
  }

  private reconstructionLoss(): number {
    const { be, out, x } = this;
    switch (this.spec.likelihood) {
      case "bernoulli": return be.bceLogitsForward(out, x);
      case "mse": return be.sqErrForward(out, x);
      case "gaussian": return be.gaussianNllForward(this.batch, this.spec.input, out, x, this.obsLogvar, this.arch.learnedObsLogvar ? 1 : 0);
    }
  }

  /** Gradients of the batch-mean loss after forward(); written into this.grads. */
  backward(): void {
    if (this.forwardOnly) throw new Error("backward() on a forward-only program");
    const { be, batch, spec } = this;
    const scale = batch > 0 ? 1 / batch : 0;
    switch (spec.likelihood) {
      case "bernoulli": be.bceLogitsBackward(scale, this.out, this.x, this.dOut); break;
      case "mse": be.sqErrBackward(scale, this.out, this.x, this.dOut); break;
      case "gaussian":
        if (this.obsLogvarGrad) be.fill(0, this.obsLogvarGrad);
        be.gaussianNllBackward(batch, spec.input, scale, this.out, this.x, this.obsLogvar, this.obsLogvarGrad ? 1 : 0, this.dOut, this.obsLogvarGrad);
        break;
    }
    this.dec.backward(this.z, this.dOut, this.dz);
    if (!this.muRun) {
      this.enc.backward(this.x, this.dz, null);
      return;
    }
    const mu = this.muRun.output, lv = this.lvRun!.output;
    be.reparamBackward(lv, this.eps, this.dz, this.dmu, this.dlv);
    be.klNormalBackward(scale * spec.beta, mu, lv, this.dmu, this.dlv);
    const h = this.enc.output;
    this.muRun.backward(h, this.dmu, this.dh);
    this.lvRun!.backward(h, this.dlv, this.dhOther);
    be.add(this.dh, this.dhOther, this.dh);
    this.enc.backward(this.x, this.dh, null);
  }

  /** The decoder's output as the model's prediction: sigmoid of the logits for bernoulli, else the means. */
  prediction(into: B): void {
    if (this.spec.likelihood === "bernoulli") this.be.actForward(Activation.sigmoid, 0, this.out, into);
    else this.be.copy(this.out, into);
  }

  dispose(): void {
    this.enc.dispose(); this.muRun?.dispose(); this.lvRun?.dispose(); this.dec.dispose();
    for (const b of this.owned) this.be.free(b);
  }
}
