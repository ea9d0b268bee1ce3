/**
 * A self-contained HTML report: one page with every picture inlined as a PNG data URI, tables
 * and short paragraphs, and no script, font or stylesheet from elsewhere (it opens from a file,
 * offline, and passes a strict Content-Security-Policy, which it declares itself). Runtime-neutral:
 * the caller passes rasters (encoded here with encodePng) or PNG bytes it already has. Every text
 * is escaped; nothing the caller passes is read as markup.
 */
import { encodePng } from "./png.js";
import { VizError, type Raster } from "./raster.js";

export interface ReportImage {
  readonly caption: string;
  /** A raster, or the bytes of a PNG file. */
  readonly image: Raster | Uint8Array;
}

export interface ReportTable {
  readonly caption?: string;
  readonly columns: readonly string[];
  /** Cells: numbers are shown with `digits` decimals (default 3); NaN as "n/a". */
  readonly rows: readonly (readonly (string | number)[])[];
  readonly digits?: number;
}

export interface ReportSection {
  readonly heading: string;
  /** Paragraphs of plain text. */
  readonly text?: readonly string[];
  readonly tables?: readonly ReportTable[];
  readonly images?: readonly ReportImage[];
}

export interface Report {
  readonly title: string;
  /** Plain-text lines under the title (what was analysed, with which settings). */
  readonly subtitle?: readonly string[];
  readonly sections: readonly ReportSection[];
}

const ENTITIES: Readonly<Record<string, string>> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };

/** Text safe inside an HTML element or a quoted attribute. */
export function escapeHtml(s: string): string {
  return String(s).replace(/[&<>"']/g, (c) => ENTITIES[c]!);
}

const B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/** Standard base64 (RFC 4648, with padding) of bytes. */
export function base64(bytes: Uint8Array): string {
  const out: string[] = [];
  let line = "";
  for (let i = 0; i < bytes.length; i += 3) {
    const a = bytes[i]!, b = bytes[i + 1], c = bytes[i + 2];
    const v = (a << 16) | ((b ?? 0) << 8) | (c ?? 0);
    line += B64[(v >> 18) & 63]! + B64[(v >> 12) & 63]! + (b === undefined ? "=" : B64[(v >> 6) & 63]!) + (c === undefined ? "=" : B64[v & 63]!);
    if (line.length >= 4096) { out.push(line); line = ""; }
  }
  out.push(line);
  return out.join("");
}

const PNG_SIGNATURE = [137, 80, 78, 71, 13, 10, 26, 10];

async function pngBytes(img: ReportImage, where: string): Promise<Uint8Array> {
  if (img.image instanceof Uint8Array) {
    if (!PNG_SIGNATURE.every((v, i) => img.image instanceof Uint8Array && img.image[i] === v)) {
      throw new VizError(`renderReport: ${where} is not PNG data (no PNG signature)`);
    }
    return img.image;
  }
  return encodePng(img.image);
}

function cell(v: string | number, digits: number): string {
  if (typeof v === "number") return Number.isFinite(v) ? (Number.isInteger(v) ? String(v) : v.toFixed(digits)) : "n/a";
  return escapeHtml(v);
}

function table(t: ReportTable, where: string): string {
  const w = t.columns.length;
  t.rows.forEach((r, i) => {
    if (r.length !== w) throw new VizError(`renderReport: ${where} row ${i} has the wrong number of cells`, { expected: String(w), found: String(r.length) });
  });
  const digits = t.digits ?? 3;
  const head = `<tr>${t.columns.map((c) => `<th>${escapeHtml(c)}</th>`).join("")}</tr>`;
  const body = t.rows.map((r) => `<tr>${r.map((v, j) => (j === 0 ? `<th>${cell(v, digits)}</th>` : `<td>${cell(v, digits)}</td>`)).join("")}</tr>`).join("\n");
  return `<table>${t.caption ? `<caption>${escapeHtml(t.caption)}</caption>` : ""}<thead>${head}</thead><tbody>\n${body}\n</tbody></table>`;
}

const STYLE = `body{font:15px/1.45 system-ui,sans-serif;margin:2em auto;max-width:1400px;padding:0 1em;color:#222}
h1{font-size:1.6em;margin-bottom:.2em}h2{border-bottom:1px solid #ccc;padding-bottom:.2em;margin-top:2em}
.sub{color:#555;margin:.1em 0}table{border-collapse:collapse;margin:1em 0}caption{text-align:left;font-weight:600;padding:.3em 0}
th,td{border:1px solid #ccc;padding:.25em .6em;text-align:right;font-variant-numeric:tabular-nums}thead th{background:#f2f2f2;text-align:center}
tbody th{text-align:left;font-weight:600}.figs{display:flex;flex-wrap:wrap;gap:1.2em;align-items:flex-start}
figure{margin:0}figure img{max-width:100%;image-rendering:pixelated;border:1px solid #eee}figcaption{color:#444;font-size:.9em;max-width:640px}
nav a{margin-right:1em}`;

/** The report as one HTML document (a string). Images are PNG-encoded and inlined. */
export async function renderReport(r: Report): Promise<string> {
  if (r === null || typeof r !== "object" || !Array.isArray(r.sections)) throw new VizError("renderReport: a report needs a title and a list of sections");
  const parts: string[] = [];
  const ids = r.sections.map((_, i) => `s${i + 1}`);
  for (let s = 0; s < r.sections.length; s++) {
    const sec = r.sections[s]!;
    const html: string[] = [`<section id="${ids[s]}"><h2>${escapeHtml(sec.heading)}</h2>`];
    for (const p of sec.text ?? []) html.push(`<p>${escapeHtml(p)}</p>`);
    (sec.tables ?? []).forEach((t: ReportTable, i: number) => html.push(table(t, `section "${sec.heading}" table ${i}`)));
    if (sec.images && sec.images.length > 0) {
      html.push(`<div class="figs">`);
      for (let i = 0; i < sec.images.length; i++) {
        const img = sec.images[i]!;
        const png = await pngBytes(img, `section "${sec.heading}" image ${i}`);
        const cap = escapeHtml(img.caption);
        html.push(`<figure><img alt="${cap}" src="data:image/png;base64,${base64(png)}"><figcaption>${cap}</figcaption></figure>`);
      }
      html.push(`</div>`);
    }
    html.push(`</section>`);
    parts.push(html.join("\n"));
  }
  const nav = r.sections.map((sec, i) => `<a href="#${ids[i]}">${escapeHtml(sec.heading)}</a>`).join("");
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; img-src data:; style-src 'unsafe-inline'">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(r.title)}</title><style>${STYLE}</style></head>
<body><h1>${escapeHtml(r.title)}</h1>
${(r.subtitle ?? []).map((l) => `<p class="sub">${escapeHtml(l)}</p>`).join("\n")}
<nav>${nav}</nav>
${parts.join("\n")}
</body></html>
`;
}
