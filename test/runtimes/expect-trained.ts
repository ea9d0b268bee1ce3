// The checks that the Deno and Bun tests share, on what installed.ts's threadsEntry prints.
import { expect } from "vitest";
import type { Trained } from "./train-small.js";

export interface RuntimeRun {
  readonly one: Trained;
  readonly two: Trained;
  readonly auto: Trained;
  readonly relaxedSupported: boolean;
}

/** Finite losses that fall from the first epoch to the last. */
export function expectFalling(t: Trained): void {
  expect(t.losses.length).toBe(4);
  for (const l of t.losses) expect(Number.isFinite(l), String(l)).toBe(true);
  expect(t.losses[3]!).toBeLessThan(t.losses[0]!);
}

export function expectTrained(out: RuntimeRun, node: Trained): void {
  expect(node.isa).toBe("simd");
  expectFalling(out.one);
  // The library's default is the SIMD build: the same bits as Node's.
  expect(out.one.isa).toBe("simd");
  expect(out.one.hash).toBe(node.hash);
  expect(out.one.losses).toEqual(node.losses);
  // Two threads ran (the worker claimed calls) and changed no bit.
  expect(out.two.threads, out.two.reason ?? "").toBe(2);
  expect(out.two.workerCalls).toBeGreaterThan(0);
  expect(out.two.hash).toBe(out.one.hash);
  // "auto" is the fastest build: relaxed SIMD where the runtime validates it, reported as such.
  expectFalling(out.auto);
  expect(out.auto.isa).toBe(out.relaxedSupported ? "relaxed" : "simd");
  if (out.auto.isa === "simd") expect(out.auto.hash).toBe(node.hash);
}
