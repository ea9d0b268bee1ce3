/** Where a command writes: injectable so tests can capture output. */
export interface Io {
  out(line: string): void;
  err(line: string): void;
  /** Whether stdout is a terminal (progress bars) or a pipe/file (plain lines). */
  readonly tty: boolean;
}

export const processIo: Io = {
  out: (line) => { process.stdout.write(line + "\n"); },
  err: (line) => { process.stderr.write(line + "\n"); },
  tty: Boolean(process.stdout.isTTY),
};
