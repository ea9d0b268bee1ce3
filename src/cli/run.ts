/** Dispatch of the `latent` subcommands; returns the exit code. */
import { report } from "./errors.js";
import type { Io } from "./io.js";
import { UsageError } from "./args.js";

type Command = (argv: string[], io: Io) => Promise<void>;

/**
 * Each command's module is imported when that command runs, not at start: code that is loaded
 * stays in memory (the V8 heap holds every module's functions), and all commands' modules
 * together cost a run of `latent train` about 13 MB of peak RSS (bench/cli-rss.ts).
 * The modules that export a record of commands, looked in in this order by findCommand.
 */
const commandModules: readonly (() => Promise<Record<string, Command>>)[] = [
  async () => (await import("./commands/use.js")).commands,
  async () => (await import("./commands/denoise.js")).commands,
  async () => (await import("./commands/retrieve.js")).commands,
  async () => (await import("./commands/compress.js")).compressCommands,
  async () => (await import("./commands/anomaly.js")).commands,
  async () => (await import("./commands/sparse.js")).commands,
];

async function findCommand(name: string): Promise<Command | undefined> {
  for (const load of commandModules) {
    const commands = await load();
    if (Object.hasOwn(commands, name)) return commands[name];
  }
  return undefined;
}

async function help(): Promise<string> {
  const [{ denoiseSummary }, { retrieveSummary }, { compressSummary }, { anomalySummary }, { sparseSummary }] = await Promise.all([
    import("./commands/denoise.js"), import("./commands/retrieve.js"), import("./commands/compress.js"),
    import("./commands/anomaly.js"), import("./commands/sparse.js")]);
  return `latent: autoencoders and variational autoencoders on the CPU

usage: latent <command> [options]     (latent <command> --help for its options)

  demo          train the default VAE on the embedded MNIST digits for 5 epochs into runs/demo
  train         train an AE or VAE and write a run folder (model, metrics, pictures)
  eval          test loss, reconstruction MSE and active latent units of a saved model, as JSON
  sample        decode samples from the prior to a PNG
  reconstruct   test images above their reconstructions, as a PNG
  encode        codes of a data set as CSV or JSON lines
  interpolate   decoded paths between pairs of test codes, as a PNG
  analyze       clustering, kNN, linear-probe and neighbourhood figures of codes, PCA and pixels
  compare       two models' code spaces side by side (e.g. an AE and a VAE): codes, grid decodes, draws from a
                Gaussian fitted to the codes, interpolations; PNGs, report.html and compare.json
  ${denoiseSummary}
  ${retrieveSummary}
  ${compressSummary}
  ${anomalySummary}
  ${sparseSummary}`;
}

export async function run(argv: string[], io: Io): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case undefined: case "help": case "--help": case "-h":
        io.out(await help());
        return command === undefined ? 2 : 0;
      case "demo": {
        const { train, trainHelp } = await import("./commands/train.js");
        if (rest.includes("--help") || rest.includes("-h")) { io.out(`latent demo [train options]\n  latent train with --epochs 5 --out runs/demo unless given.\n\n${trainHelp}`); return 0; }
        await train(rest, io, { epochs: 5, out: "runs/demo" });
        return 0;
      }
      case "train":
        await (await import("./commands/train.js")).train(rest, io);
        return 0;
      case "analyze":
        await (await import("./commands/analyze.js")).analyze(rest, io);
        return 0;
      case "compare":
        await (await import("./commands/compare.js")).compare(rest, io);
        return 0;
      default: {
        const use = await findCommand(command);
        if (!use) throw new UsageError(`unknown command "${command}"; try latent --help`);
        await use(rest, io);
        return 0;
      }
    }
  } catch (e) {
    return report(e, io.err);
  }
}
