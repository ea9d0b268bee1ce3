/**
 * The picture layer: rasters, a bitmap font, image tiles, figures and a PNG encoder, all
 * runtime-neutral. Writing files from Node: "src/viz/node/png.ts" (writePng, via pngjs).
 */
export * from "./raster.js";
export * from "./font.js";
export * from "./images.js";
export * from "./figures/index.js";
export { dendrogram, type DendrogramOptions } from "./figures/dendrogram.js";
export { encodePng, encodePngChannels } from "./png.js";
export { base64, escapeHtml, renderReport, type Report, type ReportImage, type ReportSection, type ReportTable } from "./report.js";
