/**
 * latent anomaly: how well a model's scores single out a class it never saw (scores and
 * conventions: anomaly-score.ts). One model: DIR/anomaly.png (a histogram per score, the class
 * against the rest, as densities) and DIR/anomaly.json. Several models (--model repeated, e.g.
 * one per held-out class): the table of every model's AUROC and AUPRC with their means
 * (anomaly-table.ts). Files are written only once everything is computed.
 */
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { writeFileAtomic } from "../../io/node/atomic-write.js";
import { writePng } from "../../viz/node/png.js";
import { int, parse, str, UsageError } from "../args.js";
import type { Io } from "../io.js";
import { anomalyConventions, meanByClass, scoreModel, type ModelScores, type ScoreOptions } from "./anomaly-score.js";
import { scoreHistograms } from "./anomaly-picture.js";
import { anomalyTable } from "./anomaly-table.js";
import { appOptions } from "./denoise.js";

type Command = (argv: string[], io: Io) => Promise<void>;

export const anomalyHelp = `latent anomaly --model FILE [--model FILE ...] [--class C] [--iwae K] [--data mnist|fashion-mnist|sat6|DIR]
               [--n N] [--seed 1] [--bins 40] [--out anomaly]
  Scores test images (all, or n drawn by --seed), higher = more anomalous: a VAE by its negative ELBO (beta 1, one z
  per image) or with --iwae K the negative IWAE bound on K samples; an AE by -log p(x | x_hat), its loss; both by the
  mean squared error of the reconstruction at z = mean. Reports AUROC (Mann-Whitney, ties half) and AUPRC (average
  precision, scikit-learn's step-wise sum) for detecting class C (default: the class the model was trained without,
  latent train --holdout-class) among the others. Writes DIR/anomaly.png (score histograms, the class against the
  rest, as densities) and DIR/anomaly.json.
  With several --model files (say one trained without each class), each detects its own held-out class on the same
  test images, and the command prints and writes the table of every model's AUROC and AUPRC with their means;
  DIR/anomaly.png then plots them against the held-out class.`;

/** One line for the list of commands. */
export const anomalySummary = "anomaly       AUROC and AUPRC of a model's scores (negative ELBO or IWAE, reconstruction error) for a held-out class";

async function single(m: ModelScores, o: ScoreOptions, bins: number, out: string, io: Io): Promise<void> {
  const C = m.heldOut;
  const picture = scoreHistograms(m.scores, m.positive, C, bins, `${m.ds.name}: class ${m.className} against the rest, ${m.n} test images`);
  const json = {
    model: m.path, data: m.ds.name, kind: m.kind, latent: m.latent,
    heldOut: { class: C, name: m.ds.classNames?.[C] ?? null, source: m.source, trainedWithout: m.trainedWithout },
    n: m.n, positives: m.positives, negatives: m.n - m.positives, seed: o.seed, iwae: o.iwae,
    conventions: anomalyConventions,
    scores: Object.fromEntries(m.scores.map((s) => [s.name, { description: s.label, ...s.result, meanByClass: meanByClass(m, s.values) }])),
  };
  await mkdir(out, { recursive: true });
  await writePng(join(out, "anomaly.png"), picture);
  await writeFileAtomic(join(out, "anomaly.json"), new TextEncoder().encode(JSON.stringify(json, null, 2) + "\n"));
  io.out(`class ${m.className} against the rest: ${m.positives} and ${m.n - m.positives} test images of ${m.ds.name}`);
  io.out("score                                AUROC    AUPRC   (prevalence)");
  for (const s of m.scores) io.out(`${s.label.padEnd(36)} ${s.result.auroc.toFixed(4)}   ${s.result.auprc.toFixed(4)}   (${s.result.prevalence.toFixed(4)})`);
  io.out(`wrote ${join(out, "anomaly.json")}, ${join(out, "anomaly.png")}`);
}

const anomaly: Command = async (argv, io) => {
  const { values } = parse(argv, {
    ...appOptions, model: { type: "string", multiple: true }, class: { type: "string" }, iwae: { type: "string" }, n: { type: "string" },
    bins: { type: "string", default: "40" }, out: { type: "string", default: "anomaly" },
  });
  if (values.help) { io.out(anomalyHelp); return; }
  const o: ScoreOptions = {
    seed: int(values, "seed", 0),
    iwae: values.iwae === undefined ? null : int(values, "iwae", 1, 100_000),
    n: values.n === undefined ? null : int(values, "n", 1),
    classFlag: values.class === undefined ? undefined : String(values.class),
  };
  const bins = int(values, "bins", 1, 1000);
  const out = str(values, "out")!;
  const paths = (values.model ?? []) as unknown as string[];
  if (paths.length === 0) throw new UsageError("--model FILE is required (a model.safetensors written by latent train)");
  if (paths.length === 1) { await single(await scoreModel({ ...values, model: paths[0] }, o), o, bins, out, io); return; }
  if (o.classFlag !== undefined) throw new UsageError("--class applies to one model: with several --model files each detects the class it was trained without");
  const scored: ModelScores[] = [];
  for (const path of paths) {
    const m = await scoreModel({ ...values, model: path }, o);
    if (scored.length > 0 && m.ds.name !== scored[0]!.ds.name) {
      throw new UsageError(`${path} is scored on ${m.ds.name} but ${scored[0]!.path} on ${scored[0]!.ds.name}: one table needs one data set (give --data)`);
    }
    io.out(`${path}: class ${m.className}, ${m.scores.map((s) => `${s.name} AUROC ${s.result.auroc.toFixed(4)}`).join(", ")}`);
    scored.push(m);
  }
  await anomalyTable(scored, o, out, io);
};

export const commands: Record<string, Command> = { anomaly };
