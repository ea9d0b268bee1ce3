/**
 * Marks drawn over a finished plot (a scatterPlot, say), in data coordinates and clipped to its
 * frame: the contours of a 2-D Gaussian, and a rectangle.
 *
 * Contour at radius r of N(m, S): the points m + r C (cos t, sin t), C the lower Cholesky factor
 * of S, i.e. the ellipse of Mahalanobis distance r; it holds 1 - exp(-r^2 / 2) of the mass
 * (39% for r = 1, 86% for r = 2).
 */
import { line, polyline, VizError, type Color } from "../raster.js";
import { clipTo, toPixel, type Plot, type PlotFrame } from "./axes.js";

const SEGMENTS = 160;

/**
 * Draws the contours of N(mean, covariance) at the given Mahalanobis radii; covariance is
 * [sxx, sxy, syy]. A covariance that is not positive definite draws nothing.
 */
export function drawGaussianContours(plot: Plot, mean: readonly [number, number], covariance: readonly [number, number, number],
  radii: readonly number[], color: Color, width = 1.2): void {
  const [sxx, sxy, syy] = covariance;
  if (!(sxx > 0) || !Number.isFinite(sxy) || !Number.isFinite(syy)) return;
  const c00 = Math.sqrt(sxx), c10 = sxy / c00, rest = syy - c10 * c10;
  if (!(rest > 0)) return;
  const c11 = Math.sqrt(rest);
  for (const r of radii) if (!(r > 0)) throw new VizError("drawGaussianContours: radii", { expected: "positive numbers", found: String(r) });
  clipTo(plot, plot.frame, (target) => {
    const local: PlotFrame = { ...plot.frame, left: 0, top: 0 };
    for (const r of radii) {
      const xs = new Float64Array(SEGMENTS + 1), ys = new Float64Array(SEGMENTS + 1);
      for (let i = 0; i <= SEGMENTS; i++) {
        const t = (2 * Math.PI * i) / SEGMENTS, a = r * Math.cos(t), b = r * Math.sin(t);
        [xs[i], ys[i]] = toPixel(local, mean[0] + c00 * a, mean[1] + c10 * a + c11 * b);
      }
      polyline(target, xs, ys, color, { width });
    }
  });
}

/** Draws the outline of the rectangle [x0, x1] x [y0, y1] (data coordinates). */
export function drawDataRect(plot: Plot, x0: number, x1: number, y0: number, y1: number, color: Color, width = 1): void {
  clipTo(plot, plot.frame, (target) => {
    const local: PlotFrame = { ...plot.frame, left: 0, top: 0 };
    const [ax, ay] = toPixel(local, x0, y0), [bx, by] = toPixel(local, x1, y1);
    line(target, ax, ay, bx, ay, color, { width });
    line(target, bx, ay, bx, by, color, { width });
    line(target, bx, by, ax, by, color, { width });
    line(target, ax, by, ax, ay, color, { width });
  });
}
