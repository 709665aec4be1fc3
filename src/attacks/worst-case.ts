/**
 * The per-sample worst case over several attacks run on the same batch: a sample counts as broken
 * when any attack succeeded on it (for detector-aware attacks: misclassified and accepted). This
 * is the headline number of a detector evaluation; an average over attacks would understate it.
 */
import type { AttackOutcome } from '../detect/metrics.js';
import type { AttackResult } from './attack.js';
import { AttackInputError } from './validate.js';

export interface NamedAttackResult {
  name: string;
  result: AttackResult;
}

export interface WorstCaseOverResults {
  /** per sample: some attack succeeded */
  success: boolean[];
  /** per sample: the first attack (index into the input) that succeeded, −1 when none did */
  attack: Int32Array;
  /** fraction of samples on which some attack succeeded */
  successRate: number;
  /** each attack's own success rate, for the table beside the worst case */
  perAttack: { name: string; successRate: number }[];
}

export function worstCaseOverResults(results: readonly NamedAttackResult[]): WorstCaseOverResults {
  if (results.length === 0) throw new AttackInputError('worstCaseOverResults: no attack results');
  const n = results[0]!.result.success.length;
  for (const r of results) {
    if (r.result.success.length !== n) throw new AttackInputError(`worstCaseOverResults: '${r.name}' has ${r.result.success.length} samples, expected ${n} (the same batch for every attack)`);
  }
  const attack = new Int32Array(n).fill(-1);
  const success = Array.from({ length: n }, (_, i) => {
    const a = results.findIndex((r) => r.result.success[i]);
    attack[i] = a;
    return a >= 0;
  });
  const rate = (s: readonly boolean[]) => (n === 0 ? NaN : s.filter(Boolean).length / n);
  return { success, attack, successRate: rate(success), perAttack: results.map((r) => ({ name: r.name, successRate: rate(r.result.success) })) };
}

/**
 * A detector-aware attack's result as detect/metrics' AttackOutcome (misclassified or on target,
 * and the detector score), so that detectionReport can re-threshold it at other τ.
 */
export function toAttackOutcome(named: NamedAttackResult, labels: ArrayLike<number>): AttackOutcome {
  const { name, result } = named;
  if (!result.scores) throw new AttackInputError(`toAttackOutcome: '${name}' has no detector scores (run a detector-aware attack)`);
  if (labels.length !== result.predictions.length) throw new AttackInputError(`toAttackOutcome: ${labels.length} labels for ${result.predictions.length} samples`);
  const misclassified = Array.from(result.predictions, (p, i) => result.finite[i]! && (result.targets ? p === result.targets[i] : p !== labels[i]));
  return { name, misclassified, scores: result.scores };
}
