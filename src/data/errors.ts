/**
 * A data file or folder that cannot be read as what it claims to be. `where` names the file
 * and, where it helps, the byte offset or line; the message says what was expected and found.
 */
export class DataError extends Error {
  override readonly name = "DataError";
  constructor(readonly where: string, message: string) {
    super(`${where}: ${message}`);
  }
}
