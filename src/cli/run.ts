/** Dispatch of the `latent` subcommands; returns the exit code. */
import { report } from "./errors.js";
import type { Io } from "./io.js";
import { UsageError } from "./args.js";
import { train, trainHelp } from "./commands/train.js";
import { commands as useCommands } from "./commands/use.js";
import { analyze } from "./commands/analyze.js";
import { compare } from "./commands/compare.js";
import { commands as denoiseCommands, denoiseSummary } from "./commands/denoise.js";
import { commands as retrieveCommands, retrieveSummary } from "./commands/retrieve.js";
import { compressCommands, compressSummary } from "./commands/compress.js";
import { commands as anomalyCommands, anomalySummary } from "./commands/anomaly.js";
import { commands as sparseCommands, sparseSummary } from "./commands/sparse.js";

const help = `latent: autoencoders and variational autoencoders on the CPU

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

export async function run(argv: string[], io: Io): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case undefined: case "help": case "--help": case "-h":
        io.out(help);
        return command === undefined ? 2 : 0;
      case "demo":
        if (rest.includes("--help") || rest.includes("-h")) { io.out(`latent demo [train options]\n  latent train with --epochs 5 --out runs/demo unless given.\n\n${trainHelp}`); return 0; }
        await train(rest, io, { epochs: 5, out: "runs/demo" });
        return 0;
      case "train":
        await train(rest, io);
        return 0;
      case "analyze":
        await analyze(rest, io);
        return 0;
      case "compare":
        await compare(rest, io);
        return 0;
      default: {
        const use = useCommands[command] ?? denoiseCommands[command] ?? retrieveCommands[command] ?? compressCommands[command] ?? anomalyCommands[command] ?? sparseCommands[command];
        if (!use) throw new UsageError(`unknown command "${command}"; try latent --help`);
        await use(rest, io);
        return 0;
      }
    }
  } catch (e) {
    return report(e, io.err);
  }
}
