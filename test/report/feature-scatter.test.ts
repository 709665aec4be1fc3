/** Feature scatter (points, means, density, adversarial overlay) and the marching-squares contours. */
import { describe, expect, it } from 'vitest';
import { contourLines, featureScatter } from '../../src/report/index.js';
import { assertWellFormed, count, group, texts } from './markup-check.js';
import { gauss, rng } from './sample-report.js';

function clusters(n: number, k: number, seed: number) {
  const r = rng(seed);
  const means = new Float32Array(2 * k);
  for (let c = 0; c < k; c++) { means[2 * c] = 5 * Math.cos((2 * Math.PI * c) / k); means[2 * c + 1] = 5 * Math.sin((2 * Math.PI * c) / k); }
  const points = new Float32Array(2 * n), labels = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const c = i % k;
    labels[i] = c;
    points[2 * i] = means[2 * c]! + gauss(r);
    points[2 * i + 1] = means[2 * c + 1]! + gauss(r);
  }
  return { points, labels, means };
}

describe('contourLines', () => {
  it('traces a circle of x² + y² as one closed polyline on the right radius', () => {
    const n = 41;
    const v = new Float64Array(n * n);
    for (let j = 0; j < n; j++) for (let i = 0; i < n; i++) v[j * n + i] = (i - 20) ** 2 + (j - 20) ** 2;
    const lines = contourLines(v, n, n, 100);
    expect(lines).toHaveLength(1);
    const line = lines[0]!;
    expect(line[0]).toEqual(line[line.length - 1]);
    for (const [x, y] of line) expect(Math.hypot(x - 20, y - 20)).toBeCloseTo(10, 0);
    expect(line.length).toBeGreaterThan(40);
  });

  it('finds two loops around two bumps, open lines at the border, nothing outside the range', () => {
    const nx = 60, ny = 30;
    const v = new Float64Array(nx * ny);
    for (let j = 0; j < ny; j++) for (let i = 0; i < nx; i++) v[j * nx + i] = Math.exp(-((i - 15) ** 2 + (j - 15) ** 2) / 20) + Math.exp(-((i - 45) ** 2 + (j - 15) ** 2) / 20);
    expect(contourLines(v, nx, ny, 0.5)).toHaveLength(2);
    expect(contourLines(v, nx, ny, 5)).toHaveLength(0);
    const ramp = Float64Array.from({ length: 100 }, (_, k) => k % 10);
    const open = contourLines(ramp, 10, 10, 4.5);
    expect(open).toHaveLength(1);
    expect(open[0]!.length).toBe(10);
    expect(() => contourLines(new Float64Array(5), 2, 2, 0)).toThrow(/2×2 = 4 values, got 5/);
  });
});

describe('featureScatter', () => {
  it('draws every point in its class group, a labelled cross per mean and three circles per class', () => {
    const { points, labels, means } = clusters(300, 5, 1);
    const names = ['zero', 'one', 'two', 'three', 'four'];
    const out = featureScatter({ width: 500, height: 500, points, labels, means, classNames: names, density: 'circles' });
    assertWellFormed(out);
    expect(count(out, 'g', 'points')).toBe(5);
    expect(count(out, 'circle')).toBe(300 + 5); // points + the five class swatches in the legend
    expect(count(out, 'ellipse', 'sigma')).toBe(15);
    const meanGroup = group(out, 'means');
    expect(count(meanGroup, 'path')).toBe(10); // halo + cross per class
    expect(texts(meanGroup)).toEqual(names);
    expect(texts(group(out, 'legend'))).toEqual([...names, 'class mean', '1/2/3 σ of each class']);
  });

  it('keeps circles round: one data unit is as long on both axes', () => {
    const { points, labels, means } = clusters(50, 2, 2);
    const out = featureScatter({ width: 640, height: 400, points, labels, means, density: 'circles', sigmas: [1] });
    const [rx, ry] = [/rx="([\d.]+)"/.exec(out)![1], /ry="([\d.]+)"/.exec(out)![1]];
    expect(Number(rx)).toBeCloseTo(Number(ry), 0);
  });

  it('draws mixture contours, adversarial triangles and arrows from their clean origins', () => {
    const { points, labels, means } = clusters(200, 4, 3);
    const adv = new Float32Array(2 * 12);
    for (let i = 0; i < 12; i++) { adv[2 * i] = 0.3 * i; adv[2 * i + 1] = -0.2 * i; }
    const out = featureScatter({
      width: 500, height: 520, points, labels, means, density: 'contours',
      adversarial: { points: adv, name: 'PGD', arrows: true, maxArrows: 10 },
    });
    assertWellFormed(out);
    expect(count(out, 'path', 'contour')).toBe(3);
    expect(count(group(out, 'adversarial'), 'path')).toBe(12);
    expect(count(group(out, 'arrows'), 'path')).toBe(10);
    expect(out).toContain('marker-end="url(#arrow-');
    expect(texts(group(out, 'legend'))).toContain('adversarial (PGD)');
  });

  it('subsamples big inputs and validates shapes', () => {
    const { points, labels } = clusters(5000, 10, 4);
    const out = featureScatter({ width: 400, height: 400, points, labels, maxPoints: 1000 });
    expect(count(out, 'circle')).toBe(1000 + 10);
    expect(() => featureScatter({ width: 1, height: 1, points: [1, 2, 3], labels: [0] })).toThrow(/N×2/);
    expect(() => featureScatter({ width: 1, height: 1, points: [1, 2], labels: [0, 1] })).toThrow(/1 points but 2 labels/);
  });
});
