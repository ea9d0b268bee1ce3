/**
 * The layers of a model spec, and its parameter layout (the order of the flat buffer):
 *   encoder  x -> hidden widths with activations (AE: then a dense to the code, the latent)
 *   mu, logvar   VAE only: two dense heads from the last hidden width to the latent
 *   decoder  z -> mirrored hidden widths -> input features (logits or means: no activation)
 *   obs.logvar   Gaussian likelihood with a learned log-variance only: one per pixel
 */
import { ActivationLayer } from "../nn/activation.js";
import { Dense } from "../nn/dense.js";
import type { Layer } from "../nn/layer.js";
import { ParamLayout } from "../nn/params.js";
import { Sequential } from "../nn/sequential.js";
import type { ModelSpec } from "./spec.js";

export interface Architecture {
  readonly encoder: Sequential;
  readonly mu: Sequential | null;
  readonly logvar: Sequential | null;
  readonly decoder: Sequential;
  readonly learnedObsLogvar: boolean;
  readonly layout: ParamLayout;
}

function mlp(prefix: string, widths: readonly number[], spec: ModelSpec, finalActivation: boolean): Sequential {
  const layers: Layer[] = [];
  for (let i = 1; i < widths.length; i++) {
    layers.push(new Dense(widths[i - 1]!, widths[i]!, spec.init));
    if (i < widths.length - 1 || finalActivation) layers.push(new ActivationLayer(spec.activation, widths[i]!));
  }
  return new Sequential(prefix, layers);
}

export function architecture(spec: ModelSpec): Architecture {
  const vae = spec.kind === "vae";
  const trunk = [spec.input, ...spec.hidden];
  const last = trunk[trunk.length - 1]!;
  const encoder = vae ? mlp("encoder", trunk, spec, true) : mlp("encoder", [...trunk, spec.latent], spec, false);
  const mu = vae ? new Sequential("mu", [new Dense(last, spec.latent, spec.init)]) : null;
  const logvar = vae ? new Sequential("logvar", [new Dense(last, spec.latent, spec.init)]) : null;
  const decoder = mlp("decoder", [spec.latent, ...[...spec.hidden].reverse(), spec.input], spec, false);
  const learnedObsLogvar = spec.likelihood === "gaussian" && spec.obsLogvar === "learned";
  const specs = [encoder, mu, logvar, decoder].flatMap((s) => (s ? s.paramSpecs() : []));
  if (learnedObsLogvar) specs.push({ name: "obs.logvar", shape: [spec.input] });
  return { encoder, mu, logvar, decoder, learnedObsLogvar, layout: new ParamLayout(specs) };
}
