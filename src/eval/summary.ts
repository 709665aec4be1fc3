/** The terminal table of a robustness evaluation and its JSON form. */
import type { RobustnessResult } from './robustness.js';

const pct = (v: number) => (Number.isFinite(v) ? `${(100 * v).toFixed(1)}%` : '—');
const num = (v: number) => (Number.isFinite(v) ? v.toFixed(3) : '—');

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  return rows.map((r, i) => {
    const line = r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join('  ');
    return i === 0 ? `${line}\n${widths.map((w) => '─'.repeat(w)).join('  ')}` : line;
  }).join('\n');
}

/**
 * One table per model: accuracy under each attack and, per detector, AUROC, TNR@95 and robust error;
 * then the per-sample worst case of each threat model (its accuracy: correct under all its attacks).
 */
export function formatRobustness(title: string, r: RobustnessResult): string {
  const dets = Object.keys(r.detection);
  const header = ['attack', 'accuracy', 'success', ...dets.flatMap((d) => [`${d} AUROC`, 'TNR@95', 'robust err'])];
  const rows: string[][] = [header];
  rows.push(['clean', pct(r.cleanAccuracy), '—', ...dets.flatMap(() => ['—', '—', pct(1 - r.cleanAccuracy)])]);
  r.runs.forEach((run, i) => {
    rows.push([run.label, pct(run.accuracy), pct(run.successRate), ...dets.flatMap((d) => {
      const row = r.detection[d]!.perAttack[i]!;
      return [num(row.auroc), pct(row.tnrAt95Tpr), pct(row.robustError)];
    })]);
  });
  // one worst case per threat model: pooling L∞ and L2 rows would answer neither threat model
  if (r.runs.length > 1) {
    r.worstCases.forEach((w, k) => {
      rows.push([w.label, pct(w.accuracy), '—', ...dets.flatMap((d) => {
        const row = r.detection[d]!.worstCases[k]!;
        return [num(row.auroc), pct(row.tnrAt95Tpr), pct(row.robustError)];
      })]);
    });
  }
  const taus = dets.map((d) => `${d} τ = ${r.thresholds[d]!.toPrecision(4)}`).join(', ');
  return `${title} (${r.n} test images; thresholds at 99 % TPR on held-out clean data: ${taus})\n${table(rows)}`;
}

/** A JSON-friendly copy (typed arrays become plain arrays; big per-sample arrays are dropped). */
export function robustnessJson(r: RobustnessResult): unknown {
  return {
    n: r.n,
    cleanAccuracy: r.cleanAccuracy,
    thresholds: r.thresholds,
    attacks: r.runs.map((run) => ({
      label: run.label, kind: run.kind, norm: run.norm, epsilon: run.epsilon, accuracy: run.accuracy, successRate: run.successRate,
      meanNorm: run.meanNorm, seconds: run.seconds, imagesPerSecond: run.imagesPerSecond,
    })),
    worstCases: r.worstCases.map((w) => ({ norm: w.norm, label: w.label, accuracy: w.accuracy, covers: w.runs.map((i) => r.runs[i]!.label) })),
    detection: r.detection,
  };
}
