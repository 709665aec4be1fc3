/** The composed elementwise step: per-sample norms, the 1e-12 floor, projections and the clip. */
import { describe, expect, it } from 'vitest';
import * as g from '../../src/index.js';
import {
  ascentDirection, ascentStep, clipToImage, momentumUpdate, normalizePerSample, NORM_FLOOR, perSampleNorm, projectL2, projectLinf,
} from '../../src/attacks/index.js';
import { arr, maxAbsDiff, rows } from './fixtures.js';

const t = (v: number[][], shape?: number[]) => g.tensor(v, { dtype: 'float64', shape });

describe('per-sample normalisation', () => {
  it('divides each sample by its own norm (not the batch norm)', () => {
    const x = t([[3, 4], [0.03, 0.04]]);
    const r = rows(normalizePerSample(x, 2));
    expect(maxAbsDiff(r[0]!, [0.6, 0.8])).toBeLessThan(1e-15);
    expect(maxAbsDiff(r[1]!, [0.6, 0.8])).toBeLessThan(1e-15);
    const l1 = rows(normalizePerSample(x, 1));
    expect(maxAbsDiff(l1[1]!, [3 / 7, 4 / 7])).toBeLessThan(1e-15);
  });

  it('keeps a unit norm for tiny gradients: the floor is 1e-12, not a loose 1e-8', () => {
    expect(NORM_FLOOR).toBe(1e-12);
    const tiny = t([[3e-10, 4e-10]]);
    const n = arr(perSampleNorm(normalizePerSample(tiny, 2), 2))[0]!;
    expect(n).toBeCloseTo(1, 12);
    // float32 too: 1e-9-sized gradients are common for saturated models
    const tiny32 = g.tensor([[3e-10, 4e-10]]);
    expect(arr(perSampleNorm(normalizePerSample(tiny32, 2), 2))[0]!).toBeCloseTo(1, 5);
  });

  it('maps an all-zero gradient to zero (no NaN)', () => {
    expect(arr(normalizePerSample(t([[0, 0]]), 2))).toEqual([0, 0]);
    expect(arr(ascentDirection(t([[0, -2, 3]]), 'linf'))).toEqual([0, -1, 1]);
  });

  it('works on image-shaped batches, reducing over C, H, W', () => {
    const x = g.tensor([1, 2, 3, 4, 10, 20, 30, 40], { dtype: 'float64', shape: [2, 1, 2, 2] });
    const n = arr(perSampleNorm(x, 2));
    expect(n[0]).toBeCloseTo(Math.sqrt(30), 12);
    expect(n[1]).toBeCloseTo(Math.sqrt(3000), 10);
  });
});

describe('projection and clipping', () => {
  it('L∞ projection keeps points inside bit-exact and returns x exactly at ε = 0', () => {
    const x = t([[0.5, 0.2]]);
    const inside = t([[0.55, 0.15]]);
    expect(arr(projectLinf(inside, x, 0.1))).toEqual([0.55, 0.15]);
    expect(arr(projectLinf(t([[0.9, -0.5]]), x, 0.1))).toEqual([0.5 + 0.1, 0.2 - 0.1]);
    expect(arr(projectLinf(t([[0.9, -0.5]]), x, 0))).toEqual([0.5, 0.2]);
  });

  it('L2 projection scales δ to ε per sample and leaves short δ alone', () => {
    const x = t([[0, 0], [0.5, 0.5]]);
    const adv = t([[3, 4], [0.51, 0.5]]);
    const r = rows(projectL2(adv, x, 1));
    expect(maxAbsDiff(r[0]!, [0.6, 0.8])).toBeLessThan(1e-15);
    expect(maxAbsDiff(r[1]!, [0.51, 0.5])).toBeLessThan(1e-15);
    expect(arr(projectL2(adv, x, 0))).toEqual([0, 0, 0.5, 0.5]);
  });

  it('a step projects first, then clips: the result is in [0, 1] and in the ball', () => {
    const x = t([[0.95, 0.05, 0.5]]);
    const gr = t([[1, -1, 1]]);
    const out = arr(ascentStep(x, x, gr, 0.2, 0.1, 'linf'));
    expect(maxAbsDiff(out, [1, 0, 0.6])).toBeLessThan(1e-15);
    const l2 = ascentStep(x, x, t([[5, -5, 1]]), 0.5, 0.3, 'l2');
    const d = arr(l2);
    expect(d.every((v) => v >= 0 && v <= 1)).toBe(true);
    expect(arr(perSampleNorm(g.sub(l2, x), 2))[0]!).toBeLessThanOrEqual(0.3 + 1e-12);
    expect(arr(clipToImage(t([[-1, 2, 0.5]])))).toEqual([0, 1, 0.5]);
  });

  it('MIM momentum normalises each sample by its own L1 norm', () => {
    const m = t([[0, 0], [0, 0]]);
    const gr = t([[1, 3], [100, 300]]);
    const r = rows(momentumUpdate(m, gr, 1));
    expect(maxAbsDiff(r[0]!, [0.25, 0.75])).toBeLessThan(1e-15);
    expect(maxAbsDiff(r[1]!, [0.25, 0.75])).toBeLessThan(1e-15);
  });
});
