/**
 * A tiny built-in bitmap font: glyphs 5 pixels wide (punctuation narrower) and 7 pixels
 * high above the baseline, with 2 more rows below it for the descenders of g j p q y , ;.
 * Proportional: each glyph advances by its width plus one pixel of spacing; digits are all
 * 5 wide so columns of numbers line up. Characters missing from the table render as a box.
 * Text is drawn in whole pixels, scaled up by an integer factor, horizontally or rotated a
 * quarter turn counter-clockwise (for the label of a y axis).
 */
import { blendPixel, type Color, type Raster } from "./raster.js";

/** Rows above the baseline (the height of capitals and digits). */
export const CAP_HEIGHT = 7;
/** Rows below the baseline. */
export const DESCENT = 2;
/** Height of a line of text, without leading, at scale 1. */
export const TEXT_HEIGHT = CAP_HEIGHT + DESCENT;
/** Pixels between the tops of consecutive lines at scale 1. */
export const LINE_HEIGHT = TEXT_HEIGHT + 2;

// Rows top to bottom separated by "/", '#' = ink. Rows 8 and 9 (descenders) may be omitted.
const TABLE: Record<string, string> = {
  "0": ".###./#...#/#..##/#.#.#/##..#/#...#/.###.",
  "1": "..#../.##../..#../..#../..#../..#../.###.",
  "2": ".###./#...#/....#/...#./..#../.#.../#####",
  "3": "#####/...#./..#../...#./....#/#...#/.###.",
  "4": "...#./..##./.#.#./#..#./#####/...#./...#.",
  "5": "#####/#..../####./....#/....#/#...#/.###.",
  "6": "..##./.#.../#..../####./#...#/#...#/.###.",
  "7": "#####/....#/...#./..#../.#.../.#.../.#...",
  "8": ".###./#...#/#...#/.###./#...#/#...#/.###.",
  "9": ".###./#...#/#...#/.####/....#/...#./.##..",
  A: ".###./#...#/#...#/#####/#...#/#...#/#...#",
  B: "####./#...#/#...#/####./#...#/#...#/####.",
  C: ".###./#...#/#..../#..../#..../#...#/.###.",
  D: "###../#..#./#...#/#...#/#...#/#..#./###..",
  E: "#####/#..../#..../####./#..../#..../#####",
  F: "#####/#..../#..../####./#..../#..../#....",
  G: ".###./#...#/#..../#.###/#...#/#...#/.####",
  H: "#...#/#...#/#...#/#####/#...#/#...#/#...#",
  I: ".###./..#../..#../..#../..#../..#../.###.",
  J: "..###/...#./...#./...#./...#./#..#./.##..",
  K: "#...#/#..#./#.#../##.../#.#../#..#./#...#",
  L: "#..../#..../#..../#..../#..../#..../#####",
  M: "#...#/##.##/#.#.#/#.#.#/#...#/#...#/#...#",
  N: "#...#/#...#/##..#/#.#.#/#..##/#...#/#...#",
  O: ".###./#...#/#...#/#...#/#...#/#...#/.###.",
  P: "####./#...#/#...#/####./#..../#..../#....",
  Q: ".###./#...#/#...#/#...#/#.#.#/#..#./.##.#",
  R: "####./#...#/#...#/####./#.#../#..#./#...#",
  S: ".####/#..../#..../.###./....#/....#/####.",
  T: "#####/..#../..#../..#../..#../..#../..#..",
  U: "#...#/#...#/#...#/#...#/#...#/#...#/.###.",
  V: "#...#/#...#/#...#/#...#/#...#/.#.#./..#..",
  W: "#...#/#...#/#...#/#.#.#/#.#.#/#.#.#/.#.#.",
  X: "#...#/#...#/.#.#./..#../.#.#./#...#/#...#",
  Y: "#...#/#...#/.#.#./..#../..#../..#../..#..",
  Z: "#####/....#/...#./..#../.#.../#..../#####",
  a: "...../...../.###./....#/.####/#...#/.####",
  b: "#..../#..../#.##./##..#/#...#/#...#/####.",
  c: "...../...../.###./#..../#..../#...#/.###.",
  d: "....#/....#/.##.#/#..##/#...#/#...#/.####",
  e: "...../...../.###./#...#/#####/#..../.###.",
  f: "..##./.#..#/.#.../###../.#.../.#.../.#...",
  g: "...../...../.####/#...#/#...#/#...#/.####/....#/.###.",
  h: "#..../#..../#.##./##..#/#...#/#...#/#...#",
  i: "..#../...../.##../..#../..#../..#../.###.",
  j: "...#/..../..##/...#/...#/...#/...#/#..#/.##.",
  k: "#..../#..../#..#./#.#../##.../#.#../#..#.",
  l: ".##../..#../..#../..#../..#../..#../.###.",
  m: "...../...../##.#./#.#.#/#.#.#/#.#.#/#.#.#",
  n: "...../...../#.##./##..#/#...#/#...#/#...#",
  o: "...../...../.###./#...#/#...#/#...#/.###.",
  p: "...../...../####./#...#/#...#/#...#/####./#..../#....",
  q: "...../...../.####/#...#/#...#/#...#/.####/....#/....#",
  r: "...../...../#.##./##..#/#..../#..../#....",
  s: "...../...../.####/#..../.###./....#/####.",
  t: ".#.../.#.../###../.#.../.#.../.#..#/..##.",
  u: "...../...../#...#/#...#/#...#/#..##/.##.#",
  v: "...../...../#...#/#...#/#...#/.#.#./..#..",
  w: "...../...../#...#/#...#/#.#.#/#.#.#/.#.#.",
  x: "...../...../#...#/.#.#./..#../.#.#./#...#",
  y: "...../...../#...#/#...#/#...#/#...#/.####/....#/.###.",
  z: "...../...../#####/...#./..#../.#.../#####",
  " ": ".../.../.../.../.../.../...",
  ".": "../../../../../##/##",
  ",": "../../../../../.#/.#/#.",
  ":": "../##/##/../##/##/..",
  ";": "../##/##/../.#/.#/#.",
  "-": "..../..../..../####/..../..../....",
  "_": "...../...../...../...../...../...../...../#####",
  "/": "....#/....#/...#./..#../.#.../#..../#....",
  "\\": "#..../#..../.#.../..#../...#./....#/....#",
  "(": "..#/.#./#../#../#../.#./..#",
  ")": "#../.#./..#/..#/..#/.#./#..",
  "[": "###/#../#../#../#../#../###",
  "]": "###/..#/..#/..#/..#/..#/###",
  "=": "...../...../#####/...../#####/...../.....",
  "%": "##.../##..#/...#./..#../.#.../#..##/...##",
  "+": "...../..#../..#../#####/..#../..#../.....",
  "!": "#/#/#/#/#/./#",
  "?": ".###./#...#/....#/...#./..#../...../..#..",
  "'": "#/#/././././.",
  "\"": "#.#/#.#/.../.../.../.../...",
  "<": "...#/..#./.#../#.../.#../..#./...#",
  ">": "#.../.#../..#./...#/..#./.#../#...",
  "*": "...../..#../#.#.#/.###./#.#.#/..#../.....",
  "#": ".#.#./.#.#./#####/.#.#./#####/.#.#./.#.#.",
  "|": "#/#/#/#/#/#/#",
  "^": "..#../.#.#./#...#/...../...../...../.....",
  "~": "...../...../.#.../#.#.#/...#./...../.....",
  "&": ".##../#..#./#.#../.#.../#.#.#/#..#./.##.#",
  "@": ".###./#...#/#.###/#.#.#/#.###/#..../.###.",
  "$": "..#../.####/#.#../.###./..#.#/####./..#..",
};

/** Characters drawn as another: typographic minus and dashes, the multiplication sign, curly quotes. */
const ALIASES: Record<string, string> = {
  "\u2212": "-", "\u2013": "-", "\u2014": "-", "\u00d7": "x", "\u2018": "'", "\u2019": "'", "\u201c": "\"", "\u201d": "\"", "\t": " ",
};

const BOX = "#####/#...#/#...#/#...#/#...#/#...#/#####";

export interface Glyph {
  /** Width in pixels (the advance is width + 1). */
  readonly width: number;
  /** TEXT_HEIGHT rows, top to bottom; bit (width - 1 - x) of a row is the pixel in column x. */
  readonly rows: readonly number[];
}

function parse(ch: string, spec: string): Glyph {
  const lines = spec.split("/");
  const width = lines[0]!.length;
  if (lines.length < CAP_HEIGHT || lines.length > TEXT_HEIGHT || lines.some((l) => l.length !== width || /[^#.]/.test(l))) {
    throw new Error(`font: malformed glyph for ${JSON.stringify(ch)}`);
  }
  const rows = new Array<number>(TEXT_HEIGHT).fill(0);
  lines.forEach((l, y) => { let bits = 0; for (const c of l) bits = (bits << 1) | (c === "#" ? 1 : 0); rows[y] = bits; });
  return Object.freeze({ width, rows: Object.freeze(rows) });
}

const GLYPHS = new Map<string, Glyph>(Object.entries(TABLE).map(([ch, spec]) => [ch, parse(ch, spec)]));
/** The glyph drawn for characters the font does not have: an outlined box. */
export const MISSING_GLYPH: Glyph = parse("missing", BOX);

/** Every character the table holds (aliases not included). */
export const FONT_CHARACTERS: string = [...GLYPHS.keys()].join("");

export function hasGlyph(ch: string): boolean {
  return GLYPHS.has(ch) || ALIASES[ch] !== undefined;
}

/** The glyph for one character (a code point); the box glyph when the font lacks it. */
export function glyph(ch: string): Glyph {
  return GLYPHS.get(ch) ?? GLYPHS.get(ALIASES[ch] ?? "") ?? MISSING_GLYPH;
}

export interface TextOptions {
  /** Integer magnification (default 1): each font pixel becomes scale x scale pixels. */
  readonly scale?: number;
  /** Where (x, y) is on the text box horizontally (default "left"); for rotated text, along the text. */
  readonly align?: "left" | "center" | "right";
  /** Where (x, y) is vertically: the top of the box (default), its middle, or its bottom. */
  readonly valign?: "top" | "middle" | "bottom";
  /** 0 (default) or 90: a quarter turn counter-clockwise, text reading bottom to top. */
  readonly rotate?: 0 | 90;
}

function lineWidth(text: string): number {
  let w = 0;
  for (const ch of text) w += glyph(ch).width + 1;
  return Math.max(0, w - 1);
}

/**
 * The size of the box `text` occupies unrotated: width is the widest line, height is
 * TEXT_HEIGHT for one line plus LINE_HEIGHT per further line ("\n" separates lines).
 */
export function measureText(text: string, scale = 1): { width: number; height: number } {
  const lines = text.split("\n");
  let w = 0;
  for (const l of lines) w = Math.max(w, lineWidth(l));
  return { width: w * scale, height: (TEXT_HEIGHT + (lines.length - 1) * LINE_HEIGHT) * scale };
}

/**
 * Draws `text` with the corner or edge chosen by align/valign at (x, y). Returns the box it
 * occupies ({x, y, width, height}, in raster pixels, after rotation).
 */
export function drawText(r: Raster, text: string, x: number, y: number, color: Color, options: TextOptions = {}): { x: number; y: number; width: number; height: number } {
  const scale = Math.max(1, Math.round(options.scale ?? 1));
  const rotate = options.rotate ?? 0;
  const { width: tw, height: th } = measureText(text, scale);
  const bw = rotate === 90 ? th : tw, bh = rotate === 90 ? tw : th;
  const align = options.align ?? "left", valign = options.valign ?? "top";
  // for rotated text "align" runs along the text, which is vertical: left = bottom
  let left: number, top: number;
  if (rotate === 90) {
    top = align === "left" ? y - bh : align === "center" ? y - Math.floor(bh / 2) : y;
    left = valign === "top" ? x : valign === "middle" ? x - Math.floor(bw / 2) : x - bw;
  } else {
    left = align === "left" ? x : align === "center" ? x - Math.floor(bw / 2) : x - bw;
    top = valign === "top" ? y : valign === "middle" ? y - Math.floor(bh / 2) : y - bh;
  }
  left = Math.round(left); top = Math.round(top);
  const lines = text.split("\n");
  lines.forEach((l, li) => {
    // position of this line within the unrotated box
    let cx = align === "center" ? Math.floor((tw / scale - lineWidth(l)) / 2) : align === "right" ? tw / scale - lineWidth(l) : 0;
    const cy = li * LINE_HEIGHT;
    for (const ch of l) {
      const g = glyph(ch);
      for (let gy = 0; gy < TEXT_HEIGHT; gy++) {
        const row = g.rows[gy]!;
        if (row === 0) continue;
        for (let gx = 0; gx < g.width; gx++) {
          if (((row >> (g.width - 1 - gx)) & 1) === 0) continue;
          const ux = cx + gx, uy = cy + gy; // unrotated font pixel
          for (let sy = 0; sy < scale; sy++) {
            for (let sx = 0; sx < scale; sx++) {
              const px = ux * scale + sx, py = uy * scale + sy;
              if (rotate === 90) blendPixel(r, left + py, top + tw - 1 - px, color);
              else blendPixel(r, left + px, top + py, color);
            }
          }
        }
      }
      cx += g.width + 1;
    }
  });
  return { x: left, y: top, width: bw, height: bh };
}
