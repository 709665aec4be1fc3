/**
 * Per-attack details: one collapsible <details> per attack, closed (the summary table above holds
 * the numbers), whose summary line repeats the attack's headline numbers per model, and which
 * holds the detection-score histograms of every (model, detector) and the adversarial examples of
 * every model for that attack.
 */
import { histogram } from './charts/histogram.js';
import { imageGrid, perturbationColourBar, perturbationScale } from './charts/image-grid.js';
import { formatFixed, formatPercent } from './format.js';
import { escapeXml } from './markup.js';
import type { ExampleGrid, ModelReport, ReportData } from './report-data.js';
import { card, section, type Section } from './section.js';

/** (model, detector) pairs that carry raw scores. */
export function scorePanels(d: ReportData) {
  return d.models.flatMap((m) => (m.detection ?? []).map((s) => ({ model: m, scores: s })));
}

/** Every attack label, in the order the models report them. */
function attackLabels(d: ReportData): string[] {
  const labels: string[] = [];
  const add = (l: string) => { if (!labels.includes(l)) labels.push(l); };
  for (const m of d.models) for (const a of m.robustness?.attacks ?? []) add(a.label);
  for (const p of scorePanels(d)) for (const a of p.scores.attacks) add(a.label);
  for (const m of d.models) for (const g of m.examples ?? []) add(g.attack);
  return labels;
}

/** "GM: accuracy 57.5 %, AUROC 0.88 (GM score) / 0.94 (Mahalanobis)" for one model and attack. */
function headline(m: ModelReport, label: string): string | null {
  const r = m.robustness;
  const i = r?.attacks.findIndex((a) => a.label === label) ?? -1;
  if (!r || i < 0) return null;
  const aurocs = Object.entries(r.detection ?? {}).map(([det, s]) => s.perAttack[i] ? `${formatFixed(s.perAttack[i].auroc)} (${det})` : null).filter(Boolean);
  return `${m.name}: accuracy ${formatPercent(r.attacks[i]!.accuracy)}${aurocs.length ? `, AUROC ${aurocs.join(' / ')}` : ''}`;
}

async function examplesCard(m: ModelReport, g: ExampleGrid, classNames: readonly string[] | undefined): Promise<string> {
  // one SVG per example so the examples wrap with the page width; one shared colour scale
  const scale = perturbationScale(g.rows, g.shape);
  const examples: string[] = [];
  for (const row of g.rows) examples.push(`<div class="example">${await imageGrid({ shape: g.shape, rows: [row], classNames, perturbationScale: scale, colourBar: false })}</div>`);
  const cap = 'Perturbation: adversarial − clean (the channel of largest change), blue negative, red positive, grey unchanged. '
    + `D: detection score${g.detector ? ` (${escapeXml(g.detector)})` : ''}; ✓ flagged: D above τ. Red: misclassified.`;
  return `<div class="card"><h3>${escapeXml(`${m.name} · examples`)}</h3><div class="colour-bar">${perturbationColourBar(scale)}</div>`
    + `<div class="examples">${examples.join('')}</div><p class="caption">${cap}</p></div>`;
}

export async function attacksSection(d: ReportData): Promise<Section | null> {
  const panels = scorePanels(d);
  const blocks: string[] = [];
  for (const label of attackLabels(d)) {
    const charts = panels.filter((p) => p.scores.attacks.some((a) => a.label === label)).map((p) => {
      const a = p.scores.attacks.find((x) => x.label === label)!;
      const svg = histogram([{ name: 'clean', values: p.scores.clean }, { name: label, values: a.scores }], {
        width: 380, height: 290, threshold: p.scores.tau, logX: 'auto',
        xLabel: /score$/i.test(p.scores.detector) ? p.scores.detector : `${p.scores.detector} score`,
      });
      return card(`${p.model.name} · ${p.scores.detector}`, svg);
    });
    const examples: string[] = [];
    for (const m of d.models) for (const g of m.examples ?? []) if (g.attack === label) examples.push(await examplesCard(m, g, d.classNames));
    if (!charts.length && !examples.length) continue;
    const facts = d.models.map((m) => headline(m, label)).filter((s): s is string => s !== null);
    blocks.push(`<details class="attack"><summary><span class="attack-name">${escapeXml(label)}</span>${facts.length ? `<span class="attack-facts">${escapeXml(facts.join(' · '))}</span>` : ''}</summary>`
      + (charts.length ? `<h4>Detection scores</h4><div class="grid three">${charts.join('')}</div>` : '')
      + (examples.length ? `<h4>Adversarial examples</h4><div class="stack">${examples.join('')}</div>` : '')
      + '</details>');
  }
  if (!blocks.length) return null;
  return section('attacks', 'Attacks in detail',
    'One panel per attack; open it for the distribution of the detection score on clean and adversarial images (inputs right of the dashed threshold τ are flagged; each as a fraction of its own inputs) and for adversarial examples.',
    blocks.join(''));
}
