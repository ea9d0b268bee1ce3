/**
 * Random numbers without hidden state: explicit keys (split, foldIn) over Threefry-2x32-20
 * counters. Runtime-neutral: no node: imports, no Math.random.
 */
export { threefry2x32 } from "./threefry.js";
export { type Key, key, keyFromData, keyData, split, foldIn, bits, uniform, normal, normalF64 } from "./key.js";
