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
import type { ConvSpec, ModelSpec } from "./spec.js";

export interface Architecture {
  readonly encoder: Sequential;
  readonly mu: Sequential | null;
  readonly logvar: Sequential | null;
  readonly decoder: Sequential;
  readonly learnedObsLogvar: boolean;
  readonly layout: ParamLayout;
}

type Shape = readonly [number, number, number];

/** Dense layers through `widths` (widths[0] is the input), an activation after each but the last unless `finalActivation`. */
function denseStack(layers: Layer[], widths: readonly number[], spec: ModelSpec, finalActivation: boolean): void {
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

export function architecture(spec: ModelSpec): Architecture {
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
  const encoder = new Sequential("encoder", encLayers);
  const last = encoder.outFeatures;
  const mu = vae ? new Sequential("mu", [new Dense(last, spec.latent, spec.init)]) : null;
  const logvar = vae ? new Sequential("logvar", [new Dense(last, spec.latent, spec.init)]) : null;
  if (spec.arch === "conv") {
    denseStack(decLayers, [spec.latent, trunkIn], spec, true);
    convDecoder(decLayers, spec, shapes);
  } else {
    denseStack(decLayers, [spec.latent, ...[...spec.hidden].reverse(), trunkIn], spec, false);
  }
  const decoder = new Sequential("decoder", decLayers);
  const learnedObsLogvar = spec.likelihood === "gaussian" && spec.obsLogvar === "learned";
  const specs = [encoder, mu, logvar, decoder].flatMap((s) => (s ? s.paramSpecs() : []));
  if (learnedObsLogvar) specs.push({ name: "obs.logvar", shape: [spec.input] });
  return { encoder, mu, logvar, decoder, learnedObsLogvar, layout: new ParamLayout(specs) };
}
