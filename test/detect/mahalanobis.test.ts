/** The Mahalanobis detector: float64 host fit (means, shared covariance), Cholesky with ridge, the score. */
import { describe, expect, it } from 'vitest';
import * as g from '../../src/index.js';
import { cholesky, choleskyWithRidge, ClassCovarianceAccumulator, gram, invertLower, MahalanobisDetector } from '../../src/detect/index.js';
import { affineClassifier, arr, labels, maxAbsDiff } from '../attacks/fixtures.js';

function matmul(a: ArrayLike<number>, b: ArrayLike<number>, n: number): number[] {
  const out = new Array<number>(n * n).fill(0);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) for (let k = 0; k < n; k++) out[i * n + j]! += a[i * n + k]! * b[k * n + j]!;
  return out;
}
const transpose = (a: ArrayLike<number>, n: number) => Array.from({ length: n * n }, (_, idx) => a[(idx % n) * n + Math.floor(idx / n)]!);
const identity = (n: number) => Array.from({ length: n * n }, (_, idx) => (idx % (n + 1) === 0 ? 1 : 0));

describe('float64 linear algebra', () => {
  const A = [4, 2, 0.6, 2, 5, 1, 0.6, 1, 3];

  it('cholesky: L·Lᵀ = A, and L⁻¹·L = I', () => {
    const l = cholesky(Float64Array.from(A), 3)!;
    expect(maxAbsDiff(matmul(l, transpose(l, 3), 3), A)).toBeLessThan(1e-14);
    expect(maxAbsDiff(matmul(invertLower(l, 3), l, 3), identity(3))).toBeLessThan(1e-14);
    expect(cholesky(Float64Array.from([1, 2, 2, 1]), 2)).toBeNull();
  });

  it('a singular covariance gets a ridge until it factors', () => {
    const singular = Float64Array.from([1, 1, 1, 1]);
    expect(cholesky(singular, 2)).toBeNull();
    const { l, ridge } = choleskyWithRidge(singular, 2, 1e-6);
    expect(ridge).toBeGreaterThan(0);
    const shifted = [1 + ridge, 1, 1, 1 + ridge];
    expect(maxAbsDiff(matmul(l, transpose(l, 2), 2), shifted)).toBeLessThan(1e-12);
  });
});

describe('fit on synthetic Gaussian features', () => {
  // features = x (identity backbone); three classes with known means and one covariance Σ = M·Mᵀ
  const K = 3, D = 3, perClass = 1000;
  const mu = [[2, 0, -1], [-1, 3, 0.5], [0, -2, 2]];
  const M = [[1, 0, 0], [0.5, 0.8, 0], [-0.3, 0.2, 0.6]];
  const sigma = matmul(M.flat(), transpose(M.flat(), 3), 3);
  const gen = new g.Generator(99);
  const feats: number[] = [], ys: number[] = [];
  for (let c = 0; c < K; c++) {
    for (let i = 0; i < perClass; i++) {
      const z = gen.normal(D);
      for (let a = 0; a < D; a++) feats.push(mu[c]![a]! + M[a]!.reduce((s, m, b) => s + m * z[b]!, 0));
      ys.push(c);
    }
  }
  const model = affineClassifier([[1, 0, 0], [0, 1, 0], [0, 0, 1]], null);
  const x = g.tensor(feats, { dtype: 'float64', shape: [K * perClass, D] });
  const y = labels(ys);

  it('equals the two-pass empirical means and covariance exactly, across batches', async () => {
    const det = await MahalanobisDetector.fit(model, x, y, { batchSize: 700 });
    const n = K * perClass;
    const emp = mu.map(() => new Array<number>(D).fill(0));
    ys.forEach((c, i) => { for (let a = 0; a < D; a++) emp[c]![a]! += feats[i * D + a]! / perClass; });
    const cov = new Array<number>(D * D).fill(0);
    ys.forEach((c, i) => {
      for (let a = 0; a < D; a++) for (let b = 0; b < D; b++) cov[a * D + b]! += (feats[i * D + a]! - emp[c]![a]!) * (feats[i * D + b]! - emp[c]![b]!) / n;
    });
    expect(maxAbsDiff(det.means, emp.flat())).toBeLessThan(1e-12);
    expect(maxAbsDiff(det.covariance, cov)).toBeLessThan(1e-12);
    expect(Array.from(det.counts)).toEqual([perClass, perClass, perClass]);
  });

  it('recovers the true means and covariance', async () => {
    const det = await MahalanobisDetector.fit(model, x, y, { batchSize: 1000 });
    expect(maxAbsDiff(det.means, mu.flat())).toBeLessThan(0.12);
    expect(maxAbsDiff(det.covariance, sigma)).toBeLessThan(0.1);
    expect(maxAbsDiff(matmul(det.precision, det.covariance, 3), identity(3))).toBeLessThan(1e-5);
  });

  it('scores min_c (f − μ_c)ᵀ Σ⁻¹ (f − μ_c), differentiably', async () => {
    const det = await MahalanobisDetector.fit(model, x, y);
    const probe = [[2, 0, -1], [0.5, 0.5, 0.5], [10, -4, 3]];
    const px = g.tensor(probe, { dtype: 'float64' });
    const got = await det.scores(px);
    const P = det.precision;
    const host = probe.map((f) => Math.min(...[0, 1, 2].map((c) => {
      const d = f.map((v, a) => v - det.means[c * D + a]!);
      return d.reduce((s, da, a) => s + da * d.reduce((t, db, b) => t + P[a * D + b]! * db, 0), 0);
    })));
    expect(maxAbsDiff(got, host)).toBeLessThan(1e-9);
    // gradient of the score at f: 2·P·(f − μ_nearest)
    const [grad] = g.grad((f) => g.sum(det.scoreTensor(f)))(g.tensor([probe[1]!], { dtype: 'float64' }));
    const nearest = [0, 1, 2].reduce((best, c) => {
      const dist = (cc: number) => { const d = probe[1]!.map((v, a) => v - det.means[cc * D + a]!); return d.reduce((s, da, a) => s + da * d.reduce((t, db, b) => t + P[a * D + b]! * db, 0), 0); };
      return dist(c) < dist(best) ? c : best;
    }, 0);
    const d = probe[1]!.map((v, a) => v - det.means[nearest * D + a]!);
    const expected = [0, 1, 2].map((a) => 2 * d.reduce((s, db, b) => s + P[a * D + b]! * db, 0));
    expect(maxAbsDiff(arr(grad!), expected)).toBeLessThan(1e-9);
    det.dispose();
  });

  it('gram(W) with W = L⁻¹ is the precision (Σ + λI)⁻¹', async () => {
    const det = await MahalanobisDetector.fit(model, x, y);
    expect(maxAbsDiff(gram(det.whitening, 3), det.precision)).toBe(0);
    const shifted = Array.from(det.covariance, (v, i) => (i % 4 === 0 ? v + det.ridge : v));
    expect(maxAbsDiff(matmul(det.precision, shifted, 3), identity(3))).toBeLessThan(1e-12);
  });

  it('the accumulator rejects bad labels; fit rejects bad label tensors', async () => {
    const acc = new ClassCovarianceAccumulator(2, 1);
    expect(() => acc.add([1, 2], [0, 2])).toThrow(/label 2 outside \[0, 2\)/);
    await expect(MahalanobisDetector.fit(model, x, g.tensor([0, 1]))).rejects.toThrow(/labels must be int32 \[3000\]/);
  });
});
