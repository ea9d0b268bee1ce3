/**
 * A layer is a description plus two rules: `init(key)` gives its parameters' initial values
 * (host f32 arrays, one per ParamSpec, in order) and forward/backward compute on a Backend.
 * Activations are batch-major: x is [batch, inFeatures], y is [batch, outFeatures], row-major.
 * Backward is the vector-Jacobian product: given dy it writes the parameter gradients
 * (not accumulated) and, when dx is not null, dx.
 *
 * A layer that needs scratch (a convolution's column matrix) says how much with
 * `workspace(batch)`. A caller may then pass a buffer of at least that many numbers as `ws` to
 * forward and backward (SequentialRun gives each such layer its own). The layer may overwrite ws
 * on any call; a backward that follows the forward of the same x on the same ws may reuse what
 * the forward left there. Without ws a layer allocates and frees its own scratch.
 */
import type { Backend, Buffer } from "../backend/backend.js";
import type { Key } from "../random/index.js";
import type { LayerSpec } from "./layer-spec.js";

export interface ParamSpec {
  /** Local name, e.g. "weight"; a Sequential prefixes it with the layer's index. */
  readonly name: string;
  readonly shape: readonly number[];
}

/**
 * What a call knows beyond its buffers.
 * - `key`: a training forward's key, for layers that draw (Dropout draws its mask from it and
 *   keeps it in ws for backward); absent or null in inference, where Dropout is the identity.
 * - `wsHoldsForward` (backward only): ws still holds what this layer's forward left there for
 *   this same x, so the layer may reuse it (Conv2d's columns). The owner of ws (SequentialRun)
 *   says so; a layer never guesses.
 */
export interface LayerContext {
  readonly key?: Key | null;
  readonly wsHoldsForward?: boolean;
}

export interface Layer {
  readonly kind: string;
  readonly inFeatures: number;
  readonly outFeatures: number;
  readonly params: readonly ParamSpec[];
  init(key: Key): Float32Array[];
  /** Numbers of scratch for a batch (absent or 0: none). */
  workspace?(batch: number): number;
  /** True for a layer whose forward draws from ctx.key (Dropout). */
  readonly random?: boolean;
  forward<B extends Buffer>(be: Backend<B>, p: readonly B[], batch: number, x: B, y: B, ws?: B, ctx?: LayerContext): void;
  backward<B extends Buffer>(be: Backend<B>, p: readonly B[], g: readonly B[], batch: number,
    x: B, y: B, dy: B, dx: B | null, ws?: B, ctx?: LayerContext): void;
  /**
   * The plain-JSON description that layerFromSpec (./layer-spec.ts) turns back into an equal layer.
   * latent's layers all have one; a layer of your own may leave it out, and then runs anywhere a
   * layer runs (a Sequential, latent/testing's checkLayer) but cannot go into a composed model,
   * whose file stores its layers' specs.
   */
  toSpec?(): LayerSpec;
}

export class ConfigError extends Error {
  override readonly name = "ConfigError";
}

export function checkFeatures(value: number, what: string): number {
  if (!Number.isSafeInteger(value) || value < 1) throw new ConfigError(`${what} must be a positive integer, got ${value}`);
  return value;
}
