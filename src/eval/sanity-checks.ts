/**
 * Sanity checks that catch a broken robustness evaluation (Carlini et al. 2019, "On evaluating
 * adversarial robustness", §5 checklist), run on one batch with the evaluation's own gradient
 * attack at its reported budget:
 *  (a) success is non-decreasing in ε (every drop is listed with its size);
 *  (b) an unbounded attack (L∞ ε = 1, L2 ε = √d, L1 ε = d: the whole image cube) fools every sample;
 *  (c) ×4 iterations and ×4 restarts raise success at the reported ε by at most a tolerance;
 *  (d) a gradient-free attack (Square, looked up in the attack registry at run time) fools no
 *      sample the gradient attacks miss: a gap flags gradient masking;
 *  (e) Tramèr's reduction (sanity-tramer.ts), when a detector claim is given.
 * Success rates are over the clean-correct samples (as the robustness tables).
 */
import type { AttackResult } from '../attacks/attack.js';
import { forwardPass, withEvalMode, type AttackModel } from '../attacks/model.js';
import { ATTACK_NAMES, createAttack, type AttackName } from '../attacks/registry.js';
import type { Norm } from '../attacks/steps.js';
import { noGrad } from '../core/autograd.js';
import { tidy } from '../core/scope.js';
import type { Tensor } from '../core/tensor.js';
import { argmax } from '../ops/reduce.js';
import { narrow } from '../ops/shape.js';
import { tramerReduction, type TramerInput, type TramerResult } from './sanity-tramer.js';

/** What the checks need from an attack: a name and a batched run (any Attack qualifies; tests pass fakes). */
export interface SanityAttack {
  readonly name: string;
  run(model: AttackModel, x: Tensor, labels: Tensor): Promise<AttackResult>;
}

export interface GradientBudget {
  epsilon: number;
  steps: number;
  restarts: number;
}

export interface SanityOptions {
  model: AttackModel;
  /** the clean batch, in [0, 1], and its int32 labels */
  x: Tensor;
  y: Tensor;
  /** the evaluation's gradient attack: `make` builds it at any ε and budget */
  attack: { name: string; norm: Norm; make: (b: GradientBudget) => SanityAttack };
  /** the reported budget (its ε is the one checks c and d run at) */
  budget: GradientBudget;
  /** the ε sweep of check a (sorted here) */
  epsilons: number[];
  /** check b's ε (default: L∞ 1, L2 √d, L1 d, d the elements of one sample) */
  unboundedEpsilon?: number;
  /** check c's multipliers (default ×4 iterations, ×4 restarts) */
  budgetScale?: { steps: number; restarts: number };
  /** the success-rate change (fraction of clean-correct samples) a check lets pass (default 0.02) */
  tolerance?: number;
  /** check d's attack; undefined: 'square' ('square-l2' for L2) from the registry when it exists; null: skip */
  gradientFree?: { name: string; make: (epsilon: number) => SanityAttack } | null;
  /** seed of the registry's gradient-free attack (default 0) */
  seed?: number;
  /** queries per sample of the registry's gradient-free attack (default: its own, 10 000 for Square) */
  gradientFreeQueries?: number;
  /** check e: the detector claim to test against the best known classifier; absent: skipped */
  tramer?: TramerInput;
  batchSize?: number;
}

export type CheckStatus = 'pass' | 'flag' | 'skipped';

interface Check {
  status: CheckStatus;
  /** one sentence with the numbers (why it passed, what was flagged, or why it was skipped) */
  summary: string;
}

export interface MonotonicCheck extends Check {
  points: { epsilon: number; successRate: number }[];
  /** every drop of the success rate from a smaller ε to a larger one, largest first */
  violations: { from: number; to: number; drop: number }[];
  /** clean-correct samples fooled at some ε but not at a larger one */
  samplesLost: number;
}

export interface UnboundedCheck extends Check {
  epsilon: number;
  successRate: number;
  /** clean-correct samples the unbounded attack did not fool */
  unfooled: number;
}

export interface BudgetCheck extends Check {
  base: { steps: number; restarts: number; successRate: number };
  more: { steps: number; restarts: number; successRate: number };
  /** more − base success rate */
  gain: number;
  /** clean-correct samples only the larger budget fooled */
  newlyFooled: number;
}

export interface GradientFreeCheck extends Check {
  attack: string | null;
  successRate: number | null;
  /** success of the gradient attacks at the reported ε (either budget) */
  gradientSuccessRate: number;
  /** clean-correct samples the gradient-free attack fooled and the gradient attacks did not */
  missedByGradient: number;
  /** missedByGradient as a fraction of the clean-correct samples */
  gap: number;
}

export interface TramerCheck extends Check {
  result: TramerResult | null;
}

export interface SanityReport {
  attack: string;
  norm: Norm;
  budget: GradientBudget;
  n: number;
  cleanCorrect: number;
  tolerance: number;
  checks: { monotonic: MonotonicCheck; unbounded: UnboundedCheck; budget: BudgetCheck; gradientFree: GradientFreeCheck; tramer: TramerCheck };
  /** the names of the flagged checks (empty: nothing caught) */
  flagged: string[];
}

const pct = (v: number) => `${(100 * v).toFixed(1)} %`;

/** Per sample: fooled by the attack (run in batches; adversarial tensors freed at once). */
async function fooledBy(attack: SanityAttack, o: SanityOptions, batch: number): Promise<boolean[]> {
  const n = o.x.shape[0]!;
  const out: boolean[] = [];
  for (let s = 0; s < n; s += batch) {
    const len = Math.min(batch, n - s);
    const xb = narrow(o.x, 0, s, len), yb = narrow(o.y, 0, s, len);
    try {
      const r = await attack.run(o.model, xb, yb);
      r.adversarial.dispose();
      if (r.success.length !== len) throw new Error(`sanity checks: attack ${attack.name} returned ${r.success.length} success flags for a batch of ${len}`);
      out.push(...r.success);
    } finally {
      xb.dispose(); yb.dispose();
    }
  }
  return out;
}

async function cleanCorrectness(o: SanityOptions, batch: number): Promise<boolean[]> {
  const labels = await o.y.data();
  const n = o.x.shape[0]!;
  const correct: boolean[] = [];
  await withEvalMode(o.model, async () => {
    for (let s = 0; s < n; s += batch) {
      const len = Math.min(batch, n - s);
      const pred = noGrad(() => tidy(() => argmax(forwardPass(o.model, narrow(o.x, 0, s, len)).logits, 1)));
      const p = await pred.data();
      pred.dispose();
      for (let k = 0; k < len; k++) correct.push(p[k] === labels[s + k]);
    }
  });
  return correct;
}

/** Success over the clean-correct samples. */
function rate(fooled: readonly boolean[], correct: readonly boolean[]): number {
  let hit = 0, total = 0;
  correct.forEach((c, k) => { if (c) { total++; if (fooled[k]) hit++; } });
  return total === 0 ? NaN : hit / total;
}

export function monotonicCheck(points: { epsilon: number; fooled: boolean[] }[], correct: readonly boolean[], tolerance: number): MonotonicCheck {
  const sorted = [...points].sort((a, b) => a.epsilon - b.epsilon);
  const rates = sorted.map((p) => ({ epsilon: p.epsilon, successRate: rate(p.fooled, correct) }));
  const violations: MonotonicCheck['violations'] = [];
  for (let j = 1; j < rates.length; j++) {
    for (let i = 0; i < j; i++) {
      const drop = rates[i]!.successRate - rates[j]!.successRate;
      if (drop > 0 && rates[i]!.epsilon < rates[j]!.epsilon) violations.push({ from: rates[i]!.epsilon, to: rates[j]!.epsilon, drop });
    }
  }
  violations.sort((a, b) => b.drop - a.drop);
  let samplesLost = 0;
  correct.forEach((c, k) => {
    if (!c) return;
    for (let j = 1; j < sorted.length; j++) if (!sorted[j]!.fooled[k] && sorted.slice(0, j).some((p) => p.fooled[k])) { samplesLost++; return; }
  });
  const worst = violations[0];
  const status: CheckStatus = worst && worst.drop > tolerance ? 'flag' : 'pass';
  const summary = worst
    ? `success drops by ${pct(worst.drop)} from ε = ${worst.from} to ε = ${worst.to}${status === 'flag' ? `, beyond the ${pct(tolerance)} tolerance` : ` (within the ${pct(tolerance)} tolerance)`}; ${samplesLost} sample(s) fooled at a smaller ε resist a larger one`
    : `success never drops as ε grows (${rates.map((r) => `${r.epsilon}: ${pct(r.successRate)}`).join(', ')}); ${samplesLost} sample(s) fooled at a smaller ε resist a larger one`;
  return { status, summary, points: rates, violations, samplesLost };
}

/** 'square' (or 'square-l2') from the registry, or the reason there is none. */
function registryGradientFree(norm: Norm, seed: number, queries: number | undefined): { name: string; make: (epsilon: number) => SanityAttack } | string {
  const known = ATTACK_NAMES as readonly string[];
  if (norm === 'l1') return 'no L1 gradient-free attack in the attack registry (Square has L∞ and L2 forms)';
  const wanted = norm === 'linf' ? ['square'] : ['square-l2', 'square'];
  const name = wanted.find((w) => known.includes(w));
  if (!name) return `no gradient-free attack in the attack registry (looked for ${wanted.join(' or ')}; known: ${known.join(', ')})`;
  const options = (epsilon: number) => ({ epsilon, seed, ...(queries === undefined ? {} : { queries }), ...(name === 'square' && norm === 'l2' ? { norm: 'l2' } : {}) });
  return { name, make: (epsilon) => createAttack(name as AttackName, options(epsilon) as never) };
}

async function gradientFreeCheck(o: SanityOptions, correct: boolean[], gradientFooled: boolean[], tolerance: number, batch: number): Promise<GradientFreeCheck> {
  const gradientSuccessRate = rate(gradientFooled, correct);
  const skipped = (summary: string, attack: string | null = null): GradientFreeCheck => ({ status: 'skipped', summary, attack, successRate: null, gradientSuccessRate, missedByGradient: 0, gap: 0 });
  if (o.gradientFree === null) return skipped('skipped: no gradient-free attack requested');
  const found = o.gradientFree ?? registryGradientFree(o.attack.norm, o.seed ?? 0, o.gradientFreeQueries);
  if (typeof found === 'string') return skipped(`skipped: ${found}`);
  // the score-based attacks search over image squares/pixels: a flat input has none
  if (o.gradientFree === undefined && o.x.rank !== 4) return skipped(`skipped: ${found.name} needs images [N, C, H, W], got x [${o.x.shape.join(', ')}]`, found.name);
  let attack: SanityAttack;
  try {
    attack = found.make(o.budget.epsilon);
  } catch (e) {
    return skipped(`skipped: ${found.name} could not be built at ε = ${o.budget.epsilon} (${(e as Error).message})`, found.name);
  }
  const norm = (attack as { norm?: unknown }).norm;
  if (norm !== undefined && norm !== o.attack.norm) return skipped(`skipped: ${found.name} attacks in ${String(norm)}, the evaluation in ${o.attack.norm}`, found.name);
  const fooled = await fooledBy(attack, o, batch);
  let missed = 0;
  correct.forEach((c, k) => { if (c && fooled[k] && !gradientFooled[k]) missed++; });
  const total = correct.filter(Boolean).length;
  const gap = total === 0 ? 0 : missed / total;
  const successRate = rate(fooled, correct);
  const status: CheckStatus = gap > tolerance ? 'flag' : 'pass';
  const summary = `${attack.name} fools ${pct(successRate)}, the gradient attacks ${pct(gradientSuccessRate)}; ${missed} sample(s) (${pct(gap)}) fooled only by ${attack.name}${status === 'flag' ? ': gradient masking suspected' : ''}`;
  return { status, summary, attack: attack.name, successRate, gradientSuccessRate, missedByGradient: missed, gap };
}

function tramerCheck(input: TramerInput | undefined): TramerCheck {
  if (!input) return { status: 'skipped', summary: 'skipped: no detector claim given', result: null };
  const r = tramerReduction(input);
  const claim = `a detector with ${pct(r.detectorRobustAccuracy)} robust accuracy at ε = ${r.epsilon} implies a classifier with ≥ ${pct(r.impliedRobustAccuracy)} at ε = ${r.halfEpsilon}; the best known is ${pct(r.bestKnownRobustAccuracy)} (${r.bestKnownSource})`;
  return r.implausible
    ? { status: 'flag', summary: `${claim}: ${pct(r.excess)} beyond it, implausible`, result: r }
    : { status: 'pass', summary: `${claim}: consistent`, result: r };
}

export async function runSanityChecks(o: SanityOptions): Promise<SanityReport> {
  const n = o.x.shape[0]!;
  if (n === 0) throw new RangeError('runSanityChecks: the batch is empty');
  if (!Array.isArray(o.epsilons) || o.epsilons.length < 2) throw new RangeError(`runSanityChecks: the ε sweep needs at least 2 values, got ${JSON.stringify(o.epsilons)}`);
  const batch = o.batchSize ?? 128;
  const tolerance = o.tolerance ?? 0.02;
  const scale = o.budgetScale ?? { steps: 4, restarts: 4 };
  const correct = await cleanCorrectness(o, batch);
  const base = o.budget;
  const at = (b: GradientBudget) => fooledBy(o.attack.make(b), o, batch);

  const sweep: { epsilon: number; fooled: boolean[] }[] = [];
  for (const epsilon of [...new Set(o.epsilons)].sort((a, b) => a - b)) sweep.push({ epsilon, fooled: await at({ ...base, epsilon }) });
  const monotonic = monotonicCheck(sweep, correct, tolerance);

  const perSample = o.x.size / n;
  const unboundedEpsilon = o.unboundedEpsilon ?? (o.attack.norm === 'linf' ? 1 : o.attack.norm === 'l2' ? Math.sqrt(perSample) : perSample);
  const unboundedFooled = await at({ ...base, epsilon: unboundedEpsilon });
  const unfooled = correct.filter((c, k) => c && !unboundedFooled[k]).length;
  const unboundedRate = rate(unboundedFooled, correct);
  const unbounded: UnboundedCheck = {
    status: unfooled > 0 ? 'flag' : 'pass', epsilon: unboundedEpsilon, successRate: unboundedRate, unfooled,
    summary: unfooled > 0
      ? `at ε = ${+unboundedEpsilon.toPrecision(4)} (unbounded) ${unfooled} sample(s) resist (${pct(unboundedRate)} success): the attack, not the model, is failing`
      : `at ε = ${+unboundedEpsilon.toPrecision(4)} (unbounded) every clean-correct sample is fooled`,
  };

  const baseFooled = sweep.find((p) => p.epsilon === base.epsilon)?.fooled ?? await at(base);
  const bigger = { epsilon: base.epsilon, steps: base.steps * scale.steps, restarts: base.restarts * scale.restarts };
  const moreFooled = await at(bigger);
  const baseRate = rate(baseFooled, correct), moreRate = rate(moreFooled, correct);
  const gain = moreRate - baseRate;
  const newlyFooled = correct.filter((c, k) => c && moreFooled[k] && !baseFooled[k]).length;
  const budgetStatus: CheckStatus = gain > tolerance ? 'flag' : 'pass';
  const budget: BudgetCheck = {
    status: budgetStatus, gain, newlyFooled,
    base: { steps: base.steps, restarts: base.restarts, successRate: baseRate },
    more: { steps: bigger.steps, restarts: bigger.restarts, successRate: moreRate },
    summary: `${bigger.steps} steps × ${bigger.restarts} restarts: ${pct(moreRate)} against ${pct(baseRate)} at ${base.steps} × ${base.restarts} (${gain >= 0 ? '+' : ''}${pct(gain)}, ${newlyFooled} newly fooled)${budgetStatus === 'flag' ? `: the reported budget is not converged (tolerance ${pct(tolerance)})` : ''}`,
  };

  const gradientFooled = baseFooled.map((f, k) => f || moreFooled[k]!);
  const gradientFree = await gradientFreeCheck(o, correct, gradientFooled, tolerance, batch);
  const tramer = tramerCheck(o.tramer);
  const checks = { monotonic, unbounded, budget, gradientFree, tramer };
  return {
    attack: o.attack.name, norm: o.attack.norm, budget: base, n, cleanCorrect: correct.filter(Boolean).length, tolerance, checks,
    flagged: Object.entries(checks).filter(([, c]) => c.status === 'flag').map(([name]) => name),
  };
}
