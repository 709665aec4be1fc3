/**
 * The detection table of docs/reproduction.md as Markdown (what `gmgrad attack --report-md` writes):
 * per detector, its thresholds τ at the clean true-positive rates asked for (set on held-out clean
 * images, never on adversarial ones), and per attack the success rate, the ROC-AUC of clean vs
 * successful adversarial scores, and at each τ the share of successful adversarial inputs detected
 * and the robust error (misclassified and not flagged).
 */
import { detectionReport, type AttackOutcome } from '../detect/metrics.js';
import type { RobustnessResult } from './robustness.js';

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
  const cleanCorrect = r.cleanCorrect;
  for (const [detector, taus] of Object.entries(i.taus)) {
    const clean = Array.from(r.cleanScores[detector]!).filter((_, k) => cleanCorrect[k]);
    const own: AttackOutcome[] = r.runs.map((run) => ({ name: run.label, misclassified: run.misclassified, scores: run.scores[detector]! }));
    const reports = taus.map(({ tau }) => detectionReport(clean, tau, own, cleanCorrect));
    const tauText = taus.map(({ tpr, tau }) => `τ(${tprLabel(tpr)} TPR) = ${tau.toPrecision(4)}`).join(', ');
    lines.push(`**${detector}** — ${tauText}`, '');
    const header = ['attack', 'success', 'ROC-AUC', ...taus.map(({ tpr }) => `detected @ ${tprLabel(tpr)}`), ...taus.map(({ tpr }) => `robust error @ ${tprLabel(tpr)}`)];
    lines.push(`| ${header.join(' | ')} |`, `| ${header.map((_, k) => (k === 0 ? '---' : '---:')).join(' | ')} |`);
    const rows = [...reports[0]!.perAttack.map((_, k) => k), -1];
    for (const k of rows) {
      const pick = (rep: (typeof reports)[number]) => (k < 0 ? rep.worstCase : rep.perAttack[k]!);
      const first = pick(reports[0]!);
      lines.push(`| ${k < 0 ? 'worst case over attacks' : first.name} | ${pct(first.attackSuccessRate)} | ${auc(first.auroc)} | ${reports.map((rep) => pct(pick(rep).detectionRate)).join(' | ')} | ${reports.map((rep) => pct(pick(rep).robustError)).join(' | ')} |`);
    }
    lines.push('');
  }
  return lines.join('\n');
}
