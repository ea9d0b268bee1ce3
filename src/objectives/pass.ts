/** What an objective's forward pass gives (./evaluate.ts, ./iwae.ts). */
import type { Buffer } from "../backend/backend.js";
import type { Program } from "../models/program.js";

export interface Evaluation {
  /** The objective's value: per-sample mean of the weighted sum of its terms. */
  readonly value: number;
  /** Each term unweighted, per sample: reconstruction, kl, and l1 / sparsity / iwae where present. */
  readonly terms: Readonly<Record<string, number>>;
}

export interface Pass<B extends Buffer = Buffer> extends Evaluation {
  /** Writes the gradient of value into prog.grads (call once, before the program runs again). */
  backward(): void;
  readonly program: Program<B>;
}

export interface PenaltyPass<B extends Buffer> {
  /** Weighted sum of the penalties (per-sample means; sparsity is a batch statistic). */
  readonly value: number;
  readonly terms: Readonly<Record<string, number>>;
  /** Accumulates their gradients into dcode [batch, latent]. */
  backward(dcode: B): void;
}

