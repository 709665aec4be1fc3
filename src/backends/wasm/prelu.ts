/**
 * The fused PReLU on the wasm kernels (kernels/prelu.ts; the arguments are checked by the caller
 * through KernelChecks.prelu): the split over threads, and the per-slope sums of the weight gradient (float64 per channel and thread, added in a fixed
 * order).
 */
import type { PreluParams } from '../../core/backend.js';
import { PRELU_BACKWARD_DRIVER, PRELU_FIELDS, PRELU_FORWARD_DRIVER } from './kernels/prelu.js';
import { splitRange } from './partition.js';
import { need, type KernelRuntime } from './runtime.js';

/** channels split over threads, or outer rows when there are fewer channels */
function parts(rt: KernelRuntime, p: PreluParams, flopsPerValue: number): Array<{ c0: number; c1: number; o0: number; o1: number }> {
  const whole = { c0: 0, c1: p.c, o0: 0, o1: p.outer };
  if (!rt.parallel(p.outer * p.c * p.inner * flopsPerValue)) return [whole];
  const T = rt.threads;
  if (p.c >= T) return splitRange(p.c, T).map(([c0, c1]) => ({ ...whole, c0, c1 }));
  if (p.outer >= T) return splitRange(p.outer, T).map(([o0, o1]) => ({ ...whole, o0, o1 }));
  return [whole];
}

export function preluForwardInto(rt: KernelRuntime, x: Float32Array, w: Float32Array, y: Float32Array, p: PreluParams): void {
  const count = p.outer * p.c * p.inner;
  need('prelu', 'x', x, count);
  need('prelu', 'weight', w, p.shared ? 1 : p.c);
  rt.withOperands('prelu', y, count, [x, w], (Y, [X, W]) => {
    const base = { x: X!, w: W!, y: Y, g: 0, acc: 0, outer: p.outer, c: p.c, inner: p.inner, shared: p.shared ? 1 : 0 };
    rt.dispatch(PRELU_FORWARD_DRIVER, PRELU_FIELDS, parts(rt, p, 3).map((part) => [base, part]));
  });
}

/** dx, and dWeight (one value per slope: p.shared ? 1 : p.c) */
export function preluBackwardInto(rt: KernelRuntime, g: Float32Array, x: Float32Array, w: Float32Array, dx: Float32Array,
  dWeight: Float32Array, p: PreluParams): void {
  const count = p.outer * p.c * p.inner;
  need('preluBackward', 'g', g, count);
  need('preluBackward', 'x', x, count);
  need('preluBackward', 'weight', w, p.shared ? 1 : p.c);
  if (dWeight.length !== (p.shared ? 1 : p.c)) throw new RangeError(`wasm preluBackward: dWeight has ${dWeight.length} elements, expected ${p.shared ? 1 : p.c}`);
  const sums = new Float64Array(p.c);
  rt.withOperands('preluBackward', dx, count, [g, x, w], (DX, [G, X, W]) => {
    const base = { x: X!, w: W!, y: DX, g: G!, outer: p.outer, c: p.c, inner: p.inner, shared: p.shared ? 1 : 0 };
    const shares = parts(rt, p, 4);
    const accs: number[] = [];
    rt.dispatch(PRELU_BACKWARD_DRIVER, PRELU_FIELDS, shares.map((part, t) => {
      // float64 per channel: 2 float32 slots each
      const [acc] = rt.ensureScratch(t, [2 * p.c]);
      new Float64Array(rt.heap.buffer, acc!, p.c).fill(0);
      accs.push(acc!);
      return [base, part, { acc: acc! }];
    }));
    for (const acc of accs) {
      const a = new Float64Array(rt.heap.buffer, acc, p.c);
      for (let ch = 0; ch < p.c; ch++) sums[ch]! += a[ch]!;
    }
  });
  if (p.shared) dWeight[0] = sums.reduce((s, v) => s + v, 0);
  else dWeight.set(sums);
}
