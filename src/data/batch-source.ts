/** The batches of one epoch (epochs count from 0): what train.fit reads; data.batches and splitBatches make them. */
import type { Batch } from "../tensor/batch.js";

export type BatchSource<T extends Batch = Batch> = (epoch: number) => Iterable<T>;
