// The GEMM work of one training sample of the MLP VAE, and the ceiling in samples/s it implies.

/**
 * FLOPs of one sample's training step in the GEMMs of the MLP VAE input-hidden...-latent (2 per
 * multiply-add; bias adds, activations, the loss and Adam are left out: O(width), not O(width^2)).
 * The dense layers (in x out): the encoder input -> hidden[0] -> ... -> hidden[n-1], the two
 * heads mu and logvar hidden[n-1] -> latent (together hidden[n-1] x 2 latent), the decoder
 * latent -> hidden[n-1] -> ... -> hidden[0] -> input.
 *   forward   2 in out per layer (Y = X W^T)
 *   backward  dW = dY^T X: 2 in out per layer; dX = dY W: 2 in out per layer but the first
 *             (nothing needs the gradient of the data)
 * 784-400-20: forward 2 (784*400 + 400*40 + 20*400 + 400*784) = 1.3024e6, dW the same,
 * dX 2 (400*40 + 20*400 + 400*784) = 0.6752e6: 3.28e6 in all.
 */
export function flopsPerSample(input: number, hidden: readonly number[], latent: number): number {
  const widths = [input, ...hidden];
  const layers: [number, number][] = [];
  for (let i = 0; i + 1 < widths.length; i++) layers.push([widths[i]!, widths[i + 1]!]);
  layers.push([hidden[hidden.length - 1]!, 2 * latent]); // mu and logvar
  const back = [latent, ...[...hidden].reverse(), input];
  for (let i = 0; i + 1 < back.length; i++) layers.push([back[i]!, back[i + 1]!]);
  const forward = layers.reduce((a, [i, o]) => a + 2 * i * o, 0);
  const dX = forward - 2 * layers[0]![0] * layers[0]![1];
  return forward + forward + dX;
}

/** The samples/s that a ceiling of `gflops` allows: gflops 1e9 / flopsPerSample. */
export const ceilingSamplesPerS = (gflops: number, flops: number) => gflops * 1e9 / flops;
