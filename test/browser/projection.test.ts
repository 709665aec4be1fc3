/** The page's 2-D view of wider features: the leading principal axes, the identity for 2-D. */
import { describe, expect, it } from 'vitest';
import { fitProjection, project } from '../../examples/browser/src/projection.js';

describe('fitProjection', () => {
  it('is the identity for 2-D features', () => {
    const f = Float32Array.from([1, 2, 3, 4, -5, 6]);
    const p = fitProjection(f, 2);
    expect(p.axes).toBeNull();
    expect(Array.from(project(p, f))).toEqual(Array.from(f));
  });

  it('finds the two directions of largest variance of 4-D features', () => {
    // spread 10 along e3, 3 along e1, 0.1 along the others
    const n = 400, d = 4;
    const f = new Float32Array(n * d);
    for (let i = 0; i < n; i++) {
      const t = Math.sin(i * 1.7), u = Math.cos(i * 0.9), v = Math.sin(i * 0.37);
      f[i * d + 0] = 3 * u + 5;
      f[i * d + 1] = 0.1 * v;
      f[i * d + 2] = 10 * t - 2;
      f[i * d + 3] = 0.1 * t * u;
    }
    const p = fitProjection(f, d);
    expect(p.label).toEqual(['principal axis 1', 'principal axis 2']);
    const a = p.axes!;
    expect(Math.abs(a[2]!)).toBeCloseTo(1, 3);
    expect(Math.abs(a[d + 0]!)).toBeCloseTo(1, 3);
    const xy = project(p, f);
    // centred: the projected cloud has mean ≈ 0
    let mx = 0, my = 0;
    for (let i = 0; i < n; i++) { mx += xy[2 * i]! / n; my += xy[2 * i + 1]! / n; }
    expect(Math.abs(mx)).toBeLessThan(1e-4);
    expect(Math.abs(my)).toBeLessThan(1e-4);
  });
});
