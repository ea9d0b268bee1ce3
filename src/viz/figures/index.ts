/**
 * The figures a learner looks at after training an autoencoder, each drawn into a Raster:
 * reconstructions under their originals, sheets of samples, the decoded latent manifold,
 * interpolation strips, a scatter plot of codes coloured by class, loss curves and confusion
 * matrices. Plus the numbers behind them: the normal quantile grid (with an inverse normal CDF)
 * and the linear and spherical interpolation of codes. Runtime-neutral.
 */
export { TITLE_HEIGHT } from "./common.js";
export type { GridOptions } from "./grid-layout.js";
export {
  imageSheet, interpolationStrips, reconstructionGrid, type ImageSheetOptions, type InterpolationStripOptions, type ReconstructionGridOptions,
} from "./image-grids.js";
export {
  inverseNormalCdf, latentGridCodes, latentManifold, normalQuantileGrid, type GridCodesOptions, type ManifoldOptions, type QuantileGridOptions,
} from "./manifold.js";
export { lerp, slerp } from "./interpolate.js";
export { formatNumber, niceTicks } from "./ticks.js";
export { toPixel, type Plot, type PlotFrame, type PlotOptions } from "./axes.js";
export { scatterPlot, type ScatterOptions } from "./scatter.js";
export { lossCurve, type LossCurveOptions, type LossSeries } from "./loss-curve.js";
export { CONFUSION_GAP, CONFUSION_HIGH, CONFUSION_LOW, CONFUSION_PADDING, confusionMatrix, confusionShade, type ConfusionOptions } from "./confusion.js";
export { sideBySide, type SideBySideOptions } from "./side-by-side.js";
export { gridManifold, planeGridCodes, type GridManifoldOptions } from "./grid-manifold.js";
export { drawDataRect, drawGaussianContours } from "./plot-overlays.js";
export { binEdges, histogram, histogramCounts, valueRange, type BinOptions, type HistogramCounts, type HistogramOptions, type HistogramPlot, type HistogramSeries } from "./histogram.js";
