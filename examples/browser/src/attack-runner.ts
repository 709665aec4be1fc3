/**
 * One attack on one image with the engine's attack objects, and everything the playground shows:
 * clean and adversarial predictions with probabilities, GM scores against τ, and the features.
 */
import {
  createAttack, GMHead, gmScore, noGrad, softmax, tensor, tidy, type Attack,
} from '../../../src/index.js';
import type { TrainingSession } from './session.js';

export type PlaygroundAttack = 'fgsm' | 'pgd' | 'cw' | 'adaptive';

export const PLAYGROUND_ATTACKS: { id: PlaygroundAttack; label: string; usesEpsilon: boolean; note: string }[] = [
  { id: 'fgsm', label: 'FGSM', usesEpsilon: true, note: 'one L∞ step of size ε along the sign of the cross-entropy gradient' },
  { id: 'pgd', label: 'PGD-20', usesEpsilon: true, note: '20 projected L∞ steps inside the ε-ball, random start' },
  { id: 'cw', label: 'C&W L2', usesEpsilon: false, note: 'the smallest L2 perturbation that flips the class (ε not used); ignores the detector' },
  { id: 'adaptive', label: 'Adaptive PGD-40', usesEpsilon: true, note: 'detector-aware: misclassify and keep D(x′) ≤ τ, so the detector accepts it' },
];

/** Iteration budgets sized for a page (the CLI's defaults are for offline evaluation). */
export interface AttackBudget {
  pgdSteps: number;
  adaptiveSteps: number;
  cwSearchSteps: number;
  cwIterations: number;
}

export const DEFAULT_BUDGET: AttackBudget = { pgdSteps: 20, adaptiveSteps: 40, cwSearchSteps: 5, cwIterations: 100 };

export interface Outcome {
  /** 28×28 (c·h·w) floats in [0, 1] */
  pixels: Float32Array;
  prediction: number;
  probabilities: Float32Array;
  /** GM detection score D(x) = min_k d_k(f(x)) */
  score: number;
  feature: Float32Array;
}

export interface AttackRun {
  attack: PlaygroundAttack;
  attackName: string;
  epsilon: number;
  label: number;
  clean: Outcome;
  adversarial: Outcome;
  /** the attack's own verdict (misclassified; and accepted by the detector for the adaptive attack) */
  success: boolean;
  /** achieved ‖x′ − x‖ in the attack's norm */
  norm: number;
  normName: 'L∞' | 'L2';
  tau: number;
  flaggedClean: boolean;
  flaggedAdversarial: boolean;
  ms: number;
}

export function makeAttack(name: PlaygroundAttack, epsilon: number, tau: number, budget: AttackBudget = DEFAULT_BUDGET): Attack {
  switch (name) {
    case 'fgsm': return createAttack('fgsm', { epsilon });
    case 'pgd': return createAttack('pgd', { epsilon, steps: budget.pgdSteps, seed: 1 });
    case 'cw': return createAttack('cw', { binarySearchSteps: budget.cwSearchSteps, maxIterations: budget.cwIterations, learningRate: 0.05, initialConst: 0.1 });
    case 'adaptive': return createAttack('adaptive-pgd', { epsilon, steps: budget.adaptiveSteps, tau, seed: 1 });
    default: throw new Error(`attack playground: unknown attack '${String(name)}'`);
  }
}

/** Predictions, probabilities, GM scores and features of a small batch, in eval mode. */
export async function inspect(session: TrainingSession, x: Float32Array, n: number): Promise<Outcome[]> {
  const head = session.model.head;
  if (!(head instanceof GMHead)) throw new Error('attack playground: the model has no GM head');
  const wasTraining = session.model.training;
  session.model.eval();
  try {
    const [probs, scores, feats] = tidy(() => noGrad(() => {
      const f = session.model.features(session.input(x, n));
      return [softmax(head.forward(f), -1), gmScore(head, f), f];
    }));
    try {
      const p = Float32Array.from(await probs!.data());
      const s = await scores!.data();
      const f = Float32Array.from(await feats!.data());
      const k = p.length / n, d = f.length / n, per = x.length / n;
      return Array.from({ length: n }, (_, i) => {
        const pi = p.subarray(i * k, (i + 1) * k);
        let best = 0;
        for (let c = 1; c < k; c++) if (pi[c]! > pi[best]!) best = c;
        return { pixels: x.slice(i * per, (i + 1) * per), prediction: best, probabilities: pi.slice(), score: s[i]!, feature: f.slice(i * d, (i + 1) * d) };
      });
    } finally {
      probs!.dispose(); scores!.dispose(); feats!.dispose();
    }
  } finally {
    session.model.train(wasTraining);
  }
}

/**
 * Attack one image. `label` is the true class (a test image) or null for a drawing, which is then
 * attacked away from the model's own prediction.
 */
export async function runAttack(
  session: TrainingSession, pixels: Float32Array, label: number | null, name: PlaygroundAttack, epsilon: number, tau: number,
  budget: AttackBudget = DEFAULT_BUDGET,
): Promise<AttackRun> {
  const t0 = performance.now();
  const [cleanBefore] = await inspect(session, pixels, 1);
  const y = label ?? cleanBefore!.prediction;
  const attack = makeAttack(name, epsilon, tau, budget);
  const x = session.input(pixels, 1);
  const labels = tensor(new Int32Array([y]), { shape: [1], backend: session.backend });
  let advPixels: Float32Array;
  let success: boolean, norm: number;
  try {
    const r = await attack.run(session.model, x, labels);
    try {
      advPixels = Float32Array.from(await r.adversarial.data());
    } finally {
      r.adversarial.dispose();
    }
    success = r.success[0]!;
    norm = r.norms[0]!;
  } finally {
    x.dispose();
    labels.dispose();
  }
  const both = new Float32Array(2 * pixels.length);
  both.set(pixels, 0);
  both.set(advPixels, pixels.length);
  const [clean, adversarial] = await inspect(session, both, 2);
  return {
    attack: name, attackName: attack.name, epsilon, label: y, clean: clean!, adversarial: adversarial!, success, norm,
    normName: attack.norm === 'linf' ? 'L∞' : 'L2', tau,
    flaggedClean: clean!.score > tau, flaggedAdversarial: adversarial!.score > tau,
    ms: performance.now() - t0,
  };
}
