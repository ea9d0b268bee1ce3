/**
 * The pictures of a sparse code, for `latent sparse` and `latent analyze`: the encoder's
 * first-layer filters as one image per unit (src/apps/sparse.ts), and a histogram of the code
 * units' mean activations.
 */
import { filterImages, firstLayerFilters, type CodeActivity, type FilterStyle } from "../../apps/sparse.js";
import type { ModelFile } from "../../io/model-file.js";
import { tensor } from "../../tensor/tensor.js";
import { histogram } from "../../viz/figures/histogram.js";
import { imageSheet } from "../../viz/figures/image-grids.js";
import type { ImageShape } from "../../viz/images.js";
import type { Raster } from "../../viz/raster.js";

export interface FilterPicture {
  readonly raster: Raster;
  /** Units of the layer, units drawn, and whether they are the code's own units. */
  readonly units: number;
  readonly shown: number;
  readonly intoCode: boolean;
}

/** The first `most` units' filters in a square-ish sheet; throws ConfigError when the first layer is not dense. */
export function filterPicture(file: Pick<ModelFile, "model" | "params">, shape: ImageShape, style: FilterStyle, most: number): FilterPicture {
  const filters = firstLayerFilters(file.model, file.params);
  const shown = Math.min(filters.units, most);
  const images = filterImages({ ...filters, units: shown, weights: filters.weights.subarray(0, shown * filters.input) }, shape, style);
  const columns = Math.ceil(Math.sqrt(shown));
  const raster = imageSheet(tensor(images.values, [shown, images.values.length / shown]), {
    imageShape: images.imageShape, columns, scale: columns * (2 * shape[1] + 2) > 1200 ? 1 : 2, gap: 2,
    title: `${filters.intoCode ? "weights into each code unit" : "first-layer units"} (${shown} of ${filters.units})`,
  });
  return { raster, units: filters.units, shown, intoCode: filters.intoCode };
}

/** A histogram of the units' mean activations over n images; `what` names the code ("code", "posterior mean"). */
export function activationHistogram(act: CodeActivity, n: number, what: string, bins: number): Raster {
  return histogram([{ name: `${act.mean.length} units`, values: act.mean }], {
    bins, title: `mean ${what} activation per unit`, xLabel: `mean activation over ${n} test images`, yLabel: "units",
  });
}
