/** Axes with tick labels, light grid lines and titles, drawn around a plot rectangle. */
import { formatNumber } from './format.js';
import type { Scale } from './scale.js';
import { el, escapeXml, GRID, MUTED, r1, text } from './markup.js';

export interface Rect {
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface AxisOptions {
  label?: string;
  format?: (v: number) => string;
  ticks?: number[];
  tickCount?: number;
  /** draw grid lines across the plot (default true for the primary axes) */
  grid?: boolean;
}

function tickValues(scale: Scale, o: AxisOptions): number[] {
  return o.ticks ?? scale.ticks(o.tickCount ?? 5);
}

/** The x axis along the bottom edge of `rect`. */
export function axisBottom(scale: Scale, rect: Rect, o: AxisOptions = {}): string {
  const fmt = o.format ?? formatNumber;
  const y0 = rect.y + rect.height;
  const parts: string[] = [];
  for (const t of tickValues(scale, o)) {
    const x = scale(t);
    if (x < rect.x - 0.5 || x > rect.x + rect.width + 0.5) continue;
    if (o.grid !== false) parts.push(el('line', { x1: x, y1: rect.y, x2: x, y2: y0, stroke: GRID }));
    parts.push(el('line', { x1: x, y1: y0, x2: x, y2: y0 + 4, stroke: MUTED }));
    parts.push(text(x, y0 + 16, fmt(t), { 'text-anchor': 'middle', fill: MUTED, 'font-size': 11 }));
  }
  parts.push(el('line', { x1: rect.x, y1: y0, x2: rect.x + rect.width, y2: y0, stroke: MUTED }));
  if (o.label) parts.push(text(rect.x + rect.width / 2, y0 + 34, o.label, { 'text-anchor': 'middle', fill: MUTED }));
  return el('g', { class: 'axis axis-x' }, parts.join(''));
}

/** A y axis on the left (or, with side 'right', the right) edge of `rect`. */
export function axisVertical(scale: Scale, rect: Rect, side: 'left' | 'right', o: AxisOptions = {}): string {
  const fmt = o.format ?? formatNumber;
  const x0 = side === 'left' ? rect.x : rect.x + rect.width;
  const dir = side === 'left' ? -1 : 1;
  const parts: string[] = [];
  for (const t of tickValues(scale, o)) {
    const y = scale(t);
    if (y < rect.y - 0.5 || y > rect.y + rect.height + 0.5) continue;
    if (o.grid ?? side === 'left') parts.push(el('line', { x1: rect.x, y1: y, x2: rect.x + rect.width, y2: y, stroke: GRID }));
    parts.push(el('line', { x1: x0, y1: y, x2: x0 + 4 * dir, y2: y, stroke: MUTED }));
    parts.push(text(x0 + 7 * dir, y + 4, fmt(t), { 'text-anchor': side === 'left' ? 'end' : 'start', fill: MUTED, 'font-size': 11 }));
  }
  parts.push(el('line', { x1: x0, y1: rect.y, x2: x0, y2: rect.y + rect.height, stroke: MUTED }));
  if (o.label) {
    const lx = x0 + dir * 44, ly = rect.y + rect.height / 2;
    parts.push(`<text x="${r1(lx)}" y="${r1(ly)}" text-anchor="middle" fill="${MUTED}" transform="rotate(${side === 'left' ? -90 : 90} ${r1(lx)} ${r1(ly)})">${escapeXml(o.label)}</text>`);
  }
  return el('g', { class: `axis axis-y axis-${side}` }, parts.join(''));
}

/** A clip path for the plot area, so marks that leave the domain never spill over the axes. */
export function clipRect(id: string, rect: Rect): string {
  return el('defs', {}, el('clipPath', { id }, el('rect', { x: rect.x, y: rect.y, width: rect.width, height: rect.height })));
}

/** A chart title at the top-left. */
export function chartTitle(title: string | undefined, x: number, y: number): string {
  return title ? text(x, y, title, { 'font-weight': 600, 'font-size': 13, class: 'chart-title' }) : '';
}
