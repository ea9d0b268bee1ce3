/**
 * `latent anomaly` with several models: one row per model (its held-out class, and per score its
 * AUROC and AUPRC on the same test images), the mean of each score over the models of each kind,
 * printed, written to DIR/anomaly.json, and plotted against the held-out class in DIR/anomaly.png
 * (AUROC, and AUPRC beside the prevalence an uninformative score gets).
 */
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { writeFileAtomic } from "../../io/node/atomic-write.js";
import { lossCurve, type LossSeries } from "../../viz/figures/loss-curve.js";
import { sideBySide } from "../../viz/figures/side-by-side.js";
import { PALETTE, type Color } from "../../viz/raster.js";
import { writePng } from "../../viz/node/png.js";
import type { Io } from "../io.js";
import { anomalyConventions, type ModelScores, type ScoreOptions } from "./anomaly-score.js";

interface Cell { readonly auroc: number; readonly auprc: number; readonly prevalence: number }
interface Row { readonly model: string; readonly kind: string; readonly class: number; readonly name: string | null; readonly positives: number; readonly scores: Record<string, Cell> }

const GREY: Color = [150, 150, 150, 255];

/** Means over rows of one kind, per score they have. */
function means(rows: readonly Row[], kind: string, names: readonly string[]): Record<string, { auroc: number; auprc: number; models: number }> {
  const of = rows.filter((r) => r.kind === kind);
  const out: Record<string, { auroc: number; auprc: number; models: number }> = {};
  for (const s of names) {
    const cells = of.map((r) => r.scores[s]).filter((c): c is Cell => c !== undefined);
    if (cells.length > 0) out[s] = { auroc: cells.reduce((a, c) => a + c.auroc, 0) / cells.length, auprc: cells.reduce((a, c) => a + c.auprc, 0) / cells.length, models: cells.length };
  }
  return out;
}

export async function anomalyTable(scored: readonly ModelScores[], o: ScoreOptions, out: string, io: Io): Promise<void> {
  const rows: Row[] = scored.map((m) => ({
    model: m.path, kind: m.kind, class: m.heldOut, name: m.ds.classNames?.[m.heldOut] ?? null, positives: m.positives,
    scores: Object.fromEntries(m.scores.map((s) => [s.name, { auroc: s.result.auroc, auprc: s.result.auprc, prevalence: s.result.prevalence }])),
  })).sort((a, b) => (a.kind === b.kind ? a.class - b.class : a.kind < b.kind ? -1 : 1));
  // The models' own scores first, the reconstruction error last.
  const names = [...new Set(rows.flatMap((r) => Object.keys(r.scores)))].sort((a, b) => Number(a === "mse") - Number(b === "mse"));
  const kinds = [...new Set(rows.map((r) => r.kind))];
  const mean = Object.fromEntries(kinds.map((k) => [k, means(rows, k, names)]));

  // One line per (kind, score) over the held-out classes; chance (AUROC 0.5, AUPRC the prevalence) in grey.
  const series = (metric: "auroc" | "auprc"): LossSeries[] => {
    const lines: LossSeries[] = [];
    for (const k of kinds) for (const s of names) {
      const of = rows.filter((r) => r.kind === k && r.scores[s]);
      if (of.length > 0) lines.push({ name: `${k.toUpperCase()} ${s}`, x: of.map((r) => r.class), values: of.map((r) => r.scores[s]![metric]), color: PALETTE[lines.length % PALETTE.length] });
    }
    const classes = [...new Set(rows.map((r) => r.class))].sort((a, b) => a - b);
    const chance = classes.map((c) => (metric === "auroc" ? 0.5 : Object.values(rows.find((r) => r.class === c)!.scores)[0]!.prevalence));
    lines.push({ name: metric === "auroc" ? "chance (0.5)" : "chance (prevalence)", x: classes, values: chance, color: GREY });
    return lines;
  };
  const data = scored[0]!.ds.name;
  const plot = (metric: "auroc" | "auprc") => lossCurve(series(metric), { xLabel: "held-out class", yLabel: metric.toUpperCase(), yRange: [0, 1], width: 520, height: 360 });
  const picture = sideBySide([plot("auroc"), plot("auprc")], {
    labels: ["AUROC", "AUPRC"],
    title: `${data}: each model detects the class it was trained without, ${scored[0]!.n} test images`,
  });
  const json = { data, n: scored[0]!.n, seed: o.seed, iwae: o.iwae, conventions: anomalyConventions, models: rows, mean };

  await mkdir(out, { recursive: true });
  await writePng(join(out, "anomaly.png"), picture);
  await writeFileAtomic(join(out, "anomaly.json"), new TextEncoder().encode(JSON.stringify(json, null, 2) + "\n"));
  const label = (r: Row) => (r.name && r.name !== String(r.class) ? `${r.class} (${r.name})` : String(r.class)).slice(0, 16);
  io.out(`${"kind".padEnd(5)} ${"held out".padEnd(16)} ${names.map((s) => `${(s + " AUROC").padEnd(11)} ${"AUPRC".padEnd(6)}`).join("  ")}`);
  const cell = (c: { auroc: number; auprc: number } | undefined) => (c ? `${c.auroc.toFixed(4).padEnd(11)} ${c.auprc.toFixed(4).padEnd(6)}` : `${"-".padEnd(11)} ${"-".padEnd(6)}`);
  for (const r of rows) io.out(`${r.kind.padEnd(5)} ${label(r).padEnd(16)} ${names.map((s) => cell(r.scores[s])).join("  ")}`);
  for (const k of kinds) io.out(`${k.padEnd(5)} ${"mean".padEnd(16)} ${names.map((s) => cell(mean[k]![s])).join("  ")}`);
  io.out(`wrote ${join(out, "anomaly.json")}, ${join(out, "anomaly.png")}`);
}
