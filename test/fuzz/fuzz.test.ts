// The short fuzz run (the long one: `npm run fuzz -- --format all --n 10000`): for every format
// the project reads, the hand-made bombs and 100 mutated seed files, each loaded in a child
// process, end in a Left of the loader's error class or a valid load, within 10 s and 512 MiB
// of peak RSS. The unmutated seeds load (so refusals come from the mutations), and the bombs
// are refused by the limit they pass, not by running out of memory.
import { rmSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BOMBS } from "../../bench/fuzz/bombs.js";
import { FORMATS, load, seedOf } from "../../bench/fuzz/formats.js";
import { runFuzz, writeCase } from "../../bench/fuzz/harness.js";
import { bundledChild } from "./support.js";

let child: { dir: string; path: string };
beforeAll(async () => { child = await bundledChild(); });
afterAll(() => rmSync(child.dir, { recursive: true, force: true }));

const N = 100;

/**
 * How each bomb must end: refused, naming this limit (null: refused by a format check, naming
 * none), or "valid" (a file that truly holds what it declares, within the limits).
 */
const BOMB_LIMITS: Readonly<Record<string, string | null>> = {
  "header declaring 2^32-1 images in 16 bytes": null,
  "2,000,000 images declared over 1.5 GB of zeros": "MAX_DATA_BYTES",
  "10 GB of zeros": null,
  "300,000 images of zeros (235 MB from 230 KB)": "MAX_INFLATE_RATIO",
  "labels declaring 2^32-1 over 10 GB of zeros": "MAX_DATA_BYTES",
  "100,000 x 100,000": "MAX_IMAGE_SIDE",
  "8192 x 8192 RGBA of zeros (268 MB from 260 KB)": "MAX_INFLATE_RATIO",
  "28 x 28 with 10 GB of image data": null,
  "28 x 28 interlaced with 10 GB of image data": null,
  "a 2 MB line": "MAX_CSV_LINE_BYTES",
  "300,000 label rows for 8 pixel rows": null,
  "400,000 label rows (pixels past 1 GiB)": "MAX_DATA_BYTES",
  "train_x declaring [28, 28, 4, 2^31-1]": null,
  "a compressed element of 10 GB of zeros": null,
  "an array declaring 4 GB over 10 GB of zeros": "MAX_DATA_BYTES",
  "an array declaring 64 bytes over 10 GB of zeros": null,
  "header length 2^64-1": "header-too-large",
  "a tensor of 2^31 F32 declared": "tensor-too-large",
  "a 99 MB header: one shape of 49 million zeros": "header-too-large",
  "a 16 MiB header: one shape of 8 million zeros": "header-too-large",
  "a 16 MiB header: 300,000 metadata keys": "header-too-large",
  // every symbol has probability 1, so the empty stream codes them all: 2^24 symbols, the format's bound
  "2^24 symbols declared, tables valid, no stream": "valid",
};

describe("fuzz (short run)", () => {
  it.each(FORMATS)("%s: the seed files load", async (format) => {
    const dir = writeCase(seedOf(format));
    try {
      expect(await load(format, dir)).toEqual({ kind: "valid" });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it.each(FORMATS)(`%s: its bombs and ${N} mutated cases end in a typed error or a valid load`, async (format) => {
    const s = await runFuzz({ format, n: N, seed: 1, childPath: child.path });
    expect(s.failures).toEqual([]);
    expect(s.cases).toBe(N + BOMBS[format].length);
    expect(s.valid + s.refused).toBe(s.cases);
    expect(s.refused).toBeGreaterThan(N / 2);
    expect(s.maxRss).toBeLessThan(512 * 2 ** 20);
    for (const b of s.bombs) {
      expect(BOMB_LIMITS, b.name).toHaveProperty([b.name]);
      if (BOMB_LIMITS[b.name] === "valid") {
        expect(b.outcome, b.name).toEqual({ kind: "valid" });
        continue;
      }
      expect(b.outcome, b.name).toMatchObject({ kind: "refused" });
      const limit = b.outcome!.kind === "refused" ? b.outcome!.limit : undefined;
      const message = b.outcome!.kind === "refused" ? b.outcome!.message : "";
      expect(limit ?? null, `${b.name}: ${message}`).toBe(BOMB_LIMITS[b.name]);
    }
  });
});
