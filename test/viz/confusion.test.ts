// confusionMatrix: the documented layout, shades and written counts, checked pixel by pixel
// against the font drawn on its own and colours worked out here from the documented ends.
import { describe, expect, it } from "vitest";
import {
  confusionMatrix, drawText, getPixel, measureText, raster, TEXT_HEIGHT, TITLE_HEIGHT, VizError, type Color, type Raster,
} from "../../src/viz/index.js";

const LOW = [247, 251, 255], HIGH = [8, 48, 107], GRID = [232, 232, 232, 255], INK = [33, 33, 33];
const P = 10, G = 6;

/** The documented shade of share t, worked out here. */
const shade = (t: number): [number, number, number] => [0, 1, 2].map((k) => Math.round(LOW[k]! + (HIGH[k]! - LOW[k]!) * t)) as [number, number, number];

/** The (c - 1)-pixel square of a cell as RGBA bytes. */
function region(r: Raster, x: number, y: number, w: number, h: number): number[] {
  const out: number[] = [];
  for (let yy = y; yy < y + h; yy++) for (let xx = x; xx < x + w; xx++) out.push(...getPixel(r, xx, yy));
  return out;
}

/** What a cell should look like: its shade with its count centred in white or ink. */
function expectedCell(c: number, count: number, t: number): number[] {
  const r = raster(c - 1, c - 1, shade(t));
  const ink: Color = t > 0.5 ? [255, 255, 255] : (INK as unknown as Color);
  drawText(r, String(count), Math.floor((c - 1) / 2), Math.floor((c - 1) / 2), ink, { align: "center", valign: "middle" });
  return region(r, 0, 0, c - 1, c - 1);
}

describe("confusionMatrix", () => {
  const counts = [[50, 0, 0], [3, 40, 7], [0, 12, 28]];
  const rowNames = ["cat", "dog", "bird"];

  it("lays out the grid as documented and shades each cell by its row share, with its count written in it", () => {
    const c = 30;
    const r = confusionMatrix(counts, { rowNames, cellSize: c });
    const left = P + TEXT_HEIGHT + G + measureText("bird").width + G;
    const top = P;
    expect(r.width).toBe(left + 3 * c + 1 + P);
    expect(r.height).toBe(top + 3 * c + 1 + G + TEXT_HEIGHT + G + TEXT_HEIGHT + P);
    expect(getPixel(r, left, top)).toEqual(GRID);
    expect(getPixel(r, left + 3 * c, top + 3 * c)).toEqual(GRID);
    for (let i = 0; i < 3; i++) {
      const total = counts[i]!.reduce((a, b) => a + b, 0);
      for (let j = 0; j < 3; j++) {
        const x = left + j * c + 1, y = top + i * c + 1;
        const t = counts[i]![j]! / total;
        expect(getPixel(r, x, y).slice(0, 3), `cell ${i},${j}`).toEqual(shade(t));
        expect(region(r, x, y, c - 1, c - 1), `cell ${i},${j}`).toEqual(expectedCell(c, counts[i]![j]!, t));
      }
    }
    // the row names are written left of their rows, right-aligned G pixels from the grid
    const ink = (x0: number, y0: number, w: number, h: number) => {
      let n = 0;
      for (let y = y0; y < y0 + h; y++) for (let x = x0; x < x0 + w; x++) if (getPixel(r, x, y)[0] < 128) n++;
      return n;
    };
    expect(ink(left - G - measureText("cat").width, top + 1, measureText("cat").width, c - 1)).toBeGreaterThan(10);
    expect(ink(left - G - measureText("bird").width, top + 1, measureText("bird").width - measureText("cat").width - 1, c - 1)).toBe(0);
  });

  it("shades by the largest count with shade max, and an all-zero row stays at the low end", () => {
    const r = confusionMatrix([[4, 2], [0, 0]], { cellSize: 20, rowLabel: "", columnLabel: "" });
    const left = P + measureText("1").width + G;
    expect(r.height).toBe(P + 2 * 20 + 1 + G + TEXT_HEIGHT + P);
    expect(getPixel(r, left + 21, P + 1).slice(0, 3)).toEqual(shade(2 / 6));
    const m = confusionMatrix([[4, 2], [0, 0]], { cellSize: 20, rowLabel: "", columnLabel: "", shade: "max" });
    expect(getPixel(m, left + 1, P + 1).slice(0, 3)).toEqual(HIGH);
    expect(getPixel(m, left + 21, P + 1).slice(0, 3)).toEqual(shade(0.5));
    expect(getPixel(m, left + 1, P + 21).slice(0, 3)).toEqual(LOW);
  });

  it("turns column names wider than a cell, sizes cells to the widest count, and makes room for a title", () => {
    const long = ["barren land", "trees"];
    const r = confusionMatrix([[1, 2], [3, 4]], { columnNames: long, cellSize: 26 });
    const plain = confusionMatrix([[1, 2], [3, 4]], { cellSize: 26 });
    expect(r.height - plain.height).toBe(measureText("barren land").width - TEXT_HEIGHT);
    expect(r.width).toBe(plain.width);
    // default cell: the widest count + 10 pixels, at least 26
    const wide = confusionMatrix([[123456, 0], [0, 1]], { rowLabel: "", columnLabel: "" });
    const c = measureText("123456").width + 10;
    expect(wide.width).toBe(P + measureText("1").width + G + 2 * c + 1 + P);
    const small = confusionMatrix([[1]], { rowLabel: "", columnLabel: "" });
    expect(small.width).toBe(P + measureText("0").width + G + 26 + 1 + P);
    // a column label wider than the grid widens the figure, starting P pixels in from the left edge
    const label = "a column label much wider than the grid";
    const lw = measureText(label).width;
    const wideLabel = confusionMatrix([[1]], { rowLabel: "", columnLabel: label, cellSize: 26 });
    expect(wideLabel.width).toBe(P + 2 * Math.ceil(lw / 2) + P);
    const labelTop = P + 26 + 1 + G + TEXT_HEIGHT + G;
    let inkAtLeft = 0;
    for (let y = labelTop; y < labelTop + TEXT_HEIGHT; y++) for (let x = 0; x < P + 6; x++) if (getPixel(wideLabel, x, y)[0] < 128) inkAtLeft++;
    expect(inkAtLeft).toBeGreaterThan(0);
    const titled = confusionMatrix([[1, 2], [3, 4]], { cellSize: 26, title: "T" });
    expect(titled.height).toBe(plain.height + TITLE_HEIGHT);
  });

  it("refuses what is not a matrix of counts, names of the wrong length and bad options", () => {
    const bad: [string, () => unknown][] = [
      ["no rows", () => confusionMatrix([])],
      ["not an array", () => confusionMatrix("x" as unknown as number[][])],
      ["an empty row", () => confusionMatrix([[]])],
      ["ragged rows", () => confusionMatrix([[1, 2], [3]])],
      ["a negative count", () => confusionMatrix([[1, -2], [3, 4]])],
      ["a fraction", () => confusionMatrix([[1, 2.5], [3, 4]])],
      ["NaN", () => confusionMatrix([[1, NaN], [3, 4]])],
      ["too few row names", () => confusionMatrix([[1, 2], [3, 4]], { rowNames: ["a"] })],
      ["too many column names", () => confusionMatrix([[1, 2], [3, 4]], { columnNames: ["a", "b", "c"] })],
      ["a bad shade", () => confusionMatrix([[1]], { shade: "col" as "row" })],
      ["a zero cell size", () => confusionMatrix([[1]], { cellSize: 0 })],
    ];
    for (const [what, f] of bad) expect(f, what).toThrow(VizError);
    expect(() => confusionMatrix([[1, 2], [3]])).toThrow(/row 1: expected 2 counts, found 1/);
  });
});
