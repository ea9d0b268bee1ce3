/**
 * The usual optimizers as chains, as in optax/_src/alias.py. Each returns an Optimizer:
 * a Transform plus host-side `init`/`update` over Params records.
 *
 * @example
 *   const opt = adam({ learningRate: 1e-3 });          // Kingma & Ba defaults b1 .9, b2 .999, eps 1e-8
 *   let state = opt.init(params);
 *   const { updates, state: next } = opt.update(grads, state, params);
 *   params = applyUpdates(params, updates);
 */
import type { ScalarOrSchedule } from "./schedules.js";
import { chain, type Transform } from "./transform.js";
import { addDecayedWeights, clipByGlobalNorm, scaleByAdam, scaleByLearningRate, trace } from "./transforms.js";
import { optimizer, type Optimizer } from "./optimizer.js";

export function sgd(o: { learningRate: ScalarOrSchedule }): Optimizer {
  return optimizer(scaleByLearningRate(o.learningRate));
}

export function momentum(o: { learningRate: ScalarOrSchedule; decay?: number; nesterov?: boolean }): Optimizer {
  return optimizer(chain(trace({ decay: o.decay ?? 0.9, nesterov: o.nesterov ?? false }), scaleByLearningRate(o.learningRate)));
}

export function adam(o: { learningRate: ScalarOrSchedule; b1?: number; b2?: number; eps?: number }): Optimizer {
  return optimizer(chain(scaleByAdam(o), scaleByLearningRate(o.learningRate)));
}

/** Adam with decoupled weight decay (Loshchilov & Hutter): updates = -lr * (adam + weightDecay * params). */
export function adamw(o: { learningRate: ScalarOrSchedule; b1?: number; b2?: number; eps?: number; weightDecay?: number }): Optimizer {
  return optimizer(chain(scaleByAdam(o), addDecayedWeights(o.weightDecay ?? 1e-4), scaleByLearningRate(o.learningRate)));
}

/** Wraps any optimizer (or transform) so that gradients are first clipped to a global norm. */
export function withClipping(maxNorm: number, inner: Optimizer | Transform): Optimizer {
  return optimizer(chain(clipByGlobalNorm(maxNorm), "transform" in inner ? inner.transform : inner));
}
