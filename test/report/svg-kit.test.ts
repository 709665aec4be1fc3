/** Scales, ticks, escaping, legends and number formatting. */
import { describe, expect, it } from 'vitest';
import { formatDuration, formatNumber, formatPercent, svg } from '../../src/report/index.js';
import { assertWellFormed, texts } from './markup-check.js';

describe('scales and ticks', () => {
  it('nice ticks are 1/2/5 × 10^k steps inside the range, without float drift', () => {
    expect(svg.niceTicks(0, 1, 5)).toEqual([0, 0.2, 0.4, 0.6, 0.8, 1]);
    expect(svg.niceTicks(-3.2, 17, 4)).toEqual([0, 5, 10, 15]);
    expect(svg.niceTicks(0.1, 0.3, 2)).toEqual([0.1, 0.2, 0.3]);
    expect(svg.niceTicks(5, 5)).toEqual([5]);
    expect(svg.niceDomain(0.13, 0.97, 5)).toEqual([0, 1]);
  });

  it('log ticks are decades, with 2 and 5 when the range is short', () => {
    expect(svg.logTicks(1, 1000)).toEqual([1, 10, 100, 1000]);
    expect(svg.logTicks(0.5, 30)).toEqual([0.5, 1, 2, 5, 10, 20]);
    const wide = svg.logTicks(1e-3, 1e9, 5);
    expect(wide.length).toBeLessThanOrEqual(8);
    expect(wide.every((t) => Number.isInteger(Math.log10(t)))).toBe(true);
  });

  it('linear and log scales map the domain onto the range', () => {
    const x = svg.linearScale([0, 10], [100, 200]);
    expect(x(0)).toBe(100); expect(x(5)).toBe(150); expect(x(10)).toBe(200);
    const l = svg.logScale([1, 100], [0, 200]);
    expect(l(10)).toBeCloseTo(100);
    expect(() => svg.logScale([0, 1], [0, 1])).toThrow(/positive/);
    expect(svg.linearScale([3, 3], [0, 10])(3)).toBe(5);
  });
});

describe('markup', () => {
  it('escapes text and attributes', () => {
    expect(svg.escapeXml(`<a href="x">&'`)).toBe('&lt;a href=&quot;x&quot;&gt;&amp;&#39;');
    const t = svg.el('g', { 'data-x': '"><script>', hidden: true, skip: false, n: 1.234567 }, svg.text(0, 0, '<b>'));
    expect(t).toBe('<g data-x="&quot;&gt;&lt;script&gt;" hidden n="1.2"><text x="0" y="0">&lt;b&gt;</text></g>');
  });

  it('legends wrap at the width and report their height', () => {
    const items = Array.from({ length: 12 }, (_, i) => ({ label: `class number ${i}`, color: svg.classColor(i) }));
    const one = svg.legend(items.slice(0, 2), 0, 0, 1000);
    const many = svg.legend(items, 0, 0, 300);
    expect(one.height).toBe(18);
    expect(many.height).toBeGreaterThan(3 * 18);
    assertWellFormed(many.svg);
    expect(texts(many.svg)).toEqual(items.map((i) => i.label));
  });

  it('has ten distinct class colours that cycle', () => {
    expect(new Set(svg.CLASS_COLORS).size).toBe(10);
    expect(svg.classColor(13)).toBe(svg.classColor(3));
  });
});

describe('number formatting', () => {
  it('is compact and never prints NaN', () => {
    expect(formatNumber(0.98712)).toBe('0.987');
    expect(formatNumber(12345)).toBe('12.3k');
    expect(formatNumber(2.5e-5)).toBe('2.5e-5');
    expect(formatNumber(-1.5)).toBe('−1.5');
    expect(formatNumber(NaN)).toBe('—');
    expect(formatPercent(0.98712)).toBe('98.7\u202f%');
    expect(formatPercent(Infinity)).toBe('—');
    expect(formatDuration(0.25)).toBe('250\u202fms');
    expect(formatDuration(245)).toBe('4\u202fmin 05\u202fs');
  });
});
