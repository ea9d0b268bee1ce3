/**
 * Layers as plain JSON, so that a model composed from layers can be stored in a file and rebuilt
 * without the code that made it (io, and examples/torch-twin.py, which builds the PyTorch twin).
 * Every field is what the layer's constructor takes, defaults filled in; `type` names the layer.
 */
import { ActivationLayer, activationNames, type ActivationName } from "./activation.js";
import { initSchemes, type InitScheme } from "./init.js";
import type { ImageShape, Padding, Pair } from "./conv-geometry.js";
import { ConfigError, type Layer } from "./layer.js";
import { Dense } from "./dense.js";
import { Conv2d } from "./conv2d.js";
import { ConvTranspose2d } from "./conv-transpose2d.js";
import { Flatten, Reshape } from "./reshape.js";
import { Dropout } from "./dropout.js";
import { LayerNorm } from "./layer-norm.js";
import { Sequential } from "./sequential.js";

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

/** The fields of each layer type besides `type`, all required. */
const specFields: { readonly [T in LayerType]: readonly string[] } = {
  dense: ["in", "out", "init"],
  conv2d: ["input", "outChannels", "kernel", "stride", "padding", "dilation", "bias", "init"],
  convTranspose2d: ["input", "outChannels", "kernel", "stride", "padding", "dilation", "outputPadding", "bias", "init"],
  activation: ["name", "features", "alpha"],
  reshape: ["from", "to"],
  flatten: ["from"],
  dropout: ["features", "rate"],
  layerNorm: ["shape", "eps"],
};
export const layerTypes = Object.keys(specFields) as LayerType[];

/** A value as a message shows it: JSON where it can be, else String (undefined, NaN, functions). */
function show(v: unknown): string {
  if (typeof v === "number" || typeof v === "bigint" || v === undefined || typeof v === "function" || typeof v === "symbol") return String(v);
  try {
    const s = JSON.stringify(v);
    return s.length > 80 ? `${s.slice(0, 77)}...` : s;
  } catch {
    return String(v);
  }
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/**
 * The layer a spec describes (the inverse of Layer.toSpec()), for a spec from anywhere: a file,
 * JSON.parse. Every field is checked: a missing, unknown or ill-typed field, or a number out of
 * range, is a ConfigError that names `where` (e.g. "encoder[3]"), the layer type, the field and
 * its value. So is a spec whose fields are each fine but do not make a layer (a kernel larger
 * than the padded image, a reshape of another size).
 */
export function layerFromSpec(spec: unknown, where = "layer"): Layer {
  if (!isRecord(spec)) throw new ConfigError(`${where}: a layer spec must be an object, got ${show(spec)}`);
  const type = spec["type"];
  if (typeof type !== "string" || !Object.prototype.hasOwnProperty.call(specFields, type)) {
    throw new ConfigError(`${where}: field "type" must be one of ${layerTypes.join(", ")}, got ${show(type)}`);
  }
  const t = type as LayerType;
  const at = `${where} (${t})`;
  const allowed = specFields[t];
  for (const k of Object.keys(spec)) {
    if (k !== "type" && !allowed.includes(k)) throw new ConfigError(`${at}: unknown field "${k}" (value ${show(spec[k])}); fields are ${allowed.join(", ")}`);
  }
  for (const k of allowed) {
    if (!Object.prototype.hasOwnProperty.call(spec, k) || spec[k] === undefined) throw new ConfigError(`${at}: missing field "${k}"`);
  }
  const bad = (field: string, value: unknown, expected: string): ConfigError =>
    new ConfigError(`${at}: field "${field}" must be ${expected}, got ${show(value)}`);
  const int = (field: string, v: unknown, min: number): number => {
    if (typeof v !== "number" || !Number.isSafeInteger(v) || v < min) throw bad(field, v, `an integer >= ${min}`);
    return v;
  };
  const field = (name: string, min: number): number => int(name, spec[name], min);
  const pair = (name: string, min: number): Pair => {
    const v = spec[name];
    if (Array.isArray(v)) {
      if (v.length !== 2) throw bad(name, v, `an integer >= ${min} or [height, width]`);
      return [int(`${name}[0]`, v[0], min), int(`${name}[1]`, v[1], min)];
    }
    if (typeof v !== "number") throw bad(name, v, `an integer >= ${min} or [height, width]`);
    return int(name, v, min);
  };
  const dims = (name: string, length?: number): number[] => {
    const v = spec[name];
    if (!Array.isArray(v) || v.length === 0 || (length !== undefined && v.length !== length)) {
      throw bad(name, v, length === undefined ? "a non-empty array of positive integers" : `an array of ${length} positive integers`);
    }
    return v.map((d, i) => int(`${name}[${i}]`, d, 1));
  };
  const padding = (): Padding => {
    const v = spec["padding"];
    if (v === "same" || v === "valid") return v;
    if (typeof v === "number" || Array.isArray(v)) return pair("padding", 0);
    if (!isRecord(v)) throw bad("padding", v, `"same", "valid", an integer >= 0, [height, width] or {top, bottom, left, right}`);
    const sides = ["top", "bottom", "left", "right"] as const;
    for (const k of Object.keys(v)) if (!(sides as readonly string[]).includes(k)) throw new ConfigError(`${at}: unknown field "padding.${k}" (value ${show(v[k])})`);
    const [top, bottom, left, right] = sides.map((s) => int(`padding.${s}`, v[s], 0)) as [number, number, number, number];
    return { top, bottom, left, right };
  };
  const init = (): InitScheme => {
    const v = spec["init"];
    if (typeof v !== "string" || !(initSchemes as readonly string[]).includes(v)) throw bad("init", v, `one of ${initSchemes.join(", ")}`);
    return v as InitScheme;
  };
  const bool = (name: string): boolean => {
    const v = spec[name];
    if (typeof v !== "boolean") throw bad(name, v, "true or false");
    return v;
  };
  const num = (name: string, ok: (v: number) => boolean, expected: string): number => {
    const v = spec[name];
    if (typeof v !== "number" || !ok(v)) throw bad(name, v, expected);
    return v;
  };
  const image = (): ImageShape => dims("input", 3) as unknown as ImageShape;

  const build = (): Layer => {
    switch (t) {
      case "dense": return new Dense(field("in", 1), field("out", 1), init());
      case "conv2d":
        return new Conv2d({ input: image(), outChannels: field("outChannels", 1), kernel: pair("kernel", 1), stride: pair("stride", 1),
          padding: padding(), dilation: pair("dilation", 1), bias: bool("bias"), init: init() });
      case "convTranspose2d":
        return new ConvTranspose2d({ input: image(), outChannels: field("outChannels", 1), kernel: pair("kernel", 1), stride: pair("stride", 1),
          padding: padding(), dilation: pair("dilation", 1), outputPadding: pair("outputPadding", 0), bias: bool("bias"), init: init() });
      case "activation": {
        const name = spec["name"];
        if (typeof name !== "string" || !(activationNames as readonly string[]).includes(name)) throw bad("name", name, `one of ${activationNames.join(", ")}`);
        return new ActivationLayer(name as ActivationName, field("features", 1), num("alpha", Number.isFinite, "a finite number"));
      }
      case "reshape": return new Reshape(dims("from"), dims("to"));
      case "flatten": return new Flatten(dims("from"));
      case "dropout": return new Dropout(field("features", 1), num("rate", (r) => r >= 0 && r < 1, "a number in [0, 1)"));
      case "layerNorm": return new LayerNorm(dims("shape"), num("eps", (e) => Number.isFinite(e) && e > 0, "a finite number > 0"));
    }
  };
  try {
    return build();
  } catch (e) {
    if (e instanceof ConfigError && !e.message.startsWith(at)) throw new ConfigError(`${at}: ${e.message}`);
    throw e;
  }
}

/** A Sequential from layer specs (as Sequential.toSpec() gives them); layer i is checked as `${prefix}.${i}`. */
export function sequentialFromSpec(prefix: string, specs: unknown): Sequential {
  if (!Array.isArray(specs) || specs.length === 0) throw new ConfigError(`${prefix}: must be a non-empty array of layer specs, got ${show(specs)}`);
  return new Sequential(prefix, specs.map((s, i) => layerFromSpec(s, `${prefix}.${i}`)));
}
