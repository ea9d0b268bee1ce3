/**
 * A layer is a description plus two rules: `init(key)` gives its parameters' initial values
 * (host f32 arrays, one per ParamSpec, in order) and forward/backward compute on a Backend.
 * Activations are batch-major: x is [batch, inFeatures], y is [batch, outFeatures], row-major.
 * Backward is the vector-Jacobian product: given dy it writes the parameter gradients
 * (not accumulated) and, when dx is not null, dx.
 */
import type { Backend, Buffer } from "../backend/backend.js";
import type { Key } from "../random/index.js";

export interface ParamSpec {
  /** Local name, e.g. "weight"; a Sequential prefixes it with the layer's index. */
  readonly name: string;
  readonly shape: readonly number[];
}

export interface Layer {
  readonly kind: string;
  readonly inFeatures: number;
  readonly outFeatures: number;
  readonly params: readonly ParamSpec[];
  init(key: Key): Float32Array[];
  forward<B extends Buffer>(be: Backend<B>, p: readonly B[], batch: number, x: B, y: B): void;
  backward<B extends Buffer>(be: Backend<B>, p: readonly B[], g: readonly B[], batch: number,
    x: B, y: B, dy: B, dx: B | null): void;
}

export class ConfigError extends Error {
  override readonly name = "ConfigError";
}

export function checkFeatures(value: number, what: string): number {
  if (!Number.isSafeInteger(value) || value < 1) throw new ConfigError(`${what} must be a positive integer, got ${value}`);
  return value;
}
