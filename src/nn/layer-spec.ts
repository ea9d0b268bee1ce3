/**
 * Layers as plain JSON, so that a model composed from layers can be stored in a file and rebuilt
 * without the code that made it (io, and examples/torch-twin.py, which builds the PyTorch twin).
 * Every field is what the layer's constructor takes, defaults filled in; `type` names the layer.
 */
import type { ActivationName } from "./activation.js";
import type { InitScheme } from "./init.js";
import type { ImageShape, Padding, Pair } from "./conv-geometry.js";

export type LayerSpec =
  | { readonly type: "dense"; readonly in: number; readonly out: number; readonly init: InitScheme }
  | { readonly type: "conv2d"; readonly input: ImageShape; readonly outChannels: number; readonly kernel: Pair;
      readonly stride: Pair; readonly padding: Padding; readonly dilation: Pair; readonly bias: boolean; readonly init: InitScheme }
  | { readonly type: "convTranspose2d"; readonly input: ImageShape; readonly outChannels: number; readonly kernel: Pair;
      readonly stride: Pair; readonly padding: Padding; readonly dilation: Pair; readonly outputPadding: Pair;
      readonly bias: boolean; readonly init: InitScheme }
  | { readonly type: "activation"; readonly name: ActivationName; readonly features: number; readonly alpha: number }
  | { readonly type: "reshape"; readonly from: readonly number[]; readonly to: readonly number[] }
  | { readonly type: "flatten"; readonly from: readonly number[] }
  /** Inverted dropout: in training each value is kept with probability 1 - rate and scaled by 1 / (1 - rate). */
  | { readonly type: "dropout"; readonly features: number; readonly rate: number }
  /** Normalises each sample over all its features (the last `shape.length` dims); weight and bias of `shape`. */
  | { readonly type: "layerNorm"; readonly shape: readonly number[]; readonly eps: number };

export type LayerType = LayerSpec["type"];
