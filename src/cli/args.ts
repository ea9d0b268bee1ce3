/**
 * Flag parsing on node:util parseArgs, with typed usage errors: every flag value is checked
 * and a bad one names the flag, the value and what was expected.
 */
import { parseArgs, type ParseArgsConfig } from "node:util";

export class UsageError extends Error {
  override readonly name = "UsageError";
}

export type Options = NonNullable<ParseArgsConfig["options"]>;

export function parse(argv: string[], options: Options, allowPositionals = false): { values: Record<string, string | boolean | undefined>; positionals: string[] } {
  try {
    const { values, positionals } = parseArgs({ args: argv, options: { ...options, help: { type: "boolean", short: "h" } }, strict: true, allowPositionals });
    return { values: values as Record<string, string | boolean | undefined>, positionals };
  } catch (e) {
    throw new UsageError((e as Error).message.split("\n")[0]!.replace(/^TypeError \[\w+\]: /, ""));
  }
}

export function int(values: Record<string, unknown>, name: string, min: number, max = Number.MAX_SAFE_INTEGER): number {
  const raw = String(values[name]);
  const n = Number(raw);
  if (!/^[+]?\d+$/.test(raw.trim()) || !Number.isSafeInteger(n) || n < min || n > max) {
    throw new UsageError(`--${name} must be an integer in [${min}, ${max === Number.MAX_SAFE_INTEGER ? "..." : max}], got "${raw}"`);
  }
  return n;
}

export function num(values: Record<string, unknown>, name: string, min: number, max = Infinity, open = false): number {
  const raw = String(values[name]);
  const n = Number(raw);
  if (raw.trim() === "" || !Number.isFinite(n) || (open ? n <= min : n < min) || n > max) {
    throw new UsageError(`--${name} must be a number ${open ? ">" : ">="} ${min}${max < Infinity ? ` and <= ${max}` : ""}, got "${raw}"`);
  }
  return n;
}

export function intList(values: Record<string, unknown>, name: string, min: number): number[] {
  const raw = String(values[name]).trim();
  if (raw === "") return [];
  return raw.split(",").map((part) => int({ [name]: part.trim() }, name, min));
}

export function oneOf<T extends string>(values: Record<string, unknown>, name: string, choices: readonly T[]): T {
  const raw = String(values[name]);
  if (!(choices as readonly string[]).includes(raw)) throw new UsageError(`--${name} must be one of ${choices.join(", ")}, got "${raw}"`);
  return raw as T;
}

export function str(values: Record<string, unknown>, name: string): string | undefined {
  const v = values[name];
  return typeof v === "string" ? v : undefined;
}
