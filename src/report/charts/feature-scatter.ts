/**
 * Scatter of 2-D features coloured by class: class means as labelled crosses, optional Gaussian
 * iso-likelihood curves (per-class 1σ/2σ/3σ ellipses, or marching-squares contours of the mixture
 * density), and optional adversarial features as hollow triangles with arrows from their clean
 * origin. Both axes share one scale so circles stay circles.
 */
import { contourLines } from './contours.js';
import {
  axisBottom, axisVertical, chartTitle, classColor, clipRect, el, escapeXml, extent, INK, legend, linearScale, niceTicks, r1,
  svgDocument, text, uid, type LegendItem, type Rect,
} from '../svg.js';

export interface AdversarialFeatures {
  /** N_adv × 2, row-major */
  points: ArrayLike<number>;
  /** true class of each adversarial input (colours the marker); default: the label of its source point */
  labels?: ArrayLike<number>;
  /** index into the clean points each adversarial point came from (default: the same index) */
  sourceIndex?: ArrayLike<number>;
  /** legend text, e.g. "PGD-40 ε=0.3" */
  name?: string;
  /** draw an arrow from every clean feature to its adversarial feature */
  arrows?: boolean;
  /** at most this many arrows (default 150) so the plot stays readable */
  maxArrows?: number;
}

export interface FeatureScatterOptions {
  width: number;
  height: number;
  title?: string;
  /** N × 2 features, row-major */
  points: ArrayLike<number>;
  labels: ArrayLike<number>;
  classNames?: readonly string[];
  /** K × 2 class means (the GM head's μ, or empirical means for a softmax model) */
  means?: ArrayLike<number>;
  /** K × 2 diagonal covariances of the classes; identity when absent */
  variances?: ArrayLike<number>;
  /** 'circles': 1σ/2σ/3σ ellipses per class; 'contours': iso-density lines of the mixture */
  density?: 'none' | 'circles' | 'contours';
  /** radii in standard deviations (default [1, 2, 3]) */
  sigmas?: number[];
  adversarial?: AdversarialFeatures;
  /** subsample the clean points to at most this many (default 4000), evenly over the index */
  maxPoints?: number;
  xLabel?: string;
  yLabel?: string;
}

const LEVEL_OPACITY = [0.9, 0.6, 0.38, 0.25];

function pick(n: number, max: number): number[] {
  if (n <= max) return Array.from({ length: n }, (_, i) => i);
  return Array.from({ length: max }, (_, i) => Math.floor((i * n) / max));
}

function checkPairs(what: string, a: ArrayLike<number>): number {
  if (a.length % 2 !== 0) throw new Error(`featureScatter: ${what} must hold N×2 values (x, y pairs), got ${a.length}`);
  return a.length / 2;
}

export function featureScatter(o: FeatureScatterOptions): string {
  const n = checkPairs('points', o.points);
  if (o.labels.length !== n) throw new Error(`featureScatter: ${n} points but ${o.labels.length} labels`);
  const k = o.means ? checkPairs('means', o.means) : 0;
  if (o.variances && o.variances.length !== 2 * k) throw new Error(`featureScatter: variances must hold K×2 = ${2 * k} values, got ${o.variances.length}`);
  const adv = o.adversarial;
  const nAdv = adv ? checkPairs('adversarial.points', adv.points) : 0;
  const sigmas = o.sigmas ?? [1, 2, 3];
  const density = k > 0 ? o.density ?? 'none' : 'none';
  let numClasses = k;
  for (let i = 0; i < n; i++) numClasses = Math.max(numClasses, o.labels[i]! + 1);
  const className = (c: number) => o.classNames?.[c] ?? String(c);
  const variance = (c: number, axis: 0 | 1) => (o.variances ? o.variances[2 * c + axis]! : 1);

  // legend: classes, then the mark types
  const items: LegendItem[] = Array.from({ length: numClasses }, (_, c) => ({ label: className(c), color: classColor(c), swatch: 'circle' }));
  if (k > 0) items.push({ label: 'class mean', color: INK, swatch: 'cross' });
  if (adv) items.push({ label: adv.name ? `adversarial (${adv.name})` : 'adversarial', color: INK, swatch: 'triangle' });
  if (density !== 'none') items.push({ label: density === 'circles' ? `${sigmas.join('/')} σ of each class` : `mixture density at ${sigmas.join('/')} σ`, color: '#8a94a3', swatch: 'line' });
  let top = o.title ? 26 : 8;
  const marginL = 56, marginR = 16, marginB = 44;
  const leg = legend(items, marginL, top, o.width - marginL - marginR);
  top += leg.height + 8;
  const rect: Rect = { x: marginL, y: top, width: o.width - marginL - marginR, height: o.height - top - marginB };

  // one scale for both axes: fit every mark, then widen the shorter side to the plot's aspect
  const xs: number[] = [], ys: number[] = [];
  const add = (a: ArrayLike<number>) => { for (let i = 0; i + 1 < a.length; i += 2) { xs.push(a[i]!); ys.push(a[i + 1]!); } };
  add(o.points);
  if (o.means) add(o.means);
  if (adv) add(adv.points);
  const ex = extent(xs) ?? [-1, 1], ey = extent(ys) ?? [-1, 1];
  let cx = (ex[0] + ex[1]) / 2, cy = (ey[0] + ey[1]) / 2;
  let half = Math.max((ex[1] - ex[0]) / 2, ((ey[1] - ey[0]) / 2) * (rect.width / rect.height), 1e-9) * 1.06;
  if (density !== 'none' && o.means) {
    // keep the largest circle (or contour) of every class inside the view as well
    const rMax = Math.max(...sigmas);
    for (let c = 0; c < k; c++) {
      const mx = o.means[2 * c]!, my = o.means[2 * c + 1]!;
      const rx = rMax * Math.sqrt(variance(c, 0)), ry = rMax * Math.sqrt(variance(c, 1));
      half = Math.max(half, Math.abs(mx - cx) + rx, (Math.abs(my - cy) + ry) * (rect.width / rect.height));
    }
  }
  const halfY = half * (rect.height / rect.width);
  const x = linearScale([cx - half, cx + half], [rect.x, rect.x + rect.width]);
  const y = linearScale([cy - halfY, cy + halfY], [rect.y + rect.height, rect.y]);
  const pxPerUnit = rect.width / (2 * half);

  const clip = uid('clip'), arrowId = uid('arrow');
  const layers: string[] = [];

  if (density === 'circles' && o.means) {
    for (let c = 0; c < k; c++) {
      const mx = x(o.means[2 * c]!), my = y(o.means[2 * c + 1]!);
      sigmas.forEach((s, li) => {
        layers.push(el('ellipse', {
          cx: mx, cy: my, rx: s * Math.sqrt(variance(c, 0)) * pxPerUnit, ry: s * Math.sqrt(variance(c, 1)) * pxPerUnit,
          fill: li === 0 ? classColor(c) : 'none', 'fill-opacity': li === 0 ? 0.07 : undefined,
          stroke: classColor(c), 'stroke-opacity': LEVEL_OPACITY[li] ?? 0.2, 'stroke-width': 1.2, class: 'sigma',
        }));
      });
    }
  } else if (density === 'contours' && o.means) {
    layers.push(mixtureContours(o.means, k, variance, sigmas, x.domain, y.domain, x, y));
  }

  if (adv && adv.arrows) {
    const m = Math.min(nAdv, adv.maxArrows ?? 150);
    const arrows: string[] = [];
    for (const i of pick(nAdv, m)) {
      const src = adv.sourceIndex ? adv.sourceIndex[i]! : i;
      if (src < 0 || src >= n) continue;
      arrows.push(`M${r1(x(o.points[2 * src]!))},${r1(y(o.points[2 * src + 1]!))}L${r1(x(adv.points[2 * i]!))},${r1(y(adv.points[2 * i + 1]!))}`);
    }
    layers.push(el('defs', {}, el('marker', { id: arrowId, viewBox: '0 0 10 10', refX: 9, refY: 5, markerWidth: 6, markerHeight: 6, orient: 'auto-start-reverse' },
      el('path', { d: 'M0,0L10,5L0,10Z', fill: '#4a5563' }))));
    // one path per arrow so every arrow gets its own head
    layers.push(el('g', { class: 'arrows', stroke: '#4a5563', 'stroke-opacity': 0.55, 'stroke-width': 0.9, fill: 'none' },
      arrows.map((d) => `<path d="${d}" marker-end="url(#${arrowId})"/>`).join('')));
  }

  // clean points grouped by class: one <g> per colour keeps the markup small
  const idx = pick(n, o.maxPoints ?? 4000);
  const byClass = new Map<number, string[]>();
  for (const i of idx) {
    const c = o.labels[i]!;
    const list = byClass.get(c) ?? [];
    list.push(`<circle cx="${r1(x(o.points[2 * i]!))}" cy="${r1(y(o.points[2 * i + 1]!))}" r="2.1"/>`);
    byClass.set(c, list);
  }
  for (const [c, list] of [...byClass.entries()].sort((a, b) => a[0] - b[0])) {
    layers.push(el('g', { class: 'points', 'data-class': className(c), fill: classColor(c), 'fill-opacity': 0.6 }, list.join('')));
  }

  if (adv) {
    const tri: string[] = [];
    for (let i = 0; i < nAdv; i++) {
      const src = adv.sourceIndex ? adv.sourceIndex[i]! : i;
      const c = adv.labels ? adv.labels[i]! : src >= 0 && src < n ? o.labels[src]! : 0;
      const px = x(adv.points[2 * i]!), py = y(adv.points[2 * i + 1]!);
      tri.push(`<path d="M${r1(px)},${r1(py - 4.6)}L${r1(px + 4)},${r1(py + 2.6)}L${r1(px - 4)},${r1(py + 2.6)}Z" stroke="${classColor(c)}"/>`);
    }
    layers.push(el('g', { class: 'adversarial', fill: '#fff', 'fill-opacity': 0.7, 'stroke-width': 1.4 }, tri.join('')));
  }

  if (o.means) {
    const crosses: string[] = [];
    for (let c = 0; c < k; c++) {
      const mx = x(o.means[2 * c]!), my = y(o.means[2 * c + 1]!);
      const d = `M${r1(mx - 7)},${r1(my)}H${r1(mx + 7)}M${r1(mx)},${r1(my - 7)}V${r1(my + 7)}`;
      crosses.push(el('path', { d, stroke: '#fff', 'stroke-width': 5, 'stroke-linecap': 'round' }));
      crosses.push(el('path', { d, stroke: INK, 'stroke-width': 2, 'stroke-linecap': 'round' }));
      // the label carries the class name, so reading the plot never depends on colour alone
      crosses.push(`<text x="${r1(mx + 8)}" y="${r1(my - 7)}" font-weight="700" font-size="12" fill="${classColor(c)}" stroke="#fff" stroke-width="3" paint-order="stroke" class="mean-label">${escapeXml(className(c))}</text>`);
    }
    layers.push(el('g', { class: 'means' }, crosses.join('')));
  }

  const tickCount = Math.max(3, Math.floor(rect.width / 80));
  const parts = [
    chartTitle(o.title, 4, 17), leg.svg, clipRect(clip, rect),
    axisBottom(x, rect, { label: o.xLabel ?? 'feature 1', ticks: niceTicks(x.domain[0], x.domain[1], tickCount) }),
    axisVertical(y, rect, 'left', { label: o.yLabel ?? 'feature 2', ticks: niceTicks(y.domain[0], y.domain[1], Math.max(3, Math.floor(rect.height / 80))) }),
    el('g', { 'clip-path': `url(#${clip})` }, layers.join('')),
    el('rect', { x: rect.x, y: rect.y, width: rect.width, height: rect.height, fill: 'none', stroke: '#c9d1db' }),
  ];
  if (o.points.length === 0) parts.push(text(rect.x + rect.width / 2, rect.y + rect.height / 2, 'no features', { 'text-anchor': 'middle', fill: '#8a94a3' }));
  return svgDocument(o.width, o.height, parts.join(''), o.title);
}

/**
 * Iso-density lines of the uniform mixture (1/K) Σ N(μ_k, diag(s_k)) at the density one component
 * has at r standard deviations from its mean (r = 1, 2, 3), found by marching squares on a grid.
 */
function mixtureContours(
  means: ArrayLike<number>, k: number, variance: (c: number, axis: 0 | 1) => number, sigmas: number[],
  xd: readonly [number, number], yd: readonly [number, number], x: (v: number) => number, y: (v: number) => number,
): string {
  const nx = 160, ny = Math.max(40, Math.round((160 * (yd[1] - yd[0])) / (xd[1] - xd[0])));
  const gx = (i: number) => xd[0] + ((xd[1] - xd[0]) * i) / (nx - 1);
  const gy = (j: number) => yd[0] + ((yd[1] - yd[0]) * j) / (ny - 1);
  const grid = new Float64Array(nx * ny);
  let meanNorm = 0;
  for (let c = 0; c < k; c++) meanNorm += 1 / (2 * Math.PI * Math.sqrt(variance(c, 0) * variance(c, 1)));
  meanNorm /= k;
  for (let j = 0; j < ny; j++) {
    for (let i = 0; i < nx; i++) {
      let p = 0;
      for (let c = 0; c < k; c++) {
        const sx = variance(c, 0), sy = variance(c, 1);
        const dx = gx(i) - means[2 * c]!, dy = gy(j) - means[2 * c + 1]!;
        p += Math.exp(-0.5 * (dx * dx / sx + dy * dy / sy)) / (2 * Math.PI * Math.sqrt(sx * sy));
      }
      grid[j * nx + i] = p / k;
    }
  }
  const out: string[] = [];
  sigmas.forEach((s, li) => {
    const level = (meanNorm / k) * Math.exp(-0.5 * s * s);
    let d = '';
    for (const line of contourLines(grid, nx, ny, level)) {
      line.forEach(([gi, gj], m) => { d += `${m === 0 ? 'M' : 'L'}${r1(x(gx(gi)))},${r1(y(gy(gj)))}`; });
    }
    if (d) out.push(el('path', { d, fill: 'none', stroke: '#3b4656', 'stroke-opacity': LEVEL_OPACITY[li] ?? 0.2, 'stroke-width': 1.1, class: 'contour', 'data-sigma': s }));
  });
  return el('g', { class: 'density' }, out.join(''));
}
