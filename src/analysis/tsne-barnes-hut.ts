/**
 * The Barnes-Hut t-SNE gradient in 2-D (van der Maaten 2014): attractive forces over a sparse P,
 * repulsive forces from a quadtree, normalised by the tree's estimate of Z:
 *   dC/dy_i = 4 (sum_j p_ij w_ij (y_i - y_j) - sum_j w_ij^2 (y_i - y_j) / Z),  w_ij = 1 / (1 + |y_i - y_j|^2).
 * A node of the tree stands for its points (its mass at their centre of mass) when
 * h / d < theta, h half its cell's side (bhtsne's cell "width") and d the distance from its centre
 * of mass to the bounding box of the leaf being evaluated: each leaf of at most 32 points walks
 * the tree once for all its points, so every summary passes bhtsne's test for each of them.
 * scikit-learn tests the full side (s / d < angle): its angle 0.5 is this theta 0.25 per point.
 * theta = 0 opens every node: the exact gradient. On the wasm backend the far field is summed in
 * float32 (about 1e-5 relative, see assembly/tsne.ts); on any other backend in float64.
 */
import type { Backend, Buffer } from "../backend/backend.js";
import { defaultBackend } from "../backend/default.js";
import { ConfigError } from "../nn/layer.js";
import { ShapeError } from "../tensor/tensor.js";
import { makeEngine } from "./tsne-engine.js";
import { checkSparse, type SparseAffinities } from "./tsne-sparse.js";

export interface BarnesHutOptions {
  /** The accuracy of the tree (default 0.5; 0 is exact), a finite number >= 0. */
  readonly theta?: number;
  /** Where the kernels run (default: the default runtime's backend; a non-wasm backend runs float64). */
  readonly backend?: Backend<Buffer>;
}

/** A ConfigError unless theta is a finite number >= 0. */
export function checkTheta(theta: number, what: string): number {
  if (typeof theta !== "number" || !Number.isFinite(theta) || theta < 0) throw new ConfigError(`${what}: theta must be a finite number >= 0, got ${theta}`);
  return theta;
}

/** The Barnes-Hut gradient [n * 2] of KL(P || Q) at y (row-major [n, 2]) for the sparse joint P. */
export function tsneGradientBarnesHut(p: SparseAffinities, y: ArrayLike<number>, options: BarnesHutOptions = {}): Float64Array {
  checkSparse(p, "tsneGradientBarnesHut");
  const theta = checkTheta(options.theta ?? 0.5, "tsneGradientBarnesHut");
  const n = p.n;
  if (!y || y.length !== 2 * n) throw new ShapeError(`tsneGradientBarnesHut: Y must hold n * 2 = ${2 * n} values (2-D), got ${y?.length}`);
  const y0 = Float64Array.from(y);
  for (let i = 0; i < y0.length; i++) {
    if (!Number.isFinite(y0[i])) throw new ConfigError(`tsneGradientBarnesHut: Y holds a non-finite value (${y0[i]}) in row ${Math.floor(i / 2)}`);
  }
  const engine = makeEngine(options.backend ?? (defaultBackend() as unknown as Backend<Buffer>), n, 2, y0, { method: "barnes-hut", p, theta });
  try {
    engine.forces(1);
    return engine.gradient();
  } finally {
    engine.dispose();
  }
}
