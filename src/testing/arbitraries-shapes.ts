/**
 * Sizes and shapes for property tests of SIMD code. A kernel that runs four f32 lanes at a time
 * goes wrong first at 0, at 1, and at a tail of one to three values past a whole number of
 * vectors (4k+1..4k+3), so those are drawn more often than a uniform integer would draw them.
 * Everything shrinks towards small: sizes towards their minimum, shapes towards low rank and
 * small dimensions.
 */
import fc from "fast-check";

export interface SizeArbOptions {
  /** Smallest size (default 0). */
  readonly min?: number;
  /** Largest size (default 64). */
  readonly max?: number;
}

function nonNegative(v: number, what: string): number {
  if (!Number.isSafeInteger(v) || v < 0) throw new RangeError(`${what} must be a non-negative integer, got ${v}`);
  return v;
}

/** Sizes 4k+1..4k+3 in [min, max], shrinking to the smallest; null when there is none. */
function tailArb(min: number, max: number): fc.Arbitrary<number> | null {
  if (max === min && min % 4 === 0) return null;
  const k = fc.integer({ min: Math.floor(min / 4), max: Math.max(Math.floor((max - 1) / 4), Math.floor(min / 4)) });
  return fc.tuple(k, fc.integer({ min: 1, max: 3 })).map(([q, r]) => 4 * q + r).filter((n) => n >= min && n <= max);
}

/**
 * Sizes in [min, max] (default [0, 64]): a union, in this order, of the smallest sizes
 * (min..min+3: 0 and 1 by default), SIMD tails 4k+1..4k+3 (every odd size among them) and any
 * size (whole vectors 4k among them). Shrinks towards min.
 */
export function sizeArb(o: SizeArbOptions = {}): fc.Arbitrary<number> {
  const min = nonNegative(o.min ?? 0, "sizeArb min");
  const max = nonNegative(o.max ?? Math.max(64, min), "sizeArb max");
  if (max < min) throw new RangeError(`sizeArb: max ${max} is below min ${min}`);
  const parts: fc.WeightedArbitrary<number>[] = [{ arbitrary: fc.integer({ min, max: Math.min(max, min + 3) }), weight: 3 }];
  const tails = tailArb(min, max);
  if (tails) parts.push({ arbitrary: tails, weight: 4 });
  parts.push({ arbitrary: fc.integer({ min, max }), weight: 2 });
  return fc.oneof({ withCrossShrink: true }, ...parts);
}

export interface ShapeArbOptions {
  /** A fixed rank (sets minRank and maxRank). */
  readonly rank?: number;
  /** Default 1 (0 gives scalars, shape []). */
  readonly minRank?: number;
  /** Default 4. */
  readonly maxRank?: number;
  /** Smallest dimension (default 0: empty tensors are drawn). */
  readonly minSize?: number;
  /** Largest dimension (default 33: two 16-wide blocks and a tail). */
  readonly maxSize?: number;
  /** Largest number of elements, the product of the dimensions (default 1024). */
  readonly maxElements?: number;
}

interface ShapeBounds {
  readonly minRank: number;
  readonly maxRank: number;
  readonly minSize: number;
  readonly maxSize: number;
  readonly maxElements: number;
}

function shapeBounds(o: ShapeArbOptions): ShapeBounds {
  const minRank = nonNegative(o.rank ?? o.minRank ?? 1, "shapeArb minRank");
  const maxRank = nonNegative(o.rank ?? o.maxRank ?? Math.max(4, minRank), "shapeArb maxRank");
  const minSize = nonNegative(o.minSize ?? 0, "shapeArb minSize");
  const maxSize = nonNegative(o.maxSize ?? Math.max(33, minSize), "shapeArb maxSize");
  const maxElements = nonNegative(o.maxElements ?? 1024, "shapeArb maxElements");
  if (maxRank < minRank) throw new RangeError(`shapeArb: maxRank ${maxRank} is below minRank ${minRank}`);
  if (maxSize < minSize) throw new RangeError(`shapeArb: maxSize ${maxSize} is below minSize ${minSize}`);
  if (Math.max(minSize, 1) ** minRank > maxElements) {
    throw new RangeError(`shapeArb: no shape of rank ${minRank} with dimensions >= ${minSize} has at most ${maxElements} elements`);
  }
  return { minRank, maxRank, minSize, maxSize, maxElements };
}

/** The product of the dimensions with zeros counted as ones: what bounds a shape's extent. */
function extent(shape: readonly number[]): number {
  return shape.reduce((p, d) => p * Math.max(d, 1), 1);
}

/** Integer shrinks of d towards target: the target first, then halfway, ..., d - 1. */
function* shrinkDim(d: number, target: number): Generator<number> {
  if (d <= target) return;
  yield target;
  for (let h = Math.floor((d - target) / 2); h > 0; h = Math.floor(h / 2)) yield d - h;
}

/**
 * Shapes drawn dimension by dimension from sizeArb, within the bounds, in a random order of
 * axes. The shrinker needs no context (so a shape a user wrote shrinks too) and offers, in this
 * order: dropping an axis, merging two axes into one of their product (the other set to 1, which
 * keeps the element count so that a failure that needs n elements survives a lower rank), and
 * shrinking one dimension towards minSize. Each step lowers (rank, axes > 1, sum of dimensions)
 * in lexicographic order, so shrinking ends.
 */
class ShapeArbitrary extends fc.Arbitrary<number[]> {
  private readonly rankArb: fc.Arbitrary<number>;
  private readonly sizes = new Map<number, fc.Arbitrary<number>>();

  constructor(private readonly b: ShapeBounds) {
    super();
    this.rankArb = fc.integer({ min: b.minRank, max: b.maxRank });
  }

  private size(cap: number): fc.Arbitrary<number> {
    let arb = this.sizes.get(cap);
    if (!arb) this.sizes.set(cap, arb = sizeArb({ min: this.b.minSize, max: cap }));
    return arb;
  }

  generate(mrng: fc.Random, biasFactor: number | undefined): fc.Value<number[]> {
    const { minSize, maxSize, maxElements } = this.b;
    const rank = this.rankArb.generate(mrng, biasFactor).value;
    const lo = Math.max(minSize, 1);
    const dims: number[] = [];
    // budget: how far the extent may still grow; the remaining axes keep room for lo each.
    let budget = maxElements;
    for (let i = 0; i < rank; i++) {
      const cap = Math.min(maxSize, Math.floor(budget / lo ** (rank - i - 1)));
      const d = this.size(cap).generate(mrng, biasFactor).value;
      dims.push(d);
      budget = Math.floor(budget / Math.max(d, 1));
    }
    for (let i = rank - 1; i > 0; i--) {
      const j = mrng.nextInt(0, i);
      [dims[i], dims[j]] = [dims[j]!, dims[i]!];
    }
    return new fc.Value(dims, undefined);
  }

  canShrinkWithoutContext(value: unknown): value is number[] {
    const { minRank, maxRank, minSize, maxSize, maxElements } = this.b;
    return Array.isArray(value) && value.length >= minRank && value.length <= maxRank
      && value.every((d) => Number.isSafeInteger(d) && d >= minSize && d <= maxSize) && extent(value) <= maxElements;
  }

  shrink(value: number[]): fc.Stream<fc.Value<number[]>> {
    return new fc.Stream(this.candidates(value)).map((s) => new fc.Value(s, undefined));
  }

  private *candidates(dims: readonly number[]): Generator<number[]> {
    const { minRank, minSize, maxSize } = this.b;
    const n = dims.length;
    if (n > minRank) for (let i = 0; i < n; i++) yield [...dims.slice(0, i), ...dims.slice(i + 1)];
    if (minSize <= 1) {
      for (let i = 0; i < n; i++) {
        for (let j = i + 1; j < n; j++) {
          const p = dims[i]! * dims[j]!;
          if (dims[i]! > 1 && dims[j]! > 1 && p <= maxSize) {
            const merged = [...dims];
            merged[i] = 1;
            merged[j] = p;
            yield merged;
          }
        }
      }
    }
    for (let i = 0; i < n; i++) {
      for (const d of shrinkDim(dims[i]!, minSize)) {
        const smaller = [...dims];
        smaller[i] = d;
        yield smaller;
      }
    }
  }
}

/**
 * Shapes (arrays of dimensions): rank in [minRank, maxRank] (default [1, 4], or exactly `rank`),
 * each dimension drawn by sizeArb in [minSize, maxSize] (default [0, 33]), at most maxElements
 * elements (default 1024). A zero dimension gives an empty tensor. Shrinks towards low rank and
 * small dimensions, keeping the element count where it can (see ShapeArbitrary).
 */
export function shapeArb(o: ShapeArbOptions = {}): fc.Arbitrary<number[]> {
  return new ShapeArbitrary(shapeBounds(o));
}
