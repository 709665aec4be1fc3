/**
 * The detection table of docs/reproduction.md as Markdown (what `gmgrad attack --report-md` writes):
 * per detector, its thresholds τ at the clean true-positive rates asked for (set on held-out clean
 * images, never on adversarial ones), and per attack the success rate, the ROC-AUC of clean vs
 * successful adversarial scores, and at each τ the share of successful adversarial inputs detected
 * and the robust error (misclassified and not flagged); then the per-sample worst case of each
 * threat model, and the (attack, norm) pairs skipped for lacking the norm.
 */
import type { AttackOutcome } from '../detect/metrics.js';
import type { RobustnessResult } from './robustness.js';
import { NORM_LABELS, type SkippedRun } from './threat-models.js';
import { threatModelDetection } from './threat-worst-case.js';

export interface DetectionMarkdownInput {
  /** e.g. the released name or the checkpoint path */
  model: string;
  dataset: string;
  backend: string;
  result: RobustnessResult;
  /** detector name → τ at each clean TPR (from the held-out calibration images) */
  taus: Record<string, { tpr: number; tau: number }[]>;
  calibrationImages: number;
  command?: string;
  /** (attack, norm) pairs of a several-norm run that the attack has no form for */
  skipped?: readonly SkippedRun[];
}

const pct = (v: number) => (Number.isFinite(v) ? `${(100 * v).toFixed(1)} %` : '—');
const auc = (v: number) => (Number.isFinite(v) ? v.toFixed(3) : '—');
const tprLabel = (t: number) => `${+(100 * t).toFixed(2)} %`;

export function detectionMarkdown(i: DetectionMarkdownInput): string {
  const r = i.result;
  const lines: string[] = [
    `#### ${i.model} on ${i.dataset}`,
    '',
    `${r.n} test images attacked (clean accuracy ${pct(r.cleanAccuracy)}); τ set on ${i.calibrationImages} held-out clean test images; backend ${i.backend}.${i.command ? ` Command: \`${i.command}\`.` : ''}`,
    '',
  ];
  if (i.skipped?.length) lines.push(...i.skipped.map((k) => `- skipped under ${NORM_LABELS[k.norm]}: ${k.reason}`), '');
  const cleanCorrect = r.cleanCorrect;
  for (const [detector, taus] of Object.entries(i.taus)) {
    const clean = Array.from(r.cleanScores[detector]!).filter((_, k) => cleanCorrect[k]);
    const own: AttackOutcome[] = r.runs.map((run) => ({ name: run.label, misclassified: run.misclassified, scores: run.scores[detector]! }));
    const reports = taus.map(({ tau }) => threatModelDetection(clean, tau, own, r.worstCases, cleanCorrect));
    const tauText = taus.map(({ tpr, tau }) => `τ(${tprLabel(tpr)} TPR) = ${tau.toPrecision(4)}`).join(', ');
    lines.push(`**${detector}** — ${tauText}`, '');
    const header = ['attack', 'success', 'ROC-AUC', ...taus.map(({ tpr }) => `detected @ ${tprLabel(tpr)}`), ...taus.map(({ tpr }) => `robust error @ ${tprLabel(tpr)}`)];
    lines.push(`| ${header.join(' | ')} |`, `| ${header.map((_, k) => (k === 0 ? '---' : '---:')).join(' | ')} |`);
    // each attack, then the worst case of each threat model (its name is its label)
    const picks = [
      ...reports[0]!.perAttack.map((_, k) => (rep: (typeof reports)[number]) => rep.perAttack[k]!),
      ...reports[0]!.worstCases.map((_, k) => (rep: (typeof reports)[number]) => rep.worstCases[k]!),
    ];
    for (const pick of picks) {
      const first = pick(reports[0]!);
      lines.push(`| ${first.name} | ${pct(first.attackSuccessRate)} | ${auc(first.auroc)} | ${reports.map((rep) => pct(pick(rep).detectionRate)).join(' | ')} | ${reports.map((rep) => pct(pick(rep).robustError)).join(' | ')} |`);
    }
    lines.push('');
  }
  return lines.join('\n');
}
