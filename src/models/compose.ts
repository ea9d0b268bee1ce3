/**
 * Models composed from layers: `models.ae({ encoder, decoder })` and
 * `models.vae({ encoder, decoder, latent })` take any composition of nn layers, as arrays of
 * layers in order. The model keeps them as a ComposedSpec (the layers' toSpec()), which a file
 * stores and `composedArchitecture` turns back into the same layers, so a saved composed model
 * is rebuilt without the code that made it.
 *
 *   const model = models.vae({
 *     encoder: [new nn.Dense(784, 400), new nn.ActivationLayer("relu", 400)],
 *     decoder: [new nn.Dense(20, 400), new nn.ActivationLayer("relu", 400), new nn.Dense(400, 784)],
 *     latent: 20,
 *   });
 */
import { initSchemes, type InitScheme } from "../nn/init.js";
import { ConfigError, type Layer } from "../nn/layer.js";
import { layerFromSpec } from "../nn/layer-spec.js";
import type { Sequential } from "../nn/sequential.js";
import { assemble, type Architecture } from "./architecture.js";
import { checkCommon, type ComposedSpec, type Likelihood } from "./spec.js";

export interface ComposedConfig {
  /** The encoder's layers: input (+ classes) features in; for an AE its output is the code. */
  readonly encoder: readonly Layer[] | Sequential;
  /** The decoder's layers: latent (+ classes) features in, input features out (logits or means: no final activation). */
  readonly decoder: readonly Layer[] | Sequential;
  /** VAE: the code's width (the heads map the encoder's output to it); AE: taken from the encoder's output. */
  readonly latent?: number;
  /** Default "bernoulli". */
  readonly likelihood?: Likelihood;
  /** Gaussian: log-variance, Laplace: log-scale; a number (default 0) or "learned". */
  readonly obsLogvar?: number | "learned";
  /** Weight of the KL term in the default objective (default 1). */
  readonly beta?: number;
  /** A conditional model: the number of label classes, one-hot, concatenated to the encoder's input and to the code (default 0). */
  readonly classes?: number;
  /** Initialisation of the VAE's mu and logvar heads (default "torch"). */
  readonly headInit?: InitScheme;
  /** [h, w, c] of an input image, for pictures (default: the first layer's input when it is a convolution). */
  readonly imageShape?: readonly [number, number, number];
}

function layersOf(v: readonly Layer[] | Sequential, what: string): readonly Layer[] {
  const layers = Array.isArray(v) ? v : (v as Sequential | undefined)?.layers;
  if (!Array.isArray(layers) || layers.length === 0) throw new ConfigError(`${what} must be a non-empty array of layers`);
  layers.forEach((l, i) => {
    if (!l || typeof (l as Layer).forward !== "function") throw new ConfigError(`${what}[${i}] is not a layer`);
    if (typeof (l as Layer).toSpec !== "function") {
      throw new ConfigError(`${what}[${i}] (${(l as Layer).kind}) has no toSpec(): a composed model stores its layers' specs, so each layer needs one`);
    }
  });
  return layers as readonly Layer[];
}

function imageOf(first: Layer, given: readonly number[] | undefined): [number, number, number] | null {
  if (given) {
    if (!Array.isArray(given) || given.length !== 3) throw new ConfigError(`imageShape must be [height, width, channels], got ${JSON.stringify(given)}`);
    return [given[0]!, given[1]!, given[2]!];
  }
  const spec = first.toSpec!();
  return spec.type === "conv2d" ? [spec.input[0], spec.input[1], spec.input[2]] : null;
}

/** The spec of a composed model; validates everything (ConfigError naming the field). */
export function composedSpec(kind: "ae" | "vae", cfg: ComposedConfig): ComposedSpec {
  if (cfg === null || typeof cfg !== "object") throw new ConfigError(`model config must be an object, got ${String(cfg)}`);
  const encoder = layersOf(cfg.encoder, "encoder");
  const decoder = layersOf(cfg.decoder, "decoder");
  const classes = cfg.classes ?? 0;
  if (!Number.isSafeInteger(classes) || classes < 0) throw new ConfigError(`classes must be a non-negative integer, got ${JSON.stringify(classes)}`);
  const input = encoder[0]!.inFeatures - classes;
  const latent = kind === "ae" ? encoder[encoder.length - 1]!.outFeatures : cfg.latent;
  if (kind === "ae" && cfg.latent !== undefined && cfg.latent !== latent) {
    throw new ConfigError(`latent ${cfg.latent} differs from the encoder's output (${latent} features), which is an autoencoder's code`);
  }
  if (kind === "vae" && latent === undefined) throw new ConfigError("a vae needs latent: the width of its code");
  const imageShape = imageOf(encoder[0]!, cfg.imageShape);
  const spec: ComposedSpec = {
    kind, arch: "composed", input, latent: latent!, likelihood: cfg.likelihood ?? "bernoulli", obsLogvar: cfg.obsLogvar ?? 0,
    beta: cfg.beta ?? 1, classes, headInit: cfg.headInit ?? "torch", imageShape,
    encoder: encoder.map((l) => l.toSpec!()), decoder: decoder.map((l) => l.toSpec!()),
  };
  validateComposed(spec);
  return deepFreeze(JSON.parse(JSON.stringify(spec)) as ComposedSpec);
}

/** Checks a composed spec (as read from a file too) and returns its architecture. */
export function validateComposed(spec: ComposedSpec): Architecture {
  checkCommon(spec);
  if (!Number.isSafeInteger(spec.classes) || spec.classes < 0) throw new ConfigError(`classes must be a non-negative integer, got ${JSON.stringify(spec.classes)}`);
  if (!initSchemes.includes(spec.headInit)) throw new ConfigError(`headInit must be one of ${initSchemes.join(", ")}, got ${JSON.stringify(spec.headInit)}`);
  if (spec.imageShape !== null) {
    const s = spec.imageShape;
    if (!Array.isArray(s) || s.length !== 3 || s.some((d) => !Number.isSafeInteger(d) || d < 1) || s[0] * s[1] * s[2] !== spec.input) {
      throw new ConfigError(`imageShape must be null or [height, width, channels] with h * w * c = input ${spec.input}, got ${JSON.stringify(s)}`);
    }
  }
  return composedArchitecture(spec);
}

/** The layers of a composed spec, rebuilt from their specs, assembled. */
export function composedArchitecture(spec: ComposedSpec): Architecture {
  const build = (specs: unknown, what: string): Layer[] => {
    if (!Array.isArray(specs) || specs.length === 0) throw new ConfigError(`${what} must be a non-empty array of layer specs`);
    return specs.map((s, i) => layerFromSpec(s, `${what}[${i}]`));
  };
  return assemble({ ...spec, encoder: build(spec.encoder, "encoder"), decoder: build(spec.decoder, "decoder") });
}

function deepFreeze<T>(v: T): T {
  if (v && typeof v === "object") {
    for (const x of Object.values(v)) deepFreeze(x);
    Object.freeze(v);
  }
  return v;
}
