/**
 * Dense (fully connected) layer: y = x W^T + b, with W stored [out, in] as in PyTorch.
 * Backward: dW = dy^T x (the batch is summed), db = column sums of dy, dx = dy W.
 */
import type { Backend, Buffer } from "../backend/backend.js";
import type { Key } from "../random/index.js";
import { checkFeatures, type Layer, type ParamSpec } from "./layer.js";
import { denseInit, type InitScheme } from "./init.js";
import type { LayerSpec } from "./layer-spec.js";

export class Dense implements Layer {
  readonly kind = "dense";
  readonly params: readonly ParamSpec[];

  constructor(readonly inFeatures: number, readonly outFeatures: number, readonly scheme: InitScheme = "torch") {
    checkFeatures(inFeatures, "dense input features");
    checkFeatures(outFeatures, "dense output features");
    this.params = [{ name: "weight", shape: [outFeatures, inFeatures] }, { name: "bias", shape: [outFeatures] }];
  }

  toSpec(): LayerSpec {
    return { type: "dense", in: this.inFeatures, out: this.outFeatures, init: this.scheme };
  }

  init(key: Key): Float32Array[] {
    return denseInit(this.scheme, key, this.inFeatures, this.outFeatures);
  }

  forward<B extends Buffer>(be: Backend<B>, p: readonly B[], batch: number, x: B, y: B): void {
    const [w, b] = p as [B, B];
    const { inFeatures: n, outFeatures: m } = this;
    be.gemm(false, true, batch, m, n, 1, x, n, w, n, 0, y, m);
    be.biasAdd(batch, m, b, y, m);
  }

  backward<B extends Buffer>(be: Backend<B>, p: readonly B[], g: readonly B[], batch: number,
    x: B, _y: B, dy: B, dx: B | null): void {
    const [w] = p as [B];
    const [gw, gb] = g as [B, B];
    const { inFeatures: n, outFeatures: m } = this;
    be.gemm(true, false, m, n, batch, 1, dy, m, x, n, 0, gw, n);
    be.colSum(batch, m, dy, m, 0, gb);
    if (dx) be.gemm(false, false, batch, n, m, 1, dy, m, w, n, 0, dx, n);
  }
}
