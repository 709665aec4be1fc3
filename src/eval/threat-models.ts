/**
 * Which threat models (norms) each command-line attack runs under. An attack that has several
 * (PGD, APGD, AutoAttack, Square, FAB, the detector-aware PGD variants) takes them from the run's
 * norm list (`gmgrad attack --norm`); an attack whose name fixes its threat model (FGSM L∞, FGM L2,
 * C&W L2, Sparse-RS L0, ...) runs once under it, whatever the list says. With one norm an attack
 * that lacks it is an error; with several it is skipped for that norm, the reason recorded.
 */
import type { Norm, ThreatNorm } from '../attacks/steps.js';

export const THREAT_NORMS: readonly Norm[] = ['linf', 'l2', 'l1'];

/** how labels and tables write a norm */
export const NORM_LABELS: Record<ThreatNorm, string> = { linf: 'L∞', l2: 'L2', l1: 'L1', l0: 'L0' };

const DENSE: readonly Norm[] = ['linf', 'l2'];
const APGD_FAMILY: readonly Norm[] = ['linf', 'l2', 'l1'];

/** the norms an attack that takes one supports (its class's own check, restated so a run is planned before any model is loaded) */
export const PLAN_NORMS: Readonly<Record<string, readonly Norm[]>> = {
  pgd: DENSE, adaptive: DENSE,
  'apgd-ce': APGD_FAMILY, 'apgd-dlr': APGD_FAMILY, 'apgd-t': APGD_FAMILY, 'apgd-adaptive': APGD_FAMILY, autoattack: APGD_FAMILY,
  square: DENSE, fab: DENSE, 'fab-t': DENSE,
  'adaptive-mean': DENSE, 'orthogonal-pgd': DENSE, 'selective-pgd': DENSE, 'high-confidence-pgd': DENSE,
};

/** attacks named for one threat model: they run once under it */
export const FIXED_THREAT_MODELS: Readonly<Record<string, ThreatNorm>> = {
  fgsm: 'linf', bim: 'linf', mim: 'linf', 'deepfool-linf': 'linf',
  fgm: 'l2', 'pgd-l2': 'l2', cw: 'l2', deepfool: 'l2', 'adaptive-cw': 'l2',
  'sparse-rs': 'l0',
};

export interface PlannedRun {
  attack: string;
  norm: ThreatNorm;
}

export interface SkippedRun {
  attack: string;
  norm: Norm;
  reason: string;
}

/** An attack asked for under a norm it has no form for (a single-norm run). */
export class ThreatModelError extends Error {
  override name = 'ThreatModelError';
}

const own = (o: object, k: string) => Object.prototype.hasOwnProperty.call(o, k);

/**
 * The (attack, norm) runs of a run, in the order of `attacks` and then of `norms`; with one norm an
 * attack lacking it throws, with several it is skipped with the reason.
 */
export function threatModelRuns(attacks: readonly string[], norms: readonly Norm[]): { runs: PlannedRun[]; skipped: SkippedRun[] } {
  if (norms.length === 0) throw new ThreatModelError('threatModelRuns: no norm given (expected some of linf, l2, l1)');
  for (const n of norms) if (!THREAT_NORMS.includes(n)) throw new ThreatModelError(`threatModelRuns: unknown norm '${n}' (known: ${THREAT_NORMS.join(', ')})`);
  const runs: PlannedRun[] = [];
  const skipped: SkippedRun[] = [];
  for (const attack of attacks) {
    if (own(FIXED_THREAT_MODELS, attack)) { runs.push({ attack, norm: FIXED_THREAT_MODELS[attack]! }); continue; }
    if (!own(PLAN_NORMS, attack)) throw new ThreatModelError(`unknown attack '${attack}' (known: ${[...Object.keys(FIXED_THREAT_MODELS), ...Object.keys(PLAN_NORMS)].join(', ')})`);
    const supported = PLAN_NORMS[attack]!;
    for (const norm of norms) {
      if (supported.includes(norm)) { runs.push({ attack, norm }); continue; }
      const reason = `${attack} has no ${NORM_LABELS[norm]} form (it supports ${supported.join(', ')})`;
      if (norms.length === 1) throw new ThreatModelError(`attack '${attack}' under --norm ${norm}: ${reason}`);
      skipped.push({ attack, norm, reason });
    }
  }
  return { runs, skipped };
}
