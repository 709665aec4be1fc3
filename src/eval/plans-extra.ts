/**
 * Attack plans for the evaluation attacks of issue 17's study: APGD (CE, DLR, targeted), the
 * AutoAttack ensemble, Square (gradient-free), FAB (minimum norm), Sparse-RS (L0) and the
 * detector-aware PGD variants, each built through the registry with the run's budget.
 */
import { createAttack } from '../attacks/registry.js';
import type { FeatureDetector } from '../detect/detector.js';
import type { AttackPlan } from './robustness.js';

export interface ExtraPlanOptions {
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

type EpsilonPlan = (e: number, o: ExtraPlanOptions) => AttackPlan;
type OncePlan = (o: ExtraPlanOptions) => AttackPlan;

const budget = (o: ExtraPlanOptions) => `${o.restarts ?? 1}×${o.steps}`;

/** one plan per ε */
const PER_EPSILON: Record<string, EpsilonPlan> = {
  'apgd-ce': (e, o) => ({ label: `APGD-CE ${budget(o)} ε=${e}`, kind: 'apgd-ce', epsilon: e, attack: createAttack('apgd-ce', { epsilon: e, steps: o.steps, restarts: o.restarts, seed: o.seed }) }),
  'apgd-dlr': (e, o) => ({ label: `APGD-DLR ${budget(o)} ε=${e}`, kind: 'apgd-dlr', epsilon: e, attack: createAttack('apgd-dlr', { epsilon: e, steps: o.steps, restarts: o.restarts, seed: o.seed }) }),
  'apgd-t': (e, o) => ({ label: `APGD-T ${o.steps} ε=${e}`, kind: 'apgd-t', epsilon: e, attack: createAttack('apgd-t', { epsilon: e, steps: o.steps, seed: o.seed }) }),
  autoattack: (e, o) => ({ label: `AutoAttack ε=${e}`, kind: 'autoattack', epsilon: e, attack: createAttack('autoattack', { epsilon: e, steps: o.steps, seed: o.seed }) }),
  square: (e, o) => ({ label: `Square ${o.queries ?? 1000}q ε=${e}`, kind: 'square', epsilon: e, attack: createAttack('square', { epsilon: e, queries: o.queries ?? 1000, seed: o.seed }) }),
  'adaptive-mean': (e, o) => ({ label: `Nearest-class PGD ${budget(o)} ε=${e}`, kind: 'adaptive-mean', epsilon: e, attack: createAttack('adaptive-mean', { epsilon: e, steps: o.steps, restarts: o.restarts, seed: o.seed, detector: o.adaptiveDetector }) }),
  'orthogonal-pgd': (e, o) => ({ label: `Orthogonal PGD ${budget(o)} ε=${e}`, kind: 'orthogonal-pgd', epsilon: e, attack: createAttack('orthogonal-pgd', { epsilon: e, steps: o.steps, restarts: o.restarts, seed: o.seed, detector: o.adaptiveDetector }) }),
  'selective-pgd': (e, o) => ({ label: `Selective PGD ${budget(o)} ε=${e}`, kind: 'selective-pgd', epsilon: e, attack: createAttack('selective-pgd', { epsilon: e, steps: o.steps, restarts: o.restarts, seed: o.seed, detector: o.adaptiveDetector }) }),
  'high-confidence-pgd': (e, o) => ({ label: `High-confidence PGD κ=${o.kappa ?? 5} ${budget(o)} ε=${e}`, kind: 'high-confidence-pgd', epsilon: e, attack: createAttack('high-confidence-pgd', { epsilon: e, steps: o.steps, restarts: o.restarts, seed: o.seed, kappa: o.kappa ?? 5, detector: o.adaptiveDetector }) }),
};

/** one plan for the whole run (minimum-norm or L0 attacks) */
const ONCE: Record<string, OncePlan> = {
  fab: (o) => ({ label: `FAB L∞ ${budget(o)}`, kind: 'fab', epsilon: null, attack: createAttack('fab', { steps: o.steps, restarts: o.restarts, seed: o.seed }) }),
  'fab-t': (o) => ({ label: `FAB-T L∞ ${o.steps}`, kind: 'fab-t', epsilon: null, attack: createAttack('fab-t', { steps: o.steps, seed: o.seed }) }),
  'sparse-rs': (o) => ({ label: `Sparse-RS L0 k=${o.pixels ?? 10} ${o.queries ?? 1000}q`, kind: 'sparse-rs', epsilon: null, attack: createAttack('sparse-rs', { pixels: o.pixels ?? 10, queries: o.queries ?? 1000, seed: o.seed }) }),
};

export const EXTRA_PLAN_NAMES = [...Object.keys(PER_EPSILON), ...Object.keys(ONCE)];

/** the plans of one extra attack name, or null when the name is not one of them */
export function makeExtraPlans(name: string, o: ExtraPlanOptions): AttackPlan[] | null {
  const perEpsilon = Object.prototype.hasOwnProperty.call(PER_EPSILON, name) ? PER_EPSILON[name]! : null;
  if (perEpsilon) return o.epsilons.map((e) => perEpsilon(e, o));
  const once = Object.prototype.hasOwnProperty.call(ONCE, name) ? ONCE[name]! : null;
  return once ? [once(o)] : null;
}
