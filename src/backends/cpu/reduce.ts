/**
 * Reductions of x viewed as [outer, reduce, inner] into [outer, inner].
 * Sums and products accumulate in float64. max/min propagate NaN; argmax/argmin return the first
 * index of the extreme value, a NaN counting as the extreme (as PyTorch), so ties go to the front.
 * inner = 1 walks each row contiguously; inner > 1 sweeps whole [inner] slabs (also contiguous)
 * into a float64 accumulator row, so memory is always read in order.
 */
import type { ReduceOp } from '../../core/backend.js';
import type { TypedArray } from '../../core/dtype.js';
import type { Scratch } from './scratch.js';

function start(op: ReduceOp): number {
  switch (op) {
    case 'sum': return 0;
    case 'prod': return 1;
    case 'max': case 'argmax': return -Infinity;
    case 'min': case 'argmin': return Infinity;
  }
}

export function reduceInto(op: ReduceOp, x: TypedArray, out: TypedArray, outer: number, red: number, inner: number, scratch: Scratch): void {
  if (op === 'argmax' || op === 'argmin') {
    argReduce(op === 'argmax', x, out, outer, red, inner, scratch);
    return;
  }
  if (inner === 1) {
    for (let o = 0; o < outer; o++) out[o] = reduceRow(op, x, o * red, red);
    return;
  }
  const acc = scratch.get('accumulator', inner);
  for (let o = 0; o < outer; o++) {
    acc.fill(start(op));
    const base = o * red * inner;
    for (let r = 0; r < red; r++) accumulateSlab(op, acc, x, base + r * inner, inner);
    const ob = o * inner;
    for (let i = 0; i < inner; i++) out[ob + i] = acc[i]!;
  }
}

function reduceRow(op: ReduceOp, x: TypedArray, base: number, n: number): number {
  const end = base + n;
  switch (op) {
    case 'sum': { let s = 0; for (let i = base; i < end; i++) s += x[i]!; return s; }
    case 'prod': { let s = 1; for (let i = base; i < end; i++) s *= x[i]!; return s; }
    case 'max': {
      let m = -Infinity;
      for (let i = base; i < end; i++) { const v = x[i]!; if (v > m) m = v; else if (v !== v) return NaN; }
      return m;
    }
    case 'min': {
      let m = Infinity;
      for (let i = base; i < end; i++) { const v = x[i]!; if (v < m) m = v; else if (v !== v) return NaN; }
      return m;
    }
    default: throw new Error(`reduceRow: ${op} is not a value reduction`);
  }
}

function accumulateSlab(op: ReduceOp, acc: Float64Array, x: TypedArray, base: number, n: number): void {
  switch (op) {
    case 'sum': for (let i = 0; i < n; i++) acc[i] += x[base + i]!; return;
    case 'prod': for (let i = 0; i < n; i++) acc[i] *= x[base + i]!; return;
    // Math.max/min keep NaN once it appears
    case 'max': for (let i = 0; i < n; i++) acc[i] = Math.max(acc[i]!, x[base + i]!); return;
    case 'min': for (let i = 0; i < n; i++) acc[i] = Math.min(acc[i]!, x[base + i]!); return;
    default: throw new Error(`accumulateSlab: ${op} is not a value reduction`);
  }
}

/** out (int32) = index of the first maximum (or minimum) along the reduced axis; NaN wins */
function argReduce(isMax: boolean, x: TypedArray, out: TypedArray, outer: number, red: number, inner: number, scratch: Scratch): void {
  if (red === 0) {
    out.fill(0);
    return;
  }
  if (inner === 1) {
    for (let o = 0; o < outer; o++) {
      const base = o * red;
      let best = x[base]!;
      let at = 0;
      if (best === best) {
        for (let r = 1; r < red; r++) {
          const v = x[base + r]!;
          if (v !== v) { at = r; break; }
          if (isMax ? v > best : v < best) { best = v; at = r; }
        }
      }
      out[o] = at;
    }
    return;
  }
  const best = scratch.get('accumulator', inner);
  for (let o = 0; o < outer; o++) {
    const base = o * red * inner, ob = o * inner;
    for (let i = 0; i < inner; i++) { best[i] = x[base + i]!; out[ob + i] = 0; }
    for (let r = 1; r < red; r++) {
      const slab = base + r * inner;
      for (let i = 0; i < inner; i++) {
        const v = x[slab + i]!, b = best[i]!;
        // once the best is NaN it stays; a NaN replaces any number
        if (b === b && (v !== v || (isMax ? v > b : v < b))) { best[i] = v; out[ob + i] = r; }
      }
    }
  }
}
