// t-SNE kernels (src/analysis/tsne*.ts): the exact gradient's O(n^2) loop, the sparse attractive
// forces, Barnes-Hut repulsive forces over a quadtree (2-D), and the optimiser step.
//
// Conventions: Y is row-major f64 [n, dims] (2-D: x, y interleaved); w_ij = 1 / (1 + |y_i - y_j|^2);
//   attr_i = pscale * sum_j p_ij w_ij (y_i - y_j),   rep_i = sum_{j != i} w_ij^2 (y_i - y_j),
//   Z = sum_{i != j} w_ij,  and the gradient of KL(P || Q) is 4 (attr_i - rep_i / Z).
// Storage is f64 throughout (P, Y, forces, gains, updates; SIMD as f64x2), with one deliberate
// exception: the Barnes-Hut interaction lists are evaluated in f32x4 on coordinates relative to
// the leaf's centre (rounded once from f64), so that differences keep f32's relative precision;
// a point's force and sum of w then agree with the float64 reference over the same tree to about
// 1e-5 of the sum of the magnitudes of their terms, far below the Barnes-Hut error at theta 0.5.
// Every kernel has a scalar path (the tail of the SIMD loops), which is the whole scalar build.

/** Bytes per quadtree node: f64 comx, comy, mass, open2; i32 start, end, end of subtree, parent, leaf. */
const NODE: usize = 64;
/** The build's stack, 256 (start, end, parent) frames: a compressed quadtree over 2 x 32-bit codes is at most 33 deep. */
const STACK: usize = 256 * 3;
const HIST: usize = 8 * 256 * 4;

@inline function a16(x: usize): usize { return (x + 15) & ~(<usize>15); }

// ---- exact gradient ----

/** Bytes of scratch for tsne_exact_f64: Y transposed [dims, n] and three rows of n. */
export function tsne_exact_work_size(n: i32, dims: i32): usize {
  return (<usize>max(dims, 0) + 3) * <usize>max(n, 0) * 8;
}

/**
 * Exact forces: P dense f64 [n, n] (its diagonal is not read as a force: w_ii is set to 0),
 * y [n, dims]; writes attr and rep [n, dims]; returns Z. SIMD over j (f64x2), rows in order.
 */
export function tsne_exact_f64(n: i32, dims: i32, p: usize, pscale: f64, y: usize, work: usize, attr: usize, rep: usize): f64 {
  if (n <= 0 || dims <= 0) return 0;
  const N = <usize>n, D = <usize>dims;
  const yt = work, w = yt + ((D * N) << 3), pw = w + (N << 3), w2 = pw + (N << 3);
  for (let i: usize = 0; i < N; i++) {
    for (let c: usize = 0; c < D; c++) store<f64>(yt + ((c * N + i) << 3), load<f64>(y + ((i * D + c) << 3)));
  }
  let z: f64 = 0;
  for (let i: usize = 0; i < N; i++) {
    const prow = p + ((i * N) << 3);
    let j: usize = 0;
    if (ASC_FEATURE_SIMD) {
      const one = f64x2.splat(1), ps = f64x2.splat(pscale);
      for (; j + 2 <= N; j += 2) {
        const o = j << 3;
        let d2 = f64x2.splat(0);
        for (let c: usize = 0; c < D; c++) {
          const col = yt + ((c * N) << 3);
          const d = f64x2.sub(f64x2.splat(load<f64>(col + (i << 3))), v128.load(col + o));
          d2 = f64x2.add(d2, f64x2.mul(d, d));
        }
        const q = f64x2.div(one, f64x2.add(one, d2));
        v128.store(w + o, q);
        v128.store(pw + o, f64x2.mul(f64x2.mul(ps, v128.load(prow + o)), q));
        v128.store(w2 + o, f64x2.mul(q, q));
      }
    }
    for (; j < N; j++) {
      let d2: f64 = 0;
      for (let c: usize = 0; c < D; c++) {
        const col = yt + ((c * N) << 3);
        const d = load<f64>(col + (i << 3)) - load<f64>(col + (j << 3));
        d2 += d * d;
      }
      const q = 1 / (1 + d2);
      store<f64>(w + (j << 3), q);
      store<f64>(pw + (j << 3), pscale * load<f64>(prow + (j << 3)) * q);
      store<f64>(w2 + (j << 3), q * q);
    }
    store<f64>(w + (i << 3), 0); store<f64>(pw + (i << 3), 0); store<f64>(w2 + (i << 3), 0);
    for (let c: usize = 0; c < D; c++) {
      const col = yt + ((c * N) << 3);
      const yic = load<f64>(col + (i << 3));
      let a: f64 = 0, r: f64 = 0, s: f64 = 0;
      j = 0;
      if (ASC_FEATURE_SIMD) {
        const vy = f64x2.splat(yic);
        let va = f64x2.splat(0), vr = f64x2.splat(0), vs = f64x2.splat(0);
        for (; j + 2 <= N; j += 2) {
          const o = j << 3;
          const d = f64x2.sub(vy, v128.load(col + o));
          va = f64x2.add(va, f64x2.mul(v128.load(pw + o), d));
          vr = f64x2.add(vr, f64x2.mul(v128.load(w2 + o), d));
          vs = f64x2.add(vs, v128.load(w + o));
        }
        a = f64x2.extract_lane(va, 0) + f64x2.extract_lane(va, 1);
        r = f64x2.extract_lane(vr, 0) + f64x2.extract_lane(vr, 1);
        s = f64x2.extract_lane(vs, 0) + f64x2.extract_lane(vs, 1);
      }
      for (; j < N; j++) {
        const d = yic - load<f64>(col + (j << 3));
        a += load<f64>(pw + (j << 3)) * d;
        r += load<f64>(w2 + (j << 3)) * d;
        s += load<f64>(w + (j << 3));
      }
      store<f64>(attr + ((i * D + c) << 3), a);
      store<f64>(rep + ((i * D + c) << 3), r);
      if (c == 0) z += s;
    }
  }
  return z;
}

// ---- sparse attractive forces (2-D) ----

/**
 * attr_i = pscale * sum_j p_ij w_ij (y_i - y_j) for a symmetric P given by its upper triangle in
 * CSR (i32 rowPtr [n + 1], i32 cols with cols[k] > i, f64 vals): each stored p_ij adds its term to
 * row i and the opposite to row j, so w_ij is computed once per pair. y and attr [n, 2]; attr is
 * written (zeroed first). One f64x2 holds a point.
 */
export function tsne_attractive_2d_f64(n: i32, rowPtr: usize, cols: usize, vals: usize, pscale: f64, y: usize, attr: usize): void {
  if (n <= 0) return;
  memory.fill(attr, 0, <usize>n << 4);
  for (let i = 0; i < n; i++) {
    let k = load<i32>(rowPtr + (<usize>i << 2));
    const end = load<i32>(rowPtr + (<usize>(i + 1) << 2));
    const yi = y + (<usize>i << 4), ai = attr + (<usize>i << 4);
    if (ASC_FEATURE_SIMD) {
      const vi = v128.load(yi), one = f64x2.splat(1);
      let acc = f64x2.splat(0);
      for (; k + 2 <= end; k += 2) {
        const ja = <usize>load<i32>(cols + (<usize>k << 2)) << 4, jb = <usize>load<i32>(cols + (<usize>(k + 1) << 2)) << 4;
        const a = f64x2.sub(vi, v128.load(y + ja)), b = f64x2.sub(vi, v128.load(y + jb));
        const sa = f64x2.mul(a, a), sb = f64x2.mul(b, b);
        const d2 = f64x2.add(f64x2.shuffle(sa, sb, 0, 2), f64x2.shuffle(sa, sb, 1, 3));
        const pw = f64x2.div(v128.load(vals + (<usize>k << 3)), f64x2.add(one, d2));
        const fa = f64x2.mul(a, f64x2.shuffle(pw, pw, 0, 0)), fb = f64x2.mul(b, f64x2.shuffle(pw, pw, 1, 1));
        acc = f64x2.add(acc, f64x2.add(fa, fb));
        v128.store(attr + ja, f64x2.sub(v128.load(attr + ja), fa));
        v128.store(attr + jb, f64x2.sub(v128.load(attr + jb), fb));
      }
      v128.store(ai, f64x2.add(v128.load(ai), acc));
    }
    const xi = load<f64>(yi), yi1 = load<f64>(yi + 8);
    let ax: f64 = 0, ay: f64 = 0;
    for (; k < end; k++) {
      const j = attr + (<usize>load<i32>(cols + (<usize>k << 2)) << 4), yj = y + (<usize>load<i32>(cols + (<usize>k << 2)) << 4);
      const dx = xi - load<f64>(yj), dy = yi1 - load<f64>(yj + 8);
      const pw = load<f64>(vals + (<usize>k << 3)) / (1 + (dx * dx + dy * dy));
      ax += pw * dx; ay += pw * dy;
      store<f64>(j, load<f64>(j) - pw * dx); store<f64>(j + 8, load<f64>(j + 8) - pw * dy);
    }
    store<f64>(ai, load<f64>(ai) + ax); store<f64>(ai + 8, load<f64>(ai + 8) + ay);
  }
  for (let t: usize = 0; t < (<usize>n << 1); t++) store<f64>(attr + (t << 3), pscale * load<f64>(attr + (t << 3)));
}

// ---- Barnes-Hut repulsion (2-D) ----

/** Bits of v spread to the even positions of a u64. */
@inline function spread(v: u64): u64 {
  v = (v | (v << 16)) & 0x0000FFFF0000FFFF;
  v = (v | (v << 8)) & 0x00FF00FF00FF00FF;
  v = (v | (v << 4)) & 0x0F0F0F0F0F0F0F0F;
  v = (v | (v << 2)) & 0x3333333333333333;
  return (v | (v << 1)) & 0x5555555555555555;
}

/** floor(t) for t in [0, 2^32), clamped to 2^32 - 1 (NaN too). */
@inline function quant(t: f64): u64 {
  return t < 4294967295.0 ? <u64>t : 4294967295;
}

/** Bytes of scratch for tsne_bh_repulsive_2d. */
export function tsne_bh_work_size(n: i32): usize {
  const N = <usize>max(n, 1), cap = a16((N + 4) << 2);
  return 32 * N + 2 * a16(N << 2) + HIST + (STACK << 2) + 2 * N * NODE + 3 * cap;
}

/**
 * Repulsive forces by Barnes-Hut: writes rep [n, 2] (original order) and returns the estimate of Z.
 *
 * Tree: points sorted by the Morton code of (x, y) quantised to 32 bits each over the square
 * bounding box (side S, x's bit first at each level); a compressed quadtree over the sorted codes,
 * each node a range of points whose cell is the smallest quadtree cell holding them (level l, half
 * side h = S / 2^(l + 1)), leaves holding at most `leaf` points (more only where codes coincide).
 * Groups: each leaf's points share one walk from the root. A node is a summary (its mass at its
 * centre of mass) when h / d < theta with d the distance from its centre of mass to the leaf's
 * bounding box, i.e. bhtsne's test (its cell width is this half side) for every point of the leaf
 * at once; a node holding the leaf is always opened. Leaves that are not summaries give their
 * points one by one (the leaf's own points too). The list is f32, relative to the leaf's centre
 * (see the file comment); a point meets itself there (w = 1, no force), and that 1 is taken out
 * of its sum of w. theta = 0 is exact.
 */
export function tsne_bh_repulsive_2d(n: i32, y: usize, theta: f64, leaf: i32, work: usize, rep: usize): f64 {
  if (n <= 0) return 0;
  // A walk stops at nodes holding disjoint sets of points, so a list has at most n entries.
  const N = <usize>n, cap = a16((N + 4) << 2);
  const codesA = work, codesB = codesA + (N << 3), permA = codesB + (N << 3), permB = permA + a16(N << 2);
  const sx = permB + a16(N << 2), sy = sx + (N << 3), hist = sy + (N << 3), stack = hist + HIST;
  const nodes = stack + (STACK << 2), lx = nodes + 2 * N * NODE, ly = lx + cap, lm = ly + cap;
  // Morton codes over the bounding box, sorted by an LSD radix sort (8 bits a pass, stable).
  let x0 = Infinity, x1 = -Infinity, y0 = Infinity, y1 = -Infinity;
  for (let i: usize = 0; i < N; i++) {
    const px = load<f64>(y + (i << 4)), py = load<f64>(y + (i << 4) + 8);
    x0 = min(x0, px); x1 = max(x1, px); y0 = min(y0, py); y1 = max(y1, py);
  }
  const side = max(x1 - x0, y1 - y0), scale = side > 0 ? 4294967296.0 / side : 0;
  memory.fill(hist, 0, HIST);
  for (let i: usize = 0; i < N; i++) {
    const c = (spread(quant((load<f64>(y + (i << 4)) - x0) * scale)) << 1) | spread(quant((load<f64>(y + (i << 4) + 8) - y0) * scale));
    store<u64>(codesA + (i << 3), c);
    store<i32>(permA + (i << 2), <i32>i);
    for (let b: usize = 0; b < 8; b++) {
      const h = hist + ((b * 256 + <usize>((c >> (b * 8)) & 255)) << 2);
      store<i32>(h, load<i32>(h) + 1);
    }
  }
  let codes = codesA, perm = permA, codesT = codesB, permT = permB;
  for (let b: usize = 0; b < 8; b++) {
    const h = hist + ((b * 256) << 2);
    if (<usize>load<i32>(h + (<usize>((load<u64>(codes) >> (b * 8)) & 255) << 2)) == N) continue;
    let sum = 0;
    for (let d: usize = 0; d < 256; d++) { const c = load<i32>(h + (d << 2)); store<i32>(h + (d << 2), sum); sum += c; }
    for (let i: usize = 0; i < N; i++) {
      const c = load<u64>(codes + (i << 3)), hd = h + (<usize>((c >> (b * 8)) & 255) << 2);
      const at = <usize>load<i32>(hd);
      store<i32>(hd, <i32>at + 1);
      store<u64>(codesT + (at << 3), c);
      store<i32>(permT + (at << 2), load<i32>(perm + (i << 2)));
    }
    let t = codes; codes = codesT; codesT = t;
    t = perm; perm = permT; permT = t;
  }
  for (let k: usize = 0; k < N; k++) {
    const i = <usize>load<i32>(perm + (k << 2));
    store<f64>(sx + (k << 3), load<f64>(y + (i << 4)));
    store<f64>(sy + (k << 3), load<f64>(y + (i << 4) + 8));
  }
  // The tree in preorder (children in digit order), each node with the index just past its subtree.
  store<i32>(stack, 0); store<i32>(stack + 4, n); store<i32>(stack + 8, -1);
  let count: usize = 0, top: usize = 1;
  while (top > 0) {
    const f = stack + (--top) * 12;
    const s = <usize>load<i32>(f), e = <usize>load<i32>(f + 4), v = nodes + count * NODE;
    store<i32>(v + 32, <i32>s); store<i32>(v + 36, <i32>e); store<i32>(v + 40, 1); store<i32>(v + 44, load<i32>(f + 8));
    const ca = load<u64>(codes + (s << 3)), cb = load<u64>(codes + ((e - 1) << 3));
    const level = ca == cb ? 32 : <i32>(clz(ca ^ cb) >> 1);
    const half = side * reinterpret<f64>(<u64>(1022 - level) << 52);
    const o = half / theta;
    let mx: f64 = 0, my: f64 = 0;
    for (let k = s; k < e; k++) { mx += load<f64>(sx + (k << 3)); my += load<f64>(sy + (k << 3)); }
    const mass = <f64>(e - s);
    store<f64>(v, mx / mass); store<f64>(v + 8, my / mass); store<f64>(v + 16, mass);
    store<f64>(v + 24, theta > 0 ? o * o : Infinity);
    const isLeaf = <i32>(e - s) <= leaf || ca == cb;
    store<i32>(v + 48, <i32>isLeaf);
    if (!isLeaf) {
      // Children's ranges by the digit at this level; pushed last digit first.
      const shift = <u64>(62 - 2 * level);
      let k = e;
      for (let digit: i64 = 3; digit >= 0; digit--) {
        const k1 = k;
        while (k > s && <i64>((load<u64>(codes + ((k - 1) << 3)) >> shift) & 3) == digit) k--;
        if (k == k1) continue;
        const c = stack + (top++) * 12;
        store<i32>(c, <i32>k); store<i32>(c + 4, <i32>k1); store<i32>(c + 8, <i32>count);
      }
    }
    count++;
  }
  for (let v = count - 1; v > 0; v--) {
    const node = nodes + v * NODE, parent = nodes + <usize>load<i32>(node + 44) * NODE;
    store<i32>(parent + 40, load<i32>(parent + 40) + load<i32>(node + 40));
  }
  for (let v: usize = 0; v < count; v++) store<i32>(nodes + v * NODE + 40, <i32>v + load<i32>(nodes + v * NODE + 40));
  // One walk per leaf, then each of its points against the list.
  let z: f64 = 0;
  for (let g: usize = 0; g < count; g++) {
    const gv = nodes + g * NODE;
    if (load<i32>(gv + 48) == 0) continue;
    const gs = <usize>load<i32>(gv + 32), ge = <usize>load<i32>(gv + 36);
    let bx0 = Infinity, bx1 = -Infinity, by0 = Infinity, by1 = -Infinity;
    for (let k = gs; k < ge; k++) {
      const px = load<f64>(sx + (k << 3)), py = load<f64>(sy + (k << 3));
      bx0 = min(bx0, px); bx1 = max(bx1, px); by0 = min(by0, py); by1 = max(by1, py);
    }
    const cx = 0.5 * (bx0 + bx1), cy = 0.5 * (by0 + by1);
    let len: usize = 0, vi: usize = 0;
    while (vi < count) {
      const v = nodes + vi * NODE;
      const vs = <usize>load<i32>(v + 32), ve = <usize>load<i32>(v + 36);
      const mx = load<f64>(v), my = load<f64>(v + 8);
      const dx = max(max(bx0 - mx, mx - bx1), 0), dy = max(max(by0 - my, my - by1), 0);
      if (!(vs <= gs && ge <= ve) && dx * dx + dy * dy > load<f64>(v + 24)) {
        store<f32>(lx + (len << 2), <f32>(mx - cx)); store<f32>(ly + (len << 2), <f32>(my - cy));
        store<f32>(lm + (len << 2), <f32>load<f64>(v + 16)); len++;
        vi = <usize>load<i32>(v + 40);
      } else if (load<i32>(v + 48) != 0) {
        for (let k = vs; k < ve; k++) {
          store<f32>(lx + (len << 2), <f32>(load<f64>(sx + (k << 3)) - cx));
          store<f32>(ly + (len << 2), <f32>(load<f64>(sy + (k << 3)) - cy));
          store<f32>(lm + (len << 2), 1); len++;
        }
        vi = <usize>load<i32>(v + 40);
      } else vi++;
    }
    for (let k = gs; k < ge; k++) {
      const fx32 = <f32>(load<f64>(sx + (k << 3)) - cx), fy32 = <f32>(load<f64>(sy + (k << 3)) - cy);
      let q: f64 = 0, fx: f64 = 0, fy: f64 = 0;
      let j: usize = 0;
      if (ASC_FEATURE_SIMD) {
        const vx = f32x4.splat(fx32), vy = f32x4.splat(fy32), one = f32x4.splat(1);
        let aq = f32x4.splat(0), ax = f32x4.splat(0), ay = f32x4.splat(0);
        for (; j + 4 <= len; j += 4) {
          const ddx = f32x4.sub(vx, v128.load(lx + (j << 2))), ddy = f32x4.sub(vy, v128.load(ly + (j << 2)));
          const w = f32x4.div(one, f32x4.add(one, f32x4.add(f32x4.mul(ddx, ddx), f32x4.mul(ddy, ddy))));
          const mw = f32x4.mul(v128.load(lm + (j << 2)), w), mw2 = f32x4.mul(mw, w);
          aq = f32x4.add(aq, mw); ax = f32x4.add(ax, f32x4.mul(mw2, ddx)); ay = f32x4.add(ay, f32x4.mul(mw2, ddy));
        }
        q = sum4(aq); fx = sum4(ax); fy = sum4(ay);
      }
      let tq: f32 = 0, tx: f32 = 0, ty: f32 = 0;
      for (; j < len; j++) {
        const ddx = fx32 - load<f32>(lx + (j << 2)), ddy = fy32 - load<f32>(ly + (j << 2));
        const w: f32 = 1 / (1 + (ddx * ddx + ddy * ddy));
        const mw = load<f32>(lm + (j << 2)) * w, mw2 = mw * w;
        tq += mw; tx += mw2 * ddx; ty += mw2 * ddy;
      }
      // The list holds the point itself: w = 1 exactly and no force; take its 1 out of q.
      q += <f64>tq - 1; fx += tx; fy += ty;
      const out = rep + (<usize>load<i32>(perm + (k << 2)) << 4);
      store<f64>(out, fx); store<f64>(out + 8, fy);
      z += q;
    }
  }
  return z;
}

/** The four f32 lanes summed in f64: (l0 + l2) + (l1 + l3). */
@inline function sum4(v: v128): f64 {
  const s = f64x2.add(f64x2.promote_low_f32x4(v), f64x2.promote_low_f32x4(f32x4.shuffle(v, v, 2, 3, 2, 3)));
  return f64x2.extract_lane(s, 0) + f64x2.extract_lane(s, 1);
}

// ---- optimiser step ----

/**
 * bhtsne's step on len = n * dims values, in place on gains, update and y:
 * g = 4 (attr - zInv rep); gain = sign(g) != sign(update) ? gain + 0.2 : gain * 0.8, at least 0.01;
 * update = momentum update - eta gain g; y += update; then each column of y [n, dims] is shifted
 * to mean zero (summed down the rows in order). Same bits in both builds and as the reference.
 */
export function tsne_step_f64(n: i32, dims: i32, attr: usize, rep: usize, zInv: f64, momentum: f64, eta: f64,
  gains: usize, update: usize, y: usize): void {
  if (n <= 0 || dims <= 0) return;
  const len = <usize>n * <usize>dims;
  let i: usize = 0;
  if (ASC_FEATURE_SIMD) {
    const four = f64x2.splat(4), vz = f64x2.splat(zInv), zero = f64x2.splat(0), up = f64x2.splat(0.2);
    const down = f64x2.splat(0.8), least = f64x2.splat(0.01), vm = f64x2.splat(momentum), ve = f64x2.splat(eta);
    for (; i + 2 <= len; i += 2) {
      const o = i << 3;
      const g = f64x2.mul(four, f64x2.sub(v128.load(attr + o), f64x2.mul(vz, v128.load(rep + o))));
      const u = v128.load(update + o);
      const same = v128.or(v128.or(v128.and(f64x2.gt(g, zero), f64x2.gt(u, zero)), v128.and(f64x2.lt(g, zero), f64x2.lt(u, zero))),
        v128.and(f64x2.eq(g, zero), f64x2.eq(u, zero)));
      let gain = v128.load(gains + o);
      gain = v128.bitselect(f64x2.mul(gain, down), f64x2.add(gain, up), same);
      gain = v128.bitselect(least, gain, f64x2.lt(gain, least));
      const nu = f64x2.sub(f64x2.mul(vm, u), f64x2.mul(f64x2.mul(ve, gain), g));
      v128.store(gains + o, gain); v128.store(update + o, nu);
      v128.store(y + o, f64x2.add(v128.load(y + o), nu));
    }
  }
  for (; i < len; i++) {
    const o = i << 3;
    const g = 4 * (load<f64>(attr + o) - zInv * load<f64>(rep + o));
    const u = load<f64>(update + o);
    const same = (g > 0 && u > 0) || (g < 0 && u < 0) || (g == 0 && u == 0);
    let gain = load<f64>(gains + o);
    gain = same ? gain * 0.8 : gain + 0.2;
    if (gain < 0.01) gain = 0.01;
    const nu = momentum * u - eta * gain * g;
    store<f64>(gains + o, gain); store<f64>(update + o, nu);
    store<f64>(y + o, load<f64>(y + o) + nu);
  }
  const D = <usize>dims, N = <usize>n;
  if (ASC_FEATURE_SIMD && D == 2) {
    let m = f64x2.splat(0);
    for (let r: usize = 0; r < N; r++) m = f64x2.add(m, v128.load(y + (r << 4)));
    m = f64x2.div(m, f64x2.splat(<f64>n));
    for (let r: usize = 0; r < N; r++) v128.store(y + (r << 4), f64x2.sub(v128.load(y + (r << 4)), m));
    return;
  }
  for (let c: usize = 0; c < D; c++) {
    let m: f64 = 0;
    for (let r: usize = 0; r < N; r++) m += load<f64>(y + ((r * D + c) << 3));
    m /= <f64>n;
    for (let r: usize = 0; r < N; r++) store<f64>(y + ((r * D + c) << 3), load<f64>(y + ((r * D + c) << 3)) - m);
  }
}
