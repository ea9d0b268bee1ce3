/**
 * Sequential composition. Parameter names follow torch.nn.Sequential: `${prefix}.${i}.${name}`
 * where i is the layer's position (activations count as positions, as in PyTorch).
 * A SequentialRun holds one batch size's activations on a backend: outputs[i] is layer i's
 * output [batch, out_i], kept for the backward pass; grads[i] is d(loss)/d(outputs[i]);
 * workspaces[i] is layer i's scratch (null when it needs none), kept from forward to backward.
 */
import type { Backend, Buffer } from "../backend/backend.js";
import { split, type Key } from "../random/index.js";
import { ConfigError, type Layer } from "./layer.js";

export class Sequential {
  constructor(readonly prefix: string, readonly layers: readonly Layer[]) {
    if (layers.length === 0) throw new ConfigError(`${prefix}: a sequential needs at least one layer`);
    for (let i = 1; i < layers.length; i++) {
      if (layers[i]!.inFeatures !== layers[i - 1]!.outFeatures) {
        throw new ConfigError(`${prefix}.${i}: takes ${layers[i]!.inFeatures} features but layer ${i - 1} gives ${layers[i - 1]!.outFeatures}`);
      }
    }
  }

  get inFeatures(): number { return this.layers[0]!.inFeatures; }
  get outFeatures(): number { return this.layers[this.layers.length - 1]!.outFeatures; }

  paramSpecs(): { name: string; shape: readonly number[] }[] {
    return this.layers.flatMap((layer, i) => layer.params.map((p) => ({ name: `${this.prefix}.${i}.${p.name}`, shape: p.shape })));
  }

  /** Initial values in paramSpecs() order; layer i draws from the i-th key of split(key). */
  init(key: Key): Float32Array[] {
    const keys = split(key, this.layers.length);
    return this.layers.flatMap((layer, i) => layer.init(keys[i]!));
  }
}

export class SequentialRun<B extends Buffer> {
  readonly outputs: B[];
  private readonly grads: B[];
  private readonly workspaces: (B | null)[];

  /**
   * `params` and `grads` are views in paramSpecs() order (the model's flat buffers). Without
   * `paramGrads` the run is forward-only: it holds no gradient buffers and backward() throws.
   */
  constructor(private readonly be: Backend<B>, readonly seq: Sequential, readonly batch: number,
    private readonly params: readonly B[], private readonly paramGrads: readonly B[] | null) {
    this.outputs = seq.layers.map((l) => be.alloc(batch * l.outFeatures));
    this.grads = paramGrads ? seq.layers.slice(0, -1).map((l) => be.alloc(batch * l.outFeatures)) : [];
    this.workspaces = seq.layers.map((l) => {
      const n = l.workspace?.(batch) ?? 0;
      return n > 0 ? be.alloc(n) : null;
    });
  }

  get output(): B { return this.outputs[this.outputs.length - 1]!; }

  private slices(i: number, of: readonly B[]): B[] {
    let start = 0;
    for (let j = 0; j < i; j++) start += this.seq.layers[j]!.params.length;
    return of.slice(start, start + this.seq.layers[i]!.params.length);
  }

  forward(x: B): B {
    let input = x;
    this.seq.layers.forEach((layer, i) => {
      layer.forward(this.be, this.slices(i, this.params), this.batch, input, this.outputs[i]!, this.workspaces[i] ?? undefined);
      input = this.outputs[i]!;
    });
    return this.output;
  }

  /** Backward from dy = d(loss)/d(output); writes every parameter gradient and, if given, dx. */
  backward(x: B, dy: B, dx: B | null): void {
    if (!this.paramGrads) throw new Error(`${this.seq.prefix}: backward() on a forward-only run`);
    const paramGrads = this.paramGrads;
    const layers = this.seq.layers;
    for (let i = layers.length - 1; i >= 0; i--) {
      const input = i === 0 ? x : this.outputs[i - 1]!;
      const dOut = i === layers.length - 1 ? dy : this.grads[i]!;
      const dIn = i === 0 ? dx : this.grads[i - 1]!;
      layers[i]!.backward(this.be, this.slices(i, this.params), this.slices(i, paramGrads), this.batch,
        input, this.outputs[i]!, dOut, dIn, this.workspaces[i] ?? undefined);
    }
  }

  dispose(): void {
    for (const b of [...this.outputs, ...this.grads]) this.be.free(b);
    for (const b of this.workspaces) if (b) this.be.free(b);
  }
}
