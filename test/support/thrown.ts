// The CheckError a call throws; the test fails if it throws nothing or something else.
import { expect } from "vitest";
import { CheckError } from "../../src/testing/index.js";

export function thrown(fn: () => unknown): CheckError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(CheckError);
    return e as CheckError;
  }
  throw new Error("expected a CheckError, nothing was thrown");
}
