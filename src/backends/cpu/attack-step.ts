/**
 * The fused L∞ attack step (LinfStepParams): one pass instead of sign, scale, add, two bounds, max,
 * min and clip. The arithmetic is rounded as the composed float32 ops round it (α·sign(g) and
 * x ± ε each rounded to the output's dtype), so the fused and composed steps agree exactly.
 */
import type { LinfStepParams } from '../../core/backend.js';
import type { TypedArray } from '../../core/dtype.js';

export function linfStepInto(out: TypedArray, xAdv: TypedArray, x: TypedArray, g: TypedArray, p: LinfStepParams): void {
  const round = out instanceof Float32Array ? Math.fround : (v: number) => v;
  const step = round(p.alpha);
  for (let i = 0; i < p.size; i++) {
    const gi = g[i]!;
    const s = gi > 0 ? 1 : gi < 0 ? -1 : gi === 0 ? 0 : NaN;
    const moved = round(xAdv[i]! + step * s);
    const xi = x[i]!;
    const lower = round(xi - p.eps), upper = round(xi + p.eps);
    // max/min propagate NaN like the composed ops (a NaN gradient must not pass as a valid step)
    const projected = Math.min(Math.max(moved, lower), upper);
    out[i] = Math.min(Math.max(projected, p.lo), p.hi);
  }
}
