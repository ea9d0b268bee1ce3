/**
 * Input corruption for denoising: writes the corrupted copy of a program's x into its
 * `corrupted` buffer, drawn from a key, so the encoder sees the corruption and the loss the
 * clean x. Draws come from the backend's counter-based generators (normal, uniform; stream 0 of
 * the key), so both backends corrupt alike; the thresholding runs on the host over a live view
 * of the buffer where the backend gives one.
 */
import type { Backend, Buffer } from "../backend/backend.js";
import type { Corruption } from "./objective.js";

export function corruptInto<B extends Buffer>(be: Backend<B>, c: Corruption, key: Parameters<Backend<B>["normal"]>[0], x: B, out: B): void {
  if (c.type === "gaussian") {
    be.normal(key, out);
    be.scale(c.sigma, out, out);
    be.add(x, out, out);
    return;
  }
  be.uniform(key, out);
  const live = be.hostView?.(out);
  const u = live ?? be.read(out);
  const xs = be.hostView?.(x) ?? be.read(x);
  const rate = c.rate;
  if (c.type === "mask") {
    for (let i = 0; i < u.length; i++) u[i] = u[i]! < rate ? 0 : xs[i]!;
  } else {
    const half = rate / 2;
    for (let i = 0; i < u.length; i++) u[i] = u[i]! < half ? 0 : u[i]! >= 1 - half ? 1 : xs[i]!;
  }
  if (!live) be.write(out, u);
}
