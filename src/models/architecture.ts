/**
 * The layers of a model spec, and its parameter layout (the order of the flat buffer):
 *   encoder  x -> [conv: stride-2 convolutions with activations, then Flatten] -> dense hidden
 *            widths with activations (AE: then a dense to the code, the latent)
 *   mu, logvar   VAE only: two dense heads from the encoder's output to the latent
 *   decoder  mlp: z -> mirrored dense widths -> input features;
 *            conv: z -> one dense to the last convolution's features (as in the Keras example:
 *            the dense hidden widths are not mirrored), Reshape, transposed convolutions back up,
 *            a last stride-1 transposed convolution to the image's channels.
 *            The output is logits or means: no activation at the end.
 *   obs.logvar   Gaussian likelihood with a learned log-variance only: one per pixel
 *   (obs.logscale: Laplace with a learned log-scale)
 * Positions count every layer, activations and reshapes included, as torch.nn.Sequential
 * numbers them; the conv default is the Keras VAE example (conv 32, 64 s2; dense 16; latent 2;
 * convT 64, 32 s2; convT c), with PyTorch's padding (kernel // 2) and output_padding.
 */
import { ActivationLayer } from "../nn/activation.js";
import { Conv2d } from "../nn/conv2d.js";
import { ConvTranspose2d } from "../nn/conv-transpose2d.js";
import { Dense } from "../nn/dense.js";
import { ConfigError, type Layer } from "../nn/layer.js";
import { ParamLayout } from "../nn/params.js";
import { Flatten, Reshape } from "../nn/reshape.js";
import { Sequential } from "../nn/sequential.js";
import type { InitScheme } from "../nn/init.js";
import type { ConvSpec, ModelSpec, PresetSpec } from "./spec.js";

export interface Architecture {
  readonly encoder: Sequential;
  readonly mu: Sequential | null;
  readonly logvar: Sequential | null;
  readonly decoder: Sequential;
  /** The learned observation parameter ("obs.logvar": gaussian; "obs.logscale": laplace), or null. */
  readonly learnedObs: string | null;
  /** Classes of the one-hot label a conditional model takes (0: none). */
  readonly classes: number;
  readonly layout: ParamLayout;
}

/** What every model is made of, presets and composed models alike. */
export interface Parts {
  readonly kind: "ae" | "vae";
  readonly input: number;
  readonly latent: number;
  readonly likelihood: ModelSpec["likelihood"];
  readonly obsLogvar: number | "learned";
  readonly classes: number;
  /** Initialisation of the VAE's mu and logvar heads. */
  readonly headInit: InitScheme;
  readonly encoder: readonly Layer[];
  readonly decoder: readonly Layer[];
}

/**
 * The architecture of any model: the encoder's layers, then (VAE) the dense heads mu and logvar
 * from its output to the latent, the decoder's layers, and the learned observation parameter.
 * Checks that the widths connect: encoder in = input + classes, decoder in = latent + classes,
 * decoder out = input, and (AE) encoder out = latent.
 */
export function assemble(parts: Parts): Architecture {
  const { kind, input, latent, classes } = parts;
  const encoder = new Sequential("encoder", parts.encoder);
  const decoder = new Sequential("decoder", parts.decoder);
  const cond = classes > 0 ? ` + ${classes} label classes` : "";
  if (encoder.inFeatures !== input + classes) throw new ConfigError(`the encoder takes ${encoder.inFeatures} features, but the input has ${input}${cond}`);
  if (kind === "ae" && encoder.outFeatures !== latent) throw new ConfigError(`an autoencoder's code is the encoder's output: ${encoder.outFeatures} features, but latent is ${latent}`);
  if (decoder.inFeatures !== latent + classes) throw new ConfigError(`the decoder takes ${decoder.inFeatures} features, but the code has ${latent}${cond}`);
  if (decoder.outFeatures !== input) throw new ConfigError(`the decoder gives ${decoder.outFeatures} features, but the input has ${input}`);
  const vae = kind === "vae";
  const h = encoder.outFeatures;
  const mu = vae ? new Sequential("mu", [new Dense(h, latent, parts.headInit)]) : null;
  const logvar = vae ? new Sequential("logvar", [new Dense(h, latent, parts.headInit)]) : null;
  const learned = parts.obsLogvar === "learned";
  const learnedObs = learned && parts.likelihood === "gaussian" ? "obs.logvar" : learned && parts.likelihood === "laplace" ? "obs.logscale" : null;
  const specs = [encoder, mu, logvar, decoder].flatMap((s) => (s ? s.paramSpecs() : []));
  if (learnedObs) specs.push({ name: learnedObs, shape: [input] });
  return { encoder, mu, logvar, decoder, learnedObs, classes, layout: new ParamLayout(specs) };
}

type Shape = readonly [number, number, number];

/** Dense layers through `widths` (widths[0] is the input), an activation after each but the last unless `finalActivation`. */
function denseStack(layers: Layer[], widths: readonly number[], spec: PresetSpec, finalActivation: boolean): void {
  for (let i = 1; i < widths.length; i++) {
    layers.push(new Dense(widths[i - 1]!, widths[i]!, spec.init));
    if (i < widths.length - 1 || finalActivation) layers.push(new ActivationLayer(spec.activation, widths[i]!));
  }
}

/** The encoder's convolutions and the image shapes they pass through (shapes[0] is the input). */
function convEncoder(layers: Layer[], spec: ConvSpec): Shape[] {
  const shapes: Shape[] = [spec.imageShape];
  const pad = (spec.kernel - 1) / 2;
  for (const out of spec.channels) {
    const conv = new Conv2d({ input: shapes[shapes.length - 1]!, outChannels: out, kernel: spec.kernel, stride: 2, padding: pad, init: spec.init });
    layers.push(conv, new ActivationLayer(spec.activation, conv.outFeatures));
    shapes.push(conv.outShape);
  }
  const last = shapes[shapes.length - 1]!;
  layers.push(new Flatten([...last]));
  return shapes;
}

/** Transposed convolutions from shapes[L] back to shapes[0]: each undoes one stride-2 convolution. */
function convDecoder(layers: Layer[], spec: ConvSpec, shapes: Shape[]): void {
  const pad = (spec.kernel - 1) / 2;
  const L = spec.channels.length;
  layers.push(new Reshape([shapes[L]![0] * shapes[L]![1] * shapes[L]![2]], [...shapes[L]!]));
  for (let j = L - 1; j >= 0; j--) {
    // The input is the previous transposed convolution's output: shapes[j + 1]'s size with
    // channels[j + 1] channels (channels[L - 1], the encoder's last, for the first one).
    const from: Shape = [shapes[j + 1]![0], shapes[j + 1]![1], spec.channels[Math.min(j + 1, L - 1)]!];
    const to = shapes[j]!;
    // out = (in - 1) * 2 - 2 * pad + kernel + outputPadding must give back the larger image
    const outputPadding = to[0] - ((from[0] - 1) * 2 - 2 * pad + spec.kernel);
    const outputPaddingW = to[1] - ((from[1] - 1) * 2 - 2 * pad + spec.kernel);
    if (outputPadding < 0 || outputPadding > 1 || outputPaddingW < 0 || outputPaddingW > 1) {
      throw new ConfigError(`cannot undo the convolution from ${to[0]}x${to[1]} to ${from[0]}x${from[1]} with a ${spec.kernel}x${spec.kernel} transposed convolution`);
    }
    const convT = new ConvTranspose2d({ input: from, outChannels: spec.channels[j]!, kernel: spec.kernel, stride: 2,
      padding: pad, outputPadding: [outputPadding, outputPaddingW], init: spec.init });
    layers.push(convT, new ActivationLayer(spec.activation, convT.outFeatures));
  }
  const top = shapes[0]!;
  layers.push(new ConvTranspose2d({ input: [top[0], top[1], spec.channels[0]!], outChannels: top[2], kernel: spec.kernel,
    stride: 1, padding: pad, init: spec.init }));
}

/** The encoder's and decoder's layers of a preset spec (mlp or conv). */
export function presetLayers(spec: PresetSpec): { encoder: Layer[]; decoder: Layer[] } {
  const vae = spec.kind === "vae";
  const encLayers: Layer[] = [], decLayers: Layer[] = [];
  let trunkIn: number = spec.input;
  let shapes: Shape[] = [];
  if (spec.arch === "conv") {
    shapes = convEncoder(encLayers, spec);
    trunkIn = encLayers[encLayers.length - 1]!.outFeatures;
  }
  const trunk = [trunkIn, ...spec.hidden];
  denseStack(encLayers, vae ? trunk : [...trunk, spec.latent], spec, vae);
  if (spec.arch === "conv") {
    denseStack(decLayers, [spec.latent, trunkIn], spec, true);
    convDecoder(decLayers, spec, shapes);
  } else {
    denseStack(decLayers, [spec.latent, ...[...spec.hidden].reverse(), trunkIn], spec, false);
  }
  return { encoder: encLayers, decoder: decLayers };
}

/** A preset is the layers above, assembled as any composed model is (heads initialised as the layers). */
export function presetArchitecture(spec: PresetSpec): Architecture {
  return assemble({ ...spec, classes: 0, headInit: spec.init, ...presetLayers(spec) });
}
