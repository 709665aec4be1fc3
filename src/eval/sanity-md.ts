/**
 * The sanity checks of a robustness evaluation as Markdown (beside the detection table of
 * report-md.ts): one row per check with its verdict and the numbers behind it, then the ε sweep.
 */
import type { SanityReport } from './sanity-checks.js';
import { NORM_LABELS } from './threat-models.js';

const VERDICT = { pass: 'pass', flag: '**FLAG**', skipped: 'skipped' } as const;
const pct = (v: number | null) => (v !== null && Number.isFinite(v) ? `${(100 * v).toFixed(1)} %` : '—');
const cell = (s: string) => s.replace(/\|/g, '\\|');

export function sanityMarkdown(r: SanityReport, title?: string): string {
  const norm = NORM_LABELS[r.norm];
  const c = r.checks;
  const lines = [
    `#### ${title ?? 'Sanity checks'} — ${r.attack} (${norm}) at ε = ${r.budget.epsilon}, ${r.budget.steps} steps × ${r.budget.restarts} restart(s)`,
    '',
    `${r.n} images, ${r.cleanCorrect} classified correctly (success rates are over those); tolerance ${pct(r.tolerance)}. Checks after Carlini et al. 2019, "On evaluating adversarial robustness"; ` +
      (r.flagged.length ? `**flagged: ${r.flagged.join(', ')}**.` : 'nothing flagged.'),
    '',
    '| check | verdict | finding |',
    '| --- | --- | --- |',
    `| success non-decreasing in ε | ${VERDICT[c.monotonic.status]} | ${cell(c.monotonic.summary)} |`,
    `| unbounded attack reaches 100 % | ${VERDICT[c.unbounded.status]} | ${cell(c.unbounded.summary)} |`,
    `| more iterations and restarts | ${VERDICT[c.budget.status]} | ${cell(c.budget.summary)} |`,
    `| gradient-free vs gradient attacks | ${VERDICT[c.gradientFree.status]} | ${cell(c.gradientFree.summary)} |`,
    `| Tramèr's reduction (detector at ε ⇒ classifier at ε/2) | ${VERDICT[c.tramer.status]} | ${cell(c.tramer.summary)} |`,
    '',
    `| ε | ${c.monotonic.points.map((p) => String(p.epsilon)).join(' | ')} | ${+c.unbounded.epsilon.toPrecision(4)} (unbounded) |`,
    `| --- | ${c.monotonic.points.map(() => '---:').join(' | ')} | ---: |`,
    `| success | ${c.monotonic.points.map((p) => pct(p.successRate)).join(' | ')} | ${pct(c.unbounded.successRate)} |`,
    '',
  ];
  return lines.join('\n');
}
