/**
 * What every check of latent/testing throws when it fails: an Error whose message is a readable
 * report (what was compared, the worst case, where it is), with the figures also as fields, so
 * that any test runner shows it and a program can read it.
 */
export class CheckError extends Error {
  override readonly name = "CheckError";
  constructor(message: string, readonly details: Readonly<Record<string, unknown>> = {}) {
    super(message);
  }
}
