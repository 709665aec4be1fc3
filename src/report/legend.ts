/** Legends: swatch + label items that wrap to the chart width. */
import { el, r1, text } from './markup.js';

export type LegendSwatch = 'line' | 'dashed' | 'square' | 'circle' | 'ring' | 'triangle' | 'cross';

export interface LegendItem {
  label: string;
  color: string;
  swatch?: LegendSwatch;
}

/** Rough width of a label in the 12 px system font (good enough to lay out legends). */
export function textWidth(s: string, fontSize = 12): number {
  let w = 0;
  for (const ch of s) w += /[il.,:;'|!1 ]/.test(ch) ? 0.32 : /[mwMW%@]/.test(ch) ? 0.85 : /[A-Z0-9]/.test(ch) ? 0.64 : 0.55;
  return w * fontSize;
}

function swatch(kind: LegendSwatch, x: number, y: number, color: string): string {
  switch (kind) {
    case 'line': return el('line', { x1: x, y1: y, x2: x + 18, y2: y, stroke: color, 'stroke-width': 2.5 });
    case 'dashed': return el('line', { x1: x, y1: y, x2: x + 18, y2: y, stroke: color, 'stroke-width': 2.5, 'stroke-dasharray': '5 3' });
    case 'square': return el('rect', { x: x + 3, y: y - 6, width: 12, height: 12, rx: 2, fill: color, 'fill-opacity': 0.35, stroke: color, 'stroke-width': 1.5 });
    case 'circle': return el('circle', { cx: x + 9, cy: y, r: 4.5, fill: color });
    case 'ring': return el('circle', { cx: x + 9, cy: y, r: 4.5, fill: 'none', stroke: color, 'stroke-width': 1.5 });
    case 'triangle': return el('path', { d: `M${r1(x + 9)},${r1(y - 5.5)}L${r1(x + 14)},${r1(y + 4)}L${r1(x + 4)},${r1(y + 4)}Z`, fill: 'none', stroke: color, 'stroke-width': 1.5 });
    case 'cross': return el('path', { d: `M${r1(x + 4)},${r1(y)}H${r1(x + 14)}M${r1(x + 9)},${r1(y - 5)}V${r1(y + 5)}`, stroke: color, 'stroke-width': 2.2 });
  }
}

/**
 * A legend laid out left to right, wrapping at maxWidth. Returns the markup (a <g class="legend">)
 * and the height it takes, so charts can reserve the room.
 */
export function legend(items: readonly LegendItem[], x: number, y: number, maxWidth: number): { svg: string; height: number } {
  if (items.length === 0) return { svg: '', height: 0 };
  const rowH = 18;
  let cx = 0, row = 0;
  const parts: string[] = [];
  for (const it of items) {
    const w = 24 + textWidth(it.label) + 14;
    if (cx > 0 && cx + w > maxWidth) { cx = 0; row++; }
    const yy = y + row * rowH + rowH / 2;
    parts.push(el('g', { class: 'legend-item' }, swatch(it.swatch ?? 'square', x + cx, yy, it.color) + text(x + cx + 24, yy + 4, it.label)));
    cx += w;
  }
  return { svg: el('g', { class: 'legend' }, parts.join('')), height: (row + 1) * rowH };
}
