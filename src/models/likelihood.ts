/**
 * Host-side helpers of the likelihoods that no kernel needs.
 *
 * The continuous Bernoulli with logit l, lambda = sigmoid(l), has mean
 *   lambda / (2 lambda - 1) + 1 / (2 artanh(1 - 2 lambda)) = 1 / (1 - exp(-l)) - 1 / l,
 * since artanh(1 - 2 lambda) = -l / 2. Near l = 0 the two terms cancel, so there the series
 *   1/2 + l/12 - l^3/720 + l^5/30240 (the Bernoulli-number expansion; the next term is
 *   O(l^7 / 1.2e6)) is used for |l| < 0.01.
 */

/** The continuous Bernoulli's mean for each logit, rounded to f32. */
export function continuousBernoulliMean(logits: ArrayLike<number>): Float32Array {
  const out = new Float32Array(logits.length);
  for (let i = 0; i < logits.length; i++) {
    const l = logits[i]!;
    if (Math.abs(l) < 0.01) {
      const l2 = l * l;
      out[i] = 0.5 + l * (1 / 12 - l2 * (1 / 720 - l2 / 30240));
    } else {
      out[i] = 1 / -Math.expm1(-l) - 1 / l;
    }
  }
  return out;
}
