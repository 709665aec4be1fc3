/**
 * Overlaid step histograms of detection scores (clean vs attacks) on shared bins, each normalised to
 * the fraction of its own inputs, with the threshold τ as a dashed line. Scores span decades, so a
 * logarithmic x axis is available ('auto' picks it when max/min > 100).
 */
import { formatNumber, formatPercent } from '../format.js';
import {
  attackColor, axisBottom, axisVertical, chartTitle, CLEAN_COLOR, clipRect, el, extent, INK, legend, linearScale, logScale,
  niceDomain, niceStep, r1, svgDocument, text, uid, type LegendItem, type Rect, type Scale,
} from '../svg.js';

export interface HistogramSeries {
  name: string;
  values: ArrayLike<number>;
  color?: string;
}

export interface HistogramOptions {
  width: number;
  height: number;
  title?: string;
  xLabel?: string;
  /** number of bins (default 40) */
  bins?: number;
  logX?: boolean | 'auto';
  /** the detection threshold τ; inputs with score > τ are flagged */
  threshold?: number;
  thresholdLabel?: string;
  /** add "x % > τ" to each legend entry (default true when a threshold is given) */
  showFlagged?: boolean;
}

/** Bin counts of `values` on the given edges; values outside fall into the first / last bin. */
export function binCounts(values: ArrayLike<number>, edges: readonly number[], log: boolean): number[] {
  const bins = edges.length - 1;
  const counts = new Array<number>(bins).fill(0);
  const t = (v: number) => (log ? Math.log10(Math.max(v, Number.MIN_VALUE)) : v);
  const lo = t(edges[0]!), hi = t(edges[bins]!);
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (Number.isNaN(v)) continue;
    const b = hi === lo ? 0 : Math.floor(((t(v) - lo) / (hi - lo)) * bins);
    counts[Math.min(bins - 1, Math.max(0, b))]! += 1;
  }
  return counts;
}

function shouldLog(values: number[], opt: boolean | 'auto' | undefined): boolean {
  if (opt === true || opt === false) return opt;
  if (opt === undefined) return false;
  const pos = values.filter((v) => v > 0);
  if (pos.length < values.length * 0.95 || pos.length === 0) return false;
  const [lo, hi] = extent(pos)!;
  return hi / lo > 100;
}

export function histogram(series: readonly HistogramSeries[], o: HistogramOptions): string {
  const all: number[] = [];
  for (const s of series) for (let i = 0; i < s.values.length; i++) if (Number.isFinite(s.values[i]!)) all.push(s.values[i]!);
  const log = shouldLog(all, o.logX);
  const colors = series.map((s, i) => s.color ?? (i === 0 ? CLEAN_COLOR : attackColor(i - 1)));
  const tau = o.threshold;
  const showFlagged = o.showFlagged ?? tau !== undefined;

  const items: LegendItem[] = series.map((s, i) => {
    let label = s.name;
    if (showFlagged && tau !== undefined && s.values.length > 0) {
      let above = 0;
      for (let k = 0; k < s.values.length; k++) if (s.values[k]! > tau) above++;
      label += ` · ${formatPercent(above / s.values.length)} > τ`;
    }
    return { label, color: colors[i]!, swatch: 'square' };
  });
  let top = o.title ? 26 : 8;
  const marginL = 58, marginR = 16, marginB = 46;
  const leg = legend(items, marginL, top, o.width - marginL - marginR);
  top += leg.height + 14;
  const rect: Rect = { x: marginL, y: top, width: o.width - marginL - marginR, height: o.height - top - marginB };

  // the bins span the data and τ, so the threshold is always on the chart
  const domainValues = log ? all.filter((v) => v > 0) : all;
  if (tau !== undefined && Number.isFinite(tau) && (!log || tau > 0)) domainValues.push(tau);
  let [lo, hi] = extent(domainValues) ?? [0, 1];
  let x: Scale;
  if (log) {
    // a little air on both sides, in log space
    if (domainValues.length === 0) { lo = 0.1; hi = 10; } else { lo /= 1.15; hi *= 1.15; }
    x = logScale([lo, hi], [rect.x, rect.x + rect.width]);
  } else {
    if (lo === hi) { lo -= 0.5; hi += 0.5; }
    [lo, hi] = niceDomain(lo, hi, 6);
    x = linearScale([lo, hi], [rect.x, rect.x + rect.width]);
  }
  const bins = Math.max(1, Math.round(o.bins ?? 40));
  const edges = Array.from({ length: bins + 1 }, (_, i) => (log ? 10 ** (Math.log10(lo) + ((Math.log10(hi) - Math.log10(lo)) * i) / bins) : lo + ((hi - lo) * i) / bins));
  const fractions = series.map((s) => {
    const counts = binCounts(s.values, edges, log);
    const total = counts.reduce((a, b) => a + b, 0);
    return counts.map((c) => (total > 0 ? c / total : 0));
  });
  const maxF = Math.max(0.01, extent(fractions.flat())?.[1] ?? 0);
  const y = linearScale(niceDomain(0, maxF * 1.05, 4), [rect.y + rect.height, rect.y]);
  const yTickCount = Math.max(2, Math.floor(rect.height / 45));
  // one decimal only when the tick step is below one percent, the same for every label
  const yDecimals = niceStep(y.domain[0], y.domain[1], yTickCount) < 0.01 ? 1 : 0;

  const clip = uid('clip');
  const marks: string[] = [];
  series.forEach((s, si) => {
    const f = fractions[si]!;
    const base = r1(y(0));
    let d = `M${r1(x(edges[0]!))},${base}`;
    for (let b = 0; b < bins; b++) d += `V${r1(y(f[b]!))}H${r1(x(edges[b + 1]!))}`;
    d += `V${base}`;
    marks.push(el('path', { d: d + 'Z', fill: colors[si]!, 'fill-opacity': 0.18, stroke: 'none' }));
    marks.push(el('path', { d, fill: 'none', stroke: colors[si]!, 'stroke-width': 1.8, 'stroke-linejoin': 'miter', class: 'hist', 'data-series': s.name }));
  });

  const parts = [
    chartTitle(o.title, 4, 17), leg.svg, clipRect(clip, rect),
    axisVertical(y, rect, 'left', { label: 'fraction of inputs', format: (v) => formatPercent(v, yDecimals), tickCount: yTickCount }),
    axisBottom(x, rect, { label: `${o.xLabel ?? 'score'}${log ? ' (log scale)' : ''}`, tickCount: Math.max(3, Math.floor(rect.width / 80)) }),
    el('g', { 'clip-path': `url(#${clip})` }, marks.join('')),
  ];
  if (tau !== undefined && Number.isFinite(tau) && (!log || tau > 0)) {
    const tx = x(tau);
    const label = o.thresholdLabel ?? `τ = ${formatNumber(tau)}`;
    const right = tx > rect.x + rect.width * 0.75;
    parts.push(el('g', { class: 'threshold' },
      el('line', { x1: tx, y1: rect.y - 8, x2: tx, y2: rect.y + rect.height, stroke: INK, 'stroke-width': 1.6, 'stroke-dasharray': '6 4' })
      + text(tx + (right ? -5 : 5), rect.y + 6, label, { 'text-anchor': right ? 'end' : 'start', 'font-weight': 600, fill: INK, stroke: '#fff', 'stroke-width': 3, 'paint-order': 'stroke' })
      + text(tx + (right ? -5 : 5), rect.y + 20, right ? '← accepted' : 'flagged →', { 'text-anchor': right ? 'end' : 'start', fill: '#5f6b7a', 'font-size': 11, stroke: '#fff', 'stroke-width': 3, 'paint-order': 'stroke' })));
  }
  return svgDocument(o.width, o.height, parts.join(''), o.title);
}
