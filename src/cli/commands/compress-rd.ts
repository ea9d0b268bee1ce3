/** latent compress --rd DIR: the rate-distortion table as DIR/rd.json, DIR/rd.png and printed lines. Node only. */
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { rateDistortion, type RateDistortion, type RdInput, type RdOptions } from "../../apps/compress/rate-distortion.js";
import { rdFigure } from "../../apps/compress/rd-figure.js";
import { writeFileAtomic } from "../../io/node/atomic-write.js";
import { writePng } from "../../viz/node/png.js";
import type { Io } from "../io.js";

const f1 = (v: number): string => (Number.isFinite(v) ? v.toFixed(1) : String(v));

/** The printed table: one line per bit depth, the PCA point at its budget beside it. */
export function rdTable(rd: RateDistortion): string[] {
  const lines = [`${rd.kind}, ${rd.latent} dims, ${rd.quantiser} quantiser, ${rd.n} test images; bits per image (file = header amortised) and PSNR (dB)`,
    "bits   file  payload  stream  entropy   PSNR  |  PCA k x bits    file   PSNR"];
  rd.model.forEach((p, i) => {
    const q = rd.pca[i];
    const pca = q ? `${`${q.k} x ${q.bits}`.padStart(12)}  ${f1(q.rate.file).padStart(6)}  ${f1(q.psnr).padStart(5)}` : "   (no PCA configuration fits)";
    lines.push(`${String(p.bits).padStart(4)} ${f1(p.rate.file).padStart(6)}  ${f1(p.rate.payload).padStart(7)}  ${f1(p.rate.stream).padStart(6)}  ${f1(p.entropy).padStart(7)}  ${f1(p.psnr).padStart(5)}  |  ${pca}`);
  });
  lines.push(`unquantised codes: PSNR ${f1(rd.unquantisedPsnr)} dB; PNG (lossless): ${f1(rd.png.perImage)} bits/image as one file per image, ${f1(rd.png.stacked)} as one stacked file; raw 8-bit: ${rd.png.raw}`);
  return lines;
}

/** Non-finite numbers (a perfect PSNR, an empty mean) as null in JSON. */
const finite = (_: string, v: unknown): unknown => (typeof v === "number" && !Number.isFinite(v) ? null : v instanceof Float32Array ? Array.from(v) : v);

export async function writeRd(dir: string, input: RdInput, o: RdOptions, about: Record<string, unknown>, io: Io): Promise<RateDistortion> {
  const rd = await rateDistortion(input, o);
  const figure = rdFigure(rd);
  await mkdir(dir, { recursive: true });
  await writeFileAtomic(join(dir, "rd.json"), new TextEncoder().encode(JSON.stringify({ ...about, ...rd }, finite, 2) + "\n"));
  await writePng(join(dir, "rd.png"), figure);
  for (const line of rdTable(rd)) io.out(line);
  io.out(`wrote ${join(dir, "rd.json")}, ${join(dir, "rd.png")}`);
  return rd;
}
