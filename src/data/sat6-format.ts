/**
 * SAT-6 (DeepSat, Basu et al. 2015): 28x28 patches of NAIP aerial imagery, 4 bands R, G, B,
 * NIR, labelled with 6 land-cover classes. The patch shape and the class names its loaders
 * share: the CSV rows (./sat6-csv.ts) and the variables of `sat-6-full.mat` (./sat6-mat.ts).
 * Reading files is in ./node/sat6.ts.
 */

export const SAT6_SIDE = 28;
export const SAT6_BANDS = 4;
/** Values per patch: 28 * 28 * 4. */
export const SAT6_VALUES = SAT6_SIDE * SAT6_SIDE * SAT6_BANDS;
/** The classes in the order of the one-hot columns (as in sat6annotations.csv). */
export const SAT6_CLASSES: readonly string[] = ["building", "barren_land", "trees", "grassland", "road", "water"];
export const SAT6_IMAGE_SHAPE: readonly [number, number, number] = [SAT6_SIDE, SAT6_SIDE, SAT6_BANDS];
