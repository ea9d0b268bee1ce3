// Property tests draw from a fixed seed, so a run is reproducible and CI sees the same cases every
// time; FC_SEED=<n> (or FC_SEED=random) explores other cases.
import fc from "fast-check";

const wanted = process.env.FC_SEED;
const seed = wanted === "random" ? Date.now() ^ (Math.random() * 0x100000000) : Number(wanted ?? 20261127);
fc.configureGlobal({ seed });
