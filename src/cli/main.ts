#!/usr/bin/env node
/** The `latent` command. */
import { processIo } from "./io.js";
import { enableRelaxedSimd } from "./relaxed-simd.js";
import { run } from "./run.js";

enableRelaxedSimd();
process.exitCode = await run(process.argv.slice(2), processIo);
