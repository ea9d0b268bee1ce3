/**
 * What `latent eval` computes once the model and the test split are open (./use.ts opens them):
 * the test loss, the reconstruction MSE, the active units and, with --iwae K, the
 * importance-weighted bound on log p(x) beside the ELBO (objectives/evaluate-iwae.ts), all on one
 * backend of --threads threads (the same bits on any number of threads). --n takes the first n
 * test samples. Every figure is in nats per sample, the reconstruction summed over pixels.
 */
import { availableParallelism } from "node:os";
import type { Backend, Buffer } from "../../backend/backend.js";
import { features, type Dataset, type Split } from "../../data/dataset.js";
import type { Normalization } from "../../data/normalize.js";
import { splitRows } from "../../data/rows.js";
import type { ModelFile } from "../../io/model-file.js";
import { ACTIVE_UNIT_DEFINITION, evaluateModel } from "../../models/metrics.js";
import { evaluateIwae } from "../../objectives/evaluate-iwae.js";
import { startThreads } from "../../parallel/index.js";
import { nodeSpawn } from "../../parallel/node/spawn.js";
import type { Key } from "../../random/index.js";
import { int, UsageError, type Options } from "../args.js";
import type { Io } from "../io.js";

/** The largest --iwae K. */
export const MAX_EVAL_IWAE = 5000;

export const evalFlags: Options = { iwae: { type: "string" }, n: { type: "string" }, threads: { type: "string" } };

export const evalHelp = `latent eval --model FILE [--data mnist|fashion-mnist|DIR] [--iwae K] [--n N] [--threads N] [--seed 1]
  Prints one JSON object about the model on the test split (nats per sample, reconstruction summed over pixels):
  the test loss (reconstruction, kl, total = reconstruction + beta kl) and, for a VAE, the ELBO (-(reconstruction + kl)),
  the reconstruction MSE (mean over pixels at z = mean, on the model's normalised inputs) and the active latent units
  (Burda et al.: Cov_x(E_q[z_u]) > 0.01).
  --iwae K      also the importance-weighted bound on log p(x) with K codes per sample (1..${MAX_EVAL_IWAE}; a VAE), a lower
                bound at least as tight as the ELBO on average; K samples run in chunks in bounded memory
  --n N         the first N test samples (default all)
  --threads N   threads of the kernels (default: the machine's cores); the figures are the same bits on any number
  --seed S      the key of the sampled codes: the ELBO's code is the IWAE's first`;

export interface EvalRequest {
  readonly iwae: number | null;
  readonly n: number | null;
  readonly threads: number;
}

/** Checks --iwae, --n and --threads (UsageError naming the flag). */
export function evalRequest(values: Record<string, unknown>): EvalRequest {
  return {
    iwae: values.iwae === undefined ? null : int(values, "iwae", 1, MAX_EVAL_IWAE),
    n: values.n === undefined ? null : int(values, "n", 1),
    threads: values.threads === undefined ? availableParallelism() : int(values, "threads", 1, 256),
  };
}

/** Refuses what the model cannot be evaluated with before any work: --iwae on an AE or on a non-density. */
export function checkEvalModel(file: ModelFile, req: EvalRequest, path: string): void {
  if (req.iwae === null) return;
  if (file.spec.kind !== "vae") throw new UsageError(`--iwae needs a vae: ${path} is an autoencoder, which has no posterior q(z|x) to sample`);
  if (file.spec.likelihood === "mse") throw new UsageError(`--iwae needs a likelihood that is a density: ${path} scores pixels by squared error (mse), which bounds no log p(x)`);
}

/** The first n samples of a split. */
function firstOf(s: Split, d: number, n: number | null): Split {
  if (n === null || n >= s.n) return s;
  return { n, pixels: s.pixels.subarray(0, n * d), labels: s.labels?.subarray(0, n) ?? null };
}

/** Runs the evaluation and returns eval's JSON object. */
export async function evaluateFile(path: string, file: ModelFile, ds: Dataset, norm: Normalization, key: Key, seed: number,
  isa: "relaxed" | "simd" | "scalar", req: EvalRequest, io: Io): Promise<Record<string, unknown>> {
  checkEvalModel(file, req, path);
  const d = features(ds);
  const test = firstOf(ds.test, d, req.n);
  const C = file.model.arch.classes;
  if (C > 0 && !test.labels) throw new UsageError(`the model in ${path} is conditional (${C} classes) but ${ds.name} has no labels`);
  const labels = C > 0 ? test.labels! : undefined;
  if (labels && labels.some((c) => c >= C)) throw new UsageError(`${ds.name} has labels outside the model's ${C} classes`);
  const x = splitRows(test, d, norm);
  const backend = await startThreads({ threads: req.threads, spawn: nodeSpawn, isa });
  try {
    const be = backend as unknown as Backend<Buffer>;
    const r = evaluateModel(file.model, file.params, x, key, { backend: be, labels });
    const vae = file.spec.kind === "vae";
    const out: Record<string, unknown> = {
      model: path, data: ds.name, samples: r.samples,
      test: { loss: r.loss.loss, reconstruction: r.loss.reconstruction, kl: r.loss.kl, units: "nats per sample" },
      ...(vae ? { elbo: -(r.loss.reconstruction + r.loss.kl) } : {}),
      reconstruction_mse: r.reconstructionMse,
      active_units: r.activeUnits, latent: r.latent, active_units_definition: ACTIVE_UNIT_DEFINITION,
      threads: backend.threads,
    };
    if (req.iwae === null) return out;
    const started = performance.now();
    let shown = 0;
    const iw = evaluateIwae(file.model, file.params, x, key, {
      samples: req.iwae, backend: be, labels,
      onProgress: (f) => {
        if (!io.tty || f < shown + 0.1) return;
        shown = Math.floor(f * 10) / 10;
        io.err(`iwae: ${Math.round(f * 100)}% (${((performance.now() - started) / 1000).toFixed(0)} s)`);
      },
    });
    return {
      ...out,
      iwae: {
        k: iw.samples, bound: iw.bound, elbo: iw.elbo, gain: iw.bound - iw.elbo, bound_se: iw.boundSe, gain_se: iw.gapSe, seed,
        definition: "mean over the samples of log (1/K) sum_k p(x, z_k) / q(z_k | x), z_k ~ q(z | x): a lower bound on log p(x) in nats"
          + " (elbo: the one-sample ELBO at z_1 with the KL in closed form, the same code as the top-level elbo; gain = bound - elbo;"
          + " _se: standard errors over the samples)",
        memory: {
          inputs_per_program: iw.plan.inputs, codes_per_program: iw.plan.chunk, decoder_rows: iw.plan.decoderRows, program_bytes: Math.round(iw.plan.bytes),
          note: "the K codes of an input run in chunks of codes_per_program; the program's per-row buffers and the host's staging stay within 32 MiB (bytes: the estimate), plus one copy of the parameters; the log-sum-exp is streamed in float64",
        },
      },
    };
  } finally {
    backend.close();
  }
}
