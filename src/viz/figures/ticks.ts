/** Tick values and tick labels of plot axes. */

function niceStep(span: number, target: number): number {
  const raw = span / Math.max(1, target);
  const mag = Math.pow(10, Math.floor(Math.log10(raw)));
  const f = raw / mag;
  return (f < 1.5 ? 1 : f < 3 ? 2 : f < 7 ? 5 : 10) * mag;
}

/** Round tick values (steps of 1, 2 or 5 times a power of ten) inside [lo, hi], about `target` of them. */
export function niceTicks(lo: number, hi: number, target = 5): { values: number[]; step: number } {
  if (!(Number.isFinite(lo) && Number.isFinite(hi)) || hi <= lo) return { values: Number.isFinite(lo) ? [lo] : [], step: 1 };
  const step = niceStep(hi - lo, target);
  const values: number[] = [];
  const first = Math.ceil(lo / step - 1e-9);
  for (let k = first; k * step <= hi + step * 1e-9; k++) values.push(Math.abs(k * step) < step * 1e-9 ? 0 : k * step);
  return { values, step };
}

/** A tick label: as many decimals as the step needs; exponent form for very large or small numbers. */
export function formatNumber(v: number, step = 0): string {
  if (Number.isNaN(v)) return "NaN";
  if (!Number.isFinite(v)) return v > 0 ? "inf" : "-inf";
  if (v === 0) return "0";
  const a = Math.abs(v);
  if (a >= 1e6 || (step > 0 && step < 1e-4) || (step === 0 && a < 1e-4)) {
    const s = v.toExponential(step > 0 ? Math.max(0, Math.min(6, Math.round(Math.log10(a / step)))) : 2);
    return s.replace(/\.?0+e/, "e").replace("e+", "e");
  }
  const decimals = step > 0 ? Math.max(0, Math.ceil(-Math.log10(step) - 1e-9)) : Math.max(0, Math.min(6, 3 - Math.floor(Math.log10(a))));
  let s = v.toFixed(decimals);
  if (step === 0 && s.includes(".")) s = s.replace(/\.?0+$/, "");
  return /^-0(\.0*)?$/.test(s) ? s.slice(1) : s;
}
