/**
 * Central finite differences against the analytic gradient, in float64 on the CPU reference.
 * The scalar checked is Σ w ∘ f(x) with fixed random weights w, so every output element counts.
 */
import { expect } from 'vitest';
import * as g from '../../src/index.js';
import type { Backend, Tensor } from '../../src/index.js';

export interface GradCheckOptions {
  eps?: number;
  /** |analytic − numeric| <= atol + rtol·|numeric| */
  rtol?: number;
  atol?: number;
  backend?: Backend;
}

function evalScalar(fn: (...xs: Tensor[]) => Tensor, inputs: Float64Array[], shapes: number[][], weights: Float64Array | null, backend?: Backend): number {
  return g.tidy(() => {
    const xs = inputs.map((d, i) => g.tensor(d, { shape: shapes[i], dtype: 'float64', backend }));
    const y = fn(...xs);
    const yd = y.dataSync();
    let s = 0;
    for (let i = 0; i < yd.length; i++) s += (weights ? weights[i]! : 1) * yd[i]!;
    return s;
  });
}

/** Checks d(Σ w∘fn)/dx_i for every input; returns the worst relative error seen. */
export function gradCheck(fn: (...xs: Tensor[]) => Tensor, inputs: Float64Array[], shapes: number[][], o: GradCheckOptions = {}): number {
  const eps = o.eps ?? 1e-6, rtol = o.rtol ?? 1e-6, atol = o.atol ?? 1e-8;
  // output size and weights
  const outSize = g.tidy(() => fn(...inputs.map((d, i) => g.tensor(d, { shape: shapes[i], dtype: 'float64', backend: o.backend }))).size);
  const gen = new g.Generator(1234);
  const weights = gen.uniform(outSize, 0.5, 1.5);
  const analytic = g.tidy(() => {
    const xs = inputs.map((d, i) => g.tensor(d, { shape: shapes[i], dtype: 'float64', backend: o.backend, requiresGrad: true }));
    const y = fn(...xs);
    const w = g.tensor(weights, { shape: y.shape, dtype: 'float64', backend: o.backend });
    const s = g.sum(g.mul(y, w));
    s.backward();
    return xs.map((x) => (x.grad ? Float64Array.from(x.grad.dataSync()) : new Float64Array(x.size)));
  });
  let worst = 0;
  inputs.forEach((inp, i) => {
    for (let j = 0; j < inp.length; j++) {
      const orig = inp[j]!;
      inp[j] = orig + eps;
      const plus = evalScalar(fn, inputs, shapes, weights, o.backend);
      inp[j] = orig - eps;
      const minus = evalScalar(fn, inputs, shapes, weights, o.backend);
      inp[j] = orig;
      const numeric = (plus - minus) / (2 * eps);
      const a = analytic[i]![j]!;
      const err = Math.abs(a - numeric);
      worst = Math.max(worst, err / (atol + rtol * Math.abs(numeric)));
      if (!(err <= atol + rtol * Math.abs(numeric))) {
        expect.fail(`gradient of input ${i} element ${j}: analytic ${a} vs numeric ${numeric} (|diff| ${err.toExponential(2)}, shapes ${JSON.stringify(shapes)})`);
      }
    }
  });
  return worst;
}
