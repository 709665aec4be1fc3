/** One function per report section: each returns '' when its data is absent. */
import { confusionMatrix } from './charts/confusion-matrix.js';
import { featureScatter } from './charts/feature-scatter.js';
import { lineChart, type LineSeries } from './charts/line-chart.js';
import { rocChart } from './charts/roc-chart.js';
import { rocFromScores, type RocCurve } from './charts/roc.js';
import { formatDuration, formatNumber, formatPercent, formatValue } from './format.js';
import { escapeXml } from './markup.js';
import type { ConfigValue, ModelReport, ReportData } from './report-data.js';
import { headlineTiles, summaryTable } from './summary-table.js';
import { scorePanels } from './attack-details.js';
import { card, section, type Section } from './section.js';

export type { Section } from './section.js';

const TRAIN_COLOR = '#0072B2', TEST_COLOR = '#D55E00';

function kvTable(entries: [string, ConfigValue][]): string {
  return `<table class="kv"><tbody>${entries.map(([k, v]) => `<tr><td>${escapeXml(k)}</td><td>${escapeXml(formatValue(v))}</td></tr>`).join('')}</tbody></table>`;
}

export function configSection(d: ReportData): Section | null {
  const cfg = Object.entries(d.config ?? {});
  if (cfg.length === 0 && !d.backend) return null;
  const cards: string[] = [];
  if (cfg.length) {
    // long configurations flow into two side-by-side tables (one on narrow screens)
    const chunks: [string, ConfigValue][][] = [];
    const per = Math.max(6, Math.ceil(cfg.length / 2));
    for (let i = 0; i < cfg.length; i += per) chunks.push(cfg.slice(i, i + per));
    cards.push(`<div class="card" id="config-table"><h3>Configuration</h3><div class="kv-columns">${chunks.map(kvTable).join('')}</div></div>`);
  }
  if (d.backend) {
    const b = d.backend;
    const rows: [string, ConfigValue][] = [['backend', b.name], ...(b.device ? [['device', b.device] as [string, ConfigValue]] : []), ...Object.entries(b.details ?? {})];
    cards.push(`<div class="card" id="backend"><h3>Backend</h3>${kvTable(rows)}</div>`);
  }
  return section('config', 'Run configuration', '', `<div class="grid${cards.length > 1 ? ' config-grid' : ''}">${cards.join('')}</div>`);
}

function trainingChart(m: ModelReport): string {
  const h = m.training!;
  const ep = h.map((e) => e.epoch);
  const series: LineSeries[] = [
    { name: 'train', x: ep, y: h.map((e) => e.trainLoss), color: TRAIN_COLOR, panel: 0 },
    { name: 'test', x: ep, y: h.map((e) => e.testLoss ?? null), color: TEST_COLOR, dashed: true, panel: 0 },
    { name: 'train', x: ep, y: h.map((e) => e.trainAccuracy), color: TRAIN_COLOR, panel: 1 },
    { name: 'test', x: ep, y: h.map((e) => e.testAccuracy ?? null), color: TEST_COLOR, dashed: true, panel: 1 },
  ].filter((s) => s.y.some((v) => v !== null && Number.isFinite(v)));
  // the loss falls over decades in the first epochs: a log axis keeps the late epochs readable
  const losses = h.flatMap((e) => [e.trainLoss, e.testLoss ?? NaN]).filter((v) => Number.isFinite(v) && v > 0);
  const logY = losses.length > 0 && Math.max(...losses) / Math.min(...losses) > 20;
  const accFmt = (v: number) => formatPercent(v, v >= 0.99 && v < 1 ? 1 : 0);
  return lineChart(series, {
    width: 580, height: 440, xLabel: 'epoch',
    panels: [{ yLabel: logY ? 'loss (log scale)' : 'loss', logY }, { yLabel: 'accuracy', yFormat: accFmt }],
  });
}

export function trainingSection(d: ReportData): Section | null {
  const ms = d.models.filter((m) => m.training && m.training.length > 0);
  if (!ms.length) return null;
  const cards = ms.map((m) => {
    const last = m.training![m.training!.length - 1]!;
    const total = m.training!.reduce((a, e) => a + (e.seconds ?? 0), 0);
    const cap = `After ${m.training!.length} epochs: train accuracy ${formatPercent(last.trainAccuracy, 2)}`
      + (last.testAccuracy != null ? `, test accuracy <b>${formatPercent(last.testAccuracy, 2)}</b>` : '')
      + (total > 0 ? `, ${formatDuration(total)} of training` : '') + '.';
    return card(m.name, trainingChart(m), cap);
  });
  return section('training', 'Training curves', 'Loss (top) and accuracy (bottom) per epoch; solid lines are training, dashed lines test data.', `<div class="grid">${cards.join('')}</div>`);
}

export function featureSection(d: ReportData): Section | null {
  const ms = d.models.filter((m) => m.features);
  if (!ms.length) return null;
  const cards = ms.map((m) => {
    const f = m.features!;
    const gm = m.head === 'gm';
    const density = f.density ?? (gm && f.means ? 'circles' : 'none');
    const svg = featureScatter({
      width: 580, height: 580, points: f.points, labels: f.labels, means: f.means, variances: f.variances,
      density, classNames: d.classNames, adversarial: f.adversarial,
    });
    const n = f.labels.length;
    const what = gm ? 'crosses mark the GM means μ<sub>k</sub>' : 'crosses mark the class means of the features';
    const dens = density === 'circles' ? '; circles are 1σ, 2σ and 3σ of each class Gaussian' : density === 'contours' ? '; lines are iso-density contours of the Gaussian mixture' : '';
    const adv = f.adversarial ? `; hollow triangles are adversarial features${f.adversarial.name ? ` (${escapeXml(f.adversarial.name)})` : ''}, coloured by true class` : '';
    return card(m.name, svg, `${n} test features; ${what}${dens}${adv}.`);
  });
  return section('features', 'Feature space', 'The two-dimensional features of the test images, one colour per class.', `<div class="grid">${cards.join('')}</div>`);
}

export function robustnessSection(d: ReportData): Section | null {
  const ms = d.models.filter((m) => m.robustness);
  if (!ms.length) return null;
  const tprs = [...new Set(ms.map((m) => m.robustness!.calibrationTpr).filter((v): v is number => v !== undefined))];
  const taus = ms.flatMap((m) => Object.entries(m.robustness!.detection ?? {}).filter(([, s]) => s.tau !== undefined)
    .map(([det, s]) => `${escapeXml(m.name)} · ${escapeXml(det)}: τ = ${escapeXml(formatNumber(s.tau!, 4))}`));
  const note = `<p class="note">Accuracy is over all attacked test images; attack success over those classified correctly when clean. `
    + `AUROC: clean vs adversarial scores. TNR@95: adversarial inputs flagged when 95 % of clean inputs are accepted. `
    + `Robust error: adversarial inputs misclassified <i>and</i> accepted by the detector at τ`
    + (tprs.length ? ` (τ accepts ${tprs.map((t) => formatPercent(t, 0)).join(' / ')} of held-out clean images)` : '')
    + `. The worst case is taken per sample over the attacks of one threat model (one row per norm; every ε of the norm pooled, `
    + `and the rows without ε — minimum-norm attacks, unbounded in the norm, or Sparse-RS under L0 — named in its label); `
    + `its accuracy counts the images classified correctly under all of them.${taus.length ? `<br>${taus.join(' · ')}` : ''}</p>`;
  return section('robustness', 'Robustness and detection', '', `${headlineTiles(ms)}<div class="card">${summaryTable(ms)}${note}</div>`);
}

export function rocSection(d: ReportData): Section | null {
  const panels = scorePanels(d);
  if (!panels.length) return null;
  const cards = panels.map((p) => {
    const curves: RocCurve[] = [];
    const skipped: string[] = [];
    for (const a of p.scores.attacks) {
      if (a.scores.length && p.scores.clean.length) curves.push(rocFromScores(a.label, p.scores.clean, a.scores));
      else skipped.push(a.label);
    }
    const cap = skipped.length ? `No adversarial scores for ${skipped.map(escapeXml).join(', ')} (no successful attack).` : '';
    return card(`${p.model.name} · ${p.scores.detector}`, rocChart(curves, { width: 380, height: 440 }), cap);
  });
  return section('roc', 'ROC curves', 'Clean inputs are negatives and adversarial inputs positives. Circles mark the threshold at which 95 % of clean inputs are accepted; their height is TNR@95.', `<div class="grid three">${cards.join('')}</div>`);
}

export function confusionSection(d: ReportData): Section | null {
  const ms = d.models.filter((m) => m.confusion && m.confusion.length > 0);
  if (!ms.length) return null;
  const cards = ms.map((m) => card(m.name, confusionMatrix(m.confusion!, { width: 560, height: 540, classNames: d.classNames })));
  return section('confusion', 'Confusion matrices', 'Clean test data; rows are the true class, columns the prediction, colour the fraction of the row.', `<div class="grid">${cards.join('')}</div>`);
}

export function footerHtml(d: ReportData): string {
  const f = d.footer ?? {};
  const lines: string[] = [];
  const head: string[] = [];
  if (f.generatedAt) head.push(`Generated ${escapeXml(f.generatedAt)}`);
  if (f.seconds !== undefined) head.push(`total time ${escapeXml(formatDuration(f.seconds))}`);
  head.push('by gmgrad');
  lines.push(`<div>${head.join(' · ')}</div>`);
  const chips = (r: Record<string, string>) => `<div class="chips">${Object.entries(r).map(([k, v]) => `<span class="chip">${escapeXml(k)} <b>${escapeXml(v)}</b></span>`).join('')}</div>`;
  if (f.timings && Object.keys(f.timings).length) lines.push(`<div>Timing ${chips(Object.fromEntries(Object.entries(f.timings).map(([k, v]) => [k, formatDuration(v)])))}</div>`);
  if (f.versions && Object.keys(f.versions).length) lines.push(`<div>Versions ${chips(f.versions)}</div>`);
  if (f.command) lines.push(`<div>Command <code>${escapeXml(f.command)}</code></div>`);
  return `<footer class="page" id="footer"><div class="wrap">${lines.join('')}</div></footer>`;
}
