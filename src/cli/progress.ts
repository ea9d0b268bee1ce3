/**
 * Training progress: a cli-progress bar per epoch on a terminal (samples/s, loss, ETA), one
 * plain line per epoch when stdout is not a TTY (logs, CI).
 */
import cliProgress from "cli-progress";
import type { BatchInfo, EpochMetrics } from "../train/fit.js";

export interface Progress {
  startEpoch(epoch: number, batches: number): void;
  batch(info: BatchInfo, samplesPerSecond: number): void;
  endEpoch(m: EpochMetrics): void;
  stop(): void;
}

const fmt = (v: number | undefined, digits = 2) => (v === undefined ? "-" : v.toFixed(digits));

export function epochLine(m: EpochMetrics, epochs: number): string {
  const test = m.test ? ` test ${fmt(m.test.loss)} (rec ${fmt(m.test.reconstruction)} kl ${fmt(m.test.kl)})` : "";
  return `epoch ${m.epoch}/${epochs}: train ${fmt(m.train.loss)} (rec ${fmt(m.train.reconstruction)} kl ${fmt(m.train.kl)})${test}, ${Math.round(m.samplesPerSecond)} samples/s, ${fmt(m.seconds, 1)} s`;
}

export function progress(epochs: number, tty: boolean, write: (line: string) => void): Progress {
  if (!tty) {
    return { startEpoch() {}, batch() {}, endEpoch: (m) => write(epochLine(m, epochs)), stop() {} };
  }
  const bar = new cliProgress.SingleBar({
    format: "epoch {epoch}/{epochs} |{bar}| {value}/{total} batches | {sps} samples/s | loss {loss} | ETA {eta_formatted}",
    hideCursor: true, clearOnComplete: true, etaBuffer: 20,
  }, cliProgress.Presets.shades_classic);
  let running = false;
  return {
    startEpoch(epoch, batches) {
      bar.start(batches, 0, { epoch: epoch + 1, epochs, sps: "-", loss: "-" });
      running = true;
    },
    batch(info, sps) {
      bar.update(info.batch + 1, { sps: Math.round(sps), loss: fmt(info.metrics.loss) });
    },
    endEpoch(m) {
      if (running) { bar.stop(); running = false; }
      write(epochLine(m, epochs));
    },
    stop() { if (running) { bar.stop(); running = false; } },
  };
}
