/**
 * The exports of the kernel module (assembly/index.ts), typed.
 *
 * Conventions for every kernel:
 * - `Ptr` is a byte address in the module's linear memory, 16-byte aligned by the arena.
 * - Matrices are row-major; `ld*` is the leading dimension (row stride) in elements.
 * - Counts (`n`, `M`, `N`, `K`) are element counts and may be 0.
 * - Outputs may alias inputs only where a kernel says so.
 * - Kernels that reduce to a scalar return it as f64 (JS number); they accumulate in f64.
 */
export type Ptr = number;

/** Activation codes shared by `act_forward_f32` and `act_backward_f32`. */
export const Activation = {
  identity: 0,
  relu: 1,
  leakyRelu: 2, // y = x > 0 ? x : alpha * x
  sigmoid: 3,
  tanh: 4,
  softplus: 5, // y = log(1 + exp(x)), computed stably
  elu: 6, // y = x > 0 ? x : alpha * (exp(x) - 1)
} as const;
export type ActivationCode = (typeof Activation)[keyof typeof Activation];

export interface KernelExports {
  readonly memory: WebAssembly.Memory;
  /** Runs the module's static initialisers; called once by the loader. */
  _start(): void;
  heap_base(): Ptr;
  /** 1 when this build uses 128-bit SIMD (the SIMD and the relaxed-SIMD build), 0 for scalar. */
  has_simd(): number;
  /**
   * 1 only in the relaxed-SIMD build (asconfig target "relaxed": f32x4.relaxed_madd in the
   * GEMM), 0 in the SIMD and scalar builds. init({ isa: "auto" }) loads it where relaxed SIMD validates.
   */
  has_relaxed_simd(): number;

  // ---- GEMM (assembly/gemm.ts) ----
  /**
   * C = alpha * op(A) * op(B) + beta * C, with op(A) M x K, op(B) K x N, C M x N.
   * transA/transB are 0 or 1. A is M x K (lda >= K) or, transposed, K x M (lda >= M);
   * likewise B. When beta == 0, C is not read (NaN in C does not propagate); when alpha == 0,
   * A and B are not read (C = beta * C), as in BLAS.
   * `work` is scratch of at least gemm_f32_work_size(M, N, K) bytes, owned by the caller.
   * The SIMD and scalar builds sum in the same order and agree bit for bit; the relaxed-SIMD
   * build (asconfig target "relaxed", loaded by init({ isa: "auto" }) where relaxed SIMD validates) uses
   * fused multiply-adds: same error bound against the float64 reference, not bit-identical.
   */
  gemm_f32(transA: number, transB: number, M: number, N: number, K: number, alpha: number,
    a: Ptr, lda: number, b: Ptr, ldb: number, beta: number, c: Ptr, ldc: number, work: Ptr): void;
  /** Bytes of scratch that gemm_f32 needs for these sizes. */
  gemm_f32_work_size(M: number, N: number, K: number): number;

  // ---- Elementwise and reductions (assembly/elementwise.ts) ----
  /** c[i, j] += bias[j] for an M x N matrix c. */
  bias_add_f32(M: number, N: number, bias: Ptr, c: Ptr, ldc: number): void;
  /** out[j] = beta * out[j] + sum_i x[i, j] (the bias gradient: rows are summed); out is not read when beta == 0. */
  col_sum_f32(M: number, N: number, x: Ptr, ldx: number, beta: number, out: Ptr): void;
  /** out[i] = sum_j x[i, j] (columns are summed). */
  row_sum_f32(M: number, N: number, x: Ptr, ldx: number, out: Ptr): void;
  /** out = x + y (out may alias x or y). */
  add_f32(n: number, x: Ptr, y: Ptr, out: Ptr): void;
  /** out = x * y elementwise (out may alias x or y). */
  mul_f32(n: number, x: Ptr, y: Ptr, out: Ptr): void;
  /** out = alpha * x (out may alias x). */
  scale_f32(n: number, alpha: number, x: Ptr, out: Ptr): void;
  /** y += alpha * x (f32: the product and the sum each round). */
  axpy_f32(n: number, alpha: number, x: Ptr, y: Ptr): void;
  /** out[i] = value. */
  fill_f32(n: number, value: number, out: Ptr): void;
  /** sum_i x[i]^2, accumulated in f64. */
  sum_squares_f32(n: number, x: Ptr): number;
  /** 1 when every x[i] is finite, else 0. */
  all_finite_f32(n: number, x: Ptr): number;

  // ---- Activations (assembly/activations.ts) ----
  /** y = f(x) elementwise; `alpha` is the slope of leaky relu and the scale of elu, else unused. y may alias x. */
  act_forward_f32(kind: number, n: number, alpha: number, x: Ptr, y: Ptr): void;
  /**
   * dx = f'(x) * dy. The derivative is computed from x (more accurate than from y, which the
   * kernels do not read). At x = 0: relu' = 0, leaky relu' = alpha, elu' = alpha. dx may alias dy.
   */
  act_backward_f32(kind: number, n: number, alpha: number, x: Ptr, y: Ptr, dy: Ptr, dx: Ptr): void;

  // ---- Losses, KL, reparameterisation (assembly/losses.ts) ----
  // These work index by index: an output may alias an input at the same index.
  /** sum_i max(x,0) - x*t + log1p(exp(-|x|)) over logits x and targets t in [0, 1]. */
  bce_logits_forward_f32(n: number, logits: Ptr, target: Ptr): number;
  /** dlogits = scale * (sigmoid(x) - t). */
  bce_logits_backward_f32(n: number, scale: number, logits: Ptr, target: Ptr, dlogits: Ptr): void;
  /** sum_i (p - t)^2. */
  sq_err_forward_f32(n: number, pred: Ptr, target: Ptr): number;
  /** dpred = scale * 2 * (p - t). */
  sq_err_backward_f32(n: number, scale: number, pred: Ptr, target: Ptr, dpred: Ptr): void;
  /**
   * Gaussian negative log-likelihood summed over an M x N matrix (row stride N):
   * sum 0.5 * (log(2 pi) + lv + (p - t)^2 * exp(-lv)), where lv = logvar[j * lvStride]
   * (lvStride 0: one shared log-variance; 1: one per column; any other stride is allowed).
   */
  gaussian_nll_forward_f32(M: number, N: number, pred: Ptr, target: Ptr, logvar: Ptr, lvStride: number): number;
  /**
   * dpred = scale * (p - t) * exp(-lv), written; dlogvar[j * lvStride] += scale * 0.5 * (1 - (p - t)^2 exp(-lv)),
   * accumulated (so a shared log-variance receives the sum). dlogvar may be 0 (null) to skip it.
   */
  gaussian_nll_backward_f32(M: number, N: number, scale: number, pred: Ptr, target: Ptr, logvar: Ptr,
    lvStride: number, dpred: Ptr, dlogvar: Ptr): void;
  /** KL(N(mu, exp(lv)) || N(0, 1)) summed: sum -0.5 * (1 + lv - mu^2 - exp(lv)). */
  kl_normal_forward_f32(n: number, mu: Ptr, logvar: Ptr): number;
  /** Accumulates: dmu += scale * mu; dlogvar += scale * 0.5 * (exp(lv) - 1). */
  kl_normal_backward_f32(n: number, scale: number, mu: Ptr, logvar: Ptr, dmu: Ptr, dlogvar: Ptr): void;
  /** z = mu + exp(0.5 * lv) * eps. */
  reparam_forward_f32(n: number, mu: Ptr, logvar: Ptr, eps: Ptr, z: Ptr): void;
  /** Writes: dmu = dz; dlogvar = dz * eps * 0.5 * exp(0.5 * lv). */
  reparam_backward_f32(n: number, logvar: Ptr, eps: Ptr, dz: Ptr, dmu: Ptr, dlogvar: Ptr): void;

  // ---- Laplace and continuous Bernoulli likelihoods, L1 penalty (assembly/likelihoods.ts) ----
  // These work index by index: an output may alias an input at the same index.
  // sign(d) = 1 for d > 0, -1 for d < 0, else 0.
  /**
   * Laplace negative log-likelihood summed over an M x N matrix (row stride N):
   * sum |t - p| exp(-s) + s + log 2, where s = logscale[j * lsStride] is the log of the scale
   * (lsStride 0: one shared log-scale; 1: one per column). Columns in order, each summed down its
   * rows, so the SIMD and scalar builds agree bit for bit.
   */
  laplace_nll_forward_f32(M: number, N: number, pred: Ptr, target: Ptr, logscale: Ptr, lsStride: number): number;
  /**
   * dpred = sign(p - t) * f32(scale * exp(-s)), written (0 where p == t);
   * dlogscale[j * lsStride] += scale * sum_i (1 - |t - p| exp(-s)), in f64, rounded once per
   * address (so a shared log-scale receives the sum). dlogscale may be 0 (null) to skip it.
   */
  laplace_nll_backward_f32(M: number, N: number, scale: number, pred: Ptr, target: Ptr, logscale: Ptr,
    lsStride: number, dpred: Ptr, dlogscale: Ptr): void;
  /**
   * Continuous Bernoulli negative log-likelihood with logits, summed over targets t in [0, 1]:
   * sum_i max(l,0) - l t + log1p(exp(-|l|)) - log C, with log C = log(l / tanh(l/2)) (= log 2 at
   * l = 0), the log-normaliser 2 artanh(1 - 2 lam) / (1 - 2 lam) at lam = sigmoid(l). Each term
   * in f64: a Taylor series for |l| < 1/2, log|l| + 2 artanh(exp(-|l|)) beyond.
   */
  cb_logits_forward_f32(n: number, logits: Ptr, target: Ptr): number;
  /** dlogits = scale * ((sigmoid(l) - t) - (1/l - 1/sinh(l))), in f64, rounded once. */
  cb_logits_backward_f32(n: number, scale: number, logits: Ptr, target: Ptr, dlogits: Ptr): void;
  /** sum_i |x_i|, accumulated in f64. */
  l1_forward_f32(n: number, x: Ptr): number;
  /** Accumulates dx += scale * sign(x) (one f32 rounding). */
  l1_backward_f32(n: number, scale: number, x: Ptr, dx: Ptr): void;

  // ---- Optimizer transformations (assembly/optim.ts) ----
  /**
   * Adam moments and direction, in place on g: m = b1 m + (1 - b1) g; v = b2 v + (1 - b2) g^2;
   * g = (m / bc1) / (sqrt(v / bc2) + eps), with bias corrections bc1 = 1 - b1^t, bc2 = 1 - b2^t.
   */
  scale_by_adam_f32(n: number, b1: number, b2: number, eps: number, bc1: number, bc2: number,
    g: Ptr, m: Ptr, v: Ptr): void;
  /**
   * Adam (AdamW when wd != 0) and the parameter update in one pass, writing m, v and p (g is
   * read only): per element the same f32 operations, in the same order, as
   * scale_by_adam_f32 -> (wd != 0: axpy_f32(wd, p, g)) -> scale_f32(-lr, g, g) -> axpy_f32(1, g, p),
   * so the result is bit-identical to that chain:
   * m = b1 m + (1 - b1) g; v = b2 v + (1 - b2) g^2; u = (m / bc1) / (sqrt(v / bc2) + eps);
   * u += wd p (when wd != 0); p += (-lr) u.
   */
  adam_apply_f32(n: number, b1: number, b2: number, eps: number, bc1: number, bc2: number, lr: number, wd: number,
    g: Ptr, m: Ptr, v: Ptr, p: Ptr): void;
  /**
   * adam_apply_f32 guarded, for training: the same operations, but the new moments are written
   * to mOut, vOut (m, v are only read), p is updated in place and its old values saved in g. It
   * stops before the first group of elements (4 in the SIMD body, 1 in the tail) whose new m, v
   * or p would not be finite, writing nothing of that group, and returns the group's first index;
   * n when all were finite. On failure the caller restores p[0, i) from g[0, i).
   */
  adam_step_f32(n: number, b1: number, b2: number, eps: number, bc1: number, bc2: number, lr: number, wd: number,
    g: Ptr, m: Ptr, v: Ptr, p: Ptr, mOut: Ptr, vOut: Ptr): number;
  /** Momentum trace, in place on g: t = decay * t + g; g = nesterov ? g + decay * t : t. */
  trace_f32(n: number, decay: number, nesterov: number, g: Ptr, t: Ptr): void;

  // ---- Convolution data movement, NHWC (assembly/conv.ts) ----
  // Image x [batch, h, w, c] (channels last, batch-major). Column matrix cols
  // [batch * oh * ow, c * kh * kw], row-major, no padding between rows: row r = (b * oh + oy) * ow + ox,
  // column q = (ci * kh + ky) * kw + kx, i.e. PyTorch's weight order (a conv2d weight [O, C, KH, KW]
  // is the [O, c * kh * kw] matrix of filters, so conv2d is y[r, o] = sum_q cols[r, q] W[o, q]).
  // Window (oy, ox) at offset (ky, kx) reads x[b, iy, ix, ci] with
  // iy = oy * strideH - padTop + ky * dilationH, ix = ox * strideW - padLeft + kx * dilationW;
  // outside 0 <= iy < h, 0 <= ix < w it reads zero (zero padding; bottom/right padding is implied
  // by oh, ow). Strides and dilations are >= 1, pads >= 0. Neither kernel allows x and cols to overlap.
  /** Writes cols = im2col(x): cols[r, q] = x[b, iy, ix, ci], or 0 in the padding. cols is not read. */
  im2col_f32(batch: number, h: number, w: number, c: number, kh: number, kw: number,
    strideH: number, strideW: number, padTop: number, padLeft: number, dilationH: number, dilationW: number,
    oh: number, ow: number, x: Ptr, cols: Ptr): void;
  /**
   * The exact transpose (adjoint) of im2col_f32 with the same geometry:
   * x[b, iy, ix, ci] (+)= sum of cols[r, q] over every (row, column) that im2col reads from that pixel
   * (overlapping windows are summed; entries in the padding are dropped). accumulate == 0 writes x
   * (zeroed first, not read); accumulate != 0 adds into x. Sums in f32, per pixel in row order
   * (both builds give identical results). cols is not modified.
   */
  col2im_f32(batch: number, h: number, w: number, c: number, kh: number, kw: number,
    strideH: number, strideW: number, padTop: number, padLeft: number, dilationH: number, dilationW: number,
    oh: number, ow: number, cols: Ptr, x: Ptr, accumulate: number): void;


  // ---- Convolutions between a one-channel image and C channels, no column matrix (assembly/conv-one-channel.ts) ----
  // Geometry as im2col_f32 with c = 1: img [batch, h, w]; window r of the oh x ow grid is row r of
  // z [batch * oh * ow, C]; the weight is [C, kh * kw]. Each sum starts from 0 and adds its
  // products in order (apply: over taps; adjoint: over channels, then each pixel in (row, tap)
  // order; filter grad: over rows), identical in the scalar and SIMD builds. `work` holds
  // conv1_work_size bytes; no pointer may overlap another.
  /** Bytes of work the conv1 kernels need. */
  conv1_work_size(kh: number, kw: number, strideH: number, strideW: number, dilationH: number, dilationW: number,
    oh: number, ow: number, C: number): number;
  /** z = im2col(img) W^T ([batch * oh * ow, C], row stride C), + bias [C] after each sum when bias is not 0; z is not read. */
  conv1_apply_f32(batch: number, h: number, w: number, kh: number, kw: number, strideH: number, strideW: number,
    padTop: number, padLeft: number, dilationH: number, dilationW: number, oh: number, ow: number, C: number,
    wgt: Ptr, bias: Ptr, img: Ptr, z: Ptr, work: Ptr): void;
  /** img = col2im(z W) (written; pixels no window reaches get 0). */
  conv1_adjoint_f32(batch: number, h: number, w: number, kh: number, kw: number, strideH: number, strideW: number,
    padTop: number, padLeft: number, dilationH: number, dilationW: number, oh: number, ow: number, C: number,
    wgt: Ptr, z: Ptr, img: Ptr, work: Ptr): void;
  /**
   * gw [C, kh * kw] = z^T im2col(img), written, and gb [C] = column sums of z (each over the rows
   * in order) when gb is not 0; z's rows ldz floats apart (a channel slice of a wider z).
   */
  conv1_filter_grad_f32(batch: number, h: number, w: number, kh: number, kw: number, strideH: number, strideW: number,
    padTop: number, padLeft: number, dilationH: number, dilationW: number, oh: number, ow: number, C: number, ldz: number,
    z: Ptr, img: Ptr, gw: Ptr, gb: Ptr, work: Ptr): void;
  // ---- Counter-based PRNG: Threefry-2x32, 20 rounds (assembly/random.ts) ----
  // Streams 1 and 2 are reserved for split and foldIn (src/random): kernel callers draw from
  // stream 0 with a key from split/foldIn. A negative n writes nothing.
  /**
   * Random 32-bit words: block i (i = 0, 1, ...) is threefry2x32((k0, k1), (i, stream))
   * and gives out[2i], out[2i + 1]; an odd n drops the last word.
   */
  random_bits_u32(k0: number, k1: number, stream: number, n: number, out: Ptr): void;
  /** Uniform [0, 1): word w of random_bits_u32(stream) maps to f32 bits ((w >>> 9) | 0x3f800000) - 1. */
  random_uniform_f32(k0: number, k1: number, stream: number, n: number, out: Ptr): void;
  /**
   * Standard normal by Box-Muller over the words of random_bits_u32: block i gives words
   * (w0, w1) -> u1 = 1 - uniform(w0) in (0, 1], u2 = uniform(w1);
   * out[2i] = r cos(2 pi u2), out[2i + 1] = r sin(2 pi u2), r = sqrt(-2 log u1).
   * Computed in f32 with an exact quadrant reduction: within a few ulp (relative) of the
   * float64 formula (src/random normalF64).
   */
  random_normal_f32(k0: number, k1: number, stream: number, n: number, out: Ptr): void;

  // ---- Layer normalisation and dropout's mask (assembly/layernorm.ts) ----
  // Statistics and per-element formulas in f64, rounded once to f32 when written; the SIMD and
  // scalar builds sum in the same order and agree bit for bit.
  /**
   * mask[i] = u[i] >= rate ? f32(1 / (1 - rate)) : 0, rate in [0, 1) as an f64 (the comparison
   * is exact). mask may alias u.
   */
  dropout_mask_f32(n: number, rate: number, u: Ptr, mask: Ptr): void;
  /**
   * Per row i of x [M, N] (row stride N): mean and biased variance over the row (N = 0: 0 and 0),
   * rstd = 1 / sqrt(var + eps); y = (x - mean) * rstd * gamma[j] + beta[j]; writes mean[i] and
   * rstd[i] (f32). eps is an f64. y may alias x.
   */
  layer_norm_forward_f32(M: number, N: number, eps: number, x: Ptr, gamma: Ptr, beta: Ptr, y: Ptr, mean: Ptr, rstd: Ptr): void;
  /**
   * From the stored mean and rstd, xhat = (x - mean) * rstd, g = dy * gamma: writes (not
   * accumulated) dgamma[j] = sum_i dy xhat and dbeta[j] = sum_i dy (rows summed), and when dx != 0
   * dx = rstd * ((g - mean_j g) - xhat * mean_j(g xhat)). dx may alias dy or x.
   */
  layer_norm_backward_f32(M: number, N: number, x: Ptr, gamma: Ptr, mean: Ptr, rstd: Ptr, dy: Ptr, dx: Ptr,
    dgamma: Ptr, dbeta: Ptr): void;

  // ---- distances (assembly/distances.ts) ----
  /**
   * Row i of the condensed Euclidean distance matrix in f64: out[j - i - 1] = |x_i - x_j| for
   * j = i + 1 .. n - 1, from xt, the data transposed (f64 [d, n]). Bit-identical to the plain
   * float64 loop (sum over columns in order, no fused multiply-add, correctly rounded sqrt).
   */
  condensed_row_f64(xt: Ptr, n: number, d: number, i: number, out: Ptr): void;

  // ---- t-SNE (assembly/tsne.ts) ----
  // Y row-major f64 [n, dims] (2-D: x, y interleaved); w_ij = 1 / (1 + |y_i - y_j|^2);
  // attr_i = pscale sum_j p_ij w_ij (y_i - y_j), rep_i = sum_{j != i} w_ij^2 (y_i - y_j),
  // Z = sum_{i != j} w_ij; the gradient of KL(P || Q) is 4 (attr - rep / Z). f64 storage, SIMD as
  // f64x2, except the Barnes-Hut far field (f32x4 on leaf-relative coordinates, see the kernel).
  /** Bytes of scratch tsne_exact_f64 needs: (dims + 3) n f64. */
  tsne_exact_work_size(n: number, dims: number): number;
  /** Exact forces from a dense f64 P [n, n] (pscale multiplies P): writes attr, rep [n, dims]; returns Z. */
  tsne_exact_f64(n: number, dims: number, p: Ptr, pscale: number, y: Ptr, work: Ptr, attr: Ptr, rep: Ptr): number;
  /**
   * Attractive forces, 2-D, for a symmetric P given by its upper triangle in CSR: i32 rowPtr [n + 1],
   * i32 cols (each > its row), f64 vals; each stored p_ij acts on rows i and j. Writes attr [n, 2].
   */
  tsne_attractive_2d_f64(n: number, rowPtr: Ptr, cols: Ptr, vals: Ptr, pscale: number, y: Ptr, attr: Ptr): void;
  /** Bytes of scratch tsne_bh_repulsive_2d needs. */
  tsne_bh_work_size(n: number): number;
  /**
   * Barnes-Hut repulsive forces, 2-D: writes rep [n, 2], returns the estimate of Z. A quadtree over
   * Morton-sorted points, leaves of at most `leaf` points (more only where 32-bit codes coincide);
   * each leaf walks the tree once, a node being a summary when (half its cell side) / (distance
   * from its centre of mass to the leaf's bounding box) < theta (bhtsne's test, for all the
   * leaf's points at once; a node holding the leaf is always opened); theta = 0 is exact. The
   * lists are evaluated in f32 on leaf-relative coordinates (~1e-5 of the terms' magnitudes).
   */
  tsne_bh_repulsive_2d(n: number, y: Ptr, theta: number, leaf: number, work: Ptr, rep: Ptr): number;
  /**
   * bhtsne's step, in place on f64 gains, update, y [n, dims]: g = 4 (attr - zInv rep);
   * gain = sign(g) != sign(update) ? gain + 0.2 : gain * 0.8, at least 0.01;
   * update = momentum update - eta gain g; y += update; columns of y shifted to mean zero.
   * Bit-identical in both builds and to the float64 reference.
   */
  tsne_step_f64(n: number, dims: number, attr: Ptr, rep: Ptr, zInv: number, momentum: number, eta: number,
    gains: Ptr, update: Ptr, y: Ptr): void;
  // ---- k-means Lloyd steps (assembly/kmeans.ts) ----
  /**
   * Nearest centre of each row of x f32 [m, d]: ct is the k centres transposed, f32 [d, kp] with
   * kp = k rounded up to a multiple of 4 (padding columns unused), xsq f64 [m] and csq f64 [kp]
   * the squared norms. g_j = f32 dot product summed over t in order with gemm_f32's multiply-add
   * (so equal to gemm_f32(0, 1, m, k, d, 1, x, d, C, d, 0, ...) for d <= 576); in f64
   * v_j = (xsq[i] - 2 g_j) + csq[j]; writes labels[i] (i32) = argmin_j v_j (ties to the lower j)
   * and dist[i] (f64) = max(v, 0). Both builds agree bit for bit.
   */
  kmeans_assign_f32(m: number, d: number, k: number, x: Ptr, ct: Ptr, xsq: Ptr, csq: Ptr, labels: Ptr, dist: Ptr): void;
  /**
   * Per-cluster sums of x f64 [n, d] by labels i32 [n] (in 0..k-1): writes sums f64 [k, d] and
   * counts i32 [k], adding the rows in increasing order (bit-identical to the plain f64 loop).
   */
  kmeans_sums_f64(n: number, d: number, k: number, x: Ptr, labels: Ptr, sums: Ptr, counts: Ptr): void;
}
