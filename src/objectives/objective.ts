/**
 * An objective is a sum of named terms, each a per-sample mean (nats for the likelihoods):
 *   reconstruction   -log p(x | z) of the model's likelihood, summed over pixels, with x the clean
 *                    input even when the encoder sees a corrupted one;
 *   kl               KL(q(z|x) || N(0, I)) in closed form, weighted by beta (a number or a
 *                    schedule of the step count: warm-up, cyclical annealing);
 *   l1               sum_j |c_j| of the code c (the AE's code, the VAE's posterior mean), weighted;
 *   sparsity         sum_j KL(rho || rho_hat_j), rho_hat_j the batch mean of code unit j (which
 *                    should lie in (0, 1): end the encoder with a sigmoid), weighted: the sparse
 *                    autoencoder's penalty. It is a statistic of the batch, not a per-sample mean.
 * value = reconstruction + beta * kl + sum of weight * penalty.
 * With `bound: "iwae"` the reconstruction and KL terms are replaced by the importance-weighted
 * bound on k samples (Burda et al. 2016): value = -mean_i log (1/k) sum_s w_is, where
 * log w = log p(x | z_s) + log p(z_s) - log q(z_s | x); k = 1 is the one-sample ELBO estimate
 * (with a Monte Carlo KL). The penalties still add.
 * `corrupt` replaces the encoder's input by a corrupted copy drawn from the step's key: the
 * denoising autoencoder.
 * Objectives are plain JSON (schedules included), so a run can store the one it trained with.
 */
import { ConfigError } from "../nn/layer.js";

export type BetaSchedule =
  | { readonly type: "constant"; readonly value: number }
  /** from + (to - from) * min(step / steps, 1). */
  | { readonly type: "linearWarmup"; readonly steps: number; readonly from: number; readonly to: number }
  /** Cyclical annealing (Fu et al. 2019): within each period, rises linearly from 0 to `to` over the first `ramp` fraction, then stays. */
  | { readonly type: "cyclical"; readonly period: number; readonly ramp: number; readonly to: number };

export type Penalty =
  | { readonly type: "l1"; readonly weight: number }
  | { readonly type: "sparsity"; readonly rho: number; readonly weight: number };

export type Corruption =
  /** x + sigma * N(0, 1), not clipped. */
  | { readonly type: "gaussian"; readonly sigma: number }
  /** Each value set to 0 with probability `rate` (masking noise). */
  | { readonly type: "mask"; readonly rate: number }
  /** Each value set to 0 with probability rate / 2 and to 1 with probability rate / 2. */
  | { readonly type: "saltPepper"; readonly rate: number };

export interface Objective {
  readonly bound: "elbo" | "iwae";
  /** ELBO: the KL term's weight (null: no KL term, as for an AE). Unused by the IWAE bound. */
  readonly beta: BetaSchedule | null;
  readonly penalties: readonly Penalty[];
  readonly corrupt: Corruption | null;
  /** Codes drawn per input: 1 for the ELBO, k for the IWAE bound. */
  readonly samples: number;
}

function finite(v: unknown, what: string, lo = -Infinity, hi = Infinity, open = false): number {
  const ok = typeof v === "number" && Number.isFinite(v) && (open ? v > lo : v >= lo) && v <= hi;
  if (!ok) throw new ConfigError(`${what} must be a finite number in ${open ? "(" : "["}${lo}, ${hi}], got ${JSON.stringify(v)}`);
  return v as number;
}

function positiveInt(v: unknown, what: string): number {
  if (typeof v !== "number" || !Number.isSafeInteger(v) || v < 1) throw new ConfigError(`${what} must be a positive integer, got ${JSON.stringify(v)}`);
  return v;
}

/** beta = value at every step. */
export function constant(value: number): BetaSchedule {
  return Object.freeze({ type: "constant", value: finite(value, "beta", 0) });
}

/** KL warm-up: beta rises linearly from `from` (default 0) to `to` (default 1) over `steps` optimizer steps, then stays. */
export function linearWarmup(o: { steps: number; from?: number; to?: number }): BetaSchedule {
  return Object.freeze({ type: "linearWarmup", steps: positiveInt(o?.steps, "linearWarmup steps"),
    from: finite(o.from ?? 0, "linearWarmup from", 0), to: finite(o.to ?? 1, "linearWarmup to", 0) });
}

/** Cyclical annealing: `period` steps per cycle; beta rises from 0 to `to` over the first `ramp` (default 0.5) of each. */
export function cyclical(o: { period: number; ramp?: number; to?: number }): BetaSchedule {
  return Object.freeze({ type: "cyclical", period: positiveInt(o?.period, "cyclical period"),
    ramp: finite(o.ramp ?? 0.5, "cyclical ramp", 0, 1, true), to: finite(o.to ?? 1, "cyclical to", 0) });
}

/** beta at an optimizer step count (0 for the first update). */
export function betaAt(s: BetaSchedule, step: number): number {
  switch (s.type) {
    case "constant": return s.value;
    case "linearWarmup": return s.from + (s.to - s.from) * Math.min(step / s.steps, 1);
    case "cyclical": {
      const phase = (step % s.period) / s.period;
      return s.to * Math.min(phase / s.ramp, 1);
    }
  }
}

/** L1 on the code, weight * sum_j |c_j| per sample. */
export function l1(weight: number): Penalty {
  return Object.freeze({ type: "l1", weight: finite(weight, "l1 weight", 0) });
}

/** The sparse autoencoder's penalty: weight * sum_j KL(rho || mean activation of unit j over the batch). */
export function sparsity(o: { rho: number; weight: number }): Penalty {
  if (typeof o?.rho === "number" && o.rho >= 1) throw new ConfigError(`sparsity rho must be in (0, 1), got ${o.rho}`);
  return Object.freeze({ type: "sparsity", rho: finite(o?.rho, "sparsity rho", 0, 1, true), weight: finite(o.weight, "sparsity weight", 0) });
}

export function gaussianNoise(sigma: number): Corruption {
  return Object.freeze({ type: "gaussian", sigma: finite(sigma, "gaussian corruption sigma", 0) });
}
export function mask(rate: number): Corruption {
  if (typeof rate === "number" && rate >= 1) throw new ConfigError(`mask corruption rate must be below 1, got ${rate}`);
  return Object.freeze({ type: "mask", rate: finite(rate, "mask corruption rate", 0, 1) });
}
export function saltPepper(rate: number): Corruption {
  return Object.freeze({ type: "saltPepper", rate: finite(rate, "salt-and-pepper corruption rate", 0, 1) });
}

export interface ElboConfig {
  /** The KL weight: a number or a schedule (default 1); null leaves the KL term out. */
  readonly beta?: number | BetaSchedule | null;
  readonly penalties?: readonly Penalty[];
  readonly corrupt?: Corruption | null;
}

/** reconstruction + beta * kl + penalties (the ELBO's negative when beta is 1 and there are no penalties). */
export function elbo(cfg: ElboConfig = {}): Objective {
  const beta = cfg.beta === undefined ? constant(1) : cfg.beta === null ? null : typeof cfg.beta === "number" ? constant(cfg.beta) : checkSchedule(cfg.beta);
  return freeze({ bound: "elbo", beta, penalties: checkPenalties(cfg.penalties ?? []), corrupt: checkCorruption(cfg.corrupt ?? null), samples: 1 });
}

/** The importance-weighted bound on `samples` codes per input (k = 1: the one-sample ELBO estimate), plus penalties. */
export function iwae(cfg: { samples: number; penalties?: readonly Penalty[]; corrupt?: Corruption | null }): Objective {
  return freeze({ bound: "iwae", beta: null, penalties: checkPenalties(cfg?.penalties ?? []), corrupt: checkCorruption(cfg.corrupt ?? null),
    samples: positiveInt(cfg.samples, "iwae samples") });
}

/** The objective a model trains with by default: its likelihood plus spec.beta * KL (VAE), or the likelihood alone (AE). */
export function defaultObjective(spec: { readonly kind: "ae" | "vae"; readonly beta: number }): Objective {
  return elbo({ beta: spec.kind === "vae" ? spec.beta : null });
}

/** Validates an objective given as JSON (e.g. read from a file) and returns it frozen. */
export function checkObjective(o: unknown, kind: "ae" | "vae"): Objective {
  if (o === null || typeof o !== "object") throw new ConfigError(`an objective must be an object, got ${JSON.stringify(o)}`);
  const v = o as Objective;
  if (v.bound !== "elbo" && v.bound !== "iwae") throw new ConfigError(`objective bound must be "elbo" or "iwae", got ${JSON.stringify(v.bound)}`);
  const out = v.bound === "iwae" ? iwae(v) : elbo(v);
  if (kind === "ae" && (out.bound === "iwae" || out.beta !== null)) {
    throw new ConfigError("an autoencoder has no KL term or posterior to sample: use elbo({ beta: null }) or a vae");
  }
  return out;
}

function checkSchedule(s: BetaSchedule): BetaSchedule {
  switch (s?.type) {
    case "constant": return constant(s.value);
    case "linearWarmup": return linearWarmup(s);
    case "cyclical": return cyclical(s);
    default: throw new ConfigError(`beta schedule type must be constant, linearWarmup or cyclical, got ${JSON.stringify((s as { type?: unknown })?.type)}`);
  }
}

function checkPenalties(ps: readonly Penalty[]): readonly Penalty[] {
  if (!Array.isArray(ps)) throw new ConfigError("penalties must be an array");
  return ps.map((p) => {
    if (p?.type === "l1") return l1(p.weight);
    if (p?.type === "sparsity") return sparsity(p);
    throw new ConfigError(`penalty type must be l1 or sparsity, got ${JSON.stringify((p as { type?: unknown })?.type)}`);
  });
}

function checkCorruption(c: Corruption | null): Corruption | null {
  if (c === null) return null;
  switch (c?.type) {
    case "gaussian": return gaussianNoise(c.sigma);
    case "mask": return mask(c.rate);
    case "saltPepper": return saltPepper(c.rate);
    default: throw new ConfigError(`corruption type must be gaussian, mask or saltPepper, got ${JSON.stringify((c as { type?: unknown })?.type)}`);
  }
}

function freeze(o: Objective): Objective {
  return Object.freeze({ ...o, penalties: Object.freeze([...o.penalties]) });
}
