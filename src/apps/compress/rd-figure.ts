/**
 * The rate-distortion plot: PSNR (dB) against bits per image for the model's files (whole file and
 * payload alone), the PCA baseline at the same budgets, and the model's unquantised PSNR as a flat
 * line; the PNG sizes go in the axis label (lossless, they sit far to the right).
 */
import { lossCurve, type LossSeries } from "../../viz/figures/loss-curve.js";
import type { Plot } from "../../viz/figures/axes.js";
import type { RateDistortion } from "./rate-distortion.js";

export function rdFigure(rd: RateDistortion): Plot {
  const files = rd.model.map((p) => p.rate.file), payloads = rd.model.map((p) => p.rate.payload);
  const pca = rd.pca.filter((p) => p !== null);
  const xs = [...files, ...payloads, ...pca.map((p) => p.rate.file)].filter(Number.isFinite);
  const lo = Math.min(...xs), hi = Math.max(...xs);
  const series: LossSeries[] = [
    { name: `${rd.kind} (whole file)`, x: files, values: rd.model.map((p) => p.psnr) },
    { name: `${rd.kind} (payload only)`, x: payloads, values: rd.model.map((p) => p.psnr) },
    { name: "PCA, same budget", x: pca.map((p) => p.rate.file), values: pca.map((p) => p.psnr) },
  ];
  if (Number.isFinite(rd.unquantisedPsnr) && xs.length > 0) series.push({ name: `${rd.kind}, unquantised codes`, x: [lo, hi], values: [rd.unquantisedPsnr, rd.unquantisedPsnr] });
  return lossCurve(series, {
    title: `rate-distortion of ${rd.n} test images (${rd.kind}, ${rd.latent} dims)`,
    xLabel: `bits per image (lossless PNG: ${Math.round(rd.png.perImage)} per file, ${Math.round(rd.png.stacked)} stacked)`,
    yLabel: "PSNR (dB)", width: 720, height: 440,
  });
}
