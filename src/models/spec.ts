/**
 * The description of a model: plain JSON, stored in saved files so that a file restores
 * the model without the code that made it.
 */
import { activationNames, type ActivationName } from "../nn/activation.js";
import { ConfigError, checkFeatures } from "../nn/layer.js";
import { initSchemes, type InitScheme } from "../nn/init.js";

/**
 * How pixels are scored, per sample, summed over pixels:
 * - "bernoulli": -log p(x | logits) = BCE with logits; targets in [0, 1]; the decoder outputs logits.
 * - "gaussian": -log N(x; mean, exp(logvar)), with `obsLogvar` fixed (a number) or "learned"
 *   (one log-variance per pixel, the parameter "obs.logvar").
 * - "mse": squared error sum (x - mean)^2, the usual autoencoder loss (not a log-likelihood).
 */
export type Likelihood = "bernoulli" | "gaussian" | "mse";

export interface ModelSpec {
  readonly kind: "ae" | "vae";
  readonly arch: "mlp";
  /** Features per sample (e.g. 784 for 28x28x1 images). */
  readonly input: number;
  /** Widths of the hidden layers of the encoder; the decoder mirrors them. */
  readonly hidden: readonly number[];
  readonly latent: number;
  readonly activation: ActivationName;
  readonly likelihood: Likelihood;
  /** Gaussian likelihood only: a fixed log-variance, or "learned". */
  readonly obsLogvar: number | "learned";
  /** Weight of the KL term (beta-VAE); 1 is the ELBO. Unused by the AE. */
  readonly beta: number;
  readonly init: InitScheme;
}

export type MlpConfig = Partial<Omit<ModelSpec, "kind" | "arch">> & Pick<ModelSpec, "input" | "latent">;

const likelihoods: readonly Likelihood[] = ["bernoulli", "gaussian", "mse"];

/** Fills defaults and validates; throws ConfigError naming the field and the value. */
export function mlpSpec(kind: "ae" | "vae", cfg: MlpConfig): ModelSpec {
  if (cfg === null || typeof cfg !== "object") throw new ConfigError(`model config must be an object, got ${String(cfg)}`);
  const spec: ModelSpec = {
    kind,
    arch: "mlp",
    input: cfg.input,
    hidden: [...(cfg.hidden ?? [400])],
    latent: cfg.latent,
    activation: cfg.activation ?? "relu",
    likelihood: cfg.likelihood ?? "bernoulli",
    obsLogvar: cfg.obsLogvar ?? 0,
    beta: cfg.beta ?? 1,
    init: cfg.init ?? "torch",
  };
  return validateSpec(spec);
}

export function validateSpec(spec: ModelSpec): ModelSpec {
  if (spec.kind !== "ae" && spec.kind !== "vae") throw new ConfigError(`kind must be "ae" or "vae", got ${JSON.stringify(spec.kind)}`);
  if (spec.arch !== "mlp") throw new ConfigError(`arch must be "mlp", got ${JSON.stringify(spec.arch)}`);
  checkFeatures(spec.input, "input");
  checkFeatures(spec.latent, "latent");
  if (!Array.isArray(spec.hidden)) throw new ConfigError(`hidden must be an array of widths, got ${JSON.stringify(spec.hidden)}`);
  spec.hidden.forEach((h, i) => checkFeatures(h, `hidden[${i}]`));
  if (spec.kind === "vae" && spec.hidden.length === 0) throw new ConfigError("a vae needs at least one hidden layer (hidden: [])");
  if (!activationNames.includes(spec.activation)) throw new ConfigError(`activation must be one of ${activationNames.join(", ")}, got ${JSON.stringify(spec.activation)}`);
  if (!likelihoods.includes(spec.likelihood)) throw new ConfigError(`likelihood must be one of ${likelihoods.join(", ")}, got ${JSON.stringify(spec.likelihood)}`);
  if (spec.obsLogvar !== "learned" && !(typeof spec.obsLogvar === "number" && Number.isFinite(spec.obsLogvar))) {
    throw new ConfigError(`obsLogvar must be a finite number or "learned", got ${JSON.stringify(spec.obsLogvar)}`);
  }
  if (!(typeof spec.beta === "number" && Number.isFinite(spec.beta) && spec.beta >= 0)) throw new ConfigError(`beta must be a finite number >= 0, got ${JSON.stringify(spec.beta)}`);
  if (!initSchemes.includes(spec.init)) throw new ConfigError(`init must be one of ${initSchemes.join(", ")}, got ${JSON.stringify(spec.init)}`);
  return Object.freeze({ ...spec, hidden: Object.freeze([...spec.hidden]) });
}
