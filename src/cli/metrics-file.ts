/** metrics.jsonl, the per-epoch record of a run: one JSON object a line. */
import type { EpochMetrics } from "../train/index.js";

/** One line of metrics.jsonl. Losses are per sample in nats (reconstruction summed over pixels). */
export function metricsLine(m: EpochMetrics): string {
  return JSON.stringify({
    epoch: m.epoch,
    train: { loss: m.train.loss, reconstruction: m.train.reconstruction, kl: m.train.kl },
    test: m.test ? { loss: m.test.loss, reconstruction: m.test.reconstruction, kl: m.test.kl } : null,
    samples_per_s: Math.round(m.samplesPerSecond),
    seconds: +m.seconds.toFixed(3),
  }) + "\n";
}

/** On resume, the metrics of the epochs already done (later lines, from a run that went on, are dropped). */
export async function readHistory(path: string, epochsDone: number): Promise<EpochMetrics[]> {
  if (epochsDone === 0) return [];
  const { readFile } = await import("node:fs/promises");
  let text = "";
  try { text = await readFile(path, "utf8"); } catch { return []; }
  const out: EpochMetrics[] = [];
  for (const line of text.split("\n")) {
    if (!line.trim()) continue;
    try {
      const o = JSON.parse(line);
      if (o.epoch > epochsDone) break;
      out.push({ epoch: o.epoch, steps: 0, samples: 0, seconds: o.seconds, samplesPerSecond: o.samples_per_s, train: o.train, ...(o.test ? { test: o.test } : {}) });
    } catch { break; }
  }
  return out;
}
