/** Line chart, histogram, ROC and confusion matrix: the marks each one must contain. */
import { describe, expect, it } from 'vitest';
import { binCounts, confusionMatrix, histogram, lineChart, rocChart, rocFromScores, simplifyRoc } from '../../src/report/index.js';
import { assertWellFormed, count, group, texts } from './markup-check.js';
import { gauss, rng } from './sample-report.js';

describe('lineChart', () => {
  const epochs = Array.from({ length: 10 }, (_, i) => i + 1);
  const train = epochs.map((e) => 1 / e);
  const test = epochs.map((e) => (e === 4 ? null : 1.2 / e));

  it('draws one path per series, a dot per finite point and a gap at null', () => {
    const out = lineChart([{ name: 'train', x: epochs, y: train }, { name: 'test', x: epochs, y: test, dashed: true }], { width: 500, height: 300, xLabel: 'epoch', yLabel: 'loss' });
    assertWellFormed(out);
    expect(count(out, 'path', 'series')).toBe(2);
    expect(count(out, 'circle')).toBe(19);
    const paths = [...out.matchAll(/<path d="([^"]*)"[^>]*data-series="test"/g)].map((m) => m[1]!);
    expect(paths).toHaveLength(1);
    expect(paths[0]!.match(/M/g)).toHaveLength(2); // one gap → two runs
    expect(texts(out)).toEqual(expect.arrayContaining(['train', 'test', 'epoch', 'loss']));
    expect(out).toMatch(/^<svg [^>]*width="500" height="300"/);
  });

  it('stacks panels, adds a right axis on request and shares legend entries drawn alike', () => {
    const out = lineChart([
      { name: 'train', x: epochs, y: train, color: '#111111' },
      { name: 'train', x: epochs, y: epochs.map((e) => 1 - 1 / e), color: '#111111', panel: 1 },
      { name: 'lr', x: epochs, y: epochs.map((e) => 0.1 * 0.9 ** e), panel: 1, axis: 'right', markers: false },
    ], { width: 500, height: 400, panels: [{ yLabel: 'loss', logY: true }, { yLabel: 'accuracy', y2Label: 'learning rate' }] });
    assertWellFormed(out);
    expect(count(out, 'g', 'axis-left')).toBe(2);
    expect(count(out, 'g', 'axis-right')).toBe(1);
    expect(count(out, 'circle')).toBe(20);
    expect(texts(group(out, 'legend'))).toEqual(['train', 'lr']);
    expect(texts(out)).toEqual(expect.arrayContaining(['loss', 'accuracy', 'learning rate']));
  });
});

describe('histogram', () => {
  it('bins every value once; out-of-range values go to the end bins', () => {
    expect(binCounts([0, 0.5, 1, 1.5, 2, -5, 9, NaN], [0, 1, 2], false)).toEqual([3, 4]);
    expect(binCounts([1, 10, 100, 0], [1, 10, 100], true)).toEqual([2, 2]);
  });

  it('overlays one step path per series, the τ line with its label, and the flagged share in the legend', () => {
    const clean = [1, 2, 2, 3, 3, 3, 4, 4, 5, 6];
    const adv = [5, 7, 8, 8, 9, 10, 12, 12, 15, 20];
    const out = histogram([{ name: 'clean', values: clean }, { name: 'PGD', values: adv }], { width: 480, height: 300, threshold: 5.5, bins: 10, title: 'scores' });
    assertWellFormed(out);
    expect(count(out, 'path', 'hist')).toBe(2);
    const tau = group(out, 'threshold');
    expect(count(tau, 'line')).toBe(1);
    expect(tau).toContain('stroke-dasharray');
    expect(texts(tau)[0]).toBe('τ = 5.5');
    const legendText = texts(group(out, 'legend'));
    expect(legendText).toEqual(['clean · 10.0\u202f% > τ', 'PGD · 90.0\u202f% > τ']);
    // τ sits where the x axis puts 5.5: between the ticks 5 and 6 in a linear 0–20 axis
    const x = Number(/<line x1="([\d.]+)"/.exec(tau)![1]);
    expect(x).toBeGreaterThan(58);
    expect(x).toBeLessThan(480 - 16);
  });

  it('switches to a log x axis when scores span decades', () => {
    const r = rng(5);
    const wide = Array.from({ length: 500 }, () => Math.exp(4 * gauss(r)));
    const out = histogram([{ name: 'clean', values: wide }], { width: 400, height: 260, logX: 'auto', threshold: 10 });
    assertWellFormed(out);
    expect(texts(out)).toContain('score (log scale)');
    const lin = histogram([{ name: 'clean', values: [1, 2, 3] }], { width: 400, height: 260, logX: 'auto' });
    expect(texts(lin)).toContain('score');
  });
});

describe('ROC', () => {
  function mannWhitney(c: number[], a: number[]): number {
    let s = 0;
    for (const x of a) for (const y of c) s += x > y ? 1 : x === y ? 0.5 : 0;
    return s / (a.length * c.length);
  }

  it('AUROC equals the Mann–Whitney statistic, ties included', () => {
    const r = rng(11);
    const clean = Array.from({ length: 200 }, () => Math.round(gauss(r) * 4) / 2);
    const adv = Array.from({ length: 150 }, () => Math.round((gauss(r) + 1) * 4) / 2);
    expect(rocFromScores('x', clean, adv).auroc).toBeCloseTo(mannWhitney(clean, adv), 12);
    expect(rocFromScores('sep', [1, 2, 3], [4, 5]).auroc).toBe(1);
    expect(rocFromScores('same', [1, 1], [1, 1]).auroc).toBe(0.5);
    expect(() => rocFromScores('none', [], [1])).toThrow(/needs clean and adversarial/);
  });

  it('the 95 % point uses the τ that accepts 95 % of clean inputs', () => {
    const clean = Array.from({ length: 100 }, (_, i) => i);       // τ = 94 → clean flagged 5 %
    const adv = Array.from({ length: 10 }, (_, i) => 90 + i);     // 95..99 flagged → 50 %
    expect(rocFromScores('x', clean, adv).at95).toEqual({ fpr: 0.05, tpr: 0.5 });
  });

  it('simplification keeps the ends and drops sub-pixel steps', () => {
    const pts = Array.from({ length: 1001 }, (_, i) => ({ fpr: i / 1000, tpr: Math.sqrt(i / 1000) }));
    const s = simplifyRoc(pts, 0.01);
    expect(s.length).toBeLessThan(250);
    expect(s[0]).toEqual(pts[0]);
    expect(s[s.length - 1]).toEqual(pts[1000]);
  });

  it('draws every curve, the diagonal, the 95 % points and AUROC values in the legend', () => {
    const r = rng(2);
    const clean = Array.from({ length: 300 }, () => gauss(r));
    const curves = [rocFromScores('FGSM', clean, Array.from({ length: 200 }, () => gauss(r) + 2)), rocFromScores('<b>adaptive</b>', clean, Array.from({ length: 200 }, () => gauss(r) + 0.3))];
    const out = rocChart(curves, { width: 420, height: 460 });
    assertWellFormed(out);
    expect(count(out, 'path', 'roc')).toBe(2);
    expect(count(out, 'line', 'diagonal')).toBe(1);
    expect(count(out, 'circle', 'op95')).toBe(2);
    const legend = texts(group(out, 'legend'));
    expect(legend[0]).toBe(`FGSM · AUROC ${curves[0]!.auroc.toFixed(3)}`);
    expect(legend[1]).toBe(`<b>adaptive</b> · AUROC ${curves[1]!.auroc.toFixed(3)}`);
    expect(out).not.toContain('<b>');
  });
});

describe('confusionMatrix', () => {
  it('has K² cells with their counts, class names and recall', () => {
    const m = [[50, 2, 0], [1, 45, 4], [0, 0, 48]];
    const out = confusionMatrix(m, { width: 400, height: 400, classNames: ['cat', 'dog', 'A&B'] });
    assertWellFormed(out);
    expect(count(out, 'g', 'cell')).toBe(9);
    const t = texts(out);
    for (const v of ['50', '2', '1', '45', '4', '48']) expect(t).toContain(v);
    expect(t).toContain('A&B');
    expect(t).toEqual(expect.arrayContaining(['96.2\u202f%', '90.0\u202f%', '100.0\u202f%'])); // recall per row
    expect(t.filter((s) => s === 'cat')).toHaveLength(2); // row and column label
    expect(() => confusionMatrix([[1, 2], [3]], { width: 100, height: 100 })).toThrow(/row 1 has 1 entries, expected 2/);
  });
});
