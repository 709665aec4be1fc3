/**
 * Adversarial examples as triptychs — clean | perturbation | adversarial — each image captioned
 * (true label, prediction, detection score, flagged or not). Images are embedded as PNG data URIs
 * drawn with nearest-neighbour scaling; the perturbation uses a diverging map centred on grey with
 * one shared scale, so rows can be compared.
 */
import { pngDataUri } from '../base64.js';
import { formatNumber } from '../format.js';
import { encodePng } from '../png.js';
import { divergingBytes, imageBytes, maxAbs, perturbationMap, type ImageShape } from '../raster.js';
import { chartTitle, el, escapeXml, INK, MUTED, svgDocument, text, textWidth } from '../svg.js';

export interface ImageGridRow {
  /** CHW floats in [0, 1] */
  clean: ArrayLike<number>;
  adversarial: ArrayLike<number>;
  trueLabel: number;
  /** prediction on the clean image */
  cleanPrediction?: number;
  /** prediction on the adversarial image */
  prediction: number;
  cleanScore?: number;
  score?: number;
  /** the detector flagged the adversarial image (score > τ) */
  flagged?: boolean;
}

export interface ImageGridOptions {
  shape: ImageShape;
  rows: readonly ImageGridRow[];
  classNames?: readonly string[];
  title?: string;
  /** the available width; examples flow into as many columns as fit (default 900) */
  width?: number;
  /** displayed size of one image in px (default 88) */
  cellSize?: number;
  /** short name of the score in captions (default "D") */
  scoreName?: string;
  /** the |δ| shown at full colour; default the largest |δ| over all rows */
  perturbationScale?: number;
}

const GAP = 6, COL_GAP = 26, CAPTION_H = 30, HEADER_H = 20;
const GOOD = '#1a7f37', BAD = '#c62828';

function fit(s: string, width: number, fontSize: number): string {
  if (textWidth(s, fontSize) <= width) return s;
  let t = s;
  while (t.length > 1 && textWidth(t + '…', fontSize) > width) t = t.slice(0, -1);
  return t + '…';
}

function image(x: number, y: number, size: number, uri: string, label: string): string {
  return el('image', { x, y, width: size, height: size, href: uri, preserveAspectRatio: 'none', style: 'image-rendering:pixelated;image-rendering:crisp-edges', 'aria-label': label })
    + el('rect', { x: x - 0.5, y: y - 0.5, width: size + 1, height: size + 1, fill: 'none', stroke: '#c9d1db' });
}

export function imageGrid(o: ImageGridOptions): string {
  const { shape, rows } = o;
  const size = o.cellSize ?? 88;
  const tripW = 3 * size + 2 * GAP;
  const avail = o.width ?? 900;
  const cols = Math.max(1, Math.min(rows.length, Math.floor((avail - 8 + COL_GAP) / (tripW + COL_GAP))));
  const lines = Math.ceil(rows.length / cols);
  const top = o.title ? 28 : 6;
  const rowH = size + CAPTION_H + 14;
  const width = Math.max(cols * tripW + (cols - 1) * COL_GAP + 8, 200);
  const height = top + HEADER_H + lines * rowH;
  const name = (c: number | undefined) => (c === undefined ? '—' : o.classNames?.[c] ?? String(c));
  const sn = o.scoreName ?? 'D';

  const deltas = rows.map((r) => perturbationMap(r.clean, r.adversarial, shape));
  const scale = o.perturbationScale ?? Math.max(1e-12, ...deltas.map(maxAbs));
  const png = (bytes: Uint8Array, channels: 1 | 3) => pngDataUri(encodePng(shape.width, shape.height, channels, bytes));

  const parts: string[] = [chartTitle(o.title, 4, 18)];
  for (let c = 0; c < cols; c++) {
    const x0 = 4 + c * (tripW + COL_GAP);
    ['clean', `perturbation (±${formatNumber(scale)})`, 'adversarial'].forEach((h, k) => {
      parts.push(text(x0 + k * (size + GAP) + size / 2, top + 13, fit(h, size + GAP, 11), { 'text-anchor': 'middle', fill: MUTED, 'font-size': 11, 'font-weight': 600 }));
    });
  }
  rows.forEach((r, i) => {
    const x0 = 4 + (i % cols) * (tripW + COL_GAP), y0 = top + HEADER_H + Math.floor(i / cols) * rowH;
    const linf = maxAbs(deltas[i]!);
    const wrong = r.prediction !== r.trueLabel;
    const fooled = wrong && r.flagged === false;
    const cells: string[] = [
      image(x0, y0, size, png(imageBytes(r.clean, shape), shape.channels), `clean image, class ${name(r.trueLabel)}`),
      image(x0 + size + GAP, y0, size, png(divergingBytes(deltas[i]!, scale), 3), 'perturbation'),
      image(x0 + 2 * (size + GAP), y0, size, png(imageBytes(r.adversarial, shape), shape.channels), `adversarial image, predicted ${name(r.prediction)}`),
    ];
    const cap = (k: number, line: number, s: string, a: Record<string, string | number> = {}) =>
      text(x0 + k * (size + GAP) + size / 2, y0 + size + 14 + line * 14, fit(s, size + GAP - 2, 11), { 'text-anchor': 'middle', 'font-size': 11, fill: INK, ...a });
    const cleanPred = r.cleanPrediction === undefined ? '' : ` · pred ${name(r.cleanPrediction)}`;
    cells.push(cap(0, 0, `true ${name(r.trueLabel)}${cleanPred}`));
    if (r.cleanScore !== undefined) cells.push(cap(0, 1, `${sn} ${formatNumber(r.cleanScore)}`, { fill: MUTED }));
    cells.push(cap(1, 0, `‖δ‖∞ ${formatNumber(linf)}`, { fill: MUTED }));
    cells.push(cap(2, 0, `pred ${name(r.prediction)}${r.score !== undefined ? ` · ${sn} ${formatNumber(r.score)}` : ''}`, { fill: wrong ? BAD : INK, 'font-weight': wrong ? 600 : 400 }));
    if (r.flagged !== undefined) {
      // green when the detector did its job or the attack failed anyway; red when the attack got through
      cells.push(cap(2, 1, r.flagged ? '✓ flagged' : '✗ not flagged', { fill: fooled ? BAD : r.flagged ? GOOD : MUTED, 'font-weight': 600 }));
    }
    const summary = `true ${name(r.trueLabel)}, adversarial predicted ${name(r.prediction)}${r.flagged === undefined ? '' : r.flagged ? ', flagged' : ', not flagged'}`;
    parts.push(`<g class="example" data-flagged="${r.flagged === undefined ? '' : String(r.flagged)}"><title>${escapeXml(summary)}</title>${cells.join('')}</g>`);
  });
  if (rows.length === 0) parts.push(text(width / 2, top + HEADER_H + 20, 'no examples', { 'text-anchor': 'middle', fill: MUTED }));
  return svgDocument(width, height, parts.join(''), o.title);
}

