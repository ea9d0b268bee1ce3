/** The linear and spherical interpolation of codes. */
import { tensor, type Tensor } from "../../tensor/tensor.js";
import { VizError } from "../raster.js";

function checkPair(a: Float32Array, b: Float32Array, steps: number, what: string): void {
  if (a.length !== b.length) throw new VizError(`${what}: codes of different sizes`, { expected: `${a.length} values`, found: `${b.length}` });
  if (!Number.isSafeInteger(steps) || steps < 1) throw new VizError(`${what}: steps must be a positive integer`, { expected: "an integer >= 1", found: String(steps) });
}

function fraction(i: number, steps: number): number {
  return steps === 1 ? 0 : i / (steps - 1);
}

/** `steps` codes from a to b (both included) along the straight line: a tensor [steps, d]. */
export function lerp(a: Float32Array, b: Float32Array, steps: number): Tensor {
  checkPair(a, b, steps, "lerp");
  const d = a.length;
  const out = new Float32Array(steps * d);
  for (let i = 0; i < steps; i++) {
    const t = fraction(i, steps);
    for (let j = 0; j < d; j++) out[i * d + j] = (1 - t) * a[j]! + t * b[j]!;
  }
  return tensor(out, [steps, d]);
}

/**
 * `steps` codes from a to b along the great circle (spherical linear interpolation), the
 * path that stays in the typical shell of a Gaussian prior: for codes of equal norm every
 * step keeps that norm. Falls back to lerp when the angle between a and b is about 0 (or
 * either is zero); for opposite codes the path is not defined and lerp is used as well.
 */
export function slerp(a: Float32Array, b: Float32Array, steps: number): Tensor {
  checkPair(a, b, steps, "slerp");
  const d = a.length;
  let dot = 0, na = 0, nb = 0;
  for (let j = 0; j < d; j++) { dot += a[j]! * b[j]!; na += a[j]! * a[j]!; nb += b[j]! * b[j]!; }
  const cos = dot / Math.sqrt(na * nb);
  const omega = Math.acos(Math.min(1, Math.max(-1, cos)));
  const sin = Math.sin(omega);
  if (!(sin > 1e-6)) return lerp(a, b, steps);
  const out = new Float32Array(steps * d);
  for (let i = 0; i < steps; i++) {
    const t = fraction(i, steps);
    const wa = Math.sin((1 - t) * omega) / sin, wb = Math.sin(t * omega) / sin;
    for (let j = 0; j < d; j++) out[i * d + j] = wa * a[j]! + wb * b[j]!;
  }
  return tensor(out, [steps, d]);
}
