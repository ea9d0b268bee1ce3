/**
 * Inverted dropout (torch.nn.Dropout): in training each value is kept with probability 1 - rate
 * and scaled by 1 / (1 - rate), else zeroed, so the expected output is the input; in inference it
 * is the identity. No parameters.
 *
 * Training is a forward with a key (ctx.key): the mask [batch, features] is drawn as
 * uniform(ctx.key) turned into mask = u >= rate ? 1 / (1 - rate) : 0 (Backend.dropoutMask), in
 * ws, and y = x * mask; backward gives dx = dy * mask. The mask is a function of the key alone,
 * so a backward given the same key reads it from ws when ctx.wsHoldsForward and else draws it
 * again. Without a key (inference) forward copies x and backward copies dy.
 */
import type { Backend, Buffer } from "../backend/backend.js";
import { checkFeatures, ConfigError, type Layer, type LayerContext, type ParamSpec } from "./layer.js";
import type { LayerSpec } from "./layer-spec.js";
import type { Key } from "../random/index.js";

export class Dropout implements Layer {
  readonly kind = "dropout";
  readonly params: readonly ParamSpec[] = [];
  readonly random = true;
  readonly inFeatures: number;
  readonly outFeatures: number;

  constructor(readonly features: number, readonly rate: number) {
    this.inFeatures = this.outFeatures = checkFeatures(features, "dropout features");
    if (typeof rate !== "number" || !(rate >= 0 && rate < 1)) throw new ConfigError(`dropout rate must be in [0, 1), got ${String(rate)}`);
  }

  init(): Float32Array[] { return []; }

  toSpec(): LayerSpec {
    return { type: "dropout", features: this.features, rate: this.rate };
  }

  /** The mask: batch * features numbers. */
  workspace(batch: number): number {
    return batch * this.features;
  }

  /** Writes the mask of key into a view of ws (or a fresh buffer, which the caller frees). */
  private drawMask<B extends Buffer>(be: Backend<B>, batch: number, key: Key, ws: B | undefined): B {
    const n = batch * this.features;
    const mask = ws ? be.view(ws, 0, n) : be.alloc(n);
    be.uniform(key, mask);
    be.dropoutMask(this.rate, mask, mask);
    return mask;
  }

  forward<B extends Buffer>(be: Backend<B>, _p: readonly B[], batch: number, x: B, y: B, ws?: B, ctx?: LayerContext): void {
    const key = ctx?.key;
    if (!key || this.rate === 0) { be.copy(x, y); return; }
    const mask = this.drawMask(be, batch, key, ws);
    be.mul(x, mask, y);
    if (!ws) be.free(mask);
  }

  backward<B extends Buffer>(be: Backend<B>, _p: readonly B[], _g: readonly B[], batch: number,
    _x: B, _y: B, dy: B, dx: B | null, ws?: B, ctx?: LayerContext): void {
    if (!dx) return;
    const key = ctx?.key;
    if (!key || this.rate === 0) { be.copy(dy, dx); return; }
    const mask = ws && ctx.wsHoldsForward ? be.view(ws, 0, batch * this.features) : this.drawMask(be, batch, key, ws);
    be.mul(dy, mask, dx);
    if (!ws) be.free(mask);
  }
}
