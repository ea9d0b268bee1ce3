// latent/testing's statistical checks, and latent's random numbers checked with them:
// - normalCdf against known values;
// - the Kolmogorov-Smirnov check accepts latent's normal draws (src/random `normal`, the wasm
//   random_normal_f32 through WasmBackend.normal on both builds) and the reparameterisation
//   z = mu + exp(lv / 2) eps against the normal CDF of that mean and sd, and rejects the classic
//   fault of using the variance where the standard deviation belongs;
// - expectMonteCarlo accepts the KL closed form and rejects a wrong one;
// - both reject correct samplers at about their stated rate (alpha, and 2 (1 - Phi(k))), not more.
// Every draw comes from a fixed key, so each outcome is reproducible.
import { describe, expect, it } from "vitest";
import * as E from "fp-ts/lib/Either.js";
import { WasmBackend } from "../../src/backend/wasm.js";
import { instantiateSync, type Isa } from "../../src/kernels/module.js";
import { foldIn, key, normal, normalF64, split, uniform } from "../../src/random/index.js";
import { CheckError, expectDistribution, expectMonteCarlo, ksStatistic, normalCdf } from "../../src/testing/index.js";
import { thrown } from "../support/thrown.js";


function backendOf(isa: Isa): WasmBackend {
  const loaded = instantiateSync(undefined, { isa });
  if (E.isLeft(loaded)) throw loaded.left;
  return new WasmBackend(loaded.right);
}
const backends = [backendOf("simd"), backendOf("scalar")] as const;

/** n draws of WasmBackend.normal (the kernel random_normal_f32) under key k. */
function wasmNormal(be: WasmBackend, k: ReturnType<typeof key>, n: number): Float32Array {
  const b = be.alloc(n);
  be.normal(k, b);
  const out = be.read(b);
  be.free(b);
  return out;
}

describe("normalCdf", () => {
  it("matches tabulated values of Phi to 1e-15, and in the tails to 1e-13 relatively", () => {
    const table: [number, number][] = [
      [0, 0.5], [1, 0.8413447460685429], [-1, 0.15865525393145707], [1.959963984540054, 0.975], [2, 0.9772498680518208],
      [-3, 0.0013498980316300946], [-5, 2.866515718791939e-7], [-10, 7.619853024160527e-24], [0.5, 0.6914624612740131],
    ];
    for (const [x, p] of table) expect(Math.abs(normalCdf(x) - p)).toBeLessThanOrEqual(p > 0.01 ? 1e-15 : 1e-13 * p);
    expect(normalCdf(-Infinity)).toBe(0);
    expect(normalCdf(Infinity)).toBe(1);
    expect(normalCdf(NaN)).toBeNaN();
  });

  it("takes a mean and a standard deviation, and is symmetric", () => {
    expect(normalCdf(3, 1, 2)).toBe(normalCdf(1));
    for (const x of [0.1, 0.7, 1.5, 2.5, 4]) expect(Math.abs(normalCdf(x) + normalCdf(-x) - 1)).toBeLessThanOrEqual(2e-16);
    expect(() => normalCdf(0, 0, 0)).toThrow(RangeError);
  });
});

describe("ksStatistic", () => {
  it("is the largest gap between the empirical CDF (just before or at each sample) and the model's", () => {
    const u = (x: number) => Math.min(1, Math.max(0, x));
    expect(ksStatistic([0.5], u)).toMatchObject({ n: 1, d: 0.5, at: 0.5 });
    // Sorted 0.1, 0.2: at 0.2 the samples' CDF is 1 and the model's 0.2.
    expect(ksStatistic([0.2, 0.1], u)).toEqual({ n: 2, d: 0.8, at: 0.2, empirical: 1, model: 0.2, below: false });
    // Sorted 0.8, 0.9: just below 0.8 the samples' CDF is 0 and the model's 0.8.
    expect(ksStatistic([0.9, 0.8], u)).toEqual({ n: 2, d: 0.8, at: 0.8, empirical: 0, model: 0.8, below: true });
    expect(() => ksStatistic([], u)).toThrow(RangeError);
    expect(() => ksStatistic([1, NaN], u)).toThrow(CheckError);
    expect(() => ksStatistic([1], () => 2)).toThrow(RangeError);
  });
});

describe("expectDistribution on latent's normal draws", () => {
  it("accepts src/random normal (float32) and normalF64", () => {
    const k = key(20240601);
    const s = expectDistribution(normal(k, 100_000), normalCdf);
    expect(s.d).toBeLessThanOrEqual(s.critical);
    expect(s.critical).toBeCloseTo(Math.sqrt(-Math.log(5e-4) / 2) / Math.sqrt(100_000), 15);
    expectDistribution(normalF64(foldIn(k, 1), 50_000), normalCdf);
  });

  for (const be of backends) {
    it(`accepts WasmBackend.normal (random_normal_f32, ${be.name}), its cosine and sine halves on their own`, () => {
      const z = wasmNormal(be, key(77), 100_000);
      expectDistribution(z, normalCdf, { what: be.name });
      expectDistribution(z.filter((_, i) => i % 2 === 0), normalCdf, { what: `${be.name}, cosine half` });
      expectDistribution(z.filter((_, i) => i % 2 === 1), normalCdf, { what: `${be.name}, sine half` });
    });

    it(`the reparameterisation z = mu + exp(lv / 2) eps (${be.name}) has the normal CDF of mean mu and sd exp(lv / 2)`, () => {
      const n = 40_000;
      for (const [i, [mu0, lv0]] of ([[0, 0], [1.5, -2], [-3, 1.2], [0.25, Math.log(4)]] as const).entries()) {
        const mu = Math.fround(mu0), lv = Math.fround(lv0), sd = Math.exp(lv / 2);
        const bm = be.alloc(n), bl = be.alloc(n), eps = be.alloc(n), z = be.alloc(n);
        be.fill(mu, bm);
        be.fill(lv, bl);
        be.normal(foldIn(key(5), i), eps);
        be.reparamForward(bm, bl, eps, z);
        const draws = be.read(z);
        for (const b of [bm, bl, eps, z]) be.free(b);
        expectDistribution(draws, (x) => normalCdf(x, mu, sd), { what: `mu ${mu}, lv ${lv}` });
      }
    });
  }
});

describe("expectDistribution rejects", () => {
  it("a sampler that uses the variance in place of the standard deviation (N(1, sd 2) drawn as 1 + 4 eps)", () => {
    const mean = 1, sd = 2, variance = sd * sd;
    const eps = normal(key(9), 20_000);
    const faulty = eps.map((e) => mean + variance * e); // the fault: should be mean + sd * e
    const err = thrown(() => expectDistribution(faulty, (x) => normalCdf(x, mean, sd), { what: "N(1, 4) sampler" }));
    expect(err.message).toBe("N(1, 4) sampler: expectDistribution: the samples do not follow the distribution (one-sample Kolmogorov-Smirnov, alpha 0.001)\n"
      + "  D = 0.1673 > critical value 0.01378 (n = 20000; sqrt(-ln(alpha / 2) / 2) / sqrt(n))\n"
      + "  largest gap at x = 3.842: 75.5% of the samples are < x, the distribution puts 92.24% there");
    // Too much spread: below x = 3.84 lies 1 - 2 Phi(-0.71) ~ 76% of N(1, sd 4) but 92% of N(1, sd 2).
    expect(err.details).toMatchObject({ n: 20_000, below: true });
    // The correct sampler passes with the same draws.
    expectDistribution(eps.map((e) => mean + sd * e), (x) => normalCdf(x, mean, sd));
  });

  it("the same fault inside a reparameterisation: exp(lv) eps instead of exp(lv / 2) eps", () => {
    const lv = Math.log(2.25), eps = normalF64(key(10), 20_000);
    const faulty = eps.map((e) => 0.5 + Math.exp(lv) * e);
    const err = thrown(() => expectDistribution(faulty, (x) => normalCdf(x, 0.5, Math.exp(lv / 2))));
    expect(err.message).toMatch(/^expectDistribution: the samples do not follow the distribution .*\n  D = 0\.\d+ > critical value 0\.01378/);
  });

  it("a mean shifted by 5% of the standard deviation, at n = 100000", () => {
    const z = normal(key(11), 100_000).map((x) => x + 0.05);
    expect(thrown(() => expectDistribution(z, normalCdf)).details).toMatchObject({ below: true });
  });

  it("correct samples at about rate alpha, not more (2000 checks of 200 draws at alpha 0.05)", () => {
    let rejected = 0;
    for (let t = 0; t < 2000; t++) {
      try { expectDistribution(normalF64(foldIn(key(12), t), 200), normalCdf, { alpha: 0.05 }); } catch (e) {
        if (!(e instanceof CheckError)) throw e;
        rejected++;
      }
    }
    // Binomial(2000, 0.05): mean 100, sd 9.7. The asymptotic critical value makes the check a little
    // conservative at n = 200, so the rate sits at or somewhat below 5%.
    expect(rejected).toBeLessThanOrEqual(100 + 4 * 9.7);
    expect(rejected).toBeGreaterThanOrEqual(50);
  });
});

describe("expectMonteCarlo", () => {
  /** KL(N(mu, exp(lv)) || N(0, 1)) and one Monte Carlo draw of log q(z) - log p(z), z ~ q. */
  const kl = (mu: number, lv: number) => 0.5 * (mu * mu + Math.exp(lv) - 1 - lv);
  function klDraws(mu: number, lv: number, n: number, seed: number): Float64Array {
    const e = normalF64(key(seed), n), sd = Math.exp(lv / 2);
    return e.map((ei) => { const z = mu + sd * ei; return -0.5 * lv - 0.5 * ei * ei + 0.5 * z * z; });
  }

  it("accepts the KL closed form against its Monte Carlo estimate (array and function forms)", () => {
    for (const [i, [mu, lv]] of ([[0.5, -1], [-1.5, 0.7], [2, -2]] as const).entries()) {
      const s = expectMonteCarlo(klDraws(mu, lv, 100_000, i), kl(mu, lv));
      expect(Math.abs(s.z)).toBeLessThanOrEqual(4);
      expect(s.n).toBe(100_000);
      const draws = klDraws(mu, lv, 50_000, 100 + i);
      let at = 0;
      expectMonteCarlo(() => draws[at++]!, kl(mu, lv), { draws: 50_000 });
      expect(at).toBe(50_000);
    }
  });

  it("rejects a wrong closed form (the standard deviation where the variance belongs), reporting mean, SE and z", () => {
    const mu = 0.5, lv = 1.2;
    const wrong = 0.5 * (mu * mu + Math.exp(lv / 2) - 1 - lv);
    const err = thrown(() => expectMonteCarlo(klDraws(mu, lv, 100_000, 3), wrong, { what: "KL" }));
    expect(err.message).toMatch(/^KL: expectMonteCarlo: the mean of 100000 draws is \d+(\.\d+)? standard errors from the expected value \(allowed 4\)\n  mean -?0\.\d+, expected -?0\.\d+, standard error 0\.\d+, z = \d+(\.\d+)?; \|mean - expected\| = 0\.\d+ > 4 se = 0\.\d+$/);
    const d = err.details as { mean: number; se: number; z: number; expected: number };
    expect(d.z).toBeCloseTo((d.mean - wrong) / d.se, 10);
    expect(Math.abs(d.mean - kl(mu, lv))).toBeLessThanOrEqual(4 * d.se);
  });

  it("k and atol widen the check; an estimate with no spread must hit the value within atol", () => {
    const draws = klDraws(1, 0.3, 10_000, 4), s = expectMonteCarlo(draws, kl(1, 0.3));
    expect(() => expectMonteCarlo(draws, s.mean + 5 * s.se, { k: 4 })).toThrow(CheckError);
    expectMonteCarlo(draws, s.mean + 5 * s.se, { k: 6 });
    expectMonteCarlo([1, 1, 1], 1);
    expect(thrown(() => expectMonteCarlo([1, 1, 1], 1 + 1e-9)).message).toMatch(/Infinity standard errors/);
    expectMonteCarlo([1, 1, 1], 1 + 1e-9, { atol: 1e-8 });
  });

  it("refuses NaN draws (CheckError) and too few draws (RangeError)", () => {
    expect(thrown(() => expectMonteCarlo([1, NaN, 2], 1)).message).toMatch(/draw 1 of 3 is NaN/);
    expect(() => expectMonteCarlo([1], 1)).toThrow(RangeError);
    expect(() => expectMonteCarlo(() => 1, 1)).toThrow(RangeError);
  });

  it("rejects correct estimates at about 2 (1 - Phi(k)) (2000 checks of 100 draws at k = 2: 4.6%)", () => {
    const keys = split(key(13), 2000);
    let rejected = 0;
    for (const k of keys) {
      const u = uniform(k, 100);
      try { expectMonteCarlo(u, 0.5, { k: 2 }); } catch (e) {
        if (!(e instanceof CheckError)) throw e;
        rejected++;
      }
    }
    // Binomial(2000, 0.0455): mean 91, sd 9.3.
    expect(rejected).toBeGreaterThanOrEqual(91 - 4 * 9.3);
    expect(rejected).toBeLessThanOrEqual(91 + 4 * 9.3);
  });
});
