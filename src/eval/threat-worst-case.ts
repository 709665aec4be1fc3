/**
 * The per-sample worst case over attacks, one per threat model: for a detector, a sample counts as
 * broken under a norm when some attack of that norm misclassified it and the detector accepted it.
 * Rows of different norms are never pooled: an L2 success says nothing about the L∞ ball. Within a
 * norm every ε is pooled (as the single worst case always did), so the bound is the largest ε; the
 * rows without an ε join their norm's worst case too — minimum-norm attacks (C&W, DeepFool, FAB),
 * unbounded in that norm, and Sparse-RS (L0, bounded by its pixel count) — and the label names them,
 * so a reader sees when a worst case is not an ε-ball number.
 */
import type { ThreatNorm } from '../attacks/steps.js';
import { detectionRow, worstCaseOverAttacks, type AttackOutcome, type DetectionRow } from '../detect/metrics.js';
import { NORM_LABELS } from './threat-models.js';

type Scores = ArrayLike<number>;
type Flags = ArrayLike<boolean | number>;

/** what a worst case needs of an attack run */
export interface WorstCaseRun {
  label: string;
  norm: ThreatNorm;
  epsilon: number | null;
  /** per sample (all evaluated samples): the adversarial input is misclassified */
  misclassified: readonly boolean[];
}

export interface ThreatModelWorstCase {
  norm: ThreatNorm;
  /** e.g. "worst case L∞ over 4 rows (ε ≤ 0.3; without ε: FAB L∞ 1×40)" */
  label: string;
  /** indices of the runs it covers, in run order */
  runs: number[];
  /** classified correctly under every attack of the norm, over all evaluated samples */
  accuracy: number;
}

/** a detector's worst-case row under one norm (its name is the worst case's label) */
export interface ThreatModelWorstCaseRow extends DetectionRow {
  norm: ThreatNorm;
}

/** A detector's rows: one per attack, and one worst case per threat model (aligned with the result's worstCases). */
export interface ThreatModelDetection {
  tau: number;
  perAttack: DetectionRow[];
  worstCases: ThreatModelWorstCaseRow[];
}

const NORM_ORDER: readonly ThreatNorm[] = ['linf', 'l2', 'l1', 'l0'];

function worstCaseLabel(norm: ThreatNorm, members: readonly WorstCaseRun[]): string {
  const epsilons = [...new Set(members.flatMap((r) => (r.epsilon === null ? [] : [r.epsilon])))];
  const withoutEpsilon = members.filter((r) => r.epsilon === null).map((r) => r.label);
  const parts: string[] = [];
  if (epsilons.length === 1) parts.push(`ε = ${epsilons[0]}`);
  if (epsilons.length > 1) parts.push(`ε ≤ ${Math.max(...epsilons)}`);
  if (withoutEpsilon.length) parts.push(`without ε: ${withoutEpsilon.join(', ')}`);
  return `worst case ${NORM_LABELS[norm]} over ${members.length} row${members.length === 1 ? '' : 's'} (${parts.join('; ')})`;
}

/** The threat models of the runs (L∞, L2, L1, L0 order), each with the runs it covers and its per-sample accuracy. */
export function threatModelWorstCases(runs: readonly WorstCaseRun[]): ThreatModelWorstCase[] {
  for (const r of runs) {
    if (!NORM_ORDER.includes(r.norm)) throw new RangeError(`threatModelWorstCases: run '${r.label}' has norm ${String(r.norm)} (expected one of ${NORM_ORDER.join(', ')})`);
  }
  return NORM_ORDER.flatMap((norm) => {
    const indices = runs.flatMap((r, i) => (r.norm === norm ? [i] : []));
    if (!indices.length) return [];
    const members = indices.map((i) => runs[i]!);
    const n = members[0]!.misclassified.length;
    let correct = 0;
    for (let s = 0; s < n; s++) if (members.every((r) => !r.misclassified[s])) correct++;
    return [{ norm, label: worstCaseLabel(norm, members), runs: indices, accuracy: n ? correct / n : NaN }];
  });
}

/**
 * A detector's worst-case rows at τ, one per threat model: the per-sample worst case over the
 * outcomes (indexed like the runs) that each covers.
 */
export function threatModelWorstCaseRows(cleanScores: Scores, tau: number, outcomes: readonly AttackOutcome[],
  worstCases: readonly ThreatModelWorstCase[], mask?: Flags): ThreatModelWorstCaseRow[] {
  return worstCases.map((w) => {
    const { misclassified, scores } = worstCaseOverAttacks(w.runs.map((i) => outcomes[i]!));
    return { ...detectionRow(cleanScores, tau, { name: w.label, misclassified, scores }, mask), norm: w.norm };
  });
}

/** Per attack and per threat model, a detector's rows at τ. */
export function threatModelDetection(cleanScores: Scores, tau: number, outcomes: readonly AttackOutcome[],
  worstCases: readonly ThreatModelWorstCase[], mask?: Flags): ThreatModelDetection {
  return {
    tau,
    perAttack: outcomes.map((o) => detectionRow(cleanScores, tau, o, mask)),
    worstCases: threatModelWorstCaseRows(cleanScores, tau, outcomes, worstCases, mask),
  };
}
