/**
 * The picture of one model's anomaly scores (for `latent anomaly` and `latent analyze`): per score
 * a histogram of the held-out class against the rest, as densities, side by side, each labelled
 * with its AUROC and AUPRC. Scores above the 99.5% quantile go into the last bin, so that a long
 * tail does not squash the rest.
 */
import { histogram } from "../../viz/figures/histogram.js";
import { sideBySide } from "../../viz/figures/side-by-side.js";
import { PALETTE, type Raster } from "../../viz/raster.js";
import type { Score } from "./anomaly-score.js";

const TAIL = 0.995;

function quantile(v: Float64Array, q: number): number {
  const s = Float64Array.from(v).sort();
  return s[Math.min(s.length - 1, Math.floor(q * (s.length - 1)))]!;
}

/** positive[i] = 1 when image i is of the held-out class. */
export function scoreHistograms(scores: readonly Score[], positive: Uint8Array, heldOut: number, bins: number, title: string): Raster {
  const panels = scores.map((s) => {
    const lo = s.values.reduce((a, v) => Math.min(a, v), Infinity);
    const hi = Math.max(quantile(s.values, TAIL), lo + 1e-12);
    const held = s.values.filter((_, i) => positive[i]), rest = s.values.filter((_, i) => !positive[i]);
    return histogram([
      { name: `class ${heldOut} (held out)`, values: held, color: PALETTE[3] },
      { name: "the other classes", values: rest, color: PALETTE[0] },
    ], { bins, range: [lo, hi], overflow: "clamp", density: true, xLabel: `${s.label} (above the ${TAIL * 100}% quantile: last bin)`, width: 520 });
  });
  return sideBySide(panels, { labels: scores.map((s) => `${s.name}: AUROC ${s.result.auroc.toFixed(3)}, AUPRC ${s.result.auprc.toFixed(3)}`), title });
}
