/**
 * Robustness evaluation: run a list of attacks on a batch of clean test images, score every
 * adversarial input with every detector, and summarise per attack and as the per-sample worst
 * case of each threat model (what `gmgrad attack` and the demo print and report).
 */
import { noGrad } from '../core/autograd.js';
import { keep, tidy } from '../core/scope.js';
import type { Tensor } from '../core/tensor.js';
import type { Attack } from '../attacks/attack.js';
import type { ThreatNorm } from '../attacks/steps.js';
import type { AttackOutcome } from '../detect/metrics.js';
import type { FeatureDetector } from '../detect/detector.js';
import type { Classifier } from '../models/classifier.js';
import { argmax } from '../ops/reduce.js';
import { concat, narrow } from '../ops/shape.js';
import type { TaskEvent } from '../progress/task-progress.js';
import { threatModelDetection, threatModelWorstCases, type ThreatModelDetection, type ThreatModelWorstCase } from './threat-worst-case.js';

export interface NamedDetector {
  name: string;
  detector: FeatureDetector;
}

export interface AttackPlan {
  /** label shown in tables, e.g. "PGD-40 L∞ ε=0.3" (it names the threat model) */
  label: string;
  /** family name (fgsm, pgd, cw, deepfool, adaptive-pgd, ...) */
  kind: string;
  epsilon: number | null;
  attack: Attack;
}

export interface AttackRun {
  label: string;
  kind: string;
  /** the threat model: the norm ε bounds and `norms` are measured in (L0: changed pixels) */
  norm: ThreatNorm;
  epsilon: number | null;
  /** accuracy on the adversarial inputs (over all evaluated samples) */
  accuracy: number;
  /** misclassified among the clean-correct samples */
  successRate: number;
  meanNorm: number;
  seconds: number;
  imagesPerSecond: number;
  misclassified: boolean[];
  predictions: Int32Array;
  norms: Float32Array;
  /** detector name → score of every adversarial input */
  scores: Record<string, Float64Array>;
  /** features of the adversarial inputs (only kept when asked, e.g. for 2-D scatter plots) */
  features?: Float32Array;
  /** the first `keepImages` adversarial images, CHW floats */
  images?: Float32Array;
}

export interface RobustnessResult {
  n: number;
  cleanAccuracy: number;
  cleanCorrect: boolean[];
  cleanPredictions: Int32Array;
  cleanScores: Record<string, Float64Array>;
  cleanFeatures?: Float32Array;
  thresholds: Record<string, number>;
  runs: AttackRun[];
  /** one per threat model among the runs (L∞, L2, L1, L0): the runs its per-sample worst case covers */
  worstCases: ThreatModelWorstCase[];
  /** detector name → per-attack rows and, aligned with worstCases, the worst case per threat model (on clean-correct samples) */
  detection: Record<string, ThreatModelDetection>;
}

export interface RobustnessOptions {
  model: Classifier;
  x: Tensor;
  y: Tensor;
  detectors: NamedDetector[];
  attacks: AttackPlan[];
  batchSize?: number;
  keepFeatures?: boolean;
  keepImages?: number;
  /**
   * per attack: a start, updates over samples × iterations (C&W's search steps and DeepFool's
   * iterations included), and an end carrying the attack's own time (the `seconds` of its run)
   */
  onProgress?: (event: TaskEvent) => void;
  /** milliseconds, monotonic (default performance.now; tests pass a fake clock) */
  now?: () => number;
}

async function scoreAll(detectors: NamedDetector[], x: Tensor, batchSize: number): Promise<Record<string, Float64Array>> {
  const out: Record<string, Float64Array> = {};
  for (const d of detectors) out[d.name] = await d.detector.scores(x, { batchSize });
  return out;
}

/** Penultimate features of x in batches (no graph), concatenated on the host. */
export async function featuresOf(model: Classifier, x: Tensor, batchSize: number): Promise<Float32Array> {
  const parts: Float32Array[] = [];
  for (let s = 0; s < x.shape[0]!; s += batchSize) {
    const f = noGrad(() => tidy(() => model.features(narrow(x, 0, s, Math.min(batchSize, x.shape[0]! - s)))));
    parts.push(Float32Array.from(await f.data()));
    f.dispose();
  }
  const all = new Float32Array(parts.reduce((a, p) => a + p.length, 0));
  let o = 0;
  for (const p of parts) { all.set(p, o); o += p.length; }
  return all;
}

export async function evaluateRobustness(o: RobustnessOptions): Promise<RobustnessResult> {
  const { model, x, y } = o;
  const batch = o.batchSize ?? 128;
  const n = x.shape[0]!;
  model.eval();
  const labels = (await y.data()) as Int32Array;
  const cleanPred = noGrad(() => tidy(() => {
    const parts: Tensor[] = [];
    for (let s = 0; s < n; s += batch) parts.push(argmax(model.forward(narrow(x, 0, s, Math.min(batch, n - s))), 1));
    return concat(parts, 0);
  }));
  const cleanPredictions = (await cleanPred.data()) as Int32Array;
  cleanPred.dispose();
  const cleanCorrect = Array.from(cleanPredictions, (p, i) => p === labels[i]);
  const cleanScores = await scoreAll(o.detectors, x, batch);
  const thresholds: Record<string, number> = {};
  for (const d of o.detectors) {
    if (d.detector.threshold === null) throw new Error(`evaluateRobustness: detector '${d.name}' is not calibrated (call calibrate on held-out clean data first)`);
    thresholds[d.name] = d.detector.threshold;
  }
  const now = o.now ?? (() => performance.now());
  const runs: AttackRun[] = [];
  for (const plan of o.attacks) {
    const task = plan.label;
    const total = n * plan.attack.progressSteps;
    o.onProgress?.({ phase: 'start', task, total });
    const t0 = now();
    const advParts: Tensor[] = [];
    const predictions = new Int32Array(n);
    const norms = new Float32Array(n);
    const finite = new Array<boolean>(n).fill(true);
    for (let s = 0; s < n; s += batch) {
      const len = Math.min(batch, n - s);
      const xb = narrow(x, 0, s, len);
      const yb = narrow(y, 0, s, len);
      const onIteration = o.onProgress && ((done: number, steps: number) => o.onProgress!({ phase: 'update', task, done: s * steps + len * done, total }));
      const r = await plan.attack.run(model, xb, yb, undefined, { onIteration });
      predictions.set(r.predictions, s);
      norms.set(r.norms, s);
      r.finite.forEach((f, i) => { finite[s + i] = f; });
      advParts.push(keep(r.adversarial));
      xb.dispose(); yb.dispose();
    }
    const seconds = (now() - t0) / 1000;
    o.onProgress?.({ phase: 'end', task, total, seconds });
    const adv = keep(advParts.length === 1 ? advParts[0]! : concat(advParts, 0));
    if (advParts.length > 1) for (const p of advParts) p.dispose();
    // a non-finite adversarial input fools nobody: it is not counted as misclassified, nor in the mean norm
    const misclassified = Array.from(predictions, (p, i) => finite[i]! && p !== labels[i]);
    const finiteNorms = Array.from(norms).filter((_, i) => finite[i]);
    const scores = await scoreAll(o.detectors, adv, batch);
    const run: AttackRun = {
      label: plan.label, kind: plan.kind, norm: plan.attack.norm, epsilon: plan.epsilon,
      accuracy: misclassified.filter((m) => !m).length / n,
      successRate: cleanCorrect.filter((c, i) => c && misclassified[i]).length / Math.max(1, cleanCorrect.filter(Boolean).length),
      meanNorm: finiteNorms.reduce((a, b) => a + b, 0) / Math.max(1, finiteNorms.length),
      seconds, imagesPerSecond: n / seconds, misclassified, predictions, norms, scores,
    };
    if (o.keepFeatures) run.features = await featuresOf(model, adv, batch);
    if (o.keepImages) {
      const k = Math.min(o.keepImages, n);
      const imgs = narrow(adv, 0, 0, k);
      run.images = Float32Array.from(await imgs.data());
      imgs.dispose();
    }
    adv.dispose();
    runs.push(run);
  }
  const worstCases = threatModelWorstCases(runs);
  const detection: Record<string, ThreatModelDetection> = {};
  for (const d of o.detectors) {
    const cleanCorrectScores = Array.from(cleanScores[d.name]!).filter((_, i) => cleanCorrect[i]);
    const outcomes: AttackOutcome[] = runs.map((r) => ({ name: r.label, misclassified: r.misclassified, scores: r.scores[d.name]! }));
    detection[d.name] = threatModelDetection(cleanCorrectScores, thresholds[d.name]!, outcomes, worstCases, cleanCorrect);
  }
  return {
    n, cleanAccuracy: cleanCorrect.filter(Boolean).length / n, cleanCorrect, cleanPredictions, cleanScores,
    cleanFeatures: o.keepFeatures ? await featuresOf(model, x, batch) : undefined,
    thresholds, runs, worstCases, detection,
  };
}
