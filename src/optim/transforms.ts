/** The elementary transformations; the optimizers in alias.ts are chains of them. */
import { asSchedule, type ScalarOrSchedule } from "./schedules.js";
import { checkNumber, OptimError, type Transform } from "./transform.js";

/** Adam's moment estimates: g <- m_hat / (sqrt(v_hat) + eps), with bias correction. */
export function scaleByAdam(o: { b1?: number; b2?: number; eps?: number } = {}): Transform {
  const b1 = checkNumber(o.b1 ?? 0.9, "b1", 0, 1);
  const b2 = checkNumber(o.b2 ?? 0.999, "b2", 0, 1);
  const eps = checkNumber(o.eps ?? 1e-8, "eps", 0);
  if (b1 === 1 || b2 === 1) throw new OptimError("b1 and b2 must be below 1 (bias correction divides by 1 - b^t)");
  return {
    name: "scaleByAdam", slots: 2, fusable: { kind: "adam", b1, b2, eps },
    update(be, g, [m, v], _params, count) {
      const t = count + 1;
      be.scaleByAdam(b1, b2, eps, 1 - Math.pow(b1, t), 1 - Math.pow(b2, t), g, m!, v!);
    },
  };
}

/** Momentum: t <- decay * t + g; g <- t (or g + decay * t with Nesterov). */
export function trace(o: { decay: number; nesterov?: boolean }): Transform {
  const decay = checkNumber(o.decay, "momentum decay", 0, 1);
  const nesterov = o.nesterov ?? false;
  return { name: "trace", slots: 1, update(be, g, [t]) { be.trace(decay, nesterov, g, t!); } };
}

/** g <- g + weightDecay * params (decoupled weight decay, as in AdamW). */
export function addDecayedWeights(weightDecay: number): Transform {
  const wd = checkNumber(weightDecay, "weightDecay", 0);
  return {
    name: "addDecayedWeights", slots: 0, fusable: { kind: "decay", weightDecay: wd },
    update(be, g, _s, params) { if (wd !== 0) be.axpy(wd, params, g); },
  };
}

/** g <- -lr(count) * g: the step direction of gradient descent. */
export function scaleByLearningRate(learningRate: ScalarOrSchedule): Transform {
  const schedule = asSchedule(learningRate, "learningRate");
  return {
    name: "scaleByLearningRate", slots: 0, fusable: { kind: "lr", rate: schedule },
    update(be, g, _s, _p, count) {
      const lr = schedule(count);
      if (!Number.isFinite(lr)) throw new OptimError(`the learning-rate schedule gave ${lr} at step ${count}`);
      be.scale(-lr, g, g);
    },
  };
}

/** g <- g * min(1, maxNorm / ||g||_2), the norm taken over all parameters together. */
export function clipByGlobalNorm(maxNorm: number): Transform {
  const max = checkNumber(maxNorm, "maxNorm", 0, Infinity, true);
  return {
    name: "clipByGlobalNorm", slots: 0,
    update(be, g) {
      const norm = Math.sqrt(be.sumSquares(g));
      if (norm > max) be.scale(max / norm, g, g);
    },
  };
}
