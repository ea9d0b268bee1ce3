/**
 * A strict JSON parser (RFC 8259) that keeps objects as Maps in source order, refuses duplicate
 * keys and keeps number literals as text, so that 2.0 and 2e0 are not taken for integers. It
 * stops after MAX_HEADER_VALUES values (objects, arrays, strings, numbers and literals), which
 * bounds the time and memory a header takes.
 */
import { MAX_HEADER_VALUES } from "./safetensors-format.js";

export class JsonNumber {
  constructor(readonly text: string) {}
  get value(): number { return Number(this.text); }
  /** True for a literal written as a non-negative integer: digits only. */
  get isNatural(): boolean { return /^(0|[1-9][0-9]*)$/.test(this.text) && Number.isSafeInteger(this.value); }
}

export type Json = null | boolean | string | JsonNumber | Json[] | Map<string, Json>;

export class JsonFailure {
  constructor(readonly kind: "header-json" | "duplicate-key" | "header-too-large", readonly message: string, readonly at: number) {}
}

const MAX_DEPTH = 64;
const numberPattern = /-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?/y;
const escapes: Readonly<Record<string, string>> = { '"': '"', "\\": "\\", "/": "/", b: "\b", f: "\f", n: "\n", r: "\r", t: "\t" };

/** Parses `text`; throws JsonFailure with the character index of the problem. */
export function parseJson(text: string): Json {
  let i = 0;
  const fail = (message: string, at = i): never => { throw new JsonFailure("header-json", message, at); };
  const skipSpace = () => {
    for (; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (c !== 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d) break;
    }
  };
  const hex4 = (): number => {
    const h = text.slice(i, i + 4);
    if (!/^[0-9a-fA-F]{4}$/.test(h)) fail("bad \\u escape");
    i += 4;
    return parseInt(h, 16);
  };
  const string = (): string => {
    i++; // opening quote
    let out = "";
    let start = i;
    for (;;) {
      if (i >= text.length) fail("unterminated string");
      const c = text.charCodeAt(i);
      if (c === 0x22) { out += text.slice(start, i); i++; return out; }
      if (c < 0x20) fail("control character in a string");
      if (c !== 0x5c) { i++; continue; }
      out += text.slice(start, i);
      const e = text[i + 1];
      i += 2;
      if (e === "u") {
        const u = hex4();
        if (u >= 0xdc00 && u <= 0xdfff) fail("lone low surrogate in a \\u escape", i - 6);
        if (u >= 0xd800 && u <= 0xdbff) {
          if (text.slice(i, i + 2) !== "\\u") fail("lone high surrogate in a \\u escape", i - 6);
          i += 2;
          const low = hex4();
          if (!(low >= 0xdc00 && low <= 0xdfff)) fail("lone high surrogate in a \\u escape", i - 12);
          out += String.fromCharCode(u, low);
        } else out += String.fromCharCode(u);
      } else if (e !== undefined && Object.hasOwn(escapes, e)) out += escapes[e];
      else fail(`bad escape \\${e ?? ""}`, i - 2);
      start = i;
    }
  };
  let values = 0;
  const value = (depth: number): Json => {
    if (depth > MAX_DEPTH) fail(`nested deeper than ${MAX_DEPTH} levels`);
    if (++values > MAX_HEADER_VALUES) throw new JsonFailure("header-too-large", `more than ${MAX_HEADER_VALUES} JSON values (MAX_HEADER_VALUES)`, i);
    skipSpace();
    const c = text[i];
    if (c === "{") {
      i++;
      const map = new Map<string, Json>();
      skipSpace();
      if (text[i] === "}") { i++; return map; }
      for (;;) {
        skipSpace();
        if (text[i] !== '"') fail("expected a string key");
        const at = i;
        const key = string();
        if (map.has(key)) throw new JsonFailure("duplicate-key", `key ${JSON.stringify(key)} appears twice in one object`, at);
        skipSpace();
        if (text[i] !== ":") fail("expected ':'");
        i++;
        map.set(key, value(depth + 1));
        skipSpace();
        if (text[i] === ",") { i++; continue; }
        if (text[i] === "}") { i++; return map; }
        fail("expected ',' or '}'");
      }
    }
    if (c === "[") {
      i++;
      const items: Json[] = [];
      skipSpace();
      if (text[i] === "]") { i++; return items; }
      for (;;) {
        items.push(value(depth + 1));
        skipSpace();
        if (text[i] === ",") { i++; continue; }
        if (text[i] === "]") { i++; return items; }
        fail("expected ',' or ']'");
      }
    }
    if (c === '"') return string();
    if (c === "-" || (c !== undefined && c >= "0" && c <= "9")) {
      numberPattern.lastIndex = i;
      const m = numberPattern.exec(text);
      if (!m) return fail("bad number");
      i += m[0].length;
      return new JsonNumber(m[0]);
    }
    for (const [word, v] of [["true", true], ["false", false], ["null", null]] as const) {
      if (text.startsWith(word, i)) { i += word.length; return v; }
    }
    return fail(c === undefined ? "unexpected end of the header" : `unexpected character ${JSON.stringify(c)}`);
  };
  const result = value(0);
  skipSpace();
  if (i !== text.length) fail("unexpected text after the JSON value");
  return result;
}

export function describeJson(v: Json | undefined): string {
  const s = describeFull(v);
  return s.length > 80 ? `${s.slice(0, 77)}...` : s;
}

function describeFull(v: Json | undefined): string {
  if (v === undefined) return "nothing";
  if (v instanceof JsonNumber) return v.text;
  if (v instanceof Map) return "an object";
  if (Array.isArray(v)) return `[${v.slice(0, 10).map(describeFull).join(", ")}${v.length > 10 ? ", ..." : ""}]`;
  return JSON.stringify(v);
}
