// Cells of the text report.
import type { Stat } from "./context.js";

/** "median [best]" with one decimal, right-aligned in w; "-" when missing. */
export const cell = (x: Stat | null | undefined, w = 15) => (x ? `${x.median.toFixed(1)} [${x.best.toFixed(1)}]` : "-").padStart(w);
/** A ratio as "1.23x", right-aligned in w; blank when missing. */
export const ratio = (x: number | undefined, w = 11) => (x === undefined ? "" : `${x.toFixed(2)}x`).padStart(w);
/** A share (0..1) as a whole percent, right-aligned in w; "-" when missing. */
export const share = (x: number | undefined, w: number) => (x === undefined ? "-" : `${(100 * x).toFixed(0)}%`).padStart(w);
/** "simd yes, relaxed NO" */
export const yesNo = (m: Record<string, boolean>) => Object.entries(m).map(([k, v]) => `${k} ${v ? "yes" : "NO"}`).join(", ") || "not checked";
/** A whole number with thousands separators: 16,400. */
export const int = (x: number) => Math.round(x).toLocaleString("en-US");
