/**
 * Shared pieces of the score-based attack tests (Square, Sparse-RS): a model that refuses to be
 * differentiated, a plain-JS linear scorer for the random search, and host-side norms.
 */
import * as g from '../../src/index.js';
import type { Tensor } from '../../src/index.js';
import { record } from '../../src/core/autograd.js';
import type { AttackModel } from '../../src/attacks/index.js';
import type { Classifier } from '../../src/models/classifier.js';

/**
 * Wraps a classifier so that a gradient is impossible to take unnoticed: every forward must run
 * with recording off (else `recordedForwards` counts it), and logits recorded anyway carry a
 * backward that throws.
 */
export class GradientTrap implements AttackModel {
  recordedForwards = 0;
  forwards = 0;
  constructor(readonly inner: Classifier) {}
  get training(): boolean { return this.inner.training; }
  set training(v: boolean) { this.inner.training = v; }
  train(mode = true): unknown { return this.inner.train(mode); }
  forward(x: Tensor): Tensor {
    this.forwards++;
    if (g.isGradEnabled()) this.recordedForwards++;
    const y = this.inner.forward(x);
    return record('gradient-trap', [x, ...this.inner.parameters()], y, () => {
      throw new Error('GradientTrap: backward was called: a score-based attack must never take a gradient');
    });
  }
}

/** A plain-JS linear model: logits = W·v + b for a flat sample v. */
export function linearLogits(weight: number[][], bias: number[], v: ArrayLike<number>): number[] {
  return weight.map((row, k) => row.reduce((s, w, j) => s + w * v[j]!, bias[k]!));
}

/** margin Z_y − max_{j≠y} Z_j, written out independently of src */
export function margin(z: number[], y: number): number {
  return z[y]! - Math.max(...z.filter((_, j) => j !== y));
}

export function perSample(t: Tensor): number[][] {
  const d = Array.from(t.dataSync());
  const n = t.shape[0]!, m = d.length / n;
  return Array.from({ length: n }, (_, i) => d.slice(i * m, (i + 1) * m));
}

export function l2(a: number[], b: number[]): number {
  return Math.hypot(...a.map((v, i) => v - b[i]!));
}
