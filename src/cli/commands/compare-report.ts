/**
 * What `latent compare` writes besides the PNGs: the JSON summary (compare.json) and the
 * self-contained HTML report (report.html, through viz/report.ts renderReport), both built from
 * the studies of the two models. Distances are RMS per value on the data's display scale
 * (compare-model.ts).
 */
import type { Report, ReportSection, ReportTable } from "../../viz/report.js";
import { DRAWS, GRID, GRID_PERCENTILES, PAIRS, SHOWN_DRAWS, STEPS, type ModelStudy, type Samples } from "./compare-model.js";
import { kindName, panelLabel, type Picture, type PictureKind } from "./compare-figures.js";

export interface CompareRun {
  readonly data: string;
  readonly n: number;
  readonly seed: number;
  readonly studies: readonly ModelStudy[];
  readonly samples: Samples;
  /** Mean RMS distance from a test image to its nearest other compared test image. */
  readonly realNearestOther: number;
  readonly pictures: readonly Picture[];
}

const finite = (v: number): number | null => (Number.isFinite(v) ? v : null);

function modelJson(st: ModelStudy): Record<string, unknown> {
  const { spec } = st.file, e = st.evaluation, f = st.fit, L = f.d;
  return {
    path: st.path, kind: spec.kind, latent: spec.latent, likelihood: spec.likelihood, normalization: st.norm.method,
    plane: st.basis,
    evaluation: { samples: e.samples, loss: e.loss.loss, reconstruction: e.loss.reconstruction, kl: e.loss.kl,
      units: "nats per sample", reconstructionMse: e.reconstructionMse, activeUnits: e.activeUnits },
    gaussian: {
      n: f.n, mean: Array.from(f.mean), ridge: f.ridge,
      covariance: Array.from({ length: L }, (_, i) => Array.from(f.covariance.subarray(i * L, (i + 1) * L))),
    },
    grid: {
      size: GRID, percentiles: GRID_PERCENTILES,
      x: [st.grid.xValues[0], st.grid.xValues[GRID - 1]],
      y: st.grid.yValues ? [st.grid.yValues[0], st.grid.yValues[GRID - 1]] : null,
    },
    draws: {
      count: DRAWS,
      drawToNearestTestRms: finite(st.distances.drawToNearestTest),
      reconstructionToNearestOtherTestRms: finite(st.distances.reconstructionToNearestOtherTest),
      drawExcess: finite(st.distances.drawExcess),
      latentGapRatio: finite(st.distances.latentGapRatio),
    },
  };
}

export function compareJson(r: CompareRun): Record<string, unknown> {
  return {
    data: r.data, n: r.n, seed: r.seed,
    settings: { grid: GRID, gridPercentiles: GRID_PERCENTILES, draws: DRAWS, shownDraws: SHOWN_DRAWS, referenceQueries: r.samples.queries,
      pairs: PAIRS, steps: STEPS, distance: "RMS per value on the data's display scale (uint8 / 255)" },
    interpolationPairs: r.samples.pairs.map(([a, b]) => [r.samples.idx[a], r.samples.idx[b]]),
    real: { nearestOtherTestRms: finite(r.realNearestOther) },
    models: r.studies.map(modelJson),
    pictures: r.pictures.map((p) => p.file),
    report: "report.html",
  };
}

function modelsTable(r: CompareRun): ReportTable {
  return {
    caption: `the models on the ${r.n} compared test samples`,
    columns: ["model", "kind", "latent", "likelihood", "normalisation", "test loss (nats/sample)", "reconstruction term", "KL", "reconstruction MSE", "active units"],
    rows: r.studies.map((st) => [panelLabel(st), kindName(st), st.file.spec.latent, st.file.spec.likelihood, st.norm.method,
      st.evaluation.loss.loss, st.evaluation.loss.reconstruction, st.evaluation.loss.kl, st.evaluation.reconstructionMse, st.evaluation.activeUnits]),
    digits: 4,
  };
}

function drawsTable(r: CompareRun): ReportTable {
  return {
    caption: `${DRAWS} draws from the Gaussian fitted to each model's codes`,
    columns: ["model", "draw to nearest test image (RMS)", "reconstruction to nearest other test image (RMS)", "draw excess", "latent gap ratio", "ridge"],
    rows: r.studies.map((st) => [panelLabel(st), st.distances.drawToNearestTest, st.distances.reconstructionToNearestOtherTest,
      st.distances.drawExcess, st.distances.latentGapRatio, st.fit.ridge]),
    digits: 4,
  };
}

const fmt = (v: number): string => (Number.isFinite(v) ? v.toFixed(4) : "n/a");

function images(r: CompareRun, kind: PictureKind, bytes: ReadonlyMap<string, Uint8Array>) {
  return r.pictures.filter((p) => p.kind === kind).map((p) => ({ caption: `${p.file}: ${p.caption}`, image: bytes.get(p.file) ?? p.raster }));
}

/** The report; `bytes` holds the PNG files already encoded (by name), so they are not encoded twice. */
export function compareReport(r: CompareRun, bytes: ReadonlyMap<string, Uint8Array>): Report {
  const q = r.samples.queries;
  const sections: ReportSection[] = [
    {
      heading: "What this compares",
      text: [
        "An autoencoder (AE) is trained only to reconstruct: nothing in its loss says where its codes should lie, so they spread over "
          + "whatever region, scale and shape the encoder finds, often as clusters with empty space between them. A variational autoencoder "
          + "(VAE) adds a KL term that pulls every posterior q(z|x) toward the prior N(0, I), so its codes fill a region close to the prior "
          + "with few holes. That is why the AE's code space is not made for generation and the VAE's is.",
        "To generate from either model the same way, a Gaussian with full covariance is fitted to each model's test codes (VAE: the "
          + "posterior means) and its draws are decoded. For the VAE this is close to sampling its prior; for the AE the draws also land in "
          + "the gaps between clusters and in the tails, where the decoder was never trained.",
        `Data: ${r.data}; ${r.n} test samples drawn by seed ${r.seed}, the same samples for both models.`,
      ],
      tables: [modelsTable(r)],
    },
    {
      heading: "Code spaces",
      text: ["The test codes of each model coloured by label, with the fitted Gaussian and the span of the decoded grid drawn over them. "
        + "The two plots have their own axes: the models' codes live on different scales."],
      images: images(r, "codes", bytes),
    },
    {
      heading: "Decodes over each code space",
      text: [`Each model's decoder over a ${GRID} x ${GRID} grid spanning its codes' ${GRID_PERCENTILES[0]}th to ${GRID_PERCENTILES[1]}th percentile on each plotted axis. `
        + "Where the grid crosses empty parts of the code space, the AE decodes to images unlike any data."],
      images: images(r, "grid", bytes),
    },
    {
      heading: "Draws from a Gaussian fitted to the codes",
      text: [
        `Measured on ${DRAWS} draws per model (the pictures show the first ${SHOWN_DRAWS}). Distances are root-mean-square differences per pixel `
          + "value on the data's own 0..1 display scale (uint8 / 255), so both models are measured on one scale whatever their normalisation.",
        `Draw to nearest test image: for each decoded draw, the distance to the nearest of the ${r.n} test images, averaged. Lower means the draws `
          + "look more like some real image. It does not measure variety (decoding every draw to one typical image could score well) and it "
          + "partly rewards blur, since a blurred image is moderately close to many. Pixel distances see blur and sharpness more than "
          + "whether an image is a plausible sample, and a few scribbles among many draws move a mean little: expect this measure to "
          + "separate the models weakly, and look at the pictures.",
        `Reconstruction to nearest other test image: the same distance for the reconstructions of ${q} of the test images, each to its nearest `
          + "test image other than its own original: what a draw scores when it decodes like the code of an unseen real image, blur included. "
          + "It is each model's own baseline.",
        "Draw excess: the ratio of the two. About 1 when random draws decode as close to data as real codes do; above 1 when the draws land "
          + "where the decoder makes less data-like images.",
        "Latent gap ratio: in code space, the mean distance from a draw to its nearest test code over the mean distance from a test code to its "
          + "nearest other test code. About 1 when the codes fill the fitted Gaussian like a sample of it; above 1 when draws land in empty "
          + "regions. It is scale-free, but nearest-neighbour distances depend on the dimension, so compare latents of different sizes with care.",
        `For reference, real test images lie ${fmt(r.realNearestOther)} (RMS) from their nearest other test image.`,
        "Ridge: what was added to the covariance's diagonal to make it positive definite (0 when it already was).",
      ],
      tables: [drawsTable(r)],
      images: images(r, "draws", bytes),
    },
    {
      heading: "Interpolation",
      text: ["Both models interpolate between the codes of the same pairs of test images (straight lines in code space)."],
      images: images(r, "interpolation", bytes),
    },
  ];
  return {
    title: `latent compare: ${r.studies.map(kindName).join(" vs ")}`,
    subtitle: [...r.studies.map((st, i) => `${i === 0 ? "left" : "right"}: ${st.path}`), `data ${r.data}, n ${r.n}, seed ${r.seed}`],
    sections,
  };
}
