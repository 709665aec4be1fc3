/**
 * Confusion matrix as a heat map: rows are true classes, columns predictions, cell colour the
 * fraction of the row (so rare classes read as clearly as common ones), the count written in the
 * cell, and each class's recall at the end of its row.
 */
import { luminance, rgbCss, sequentialColor } from '../colormap.js';
import { formatPercent } from '../format.js';
import { chartTitle, el, escapeXml, INK, MUTED, r1, svgDocument, text, textWidth } from '../svg.js';

export interface ConfusionMatrixOptions {
  width: number;
  height: number;
  title?: string;
  classNames?: readonly string[];
}

export function confusionMatrix(matrix: readonly ArrayLike<number>[], o: ConfusionMatrixOptions): string {
  const k = matrix.length;
  for (const [i, row] of matrix.entries()) {
    if (row.length !== k) throw new Error(`confusionMatrix: the matrix must be square (K×K); row ${i} has ${row.length} entries, expected ${k}`);
  }
  const name = (c: number) => o.classNames?.[c] ?? String(c);
  const labelW = Math.min(110, Math.max(18, ...Array.from({ length: k }, (_, c) => textWidth(name(c), 11)))) + 10;
  const top = (o.title ? 28 : 8) + 18;
  const widest = Math.max(0, ...Array.from({ length: k }, (_, c) => textWidth(name(c), 11)));
  const marginL = 22 + labelW, marginR = 76;
  // long class names under narrow columns are set at 45°, which needs more room below
  const slanted = widest > Math.min((o.width - marginL - marginR) / Math.max(1, k), 60) - 4;
  const marginB = slanted ? 30 + widest * 0.72 : 34;
  const cell = Math.max(8, Math.floor(Math.min((o.width - marginL - marginR) / Math.max(1, k), (o.height - top - marginB) / Math.max(1, k))));
  const gx = marginL, gy = top;
  const countFont = Math.max(8, Math.min(13, cell * 0.32));
  const parts: string[] = [chartTitle(o.title, 4, 18)];
  parts.push(text(gx + (k * cell) / 2, top - 8, 'predicted class', { 'text-anchor': 'middle', fill: MUTED }));
  parts.push(text(gx + k * cell + 6, top - 8, 'recall', { fill: MUTED }));
  const cy = gy + (k * cell) / 2;
  parts.push(`<text x="12" y="${r1(cy)}" text-anchor="middle" fill="${MUTED}" transform="rotate(-90 12 ${r1(cy)})">true class</text>`);

  const cells: string[] = [];
  let total = 0, correct = 0;
  for (let i = 0; i < k; i++) {
    const row = matrix[i]!;
    let rowSum = 0;
    for (let j = 0; j < k; j++) rowSum += row[j]!;
    total += rowSum; correct += row[i]!;
    for (let j = 0; j < k; j++) {
      const v = row[j]!;
      const f = rowSum > 0 ? v / rowSum : 0;
      const rgb = sequentialColor(Math.sqrt(f)); // sqrt: small off-diagonal confusions stay visible
      const x = gx + j * cell, y = gy + i * cell;
      const tip = `true ${name(i)}, predicted ${name(j)}: ${v} (${formatPercent(f)} of the row)`;
      cells.push(`<g class="cell"><title>${escapeXml(tip)}</title>${el('rect', { x, y, width: cell - 1, height: cell - 1, fill: rgbCss(rgb) })}${
        v !== 0 && cell >= 16 ? text(x + (cell - 1) / 2, y + (cell - 1) / 2 + countFont * 0.36, String(v), { 'text-anchor': 'middle', 'font-size': r1(countFont), fill: luminance(rgb) < 0.35 ? '#fff' : INK, 'font-weight': i === j ? 700 : 400 }) : ''}</g>`);
    }
    parts.push(text(gx - 6, gy + i * cell + cell / 2 + 4, name(i), { 'text-anchor': 'end', 'font-size': 11 }));
    parts.push(text(gx + k * cell + 6, gy + i * cell + cell / 2 + 4, rowSum > 0 ? formatPercent(row[i]! / rowSum) : '—', { 'font-size': 11, fill: MUTED }));
  }
  for (let j = 0; j < k; j++) {
    const x = gx + j * cell + cell / 2, y = gy + k * cell + 14;
    if (slanted) parts.push(`<text x="${r1(x + 4)}" y="${r1(y - 4)}" text-anchor="end" font-size="11" transform="rotate(-45 ${r1(x + 4)} ${r1(y - 4)})">${escapeXml(name(j))}</text>`);
    else parts.push(text(x, y, name(j), { 'text-anchor': 'middle', 'font-size': 11 }));
  }
  parts.push(el('g', { class: 'cells' }, cells.join('')));
  parts.push(text(gx + k * cell + 6, gy + k * cell + 14, `acc. ${total > 0 ? formatPercent(correct / total, 1) : '—'}`, { fill: INK, 'font-size': 11, 'font-weight': 600 }));
  parts.push(text(4, gy + k * cell + marginB - 4, `n = ${total}`, { fill: MUTED, 'font-size': 11 }));
  return svgDocument(o.width, Math.min(o.height, gy + k * cell + marginB + 4), parts.join(''), o.title);
}
