import type { DataLimit } from "./limits.js";

/**
 * A data file or folder that cannot be read as what it claims to be. `where` names the file
 * and, where it helps, the byte offset or line; the message says what was expected and found.
 * `limit` is set when the input passes one of the resource limits of ./limits.ts.
 */
export class DataError extends Error {
  override readonly name = "DataError";
  constructor(readonly where: string, message: string, readonly limit?: DataLimit) {
    super(`${where}: ${message}`);
  }
}
