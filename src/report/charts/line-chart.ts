/**
 * Line chart for training curves: several series over a shared x axis, optionally a second y axis
 * (right) and/or several stacked panels (e.g. loss on top, accuracy below).
 */
import { formatNumber } from '../format.js';
import {
  axisBottom, axisVertical, chartTitle, classColor, clipRect, el, escapeXml, extent, legend, linearScale, logScale,
  niceDomain, r1, svgDocument, uid, type LegendItem, type Rect, type Scale,
} from '../svg.js';

export interface LineSeries {
  name: string;
  x: ArrayLike<number>;
  /** null or NaN leaves a gap (e.g. epochs without a test evaluation) */
  y: ArrayLike<number | null>;
  color?: string;
  dashed?: boolean;
  axis?: 'left' | 'right';
  /** stacked panel, 0 = top (default 0) */
  panel?: number;
  /** dots on the points (default: when a series has at most 60 points) */
  markers?: boolean;
}

export interface LinePanelOptions {
  yLabel?: string;
  y2Label?: string;
  yFormat?: (v: number) => string;
  y2Format?: (v: number) => string;
  yDomain?: [number, number];
  y2Domain?: [number, number];
  logY?: boolean;
}

export interface LineChartOptions extends LinePanelOptions {
  width: number;
  height: number;
  title?: string;
  xLabel?: string;
  xFormat?: (v: number) => string;
  /** per-panel options; the top-level y options apply to panel 0 when this is absent */
  panels?: LinePanelOptions[];
}

const MARGIN = { left: 60, rightAxis: 60, right: 18, bottom: 46, panelGap: 28 };

function isMissing(v: number | null | undefined): boolean {
  return v === null || v === undefined || !Number.isFinite(v);
}

function seriesDomain(list: LineSeries[], fixed: [number, number] | undefined, log: boolean): [number, number] {
  if (fixed) return fixed;
  const ys: number[] = [];
  for (const s of list) for (let i = 0; i < s.y.length; i++) { const v = s.y[i]; if (!isMissing(v) && (!log || v! > 0)) ys.push(v!); }
  const e = extent(ys);
  if (!e) return log ? [0.1, 1] : [0, 1];
  if (log) return [logStepDown(e[0]), logStepUp(e[1])];
  return niceDomain(e[0], e[1], 4);
}

// log axes end on 1, 2 or 5 × 10^k: whole decades waste most of the panel on short ranges
const LOG_STEPS = [1, 2, 5, 10];
function logStepDown(v: number): number {
  const p = 10 ** Math.floor(Math.log10(v));
  return [...LOG_STEPS].reverse().map((m) => m * p).find((c) => c <= v * (1 + 1e-9)) ?? p;
}
function logStepUp(v: number): number {
  const p = 10 ** Math.floor(Math.log10(v));
  return LOG_STEPS.map((m) => m * p).find((c) => c >= v * (1 - 1e-9)) ?? 10 * p;
}

/** The path of one series, with a new "M" after every gap. */
function linePath(s: LineSeries, x: Scale, y: Scale): string {
  let d = '', pen = false;
  const n = Math.min(s.x.length, s.y.length);
  for (let i = 0; i < n; i++) {
    const v = s.y[i];
    if (isMissing(v) || !Number.isFinite(s.x[i]!) || (y.log && v! <= 0)) { pen = false; continue; }
    d += `${pen ? 'L' : 'M'}${r1(x(s.x[i]!))},${r1(y(v!))}`;
    pen = true;
  }
  return d;
}

export function lineChart(series: readonly LineSeries[], o: LineChartOptions): string {
  const { width, height } = o;
  const panelCount = Math.max(1, (o.panels?.length ?? 0), ...series.map((s) => (s.panel ?? 0) + 1));
  const panelOpts = (p: number): LinePanelOptions => o.panels?.[p] ?? (p === 0 ? o : {});
  const colors = series.map((s, i) => s.color ?? classColor(i));
  const anyRight = series.some((s) => s.axis === 'right');

  let top = o.title ? 26 : 8;
  // series drawn alike in several panels (e.g. "train" loss and "train" accuracy) share one entry
  const items: LegendItem[] = [];
  series.forEach((s, i) => {
    const item: LegendItem = { label: s.name, color: colors[i]!, swatch: s.dashed ? 'dashed' : 'line' };
    if (!items.some((it) => it.label === item.label && it.color === item.color && it.swatch === item.swatch)) items.push(item);
  });
  const plotLeft = MARGIN.left;
  const plotWidth = width - plotLeft - (anyRight ? MARGIN.rightAxis : MARGIN.right);
  const leg = legend(items, plotLeft, top, plotWidth);
  top += leg.height + 8;

  const xs: number[] = [];
  for (const s of series) for (let i = 0; i < s.x.length; i++) xs.push(s.x[i]!);
  const xe = extent(xs) ?? [0, 1];
  const x = linearScale(xe[0] === xe[1] ? [xe[0] - 1, xe[1] + 1] : xe, [plotLeft, plotLeft + plotWidth]);
  const integerX = xs.every(Number.isInteger);
  const xTicks = x.ticks(Math.max(2, Math.floor(plotWidth / 70))).filter((t) => !integerX || Number.isInteger(t));

  const panelHeight = (height - top - MARGIN.bottom - MARGIN.panelGap * (panelCount - 1)) / panelCount;
  const parts: string[] = [chartTitle(o.title, 4, 17), leg.svg];
  for (let p = 0; p < panelCount; p++) {
    const po = panelOpts(p);
    const rect: Rect = { x: plotLeft, y: top + p * (panelHeight + MARGIN.panelGap), width: plotWidth, height: panelHeight };
    const inPanel = series.map((s, i) => ({ s, i })).filter(({ s }) => (s.panel ?? 0) === p);
    const left = inPanel.filter(({ s }) => s.axis !== 'right');
    const right = inPanel.filter(({ s }) => s.axis === 'right');
    const yRange: [number, number] = [rect.y + rect.height, rect.y];
    const logY = po.logY ?? false;
    const yL = logY ? logScale(seriesDomain(left.map((v) => v.s), po.yDomain, true), yRange)
      : linearScale(seriesDomain(left.map((v) => v.s), po.yDomain, false), yRange);
    const yR = right.length > 0 ? linearScale(seriesDomain(right.map((v) => v.s), po.y2Domain, false), yRange) : null;
    const tickCount = Math.max(2, Math.floor(panelHeight / 45));
    const clip = uid('clip');
    const marks: string[] = [];
    for (const { s, i } of inPanel) {
      const y = s.axis === 'right' && yR ? yR : yL;
      const color = colors[i]!;
      marks.push(el('path', {
        d: linePath(s, x, y), fill: 'none', stroke: color, 'stroke-width': 2, 'stroke-linejoin': 'round',
        'stroke-dasharray': s.dashed ? '6 4' : undefined, class: 'series', 'data-series': s.name,
      }));
      const n = Math.min(s.x.length, s.y.length);
      if (s.markers ?? n <= 60) {
        for (let k = 0; k < n; k++) {
          const v = s.y[k];
          if (isMissing(v) || (y.log && v! <= 0)) continue;
          const label = `${s.name}${po.yLabel && s.axis !== 'right' ? ` ${po.yLabel}` : po.y2Label && s.axis === 'right' ? ` ${po.y2Label}` : ''} — ${o.xLabel ?? 'x'} ${formatNumber(s.x[k]!)}: ${(s.axis === 'right' ? po.y2Format : po.yFormat)?.(v!) ?? formatNumber(v!, 4)}`;
          marks.push(`<circle cx="${r1(x(s.x[k]!))}" cy="${r1(y(v!))}" r="2.6" fill="${s.dashed ? '#fff' : color}" stroke="${color}" stroke-width="1.4"><title>${escapeXml(label)}</title></circle>`);
        }
      }
    }
    parts.push(clipRect(clip, { x: rect.x - 4, y: rect.y - 4, width: rect.width + 8, height: rect.height + 8 }));
    parts.push(axisVertical(yL, rect, 'left', { label: po.yLabel, format: po.yFormat, tickCount }));
    if (yR) parts.push(axisVertical(yR, rect, 'right', { label: po.y2Label, format: po.y2Format, tickCount, grid: false }));
    const last = p === panelCount - 1;
    parts.push(axisBottom(x, rect, {
      ticks: xTicks, label: last ? o.xLabel : undefined, format: last ? o.xFormat : () => '',
    }));
    parts.push(el('g', { 'clip-path': `url(#${clip})`, class: 'plot' }, marks.join('')));
  }
  return svgDocument(width, height, parts.join(''), o.title);
}
