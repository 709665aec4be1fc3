/**
 * LID (Ma et al. 2018) against a direct plain-JS maximum-likelihood estimate: k nearest neighbours,
 * −((1/k) Σ log(rᵢ/r_k))⁻¹, the self-exclusion, invariances, LID ≈ the dimension of the data, the
 * logistic combiner, calibration and the gradient.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import * as g from '../../src/index.js';
import { fitLogistic, lidFromSquaredDistances, LidDetector, nearestSquaredDistances } from '../../src/detect/index.js';
import { affineClassifier, images, labels } from '../attacks/fixtures.js';

/** plain JS: LID of q w.r.t. its k nearest rows of ref (rows at distance <= tol excluded) */
function plainLid(ref: number[][], q: number[], k: number, tol = 1e-9): number {
  const r = ref.map((x) => Math.sqrt(x.reduce((s, v, j) => s + (v - q[j]!) ** 2, 0))).filter((v) => v > tol).sort((a, b) => a - b).slice(0, k);
  const rk = r[k - 1]!;
  return -1 / (r.reduce((s, v) => s + Math.log(v / rk), 0) / k);
}

function lidTensor(ref: number[][], q: number[][], k: number, tol = 1e-18): number[] {
  const refT = g.tensor(ref, { dtype: 'float64' });
  const norms = g.tensor([ref.map((x) => x.reduce((s, v) => s + v * v, 0))], { dtype: 'float64' });
  return Array.from(g.noGrad(() => lidFromSquaredDistances(nearestSquaredDistances(g.tensor(q, { dtype: 'float64' }), refT, norms, k, tol))).dataSync());
}

function randomRows(seed: number, n: number, d: number, intrinsic = d): number[][] {
  const gen = new g.Generator(seed);
  return Array.from({ length: n }, () => {
    const u = Array.from(gen.uniform(intrinsic));
    return Array.from({ length: d }, (_, j) => (j < intrinsic ? u[j]! : 0));
  });
}

describe('the LID estimate', () => {
  it('equals the plain-JS estimate on random features, skipping the query itself', () => {
    const ref = randomRows(1, 40, 4);
    const queries = [...randomRows(2, 5, 4), ref[3]!, ref[17]!];
    const got = lidTensor(ref, queries, 10, 1e-12);
    queries.forEach((q, i) => expect(got[i]!).toBeCloseTo(plainLid(ref, q, 10), 9));
  });

  it('float32 agrees with the plain-JS estimate, and still skips the query itself', () => {
    const ref = randomRows(1, 40, 4).map((r) => r.map((v) => 3 + 10 * v));
    const queries = [ref[3]!, ref[17]!, [8, 8, 8, 8]];
    const refT = g.tensor(ref, { dtype: 'float32' });
    const norms = g.tensor([ref.map((x) => x.reduce((s, v) => s + v * v, 0))], { dtype: 'float32' });
    const meanSq = ref.reduce((s, x) => s + x.reduce((t, v) => t + v * v, 0), 0) / ref.length;
    const got = g.noGrad(() => lidFromSquaredDistances(nearestSquaredDistances(g.tensor(queries, { dtype: 'float32' }), refT, norms, 10, 1e-6 * meanSq))).dataSync();
    queries.forEach((q, i) => expect(Math.abs(got[i]! - plainLid(ref, q, 10)) / plainLid(ref, q, 10)).toBeLessThan(1e-3));
  });

  it('is invariant to translating, scaling and rotating data and query together', () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: 1000 }), fc.double({ min: -3, max: 3, noNaN: true }), fc.double({ min: 0.1, max: 10, noNaN: true }),
      fc.double({ min: 0, max: 6.28, noNaN: true }), (seed, shift, scale, angle) => {
        const ref = randomRows(seed, 30, 2), q = randomRows(seed + 1, 3, 2);
        const c = Math.cos(angle), s = Math.sin(angle);
        const map = (r: number[]) => [scale * (c * r[0]! - s * r[1]!) + shift, scale * (s * r[0]! + c * r[1]!) - shift];
        const a = lidTensor(ref, q, 8), b = lidTensor(ref.map(map), q.map(map), 8);
        a.forEach((v, i) => expect(b[i]!).toBeCloseTo(v, 6));
      }), { numRuns: 20, seed: 5 });
  });

  it('is about the intrinsic dimension: ≈ 1 on a line in 5-D, ≈ 3 in a 3-D cube', () => {
    const line = randomRows(7, 2000, 5, 1);
    const onLine = [[0.3, 0, 0, 0, 0], [0.5, 0, 0, 0, 0], [0.71, 0, 0, 0, 0]];
    lidTensor(line, onLine, 50).forEach((v) => expect(Math.abs(v - 1)).toBeLessThan(0.35));
    const cube = randomRows(8, 3000, 3);
    const inner = lidTensor(cube, [[0.5, 0.5, 0.5], [0.4, 0.6, 0.45], [0.55, 0.35, 0.6]], 50);
    expect(inner.reduce((s, v) => s + v, 0) / 3).toBeGreaterThan(2.2);
    expect(inner.reduce((s, v) => s + v, 0) / 3).toBeLessThan(3.8);
  });
});

describe('logistic regression', () => {
  it('reaches a stationary point of the penalised log-loss (plain-JS gradient)', () => {
    const gen = new g.Generator(4);
    const n = 200, p = 2, lambda = 1e-2;
    const x = Float64Array.from(gen.normal(n * p));
    const y = Array.from({ length: n }, (_, i) => (x[i * p]! + 0.5 * x[i * p + 1]! + 0.3 * gen.normal(1)[0]! > 0 ? 1 : 0));
    const m = fitLogistic(x, y, p, lambda);
    const grad = [lambda * m.weights[0]!, lambda * m.weights[1]!, 0];
    for (let i = 0; i < n; i++) {
      const z = m.bias + m.weights[0]! * x[i * p]! + m.weights[1]! * x[i * p + 1]!;
      const r = 1 / (1 + Math.exp(-z)) - y[i]!;
      grad[0]! += r * x[i * p]!; grad[1]! += r * x[i * p + 1]!; grad[2]! += r;
    }
    grad.forEach((v) => expect(Math.abs(v)).toBeLessThan(1e-8));
    expect(m.weights[0]!).toBeGreaterThan(m.weights[1]!);
    expect(m.weights[1]!).toBeGreaterThan(0);
  });
});

describe('LidDetector', () => {
  // features = x in 4-D, logits = a fixed linear map of them (3 classes)
  const model = affineClassifier([[1, 0, 0, 0.5], [0, 1, 0, -0.5], [0, 0, 1, 0.2]], [0, 0.1, -0.1]);
  const train = images([300, 4], 11);
  // clean data on a curve (intrinsic dimension 1): Gaussian noise leaves it and raises the LID
  const onCurve = (seed: number, n: number) => {
    const t = new g.Generator(seed).uniform(n);
    return g.tensor(Array.from(t, (v) => [v, 0.5 * v * v + 0.2, 1 - v, 0.5]), { dtype: 'float64' });
  };

  it('scores w·LID + b, differentiably; the raw single-layer score is the plain-JS LID', async () => {
    const raw = await LidDetector.fit(model, train, { layers: ['features'], combiner: 'none', k: 10, referenceSize: 60 });
    const ref = Array.from({ length: 60 }, (_, i) => Array.from(raw.params.references[0]!.values.subarray(i * 4, (i + 1) * 4)));
    const probe = [[0.2, 0.4, 0.6, 0.8], [0.5, 0.5, 0.5, 0.5]];
    const s = await raw.scores(g.tensor(probe, { dtype: 'float64' }));
    probe.forEach((q, i) => expect(s[i]!).toBeCloseTo(plainLid(ref, q, 10), 8));
    const grad = g.valueAndGrad((t: g.Tensor) => g.sum(raw.scoreFromFeatures(t)))(g.tensor([probe[0]!], { dtype: 'float64' })).grads[0]!.dataSync();
    for (let j = 0; j < 4; j++) {
      const h = 1e-6, up = [...probe[0]!], dn = [...probe[0]!];
      up[j]! += h; dn[j]! -= h;
      const fd = (plainLid(ref, up, 10) - plainLid(ref, dn, 10)) / (2 * h);
      expect(grad[j]!).toBeCloseTo(fd, 4);
    }
  });

  it('trains the combiner on clean vs noisy clean only, and calibrates τ on clean data', async () => {
    const held = onCurve(12, 200);
    const det = await LidDetector.fit(model, onCurve(11, 300), { k: 10, referenceSize: 100, noiseStd: 0.05, seed: 2 });
    expect(det.params.layers).toEqual(['features', 'logits']);
    const lids = await det.lids(held);
    const s = await det.scores(held);
    for (let i = 0; i < 5; i++) {
      const want = det.params.weights[0]! * lids[2 * i]! + det.params.weights[1]! * lids[2 * i + 1]! + det.params.bias;
      expect(s[i]!).toBeCloseTo(want, 9);
    }
    const y = labels(Array.from(g.noGrad(() => g.argmax(model.forward(held), 1)).dataSync()));
    const tau = await det.calibrate(held, y, { tpr: 0.95 });
    expect(Array.from(s).filter((v) => v <= tau).length / s.length).toBeGreaterThanOrEqual(0.95);
    // heavier noise than the training noise looks even less clean
    const noisy = g.clamp(g.add(held, g.randn(held.shape, { generator: new g.Generator(9), dtype: 'float64', std: 0.1 })), 0, 1);
    const sn = await det.scores(noisy);
    expect(sn.reduce((a, b) => a + b, 0) / sn.length).toBeGreaterThan(s.reduce((a, b) => a + b, 0) / s.length);
    det.dispose();
  });

  it('errors clearly on bad options', async () => {
    await expect(LidDetector.fit(model, train, { k: 1 })).rejects.toThrow(/k must be an integer >= 2/);
    await expect(LidDetector.fit(model, train, { k: 20, referenceSize: 20 })).rejects.toThrow(/more than k = 20/);
    await expect(LidDetector.fit(model, train, { combiner: 'none' })).rejects.toThrow(/combiner 'none' scores one layer/);
  });
});
