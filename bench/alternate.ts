// Two step functions timed alternately, one call each in turn, after `warm` untimed rounds: a
// machine whose speed drifts then favours neither. Returns the mean ms per call of each.
export function alternate(steps: number, warm: number, a: (i: number) => void, b: (i: number) => void): { a: number; b: number } {
  for (let i = 0; i < warm; i++) { a(i); b(i); }
  let ta = 0, tb = 0;
  for (let i = 0; i < steps; i++) {
    let t = performance.now();
    a(warm + i);
    ta += performance.now() - t;
    t = performance.now();
    b(warm + i);
    tb += performance.now() - t;
  }
  return { a: ta / steps, b: tb / steps };
}
