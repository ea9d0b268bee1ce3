// Anomaly detection: AUROC and AUPRC on hand-computed rankings, against brute-force pair counting
// and a brute-force precision/recall walk written here, and against scikit-learn; the per-image
// scores against oracles computed here from the model's own reconstructions and codes.
import { beforeAll, describe, expect, it } from "vitest";
import * as fc from "fast-check";
import { auroc, averagePrecision, detection, objectiveScores, reconstructionErrors } from "../../src/apps/anomaly.js";
import { initSync } from "../../src/backend/default.js";
import { ae, vae } from "../../src/models/index.js";
import type { Params } from "../../src/nn/params.js";
import { elbo, evaluateObjective, iwae, sparsity } from "../../src/objectives/index.js";
import { key, uniform } from "../../src/random/index.js";
import { tensorRows } from "../../src/tensor/rows.js";
import { tensor } from "../../src/tensor/tensor.js";

beforeAll(() => { initSync(); });

/** AUROC by counting every (positive, negative) pair: 1 when the positive scores higher, 1/2 on a tie. */
function pairAuroc(s: number[], y: number[]): number {
  let wins = 0, pairs = 0;
  for (let i = 0; i < s.length; i++) for (let j = 0; j < s.length; j++) {
    if (!y[i] || y[j]) continue;
    pairs++;
    wins += s[i]! > s[j]! ? 1 : s[i] === s[j] ? 0.5 : 0;
  }
  return wins / pairs;
}

/** AP from its definition: for every distinct score t (descending), precision and recall of "score >= t". */
function bruteAp(s: number[], y: number[]): number {
  const P = y.filter(Boolean).length;
  const ts = [...new Set(s)].sort((a, b) => b - a);
  let ap = 0, prev = 0;
  for (const t of ts) {
    const sel = s.map((v, i) => (v >= t ? i : -1)).filter((i) => i >= 0);
    const tp = sel.filter((i) => y[i]).length;
    ap += (tp / P - prev) * (tp / sel.length);
    prev = tp / P;
  }
  return ap;
}

/** The LCG case of the scikit-learn fixture (scores in steps of 1/4, so many ties). */
function lcgCase(n: number, seed: number): { s: number[]; y: number[] } {
  let st = seed;
  const next = () => { st = (Math.imul(st, 1103515245) + 12345) >>> 0; return st; };
  const s: number[] = [], y: number[] = [];
  for (let i = 0; i < n; i++) {
    s.push(Math.floor((next() * 20) / 2 ** 32) / 4);
    y.push(next() >= 2 ** 32 * 0.3 ? 1 : 0);
  }
  return { s, y };
}

describe("auroc and averagePrecision", () => {
  it("by hand", () => {
    // positives 2 and 4, negatives 1 and 3: 2 > 1, 4 > 1, 4 > 3 win, 2 < 3 loses: 3/4.
    expect(auroc([1, 2, 3, 4], [0, 1, 0, 1])).toBe(0.75);
    // descending 4 (+), 3 (-), 2 (+): AP = 1/2 * 1 + 1/2 * 2/3.
    expect(averagePrecision([1, 2, 3, 4], [0, 1, 0, 1])).toBeCloseTo(0.5 + 1 / 3, 15);
    // A tie between a positive and a negative: half a pair; both enter at one threshold.
    expect(auroc([5, 5], [true, false])).toBe(0.5);
    expect(averagePrecision([5, 5], [true, false])).toBe(0.5);
    expect(auroc([1, 2, 3], [1, 0, 0])).toBe(0);
    expect(averagePrecision([3, 2, 1], [1, 1, 0])).toBe(1);
    // +-Infinity rank as the extremes.
    expect(auroc([Infinity, -Infinity, 0], [1, 0, 0])).toBe(1);
  });

  it("match scikit-learn 1.2.1", () => {
    // Computed once with /usr/bin/python3, sklearn.metrics.roc_auc_score(y, s) and
    // average_precision_score(y, s), on these cases (the LCG one generated the same way in Python).
    const ties = { s: [0.1, 0.4, 0.35, 0.8, 0.4, 0.4, 0.9, 0.05, 0.35, 0.6], y: [0, 0, 1, 1, 1, 0, 1, 0, 0, 1] };
    expect(auroc(ties.s, ties.y)).toBeCloseTo(0.86, 14);
    expect(averagePrecision(ties.s, ties.y)).toBeCloseTo(0.8583333333333332, 14);
    expect(auroc([1, 1, 1, 1, 1], [1, 0, 0, 1, 0])).toBe(0.5);
    expect(averagePrecision([1, 1, 1, 1, 1], [1, 0, 0, 1, 0])).toBeCloseTo(0.4, 15);
    const lcg = lcgCase(200, 7);
    expect(lcg.y.filter(Boolean).length).toBe(139);
    expect(auroc(lcg.s, lcg.y)).toBeCloseTo(0.5425757754452175, 14);
    expect(averagePrecision(lcg.s, lcg.y)).toBeCloseTo(0.76293411819787, 14);
  });

  it("agree with pair counting and the precision/recall walk", () => {
    fc.assert(fc.property(
      fc.array(fc.tuple(fc.integer({ min: 0, max: 6 }), fc.boolean()), { minLength: 2, maxLength: 40 })
        .filter((a) => a.some(([, y]) => y) && a.some(([, y]) => !y)),
      (a) => {
        const s = a.map(([v]) => v / 2), y = a.map(([, l]) => (l ? 1 : 0));
        expect(auroc(s, y)).toBeCloseTo(pairAuroc(s, y), 12);
        expect(averagePrecision(s, y)).toBeCloseTo(bruteAp(s, y), 12);
        // Reversing the scores turns AUROC into 1 - AUROC.
        expect(auroc(s.map((v) => -v), y)).toBeCloseTo(1 - pairAuroc(s, y), 12);
      }));
  });

  it("refuses a side with nothing on it, NaN, or lengths that differ", () => {
    expect(() => auroc([1, 2], [1, 1])).toThrow(/positives and negatives/);
    expect(() => averagePrecision([1, 2], [0, 0])).toThrow(/at least one positive/);
    expect(averagePrecision([1, 2], [1, 1])).toBe(1);
    expect(() => auroc([NaN, 1], [1, 0])).toThrow(/NaN/);
    expect(() => auroc([1, 2, 3], [1, 0])).toThrow(/one label per score/);
  });

  it("detection gives both metrics, the prevalence and each side's mean", () => {
    const d = detection([1, 2, 3, 4], [0, 1, 0, 1]);
    expect(d).toEqual({ auroc: 0.75, auprc: averagePrecision([1, 2, 3, 4], [0, 1, 0, 1]), prevalence: 0.5, positives: 2, negatives: 2, meanPositive: 3, meanNegative: 2 });
  });
});

describe("per-image scores", () => {
  const D = 12, n = 40;
  const x = tensor(uniform(key(5), n * D), [n, D]);
  const rows = tensorRows(x);
  const bce = (xv: number, p: number) => -(xv * Math.log(p) + (1 - xv) * Math.log(1 - p));

  it("reconstruction errors: each row's mean (x - x_hat)^2, x_hat the model's reconstruction", () => {
    const m = ae.mlp({ input: D, hidden: [8], latent: 3 });
    const p = m.init(key(1));
    const rec = m.reconstruct(p, x).data;
    const got = reconstructionErrors(m, p, rows);
    for (let i = 0; i < n; i++) {
      let s = 0;
      for (let j = 0; j < D; j++) s += (x.data[i * D + j]! - rec[i * D + j]!) ** 2;
      expect(got[i]).toBeCloseTo(s / D, 12);
    }
  });

  it("an AE's likelihood score is its -log p(x | x_hat), a Bernoulli's cross-entropy", () => {
    const m = ae.mlp({ input: D, hidden: [8], latent: 3 });
    const p = m.init(key(2));
    const prob = m.reconstruct(p, x).data;
    const got = objectiveScores(m, p, rows, key(0), elbo({ beta: null }));
    for (let i = 0; i < n; i++) {
      let s = 0;
      for (let j = 0; j < D; j++) s += bce(x.data[i * D + j]!, prob[i * D + j]!);
      expect(got[i]! / s).toBeCloseTo(1, 4);
    }
  });

  it("a VAE's negative ELBO: the Bernoulli cross-entropy at z = mu plus the closed-form KL when q(z|x) is a point", () => {
    // logvar head: weights 0 and bias -30, so z = mu + e^-15 eps is mu to float precision.
    const m = vae.mlp({ input: D, hidden: [8], latent: 2 });
    const p0 = m.init(key(3));
    const p: Params = { ...p0, "logvar.0.weight": tensor(new Float32Array(2 * 8), [2, 8]), "logvar.0.bias": tensor(Float32Array.of(-30, -30), [2]) };
    const mu = m.encode(p, x).mean.data;
    const prob = m.reconstruct(p, x).data;
    const got = objectiveScores(m, p, rows, key(4), elbo({ beta: 1 }));
    for (let i = 0; i < n; i++) {
      let s = 0;
      for (let j = 0; j < D; j++) s += bce(x.data[i * D + j]!, prob[i * D + j]!);
      for (let j = 0; j < 2; j++) s += 0.5 * (mu[i * 2 + j]! ** 2 + Math.exp(-30) + 30 - 1);
      expect(got[i]! / s).toBeCloseTo(1, 4);
    }
  });

  it("the scores' mean is evaluateObjective's value with one row per program (keys per 512-row block), for ELBO and IWAE", () => {
    const m = vae.mlp({ input: D, hidden: [8], latent: 2 });
    const p = m.init(key(6));
    const N = 530; // past one 512-row noise block
    const big = tensorRows(tensor(uniform(key(7), N * D), [N, D]));
    for (const obj of [elbo({ beta: 1 }), iwae({ samples: 3 })]) {
      const s = objectiveScores(m, p, big, key(8), obj);
      const mean = s.reduce((a, b) => a + b, 0) / N;
      expect(mean).toBeCloseTo(evaluateObjective(m, p, big, key(8), obj, { rows: 1 }).value, 9);
    }
    // The IWAE bound on 20 samples is tighter than the ELBO: its negative is lower on average.
    const e = objectiveScores(m, p, rows, key(9), elbo({ beta: 1 })), w = objectiveScores(m, p, rows, key(9), iwae({ samples: 20 }));
    expect(w.reduce((a, b) => a + b, 0)).toBeLessThan(e.reduce((a, b) => a + b, 0));
  });

  it("refuses the sparsity penalty (a statistic of a batch) and rows of another width", () => {
    const m = ae.mlp({ input: D, hidden: [8], latent: 3 });
    const p = m.init(key(1));
    expect(() => objectiveScores(m, p, rows, key(0), elbo({ beta: null, penalties: [sparsity({ rho: 0.1, weight: 1 })] }))).toThrow(/sparsity/);
    expect(() => objectiveScores(m, p, tensorRows(tensor(new Float32Array(10), [2, 5])), key(0), elbo({ beta: null }))).toThrow(/5 values/);
  });
});
