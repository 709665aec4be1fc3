/**
 * Adversarial examples as triptychs — clean | perturbation | adversarial — each image captioned
 * (true label, prediction, detection score, flagged or not). Images are embedded as PNG data URIs
 * (compressed PNG data URIs, so the function is async) drawn with nearest-neighbour scaling; the
 * perturbation uses a diverging map centred on grey with one shared scale, so rows can be compared.
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

/** One grey level of an 8-bit image: a smaller change does not change the picture. */
export const GREY_LEVEL = 1 / 255;

/**
 * The |δ| that the grid shows at full colour: the largest over all rows (shared, so rows compare),
 * and at least one grey level — an attack that changed nothing (C&W where it failed leaves ~1e-8 of
 * tanh round-off) shows grey, not its round-off stretched to full colour.
 */
export function perturbationScale(rows: readonly Pick<ImageGridRow, 'clean' | 'adversarial'>[], shape: ImageShape): number {
  return Math.max(GREY_LEVEL, ...rows.map((r) => maxAbs(perturbationMap(r.clean, r.adversarial, shape))));
}

const BAR_W = 160, BAR_TITLE = 'perturbation: adversarial − clean';
const BAR_H = 42;

/** The perturbation colour scale on its own (for pages that lay examples out one SVG each). */
export function perturbationColourBar(scale: number): string {
  return svgDocument(Math.ceil(Math.max(BAR_W, 1.15 * textWidth(BAR_TITLE, 11))) + 8, BAR_H, colourBar(2, 0, scale), 'perturbation colour scale');
}

/**
 * The diverging scale: its title, then the bar −scale (blue) … 0 (grey) … +scale (red) with its
 * three labels underneath, anchored inside the bar's width so none is ever cut off.
 */
function colourBar(x: number, y: number, scale: number): string {
  const id = uid('diverging');
  const stops = [-1, -0.5, 0, 0.5, 1].map((t) => el('stop', { offset: `${(t + 1) * 50}%`, 'stop-color': rgbCss(divergingColor(t)) })).join('');
  const tick = (at: number, s: string, anchor: string) => text(at, y + 38, s, { 'font-size': 11, fill: MUTED, 'text-anchor': anchor });
  return el('g', { class: 'colour-bar' },
    el('defs', {}, el('linearGradient', { id, x1: '0', x2: '1', y1: '0', y2: '0' }, stops))
    + text(x, y + 11, BAR_TITLE, { 'font-size': 11, fill: MUTED })
    + el('rect', { x, y: y + 16, width: BAR_W, height: 10, fill: `url(#${id})`, rx: 2 })
    + tick(x, `−${formatNumber(scale)}`, 'start') + tick(x + BAR_W / 2, '0', 'middle') + tick(x + BAR_W, `+${formatNumber(scale)}`, 'end'));
}

export async function imageGrid(o: ImageGridOptions): Promise<string> {
  const { shape, rows } = o;
  // integer magnification keeps nearest-neighbour pixels all the same size
  const size = o.cellSize ?? Math.max(1, Math.round(88 / Math.max(shape.width, shape.height))) * Math.max(shape.width, shape.height);
  const tripW = 3 * size + 2 * GAP;
  const avail = o.width ?? 900;
  const cols = Math.max(1, Math.min(rows.length, Math.floor((avail - 8 + COL_GAP) / (tripW + COL_GAP))));
  const lines = Math.ceil(rows.length / cols);
  const withBar = o.colourBar ?? true;
  const top = (o.title ? 28 : 6) + (withBar ? BAR_H + 4 : 0); // the colour bar of the perturbation scale sits above the headers
  const rowH = size + 3 * LINE_H + 16;
  const width = Math.max(cols * tripW + (cols - 1) * COL_GAP + 8, 200);
  const height = top + HEADER_H + lines * rowH;
  const name = (c: number | undefined) => (c === undefined ? '—' : o.classNames?.[c] ?? String(c));
  const sn = o.scoreName ?? 'D';

  const deltas = rows.map((r) => perturbationMap(r.clean, r.adversarial, shape));
  const scale = o.perturbationScale ?? perturbationScale(rows, shape);
  const png = async (bytes: Uint8Array, channels: 1 | 3) => pngDataUri(await encodePng(shape.width, shape.height, channels, bytes));

  const parts: string[] = [chartTitle(o.title, 4, 18), withBar ? colourBar(4, top - BAR_H - 2, scale) : ''];
  for (let c = 0; c < cols; c++) {
    const x0 = 4 + c * (tripW + COL_GAP);
    ['clean', 'perturbation', 'adversarial'].forEach((h, k) => {
      parts.push(text(x0 + k * (size + GAP) + size / 2, top + 13, fit(h, size + GAP, 11), { 'text-anchor': 'middle', fill: MUTED, 'font-size': 11, 'font-weight': 600 }));
    });
  }
  for (const [i, r] of rows.entries()) {
    const x0 = 4 + (i % cols) * (tripW + COL_GAP), y0 = top + HEADER_H + Math.floor(i / cols) * rowH;
    const linf = maxAbs(deltas[i]!);
    const wrong = r.prediction !== r.trueLabel;
    const fooled = wrong && r.flagged === false;
    const cells: string[] = [
      image(x0, y0, size, await png(imageBytes(r.clean, shape), shape.channels), `clean image, class ${name(r.trueLabel)}`),
      image(x0 + size + GAP, y0, size, await png(divergingBytes(deltas[i]!, scale), 3), 'perturbation'),
      image(x0 + 2 * (size + GAP), y0, size, await png(imageBytes(r.adversarial, shape), shape.channels), `adversarial image, predicted ${name(r.prediction)}`),
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
    cells.push(cap(1, 0, linf < GREY_LEVEL ? 'unchanged' : `‖δ‖∞ ${formatNumber(linf)}`, { fill: MUTED }));
    cells.push(cap(2, 0, `pred ${name(r.prediction)}`, { fill: wrong ? BAD : INK, 'font-weight': 600 }));
    line = 1;
    if (r.score !== undefined) cells.push(cap(2, line++, `${sn} ${formatNumber(r.score)}`, { fill: MUTED }));
    if (r.flagged !== undefined) {
      // green when the detector did its job or the attack failed anyway; red when the attack got through
      cells.push(cap(2, line, r.flagged ? '✓ flagged' : '✗ not flagged', { fill: fooled ? BAD : r.flagged ? GOOD : MUTED, 'font-weight': 600 }));
    }
    const summary = `true ${name(r.trueLabel)}, adversarial predicted ${name(r.prediction)}${r.flagged === undefined ? '' : r.flagged ? ', flagged' : ', not flagged'}`;
    parts.push(`<g class="example" data-flagged="${r.flagged === undefined ? '' : String(r.flagged)}"><title>${escapeXml(summary)}</title>${cells.join('')}</g>`);
  }
  if (rows.length === 0) parts.push(text(width / 2, top + HEADER_H + 20, 'no examples', { 'text-anchor': 'middle', fill: MUTED }));
  return svgDocument(width, height, parts.join(''), o.title);
}

