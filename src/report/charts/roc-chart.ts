/** ROC curves (clean vs adversarial): AUROC in the legend, the chance diagonal, the 95 % point. */
import { formatFixed, formatPercent } from '../format.js';
import {
  attackColor, axisBottom, axisVertical, chartTitle, clipRect, el, escapeXml, legend, linearScale, MUTED, r1, svgDocument,
  text, uid, type LegendItem, type Rect,
} from '../svg.js';
import { simplifyRoc, type RocCurve } from './roc.js';

export interface RocChartOptions {
  width: number;
  height: number;
  title?: string;
  colors?: readonly string[];
}

export function rocChart(curves: readonly RocCurve[], o: RocChartOptions): string {
  const colors = curves.map((_, i) => o.colors?.[i] ?? attackColor(i));
  const items: LegendItem[] = curves.map((c, i) => ({ label: `${c.name} · AUROC ${formatFixed(c.auroc)}`, color: colors[i]!, swatch: 'line' }));
  if (curves.some((c) => c.at95)) items.push({ label: 'at 95 % clean accepted (TNR@95)', color: '#3b4656', swatch: 'ring' });
  let top = o.title ? 26 : 8;
  const marginL = 58, marginR = 16, marginB = 46;
  const leg = legend(items, marginL, top, o.width - marginL - marginR);
  top += leg.height + 10;
  // a square plot, centred in the space left
  const side = Math.max(60, Math.min(o.width - marginL - marginR, o.height - top - marginB));
  const rect: Rect = { x: marginL + (o.width - marginL - marginR - side) / 2, y: top, width: side, height: side };
  const x = linearScale([0, 1], [rect.x, rect.x + side]);
  const y = linearScale([0, 1], [rect.y + side, rect.y]);
  const pct = (v: number) => formatPercent(v, 0);
  const clip = uid('clip');

  const marks: string[] = [
    el('line', { x1: x(0), y1: y(0), x2: x(1), y2: y(1), stroke: '#a7b0bc', 'stroke-dasharray': '4 4', class: 'diagonal' }),
    el('line', { x1: x(0.05), y1: y(0), x2: x(0.05), y2: y(1), stroke: '#c2cad4', 'stroke-dasharray': '2 3' }),
  ];
  curves.forEach((c, i) => {
    const d = simplifyRoc(c.points).map((p, k) => `${k === 0 ? 'M' : 'L'}${r1(x(p.fpr))},${r1(y(p.tpr))}`).join('');
    marks.push(el('path', { d, fill: 'none', stroke: colors[i]!, 'stroke-width': 2.2, 'stroke-linejoin': 'round', class: 'roc', 'data-series': c.name }));
  });
  curves.forEach((c, i) => {
    if (!c.at95) return;
    marks.push(`<circle class="op95" cx="${r1(x(c.at95.fpr))}" cy="${r1(y(c.at95.tpr))}" r="5" fill="#fff" stroke="${colors[i]!}" stroke-width="2.2"><title>${escapeXml(`${c.name}: TNR@95 = ${formatPercent(c.at95.tpr)} (clean flagged ${formatPercent(c.at95.fpr)})`)}</title></circle>`);
  });

  const parts = [
    chartTitle(o.title, 4, 17), leg.svg, clipRect(clip, { x: rect.x - 6, y: rect.y - 6, width: side + 12, height: side + 12 }),
    axisBottom(x, rect, { label: 'clean inputs flagged (FPR)', format: pct, ticks: [0, 0.2, 0.4, 0.6, 0.8, 1] }),
    axisVertical(y, rect, 'left', { label: 'adversarial inputs flagged (TPR)', format: pct, ticks: [0, 0.2, 0.4, 0.6, 0.8, 1] }),
    el('g', { 'clip-path': `url(#${clip})` }, marks.join('')),
    text(x(0.05) + 4, y(0.02), '5 %', { fill: MUTED, 'font-size': 10 }),
  ];
  return svgDocument(o.width, o.height, parts.join(''), o.title);
}
