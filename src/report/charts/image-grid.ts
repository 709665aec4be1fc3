/**
 * Adversarial examples as triptychs — clean | perturbation | adversarial — each image captioned
 * (true label, prediction, detection score, flagged or not). Images are embedded as PNG data URIs
 * drawn with nearest-neighbour scaling; the perturbation uses a diverging map centred on grey with
 * one shared scale, so rows can be compared.
 */
import { pngDataUri } from '../base64.js';
import { formatNumber } from '../format.js';
import { encodePng } from '../png.js';
import { divergingColor, rgbCss } from '../colormap.js';
import { divergingBytes, imageBytes, maxAbs, perturbationMap, type ImageShape } from '../raster.js';
import { chartTitle, el, escapeXml, INK, MUTED, svgDocument, text, textWidth, uid } from '../svg.js';

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
  /** displayed size of one image in px (default: the integer multiple of the image width nearest 88) */
  cellSize?: number;
  /** short name of the score in captions (default "D") */
  scoreName?: string;
  /** the |δ| shown at full colour; default the largest |δ| over all rows */
  perturbationScale?: number;
  /** draw the perturbation colour bar above the grid (default true) */
  colourBar?: boolean;
}

const GAP = 6, COL_GAP = 26, LINE_H = 14, HEADER_H = 20;
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

/** The |δ| that the grid shows at full colour: the largest over all rows (shared, so rows compare). */
export function perturbationScale(rows: readonly Pick<ImageGridRow, 'clean' | 'adversarial'>[], shape: ImageShape): number {
  return Math.max(1e-12, ...rows.map((r) => maxAbs(perturbationMap(r.clean, r.adversarial, shape))));
}

/** The perturbation colour scale on its own (for pages that lay examples out one SVG each). */
export function perturbationColourBar(scale: number): string {
  const label = `perturbation scale: −${formatNumber(scale)}`;
  return svgDocument(textWidth(label, 11) + 170, 18, colourBar(0, 1, scale), 'perturbation colour scale');
}

/** The diverging scale as a small bar: −scale (blue) … 0 (grey) … +scale (red). */
function colourBar(x: number, y: number, scale: number): string {
  const id = uid('diverging');
  const stops = [-1, -0.5, 0, 0.5, 1].map((t) => el('stop', { offset: `${(t + 1) * 50}%`, 'stop-color': rgbCss(divergingColor(t)) })).join('');
  const label = `perturbation scale: −${formatNumber(scale)}`;
  const lw = textWidth(label, 11);
  return el('g', { class: 'colour-bar' },
    el('defs', {}, el('linearGradient', { id, x1: '0', x2: '1', y1: '0', y2: '0' }, stops))
    + text(x, y + 11, label, { 'font-size': 11, fill: MUTED })
    + el('rect', { x: x + lw + 6, y: y + 2, width: 120, height: 11, fill: `url(#${id})`, rx: 2 })
    + text(x + lw + 132, y + 11, `+${formatNumber(scale)}`, { 'font-size': 11, fill: MUTED }));
}

export function imageGrid(o: ImageGridOptions): string {
  const { shape, rows } = o;
  // integer magnification keeps nearest-neighbour pixels all the same size
  const size = o.cellSize ?? Math.max(1, Math.round(88 / Math.max(shape.width, shape.height))) * Math.max(shape.width, shape.height);
  const tripW = 3 * size + 2 * GAP;
  const avail = o.width ?? 900;
  const cols = Math.max(1, Math.min(rows.length, Math.floor((avail - 8 + COL_GAP) / (tripW + COL_GAP))));
  const lines = Math.ceil(rows.length / cols);
  const withBar = o.colourBar ?? true;
  const top = (o.title ? 28 : 6) + (withBar ? 22 : 0); // the colour bar of the perturbation scale sits above the headers
  const rowH = size + 3 * LINE_H + 16;
  const width = Math.max(cols * tripW + (cols - 1) * COL_GAP + 8, 200);
  const height = top + HEADER_H + lines * rowH;
  const name = (c: number | undefined) => (c === undefined ? '—' : o.classNames?.[c] ?? String(c));
  const sn = o.scoreName ?? 'D';

  const deltas = rows.map((r) => perturbationMap(r.clean, r.adversarial, shape));
  const scale = o.perturbationScale ?? perturbationScale(rows, shape);
  const png = (bytes: Uint8Array, channels: 1 | 3) => pngDataUri(encodePng(shape.width, shape.height, channels, bytes));

  const parts: string[] = [chartTitle(o.title, 4, 18), withBar ? colourBar(4, top - 20, scale) : ''];
  for (let c = 0; c < cols; c++) {
    const x0 = 4 + c * (tripW + COL_GAP);
    ['clean', 'perturbation', 'adversarial'].forEach((h, k) => {
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
      text(x0 + k * (size + GAP) + size / 2, y0 + size + 14 + line * LINE_H, fit(s, size + GAP - 2, 11), { 'text-anchor': 'middle', 'font-size': 11, fill: INK, ...a });
    // one fact per line: class names (CIFAR's "automobile") would not fit two to a line
    cells.push(cap(0, 0, `true ${name(r.trueLabel)}`, { 'font-weight': 600 }));
    let line = 1;
    if (r.cleanPrediction !== undefined) {
      const cleanWrong = r.cleanPrediction !== r.trueLabel;
      cells.push(cap(0, line++, `pred ${name(r.cleanPrediction)}`, { fill: cleanWrong ? BAD : INK }));
    }
    if (r.cleanScore !== undefined) cells.push(cap(0, line, `${sn} ${formatNumber(r.cleanScore)}`, { fill: MUTED }));
    cells.push(cap(1, 0, `‖δ‖∞ ${formatNumber(linf)}`, { fill: MUTED }));
    cells.push(cap(2, 0, `pred ${name(r.prediction)}`, { fill: wrong ? BAD : INK, 'font-weight': 600 }));
    line = 1;
    if (r.score !== undefined) cells.push(cap(2, line++, `${sn} ${formatNumber(r.score)}`, { fill: MUTED }));
    if (r.flagged !== undefined) {
      // green when the detector did its job or the attack failed anyway; red when the attack got through
      cells.push(cap(2, line, r.flagged ? '✓ flagged' : '✗ not flagged', { fill: fooled ? BAD : r.flagged ? GOOD : MUTED, 'font-weight': 600 }));
    }
    const summary = `true ${name(r.trueLabel)}, adversarial predicted ${name(r.prediction)}${r.flagged === undefined ? '' : r.flagged ? ', flagged' : ', not flagged'}`;
    parts.push(`<g class="example" data-flagged="${r.flagged === undefined ? '' : String(r.flagged)}"><title>${escapeXml(summary)}</title>${cells.join('')}</g>`);
  });
  if (rows.length === 0) parts.push(text(width / 2, top + HEADER_H + 20, 'no examples', { 'text-anchor': 'middle', fill: MUTED }));
  return svgDocument(width, height, parts.join(''), o.title);
}

