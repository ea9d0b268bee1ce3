/** Elementwise activation as a layer: no parameters, y = f(x), dx = f'(x) * dy. */
import type { Backend, Buffer } from "../backend/backend.js";
import { Activation, type ActivationCode } from "../kernels/exports.js";
import { checkFeatures, ConfigError, type Layer, type ParamSpec } from "./layer.js";
import type { LayerSpec } from "./layer-spec.js";

export type ActivationName = keyof typeof Activation;
export const activationNames = Object.keys(Activation) as ActivationName[];

/** Default alpha: the negative slope of leaky relu (0.01, PyTorch's) and the scale of elu (1). */
const defaultAlpha: Partial<Record<ActivationName, number>> = { leakyRelu: 0.01, elu: 1 };

export class ActivationLayer implements Layer {
  readonly kind: string;
  readonly params: readonly ParamSpec[] = [];
  readonly outFeatures: number;
  private readonly code: ActivationCode;
  readonly alpha: number;

  constructor(readonly name: ActivationName, readonly inFeatures: number, alpha?: number) {
    if (!(name in Activation)) throw new ConfigError(`unknown activation "${String(name)}"; one of ${activationNames.join(", ")}`);
    checkFeatures(inFeatures, `${name} features`);
    this.kind = name;
    this.code = Activation[name];
    this.outFeatures = inFeatures;
    this.alpha = alpha ?? defaultAlpha[name] ?? 0;
  }

  init(): Float32Array[] { return []; }

  toSpec(): LayerSpec {
    return { type: "activation", name: this.name, features: this.inFeatures, alpha: this.alpha };
  }

  forward<B extends Buffer>(be: Backend<B>, _p: readonly B[], _batch: number, x: B, y: B): void {
    be.actForward(this.code, this.alpha, x, y);
  }

  backward<B extends Buffer>(be: Backend<B>, _p: readonly B[], _g: readonly B[], _batch: number,
    x: B, y: B, dy: B, dx: B | null): void {
    if (dx) be.actBackward(this.code, this.alpha, x, y, dy, dx);
  }
}
