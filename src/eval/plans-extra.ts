/**
 * Attack plans for the evaluation attacks of issue 17's study: APGD (CE, DLR, targeted), the
 * AutoAttack ensemble, Square (gradient-free), FAB (minimum norm), Sparse-RS (L0), the
 * detector-aware PGD variants and APGD on their combined loss, each built through the registry with
 * the run's budget under one threat model (threat-models.ts says which norms each supports).
 */
import { createAttack } from '../attacks/registry.js';
import type { Norm, ThreatNorm } from '../attacks/steps.js';
import type { FeatureDetector } from '../detect/detector.js';
import type { AttackPlan } from './robustness.js';
import { NORM_LABELS } from './threat-models.js';

export interface ExtraPlanOptions {
  /** the ε values, in the norm the plans are built for */
  epsilons: number[];
  /** iterations of the iterative attacks (APGD, FAB, the PGD variants) */
  steps: number;
  /** restarts of APGD and the detector-aware PGD variants (default 1) */
  restarts?: number;
  /** Square / Sparse-RS queries per sample (default 1000) */
  queries?: number;
  /** Sparse-RS: the most pixels changed (default 10) */
  pixels?: number;
  /** high-confidence PGD: the logit margin κ (default 5) */
  kappa?: number;
  adaptiveDetector?: FeatureDetector;
  seed: number;
}

type EpsilonPlan = (e: number, n: Norm, o: ExtraPlanOptions) => AttackPlan;
type OncePlan = (n: Norm, o: ExtraPlanOptions) => AttackPlan;

const budget = (o: ExtraPlanOptions) => `${o.restarts ?? 1}×${o.steps}`;
const L = (n: Norm) => NORM_LABELS[n];
/** what every iterative ε-attack takes from the run */
const iterative = (e: number, n: Norm, o: ExtraPlanOptions) => ({ epsilon: e, norm: n, steps: o.steps, restarts: o.restarts, seed: o.seed });
const detectorAware = (e: number, n: Norm, o: ExtraPlanOptions) => ({ ...iterative(e, n, o), norm: n as 'linf' | 'l2', detector: o.adaptiveDetector });

/** one plan per ε (the ε in the plan's norm) */
const PER_EPSILON: Record<string, EpsilonPlan> = {
  'apgd-ce': (e, n, o) => ({ label: `APGD-CE ${L(n)} ${budget(o)} ε=${e}`, kind: 'apgd-ce', epsilon: e, attack: createAttack('apgd-ce', iterative(e, n, o)) }),
  'apgd-dlr': (e, n, o) => ({ label: `APGD-DLR ${L(n)} ${budget(o)} ε=${e}`, kind: 'apgd-dlr', epsilon: e, attack: createAttack('apgd-dlr', iterative(e, n, o)) }),
  'apgd-t': (e, n, o) => ({ label: `APGD-T ${L(n)} ${o.steps} ε=${e}`, kind: 'apgd-t', epsilon: e, attack: createAttack('apgd-t', { epsilon: e, norm: n, steps: o.steps, seed: o.seed }) }),
  'apgd-adaptive': (e, n, o) => ({ label: `APGD-Adaptive ${L(n)} ${budget(o)} ε=${e}`, kind: 'apgd-adaptive', epsilon: e, attack: createAttack('apgd-adaptive', { ...iterative(e, n, o), detector: o.adaptiveDetector }) }),
  autoattack: (e, n, o) => ({ label: `AutoAttack ${L(n)} ε=${e}`, kind: 'autoattack', epsilon: e, attack: createAttack('autoattack', { epsilon: e, norm: n, steps: o.steps, seed: o.seed }) }),
  square: (e, n, o) => ({ label: `Square ${L(n)} ${o.queries ?? 1000}q ε=${e}`, kind: 'square', epsilon: e, attack: createAttack('square', { epsilon: e, norm: n, queries: o.queries ?? 1000, seed: o.seed }) }),
  'adaptive-mean': (e, n, o) => ({ label: `Nearest-class PGD ${L(n)} ${budget(o)} ε=${e}`, kind: 'adaptive-mean', epsilon: e, attack: createAttack('adaptive-mean', detectorAware(e, n, o)) }),
  'orthogonal-pgd': (e, n, o) => ({ label: `Orthogonal PGD ${L(n)} ${budget(o)} ε=${e}`, kind: 'orthogonal-pgd', epsilon: e, attack: createAttack('orthogonal-pgd', detectorAware(e, n, o)) }),
  'selective-pgd': (e, n, o) => ({ label: `Selective PGD ${L(n)} ${budget(o)} ε=${e}`, kind: 'selective-pgd', epsilon: e, attack: createAttack('selective-pgd', detectorAware(e, n, o)) }),
  'high-confidence-pgd': (e, n, o) => ({ label: `High-confidence PGD κ=${o.kappa ?? 5} ${L(n)} ${budget(o)} ε=${e}`, kind: 'high-confidence-pgd', epsilon: e, attack: createAttack('high-confidence-pgd', { ...detectorAware(e, n, o), kappa: o.kappa ?? 5 }) }),
};

/** one plan for the whole run under its norm (minimum-norm attacks) */
const ONCE: Record<string, OncePlan> = {
  fab: (n, o) => ({ label: `FAB ${L(n)} ${budget(o)}`, kind: 'fab', epsilon: null, attack: createAttack('fab', { norm: n as 'linf' | 'l2', steps: o.steps, restarts: o.restarts, seed: o.seed }) }),
  'fab-t': (n, o) => ({ label: `FAB-T ${L(n)} ${o.steps}`, kind: 'fab-t', epsilon: null, attack: createAttack('fab-t', { norm: n as 'linf' | 'l2', steps: o.steps, seed: o.seed }) }),
};

export const EXTRA_PLAN_NAMES = [...Object.keys(PER_EPSILON), ...Object.keys(ONCE), 'sparse-rs'];

/**
 * The plans of one extra attack name under one threat model (o.epsilons in that norm), or null when
 * the name is not one of them. Sparse-RS is L0 whatever the norm.
 */
export function makeExtraPlans(name: string, norm: ThreatNorm, o: ExtraPlanOptions): AttackPlan[] | null {
  if (name === 'sparse-rs') {
    return [{ label: `Sparse-RS L0 k=${o.pixels ?? 10} ${o.queries ?? 1000}q`, kind: 'sparse-rs', epsilon: null, attack: createAttack('sparse-rs', { pixels: o.pixels ?? 10, queries: o.queries ?? 1000, seed: o.seed }) }];
  }
  const perEpsilon = Object.prototype.hasOwnProperty.call(PER_EPSILON, name) ? PER_EPSILON[name]! : null;
  const once = Object.prototype.hasOwnProperty.call(ONCE, name) ? ONCE[name]! : null;
  if (!perEpsilon && !once) return null;
  if (norm === 'l0') throw new RangeError(`makeExtraPlans: ${name} has no L0 form (L0 is Sparse-RS)`);
  return perEpsilon ? o.epsilons.map((e) => perEpsilon(e, norm, o)) : [once!(norm, o)];
}
