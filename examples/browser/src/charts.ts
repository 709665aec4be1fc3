/**
 * The page's charts, drawn with the report's SVG functions (pure: data in, SVG string out) and
 * sized to their containers.
 */
import { featureScatter, histogram, lineChart, type LineSeries } from '../../../src/report/index.js';
import type { Calibration } from './threshold.js';
import type { ProbeResult, StepRecord } from './session.js';
import { fitProjection, project } from './projection.js';

function widthOf(container: HTMLElement, fallback: number): number {
  return Math.max(280, Math.floor(container.clientWidth || fallback));
}

/** Exponential moving average, the usual way to read a noisy per-batch curve. */
function smooth(values: number[], weight = 0.9): number[] {
  const out: number[] = [];
  let m = NaN;
  values.forEach((v, i) => { m = i === 0 ? v : weight * m + (1 - weight) * v; out.push(m); });
  return out;
}

/** At most `max` points: long runs are thinned evenly (the SVG stays small). */
function thin<T>(list: T[], max = 600): T[] {
  if (list.length <= max) return list;
  const out: T[] = [];
  for (let i = 0; i < max; i++) out.push(list[Math.floor((i * (list.length - 1)) / (max - 1))]!);
  return out;
}

export function renderCurves(container: HTMLElement, history: StepRecord[], probe: { step: number; accuracy: number }[]): void {
  const width = widthOf(container, 560);
  if (history.length === 0) {
    container.innerHTML = `<div class="empty" style="height:300px"><p>Press <b>Train</b>: loss and accuracy appear here.</p></div>`;
    return;
  }
  const lossS = smooth(history.map((r) => r.loss));
  const accS = smooth(history.map((r) => r.accuracy));
  const pts = thin(history.map((r, i) => ({ step: r.step, loss: r.loss, lossS: lossS[i]!, accS: accS[i]! })));
  const steps = pts.map((p) => p.step);
  const series: LineSeries[] = [
    { name: 'loss (per batch)', x: steps, y: pts.map((p) => p.loss), color: '#b9c3cf', markers: false },
    { name: 'loss (smoothed)', x: steps, y: pts.map((p) => p.lossS), color: '#0072B2', markers: false },
    { name: 'train accuracy (smoothed)', x: steps, y: pts.map((p) => p.accS), color: '#E69F00', panel: 1, markers: false },
  ];
  if (probe.length > 0) {
    series.push({ name: 'held-out accuracy', x: probe.map((p) => p.step), y: probe.map((p) => p.accuracy), color: '#009E73', panel: 1, dashed: true, markers: probe.length <= 40 });
  }
  container.innerHTML = lineChart(series, {
    width, height: 330, xLabel: 'step',
    panels: [
      { yLabel: 'GM loss' },
      { yLabel: 'accuracy', yDomain: [0, 1], yFormat: (v) => `${Math.round(v * 100)} %` },
    ],
  });
}

export interface ScatterExtra {
  /** the clean and adversarial features of the last attack (D values each) */
  clean: Float32Array;
  adversarial: Float32Array;
  label: number;
  name: string;
}

export function renderScatter(container: HTMLElement, probe: ProbeResult | null, classNames: string[], extra: ScatterExtra | null, title?: string): void {
  const width = widthOf(container, 520);
  const height = Math.round(Math.min(560, Math.max(360, width * 0.86)));
  if (!probe) {
    container.innerHTML = `<div class="empty" style="height:${height}px"><p>The 2-D features of held-out images appear here while the model trains.</p></div>`;
    return;
  }
  const d = probe.featureDim;
  // fitted on the probe alone, so the attacked image's features land in the same plane as the cloud
  const proj = fitProjection(probe.features, d);
  let points = project(proj, probe.features);
  let labels: ArrayLike<number> = probe.labels;
  let adversarial;
  if (extra) {
    // the attacked image's clean feature joins the points so an arrow can start from it
    const c = project(proj, extra.clean), a = project(proj, extra.adversarial);
    const n = probe.labels.length;
    const grown = new Float32Array(points.length + 2);
    grown.set(points);
    grown.set(c, points.length);
    points = grown;
    labels = Int32Array.from([...probe.labels, extra.label]);
    adversarial = { points: a, labels: [extra.label], sourceIndex: [n], name: extra.name, arrows: true };
  }
  container.innerHTML = featureScatter({
    width, height, title, points, labels, classNames,
    means: project(proj, probe.means),
    density: d === 2 ? 'contours' : 'none',
    adversarial,
    xLabel: proj.label[0], yLabel: proj.label[1],
  });
}

export function renderScores(container: HTMLElement, cal: Calibration | null): void {
  const width = widthOf(container, 420);
  if (!cal) {
    container.innerHTML = `<div class="empty" style="height:190px"><p>τ is calibrated on held-out images before the first attack.</p></div>`;
    return;
  }
  container.innerHTML = histogram([{ name: 'clean held-out images, correctly classified', values: cal.cleanScores, color: '#0072B2' }], {
    width, height: 190, xLabel: 'detection score D(x) = min_k d_k(f(x))', bins: 30, logX: 'auto',
    threshold: cal.tau, thresholdLabel: `τ = ${cal.tau.toPrecision(3)}`, showFlagged: false,
  });
}

/**
 * Where the clean and the adversarial image's scores sit relative to τ, on a log axis: an HTML
 * gauge (the two marks can be far apart; a histogram of one value would say nothing). The clean
 * mark is labelled above the track, the adversarial one below, so close scores stay readable.
 */
export function renderGauge(container: HTMLElement, tau: number, clean: number, adversarial: number): void {
  const vals = [tau, clean, adversarial].map((v) => Math.max(v, 1e-6));
  const lo = Math.log10(Math.min(...vals)) - 0.3, hi = Math.log10(Math.max(...vals)) + 0.3;
  const pos = (v: number) => `${(((Math.log10(Math.max(v, 1e-6)) - lo) / (hi - lo)) * 100).toFixed(2)}%`;
  const mark = (cls: string, v: number, label: string) =>
    `<div class="gauge-mark ${cls}" style="left:${pos(v)}" title="${label}: D = ${v.toPrecision(3)}"></div>` +
    `<div class="gauge-label ${cls}" style="left:${pos(v)}">${label} <b>${v.toPrecision(3)}</b></div>`;
  container.innerHTML = `<div class="gauge" role="img" aria-label="detection scores of the clean and adversarial image against the threshold τ">
    <div class="gauge-track">
      <div class="gauge-pass" style="width:${pos(tau)}"></div>
      <div class="gauge-tau" style="left:${pos(tau)}"></div>
    </div>
    ${mark('clean', clean, 'clean')}${mark('adv', adversarial, 'adversarial')}
  </div><div class="gauge-legend"><span class="pass">■ accepted (D ≤ τ)</span><span class="flag">■ flagged (D &gt; τ)</span><span>┆ τ = ${tau.toPrecision(3)}</span><span class="muted">log scale</span></div>`;
}
