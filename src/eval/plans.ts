/** Attack plans from command-line names: `fgsm,pgd,cw,deepfool,adaptive` × ε values. */
import { createAttack } from '../attacks/registry.js';
import type { FeatureDetector } from '../detect/detector.js';
import { EXTRA_PLAN_NAMES, makeExtraPlans } from './plans-extra.js';
import type { AttackPlan } from './robustness.js';

export interface PlanOptions {
  attacks: string[];
  epsilons: number[];
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

export function makePlans(o: PlanOptions): AttackPlan[] {
  const steps = o.steps ?? 40;
  const seed = o.seed ?? 0;
  const plans: AttackPlan[] = [];
  for (const name of o.attacks) {
    if (!PLAN_NAMES.includes(name)) throw new Error(`unknown attack '${name}' (known: ${PLAN_NAMES.join(', ')})`);
    const extra = makeExtraPlans(name, { ...o, steps, seed });
    if (extra) { plans.push(...extra); continue; }
    const eps = (fn: (e: number) => AttackPlan) => { for (const e of o.epsilons) plans.push(fn(e)); };
    switch (name) {
      case 'fgsm': case 'fgm':
        eps((e) => ({ label: `${name.toUpperCase()} ε=${e}`, kind: name, epsilon: e, attack: createAttack(name as 'fgsm', { epsilon: e, seed }) }));
        break;
      case 'bim': case 'mim':
        eps((e) => ({ label: `${name.toUpperCase()}-${steps} ε=${e}`, kind: name, epsilon: e, attack: createAttack(name as 'bim', { epsilon: e, steps, seed }) }));
        break;
      case 'pgd': case 'pgd-l2':
        eps((e) => ({ label: `${name === 'pgd' ? 'PGD' : 'PGD-L2'}-${steps} ε=${e}`, kind: name, epsilon: e, attack: createAttack(name as 'pgd', { epsilon: e, steps, seed }) }));
        break;
      case 'cw':
        plans.push({ label: 'C&W L2', kind: 'cw', epsilon: null, attack: createAttack('cw', { binarySearchSteps: o.cwSearchSteps ?? 5, maxIterations: o.cwIterations ?? 100, initialConst: o.cwInitialConst, learningRate: o.cwLearningRate, seed }) });
        break;
      case 'deepfool': case 'deepfool-linf':
        plans.push({ label: name === 'deepfool' ? 'DeepFool L2' : 'DeepFool L∞', kind: name, epsilon: null, attack: createAttack(name as 'deepfool', { maxIterations: o.deepfoolIterations ?? 50 }) });
        break;
      case 'adaptive':
        eps((e) => ({ label: `Adaptive-PGD-${steps} ε=${e}`, kind: 'adaptive-pgd', epsilon: e, attack: createAttack('adaptive-pgd', { epsilon: e, steps, seed, detector: o.adaptiveDetector }) }));
        break;
      case 'adaptive-cw':
        plans.push({ label: 'Adaptive C&W', kind: 'adaptive-cw', epsilon: null, attack: createAttack('adaptive-cw', { binarySearchSteps: o.cwSearchSteps ?? 5, maxIterations: o.cwIterations ?? 100, initialConst: o.cwInitialConst, learningRate: o.cwLearningRate, seed, detector: o.adaptiveDetector }) });
        break;
    }
  }
  return plans;
}

