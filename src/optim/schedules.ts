/**
 * Learning-rate schedules: functions from the step count (0 for the first update) to a rate.
 */
import { checkNumber } from "./transform.js";

export type Schedule = (count: number) => number;
export type ScalarOrSchedule = number | Schedule;

export function constant(value: number): Schedule {
  checkNumber(value, "constant schedule value");
  return () => value;
}

/**
 * init * decayRate^(count / transitionSteps), the exponent floored when `staircase`.
 */
export function exponentialDecay(o: { init: number; decayRate: number; transitionSteps: number; staircase?: boolean }): Schedule {
  checkNumber(o.init, "exponentialDecay init");
  checkNumber(o.decayRate, "exponentialDecay decayRate", 0, Infinity, true);
  checkNumber(o.transitionSteps, "exponentialDecay transitionSteps", 0, Infinity, true);
  return (count) => {
    const p = count / o.transitionSteps;
    return o.init * Math.pow(o.decayRate, o.staircase ? Math.floor(p) : p);
  };
}

/**
 * Cosine decay from init to init * alpha over decaySteps, then constant:
 * init * ((1 - alpha) * 0.5 * (1 + cos(pi * min(count, decaySteps) / decaySteps)) + alpha).
 */
export function cosineDecay(o: { init: number; decaySteps: number; alpha?: number }): Schedule {
  checkNumber(o.init, "cosineDecay init");
  checkNumber(o.decaySteps, "cosineDecay decaySteps", 0, Infinity, true);
  const alpha = checkNumber(o.alpha ?? 0, "cosineDecay alpha", 0, 1);
  return (count) => {
    const t = Math.min(count, o.decaySteps) / o.decaySteps;
    return o.init * ((1 - alpha) * 0.5 * (1 + Math.cos(Math.PI * t)) + alpha);
  };
}

export function asSchedule(value: ScalarOrSchedule, what: string): Schedule {
  if (typeof value === "function") return value;
  return constant(checkNumber(value, what));
}
