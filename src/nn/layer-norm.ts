/**
 * Layer normalisation (torch.nn.LayerNorm(shape, eps)): each sample's prod(shape) features, in
 * the repo's NHWC order (a sample [h, w, c] is its h * w * c values, channels last), are
 * normalised by their own mean and biased variance, then scaled and shifted elementwise:
 *   y = (x - mean) / sqrt(var + eps) * weight + bias.
 * weight (init ones) and bias (init zeros) have shape `shape`, stored in the same order as the
 * features, so PyTorch's nn.LayerNorm(shape) applied to the NHWC tensor is its twin.
 *
 * Workspace: mean [batch] then rstd [batch], written by forward and read by backward when
 * ctx.wsHoldsForward (else the backward computes them again from x).
 */
import type { Backend, Buffer } from "../backend/backend.js";
import { checkFeatures, ConfigError, type Layer, type LayerContext, type ParamSpec } from "./layer.js";
import type { LayerSpec } from "./layer-spec.js";

export class LayerNorm implements Layer {
  readonly kind = "layerNorm";
  readonly params: readonly ParamSpec[];
  readonly inFeatures: number;
  readonly outFeatures: number;
  readonly shape: readonly number[];

  constructor(shape: readonly number[], readonly eps = 1e-5) {
    if (!Array.isArray(shape) || shape.length === 0) throw new ConfigError(`layer norm shape must be a non-empty array, got ${JSON.stringify(shape)}`);
    this.shape = shape.map((d) => checkFeatures(d, "layer norm shape dimension"));
    if (typeof eps !== "number" || !Number.isFinite(eps) || eps <= 0) throw new ConfigError(`layer norm eps must be a finite number > 0, got ${String(eps)}`);
    this.inFeatures = this.outFeatures = this.shape.reduce((n, d) => n * d, 1);
    checkFeatures(this.inFeatures, "layer norm features");
    this.params = [{ name: "weight", shape: [...this.shape] }, { name: "bias", shape: [...this.shape] }];
  }

  init(): Float32Array[] {
    return [new Float32Array(this.inFeatures).fill(1), new Float32Array(this.inFeatures)];
  }

  toSpec(): LayerSpec {
    return { type: "layerNorm", shape: [...this.shape], eps: this.eps };
  }

  /** mean and rstd: 2 * batch numbers. */
  workspace(batch: number): number {
    return 2 * batch;
  }

  forward<B extends Buffer>(be: Backend<B>, p: readonly B[], batch: number, x: B, y: B, ws?: B): void {
    const stats = ws ?? be.alloc(2 * batch);
    be.layerNormForward(batch, this.inFeatures, this.eps, x, p[0]!, p[1]!, y, be.view(stats, 0, batch), be.view(stats, batch, batch));
    if (stats !== ws) be.free(stats);
  }

  backward<B extends Buffer>(be: Backend<B>, p: readonly B[], g: readonly B[], batch: number,
    x: B, _y: B, dy: B, dx: B | null, ws?: B, ctx?: LayerContext): void {
    const n = this.inFeatures;
    const stats = ws ?? be.alloc(2 * batch);
    const mean = be.view(stats, 0, batch), rstd = be.view(stats, batch, batch);
    if (!(ws && ctx?.wsHoldsForward)) {
      const scratch = be.alloc(batch * n);
      be.layerNormForward(batch, n, this.eps, x, p[0]!, p[1]!, scratch, mean, rstd);
      be.free(scratch);
    }
    be.layerNormBackward(batch, n, x, p[0]!, mean, rstd, dy, dx, g[0]!, g[1]!);
    if (stats !== ws) be.free(stats);
  }
}
