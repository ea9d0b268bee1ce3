/**
 * Reshape and Flatten: layers without parameters that change only how a sample's numbers are
 * read. Activations are NHWC and batch-major, so a sample [h, w, c] is already its h * w * c
 * features in (h, w, c) order (Keras's Flatten order; PyTorch's nn.Flatten on NCHW tensors gives
 * (c, h, w) order instead, so a Dense after it has its input columns permuted relative to a
 * PyTorch model's). Forward copies x to y; backward copies dy to dx.
 */
import type { Backend, Buffer } from "../backend/backend.js";
import { checkFeatures, ConfigError, type Layer, type ParamSpec } from "./layer.js";
import type { LayerSpec } from "./layer-spec.js";

function size(shape: readonly number[], what: string): number {
  if (shape.length === 0) throw new ConfigError(`${what} shape is empty`);
  return shape.reduce((n, d) => n * checkFeatures(d, `${what} dimension`), 1);
}

/** Reinterprets a sample of shape `from` as shape `to` (same number of values, same order). */
export class Reshape implements Layer {
  readonly kind: string = "reshape";
  readonly params: readonly ParamSpec[] = [];
  readonly inFeatures: number;
  readonly outFeatures: number;

  constructor(readonly from: readonly number[], readonly to: readonly number[]) {
    this.inFeatures = size(from, "reshape input");
    this.outFeatures = size(to, "reshape output");
    if (this.inFeatures !== this.outFeatures) {
      throw new ConfigError(`cannot reshape [${from.join(", ")}] (${this.inFeatures} values) to [${to.join(", ")}] (${this.outFeatures})`);
    }
  }

  init(): Float32Array[] { return []; }

  toSpec(): LayerSpec {
    return { type: "reshape", from: [...this.from], to: [...this.to] };
  }

  forward<B extends Buffer>(be: Backend<B>, _p: readonly B[], _batch: number, x: B, y: B): void {
    be.copy(x, y);
  }

  backward<B extends Buffer>(be: Backend<B>, _p: readonly B[], _g: readonly B[], _batch: number,
    _x: B, _y: B, dy: B, dx: B | null): void {
    if (dx) be.copy(dy, dx);
  }
}

/** A sample [h, w, c] (or any shape) to its features [h * w * c], in NHWC order. */
export class Flatten extends Reshape {
  override readonly kind = "flatten";
  constructor(from: readonly number[]) {
    super(from, [from.reduce((n, d) => n * d, 1)]);
  }

  override toSpec(): LayerSpec {
    return { type: "flatten", from: [...this.from] };
  }
}
