/**
 * The kernel density detector (Feinman et al. 2017) against a direct plain-JS KDE: per-class
 * −log densities, the predicted-class score, invariances, the bandwidth rule and its choice by
 * held-out likelihood, calibration, and the gradient the adaptive attacks follow.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import * as g from '../../src/index.js';
import { groupByClass, KernelDensityDetector, scottBandwidth } from '../../src/detect/index.js';
import { affineClassifier, labels } from '../attacks/fixtures.js';

/** plain JS: −log (1/n) Σᵢ N(q; xᵢ, σ²I) with a naive (but shifted) sum of exponentials */
function negLogKde(train: number[][], q: number[], bw: number): number {
  const d = q.length;
  const e = train.map((x) => -x.reduce((s, xj, j) => s + (q[j]! - xj) ** 2, 0) / (2 * bw * bw));
  const top = Math.max(...e);
  const density = e.reduce((s, v) => s + Math.exp(v - top), 0) / train.length;
  return -(top + Math.log(density) - (d / 2) * Math.log(2 * Math.PI * bw * bw));
}

const identity = (d: number) => Array.from({ length: d }, (_, i) => Array.from({ length: d }, (_, j) => (i === j ? 1 : 0)));

/** K classes of Gaussian blobs in D dims; features = x (identity backbone), logits = x (class c wins on axis c) */
function blobs(seed: number, perClass: number, k = 3, spread = 0.3, shift = 0, scale = 1) {
  const gen = new g.Generator(seed);
  const pts: number[][] = [], ys: number[] = [];
  for (let c = 0; c < k; c++) {
    for (let i = 0; i < perClass; i++) {
      const z = gen.normal(k, 0, spread);
      pts.push(Array.from(z, (v, j) => scale * (v + (j === c ? 2 : 0)) + shift));
      ys.push(c);
    }
  }
  return { pts, ys };
}

describe('KernelDensityDetector', () => {
  const model = affineClassifier(identity(3), null);
  const { pts, ys } = blobs(5, 30);
  const x = g.tensor(pts, { dtype: 'float64' });
  const y = labels(ys);

  it('per-class scores equal −log of the plain-JS KDE, and the score is the predicted class entry', async () => {
    const det = await KernelDensityDetector.fit(model, x, y, { bandwidth: 0.4 });
    const probe = [[2, 0.1, -0.2], [0.3, 1.8, 0.1], [1, 1, 1], [5, -3, 0]];
    const scores = g.noGrad(() => det.classScoresFromFeatures(g.tensor(probe, { dtype: 'float64' }))).dataSync();
    probe.forEach((q, i) => {
      for (let c = 0; c < 3; c++) {
        const ref = negLogKde(pts.filter((_, j) => ys[j] === c), q, 0.4);
        expect(Math.abs(scores[i * 3 + c]! - ref)).toBeLessThan(1e-9 * Math.max(1, Math.abs(ref)));
      }
    });
    const s = await det.scores(g.tensor(probe, { dtype: 'float64' }));
    probe.forEach((q, i) => {
      const pred = q.indexOf(Math.max(...q));
      expect(s[i]).toBeCloseTo(scores[i * 3 + pred]!, 12);
    });
    det.dispose();
  });

  it('is translation invariant and shifts by d·log s when features and bandwidth scale by s', async () => {
    await fc.assert(fc.asyncProperty(fc.double({ min: -5, max: 5, noNaN: true }), fc.double({ min: 0.2, max: 5, noNaN: true }), async (shift, scale) => {
      const base = blobs(9, 8);
      const moved = blobs(9, 8, 3, 0.3, shift, scale);
      const probe = [[1.5, 0.2, 0.1], [0.1, 0.3, 2.2]];
      const det0 = await KernelDensityDetector.fit(model, g.tensor(base.pts, { dtype: 'float64' }), labels(base.ys), { bandwidth: 0.5 });
      const det1 = await KernelDensityDetector.fit(model, g.tensor(moved.pts, { dtype: 'float64' }), labels(moved.ys), { bandwidth: 0.5 * scale });
      const a = g.noGrad(() => det0.classScoresFromFeatures(g.tensor(probe, { dtype: 'float64' }))).dataSync();
      const b = g.noGrad(() => det1.classScoresFromFeatures(g.tensor(probe.map((r) => r.map((v) => v * scale + shift)), { dtype: 'float64' }))).dataSync();
      for (let i = 0; i < a.length; i++) expect(b[i]!).toBeCloseTo(a[i]! + 3 * Math.log(scale), 7);
    }), { numRuns: 8, seed: 3 });
  });

  it('Scott bandwidth is scale-equivariant; the held-out likelihood choice equals a brute-force argmax', async () => {
    const cf = groupByClass(Float64Array.from(pts.flat()), ys, 3, 3);
    const scaled = groupByClass(Float64Array.from(pts.flat().map((v) => 3 * v)), ys, 3, 3);
    expect(scottBandwidth(scaled)).toBeCloseTo(3 * scottBandwidth(cf), 10);
    const held = blobs(77, 20);
    const candidates = [0.01, 0.1, 0.3, 0.6, 5];
    const choice = await KernelDensityDetector.chooseBandwidth(model, x, y, g.tensor(held.pts, { dtype: 'float64' }), labels(held.ys), { candidates });
    const brute = candidates.map((bw) => held.pts.reduce((s, q, i) => s - negLogKde(pts.filter((_, j) => ys[j] === held.ys[i]), q, bw), 0) / held.pts.length);
    brute.forEach((v, i) => expect(choice.meanLogLikelihood[i]).toBeCloseTo(v, 8));
    expect(choice.bandwidth).toBe(candidates[brute.indexOf(Math.max(...brute))]);
    expect(choice.bandwidth).not.toBe(0.01);
    expect(choice.bandwidth).not.toBe(5);
  });

  it('calibrates τ so that the requested fraction of clean inputs is accepted; far points are flagged', async () => {
    const det = await KernelDensityDetector.fit(model, x, y);
    const held = blobs(31, 40);
    const hx = g.tensor(held.pts, { dtype: 'float64' });
    const tau = await det.calibrate(hx, labels(held.ys), { tpr: 0.9 });
    const s = await det.scores(hx);
    const correct = held.pts.map((q, i) => q.indexOf(Math.max(...q)) === held.ys[i]);
    const kept = Array.from(s).filter((_, i) => correct[i]);
    const accepted = kept.filter((v) => v <= tau).length / kept.length;
    expect(accepted).toBeGreaterThanOrEqual(0.9);
    expect(accepted).toBeLessThan(0.9 + 1.5 / kept.length);
    expect(await det.flag(g.tensor([[6, 0, 0], [2, 0, 0]], { dtype: 'float64' }))).toEqual([true, false]);
    det.dispose();
  });

  it('the score is differentiable: its gradient matches central differences', async () => {
    const det = await KernelDensityDetector.fit(model, x, y, { bandwidth: 0.5 });
    const q = [1.2, 0.4, -0.1];
    const f = (v: number[]) => g.noGrad(() => det.scoreFromFeatures(g.tensor([v], { dtype: 'float64' }))).dataSync()[0]!;
    const grad = g.valueAndGrad((t: g.Tensor) => g.sum(det.scoreFromFeatures(t)))(g.tensor([q], { dtype: 'float64' })).grads[0]!.dataSync();
    for (let j = 0; j < 3; j++) {
      const h = 1e-6, up = [...q], dn = [...q];
      up[j]! += h; dn[j]! -= h;
      expect(grad[j]!).toBeCloseTo((f(up) - f(dn)) / (2 * h), 5);
    }
  });

  it('float32 features score as float64 ones do (the expanded distances stay accurate)', async () => {
    const det = await KernelDensityDetector.fit(model, x, y, { bandwidth: 0.4 });
    const probe = [[2, 0.1, -0.2], [0.3, 1.8, 0.1], [1, 1, 1]];
    // per-class scores: the fixture's head is float64, the stored features follow the input's dtype
    const s64 = g.noGrad(() => det.classScoresFromFeatures(g.tensor(probe, { dtype: 'float64' }))).dataSync();
    const s32 = g.noGrad(() => det.classScoresFromFeatures(g.tensor(probe, { dtype: 'float32' }))).dataSync();
    s64.forEach((v, i) => expect(Math.abs(s32[i]! - v)).toBeLessThan(1e-4 * Math.max(1, Math.abs(v))));
    det.dispose();
  });

  it('errors clearly on a bad bandwidth or feature shape', async () => {
    await expect(KernelDensityDetector.fit(model, x, y, { bandwidth: -1 })).rejects.toThrow(/bandwidth must be a finite number > 0/);
    const det = await KernelDensityDetector.fit(model, x, y, { maxPerClass: 5, seed: 1 });
    expect(det.classFeatures.offsets[3]).toBe(15);
    expect(() => det.classScoresFromFeatures(g.zeros([2, 4], { dtype: 'float64' }))).toThrow(/features must be \[N, 3\]/);
  });
});
