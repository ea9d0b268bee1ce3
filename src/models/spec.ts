/**
 * The description of a model: plain JSON, stored in saved files so that a file restores
 * the model without the code that made it. Two architectures share every field but the
 * layers between the image and the dense part:
 * - "mlp": dense layers only;
 * - "conv": stride-2 convolutions first (the Keras VAE example's encoder), mirrored by
 *   transposed convolutions in the decoder; images are NHWC, `imageShape` [h, w, c].
 */
import { activationNames, type ActivationName } from "../nn/activation.js";
import { ConfigError, checkFeatures } from "../nn/layer.js";
import { initSchemes, type InitScheme } from "../nn/init.js";
import type { LayerSpec } from "../nn/layer-spec.js";

/**
 * How pixels are scored, per sample, summed over pixels:
 * - "bernoulli": -log p(x | logits) = BCE with logits; targets in [0, 1]; the decoder outputs logits.
 * - "gaussian": -log N(x; mean, exp(logvar)), with `obsLogvar` fixed (a number) or "learned"
 *   (one log-variance per pixel, the parameter "obs.logvar").
 * - "mse": squared error sum (x - mean)^2, the usual autoencoder loss (not a log-likelihood).
 * - "continuousBernoulli": the continuous Bernoulli of Loaiza-Ganem & Cunningham (2019), a proper
 *   density on [0, 1]: BCE with logits minus the log of its normaliser; the decoder outputs logits.
 * - "laplace": -log Laplace(x; mean, b), with log b fixed (`obsLogvar`, read as log b) or "learned"
 *   (one per pixel, the parameter "obs.logscale").
 */
export type Likelihood = "bernoulli" | "gaussian" | "mse" | "continuousBernoulli" | "laplace";
export const likelihoods: readonly Likelihood[] = ["bernoulli", "gaussian", "mse", "continuousBernoulli", "laplace"];

/** The fields every model spec has. */
export interface BaseSpec {
  readonly kind: "ae" | "vae";
  /** Features per sample (e.g. 784 for 28x28x1 images). */
  readonly input: number;
  readonly latent: number;
  readonly likelihood: Likelihood;
  /** Gaussian likelihood: a fixed log-variance, or "learned"; Laplace: a fixed log-scale log b, or "learned". */
  readonly obsLogvar: number | "learned";
  /** Weight of the KL term (beta-VAE); 1 is the ELBO. Unused by the AE. */
  readonly beta: number;
}

interface CommonSpec extends BaseSpec {
  /** Widths of the encoder's dense hidden layers; the decoder mirrors them. */
  readonly hidden: readonly number[];
  readonly activation: ActivationName;
  readonly init: InitScheme;
}

export interface MlpSpec extends CommonSpec {
  readonly arch: "mlp";
}

export interface ConvSpec extends CommonSpec {
  readonly arch: "conv";
  /** [height, width, channels] of an image; input = height * width * channels. */
  readonly imageShape: readonly [number, number, number];
  /** Output channels of the encoder's convolutions, each with stride 2 (e.g. [32, 64]). */
  readonly channels: readonly number[];
  /** Odd kernel size of every convolution (padding kernel // 2, as PyTorch's padding=1 for 3). */
  readonly kernel: number;
}

/**
 * A model composed from layers (models.ae({...}) / models.vae({...})): the encoder's and the
 * decoder's layers as LayerSpecs, so that a file rebuilds it without the code that made it.
 * VAE: two dense heads (mu, logvar) from the encoder's output to the latent, initialised by
 * `headInit`. AE: the encoder's output is the code (latent = its width).
 * `classes` > 0 makes it conditional: a one-hot label of that many classes is concatenated to
 * the encoder's input (encoder takes input + classes) and to the code (decoder takes latent + classes).
 * `imageShape` [h, w, c], when known, lets pictures be drawn; input = h * w * c then.
 */
export interface ComposedSpec extends BaseSpec {
  readonly arch: "composed";
  readonly encoder: readonly LayerSpec[];
  readonly decoder: readonly LayerSpec[];
  readonly classes: number;
  readonly headInit: InitScheme;
  readonly imageShape: readonly [number, number, number] | null;
}

export type PresetSpec = MlpSpec | ConvSpec;
export type ModelSpec = PresetSpec | ComposedSpec;

/** The fields of a stored spec, per architecture (a saved file holds exactly these). */
export const specFields = {
  mlp: ["kind", "arch", "input", "hidden", "latent", "activation", "likelihood", "obsLogvar", "beta", "init"],
  conv: ["kind", "arch", "input", "imageShape", "channels", "kernel", "hidden", "latent", "activation", "likelihood", "obsLogvar", "beta", "init"],
  composed: ["kind", "arch", "input", "latent", "likelihood", "obsLogvar", "beta", "classes", "headInit", "imageShape", "encoder", "decoder"],
} as const;

type Defaults = Omit<CommonSpec, "kind" | "input" | "latent">;
export type MlpConfig = Partial<Defaults> & Pick<CommonSpec, "input" | "latent">;
export type ConvConfig = Partial<Defaults & Pick<ConvSpec, "channels" | "kernel">> & Pick<ConvSpec, "imageShape"> & Partial<Pick<CommonSpec, "latent">>;

function checkConfig(cfg: unknown): void {
  if (cfg === null || typeof cfg !== "object") throw new ConfigError(`model config must be an object, got ${String(cfg)}`);
}

/** Fills defaults and validates; throws ConfigError naming the field and the value. */
export function mlpSpec(kind: "ae" | "vae", cfg: MlpConfig): PresetSpec {
  checkConfig(cfg);
  return validateSpec({
    kind, arch: "mlp", input: cfg.input, hidden: [...(cfg.hidden ?? [400])], latent: cfg.latent,
    activation: cfg.activation ?? "relu", likelihood: cfg.likelihood ?? "bernoulli",
    obsLogvar: cfg.obsLogvar ?? 0, beta: cfg.beta ?? 1, init: cfg.init ?? "torch",
  });
}

/** The Keras example's defaults: channels [32, 64], kernel 3, hidden [16], latent 2. */
export function convSpec(kind: "ae" | "vae", cfg: ConvConfig): PresetSpec {
  checkConfig(cfg);
  const shape = cfg.imageShape;
  if (!Array.isArray(shape) || shape.length !== 3) throw new ConfigError(`imageShape must be [height, width, channels], got ${JSON.stringify(shape)}`);
  return validateSpec({
    kind, arch: "conv", input: shape[0] * shape[1] * shape[2], imageShape: [shape[0], shape[1], shape[2]],
    channels: [...(cfg.channels ?? [32, 64])], kernel: cfg.kernel ?? 3,
    hidden: [...(cfg.hidden ?? [16])], latent: cfg.latent ?? 2,
    activation: cfg.activation ?? "relu", likelihood: cfg.likelihood ?? "bernoulli",
    obsLogvar: cfg.obsLogvar ?? 0, beta: cfg.beta ?? 1, init: cfg.init ?? "torch",
  });
}

function widths(value: unknown, what: string): number[] {
  if (!Array.isArray(value)) throw new ConfigError(`${what} must be an array of positive integers, got ${JSON.stringify(value)}`);
  value.forEach((h, i) => checkFeatures(h as number, `${what}[${i}]`));
  return [...value] as number[];
}

/** The fields every spec has: kind, input, latent, likelihood, obsLogvar, beta. */
export function checkCommon(spec: BaseSpec): void {
  if (spec.kind !== "ae" && spec.kind !== "vae") throw new ConfigError(`kind must be "ae" or "vae", got ${JSON.stringify(spec.kind)}`);
  checkFeatures(spec.input, "input");
  checkFeatures(spec.latent, "latent");
  if (!likelihoods.includes(spec.likelihood)) throw new ConfigError(`likelihood must be one of ${likelihoods.join(", ")}, got ${JSON.stringify(spec.likelihood)}`);
  if (spec.obsLogvar !== "learned" && !(typeof spec.obsLogvar === "number" && Number.isFinite(spec.obsLogvar))) {
    throw new ConfigError(`obsLogvar must be a finite number or "learned", got ${JSON.stringify(spec.obsLogvar)}`);
  }
  if (!(typeof spec.beta === "number" && Number.isFinite(spec.beta) && spec.beta >= 0)) throw new ConfigError(`beta must be a finite number >= 0, got ${JSON.stringify(spec.beta)}`);
}

/** Validates a preset spec (mlp or conv); composed specs are validated where their layers are built (./compose.ts). */
export function validateSpec(spec: PresetSpec): PresetSpec {
  if (spec === null || typeof spec !== "object") throw new ConfigError(`a model spec must be an object, got ${String(spec)}`);
  if (spec.arch !== "mlp" && spec.arch !== "conv") throw new ConfigError(`arch must be "mlp" or "conv", got ${JSON.stringify((spec as { arch: unknown }).arch)}`);
  checkCommon(spec);
  const hidden = widths(spec.hidden, "hidden");
  if (spec.kind === "vae" && spec.arch === "mlp" && hidden.length === 0) throw new ConfigError("an mlp vae needs at least one hidden layer (hidden: [])");
  if (!activationNames.includes(spec.activation)) throw new ConfigError(`activation must be one of ${activationNames.join(", ")}, got ${JSON.stringify(spec.activation)}`);
  if (!initSchemes.includes(spec.init)) throw new ConfigError(`init must be one of ${initSchemes.join(", ")}, got ${JSON.stringify(spec.init)}`);
  if (spec.arch === "mlp") return Object.freeze({ ...spec, hidden: Object.freeze(hidden) });
  const shape = widths(spec.imageShape, "imageShape");
  if (shape.length !== 3) throw new ConfigError(`imageShape must be [height, width, channels], got ${JSON.stringify(spec.imageShape)}`);
  if (shape[0]! * shape[1]! * shape[2]! !== spec.input) throw new ConfigError(`input ${spec.input} must equal height * width * channels of imageShape [${shape.join(", ")}]`);
  const channels = widths(spec.channels, "channels");
  if (channels.length === 0) throw new ConfigError("a conv model needs at least one convolution (channels: [])");
  if (!Number.isSafeInteger(spec.kernel) || spec.kernel < 1 || spec.kernel % 2 === 0) throw new ConfigError(`kernel must be an odd positive integer, got ${JSON.stringify(spec.kernel)}`);
  return Object.freeze({
    ...spec, hidden: Object.freeze(hidden), channels: Object.freeze(channels),
    imageShape: Object.freeze([shape[0]!, shape[1]!, shape[2]!] as const),
  });
}
