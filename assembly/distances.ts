// Euclidean distances in f64 for hierarchical clustering (src/analysis/hierarchical.ts).
//
// xt is the data transposed, f64 [d, n] (column c of the data at xt + 8 c n). One call fills
// out[j - i - 1] = sqrt(sum_{c = 0..d-1} (x[i, c] - x[j, c])^2) for j = i + 1 .. n - 1: row i of
// the condensed upper triangle. Each pair is summed over c in increasing order with separate
// multiplies and adds (no fused multiply-add) and a correctly rounded sqrt, so every value equals
// the plain float64 loop's bit for bit; SIMD runs two pairs (two j) per f64x2 lane pair.

export function condensed_row_f64(xt: usize, n: i32, d: i32, i: i32, out: usize): void {
  const rowBytes = <usize>n << 3;
  let j = i + 1;
  if (ASC_FEATURE_SIMD) {
    for (; j + 3 < n; j += 4) {
      let s0 = f64x2.splat(0), s1 = f64x2.splat(0);
      let col = xt;
      for (let c = 0; c < d; c++) {
        const xi = f64x2.splat(load<f64>(col + (<usize>i << 3)));
        const t0 = f64x2.sub(xi, v128.load(col + (<usize>j << 3)));
        const t1 = f64x2.sub(xi, v128.load(col + (<usize>(j + 2) << 3)));
        s0 = f64x2.add(s0, f64x2.mul(t0, t0));
        s1 = f64x2.add(s1, f64x2.mul(t1, t1));
        col += rowBytes;
      }
      const o = out + (<usize>(j - i - 1) << 3);
      v128.store(o, f64x2.sqrt(s0));
      v128.store(o + 16, f64x2.sqrt(s1));
    }
  }
  for (; j < n; j++) {
    let s: f64 = 0;
    let col = xt;
    for (let c = 0; c < d; c++) {
      const t = load<f64>(col + (<usize>i << 3)) - load<f64>(col + (<usize>j << 3));
      s += t * t;
      col += rowBytes;
    }
    store<f64>(out + (<usize>(j - i - 1) << 3), Math.sqrt(s));
  }
}
