/**
 * Attack plans from command-line names: `fgsm,pgd,cw,deepfool,adaptive` × threat models × ε values
 * (which norms each attack runs under: threat-models.ts).
 */
import { createAttack } from '../attacks/registry.js';
import type { Norm, ThreatNorm } from '../attacks/steps.js';
import type { FeatureDetector } from '../detect/detector.js';
import { EXTRA_PLAN_NAMES, makeExtraPlans } from './plans-extra.js';
import type { AttackPlan } from './robustness.js';
import { NORM_LABELS, threatModelRuns, type SkippedRun } from './threat-models.js';

export interface PlanOptions {
  attacks: string[];
  /** ε values, in each plan's norm (unless epsilonsByNorm has that norm's) */
  epsilons: number[];
  /** the threat models of the attacks that take one (default ['linf']); one norm: an attack lacking it is an error, several: skipped */
  norms?: Norm[];
  /** per norm, the ε values that replace `epsilons` for plans under that norm */
  epsilonsByNorm?: Partial<Record<Norm, number[]>>;
  /** PGD/BIM/MIM/adaptive iterations (default 40) */
  steps?: number;
  /** C&W: binary-search steps and Adam iterations per step */
  cwSearchSteps?: number;
  cwIterations?: number;
  /** C&W's first c (default 1e-3, as Carlini & Wagner; larger when the search is short) */
  cwInitialConst?: number;
  /** C&W's Adam step in tanh space (default 1e-2; a short budget needs more: pixels at 0 or 1 sit where tanh is flat) */
  cwLearningRate?: number;
  deepfoolIterations?: number;
  /** the detector the adaptive attack evades */
  adaptiveDetector?: FeatureDetector;
  seed?: number;
  /** restarts of APGD and the detector-aware PGD variants (default 1) */
  restarts?: number;
  /** Square / Sparse-RS queries per sample (default 1000) */
  queries?: number;
  /** Sparse-RS: the most pixels changed (default 10) */
  pixels?: number;
  /** high-confidence PGD: the logit margin κ (default 5) */
  kappa?: number;
}

export const PLAN_NAMES = ['fgsm', 'fgm', 'bim', 'pgd', 'pgd-l2', 'mim', 'cw', 'deepfool', 'deepfool-linf', 'adaptive', 'adaptive-cw', ...EXTRA_PLAN_NAMES];

export interface PlannedAttacks {
  plans: AttackPlan[];
  /** (attack, norm) pairs of a several-norm run that the attack has no form for */
  skipped: SkippedRun[];
}

export function makePlans(o: PlanOptions): AttackPlan[] {
  return planAttacks(o).plans;
}

export function planAttacks(o: PlanOptions): PlannedAttacks {
  const steps = o.steps ?? 40;
  const seed = o.seed ?? 0;
  for (const name of o.attacks) {
    if (!PLAN_NAMES.includes(name)) throw new Error(`unknown attack '${name}' (known: ${PLAN_NAMES.join(', ')})`);
  }
  const { runs, skipped } = threatModelRuns(o.attacks, o.norms ?? ['linf']);
  const plans: AttackPlan[] = [];
  for (const { attack: name, norm } of runs) {
    const epsilons = norm === 'l0' ? [] : (o.epsilonsByNorm?.[norm] ?? o.epsilons);
    const extra = makeExtraPlans(name, norm, { ...o, epsilons, steps, seed });
    if (extra) { plans.push(...extra); continue; }
    plans.push(...basicPlans(name, norm, epsilons, steps, seed, o));
  }
  return { plans, skipped };
}

/** the plans of the first attacks (FGSM to adaptive C&W) under one norm */
function basicPlans(name: string, norm: ThreatNorm, epsilons: number[], steps: number, seed: number, o: PlanOptions): AttackPlan[] {
  const L = NORM_LABELS[norm];
  const dense = norm as 'linf' | 'l2';
  const eps = (fn: (e: number) => AttackPlan) => epsilons.map(fn);
  switch (name) {
    case 'fgsm': case 'fgm':
      return eps((e) => ({ label: `${name.toUpperCase()} ${L} ε=${e}`, kind: name, epsilon: e, attack: createAttack(name as 'fgsm', { epsilon: e, seed }) }));
    case 'bim': case 'mim':
      return eps((e) => ({ label: `${name.toUpperCase()}-${steps} ${L} ε=${e}`, kind: name, epsilon: e, attack: createAttack(name as 'bim', { epsilon: e, steps, seed }) }));
    case 'pgd': case 'pgd-l2':
      return eps((e) => ({ label: `PGD-${steps} ${L} ε=${e}`, kind: name, epsilon: e, attack: createAttack(dense === 'l2' ? 'pgd-l2' : 'pgd', { epsilon: e, steps, seed }) }));
    case 'cw':
      return [{ label: 'C&W L2', kind: 'cw', epsilon: null, attack: createAttack('cw', { binarySearchSteps: o.cwSearchSteps ?? 5, maxIterations: o.cwIterations ?? 100, initialConst: o.cwInitialConst, learningRate: o.cwLearningRate, seed }) }];
    case 'deepfool': case 'deepfool-linf':
      return [{ label: `DeepFool ${L}`, kind: name, epsilon: null, attack: createAttack(name as 'deepfool', { maxIterations: o.deepfoolIterations ?? 50 }) }];
    case 'adaptive':
      return eps((e) => ({ label: `Adaptive-PGD-${steps} ${L} ε=${e}`, kind: 'adaptive-pgd', epsilon: e, attack: createAttack('adaptive-pgd', { epsilon: e, norm: dense, steps, seed, detector: o.adaptiveDetector }) }));
    case 'adaptive-cw':
      return [{ label: 'Adaptive C&W L2', kind: 'adaptive-cw', epsilon: null, attack: createAttack('adaptive-cw', { binarySearchSteps: o.cwSearchSteps ?? 5, maxIterations: o.cwIterations ?? 100, initialConst: o.cwInitialConst, learningRate: o.cwLearningRate, seed, detector: o.adaptiveDetector }) }];
    default:
      throw new Error(`makePlans: no plan for attack '${name}'`);
  }
}
