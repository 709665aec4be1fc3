/**
 * Detection and robustness metrics on the host. Convention: a higher score means "less like clean
 * data"; the detector flags score > τ. For ROC curves and AUROC the adversarial inputs are the
 * positives; "TPR" in "TNR at 95 % TPR" follows Lee et al. and means clean inputs accepted.
 */
import { DetectorError, thresholdAtTpr } from './detector.js';

type Scores = ArrayLike<number>;
type Flags = ArrayLike<boolean | number>;

function checkScores(what: string, name: string, s: Scores): void {
  for (let i = 0; i < s.length; i++) {
    if (Number.isNaN(s[i]!)) throw new DetectorError(`${what}: ${name}[${i}] is NaN`);
  }
}

/**
 * ROC-AUC of clean (negatives) vs adversarial (positives) scores: the Mann–Whitney statistic
 * P(s_adv > s_clean) + ½·P(s_adv = s_clean), computed from average ranks so ties count one half.
 */
export function rocAuc(clean: Scores, adversarial: Scores): number {
  const n0 = clean.length, n1 = adversarial.length;
  if (n0 === 0 || n1 === 0) throw new DetectorError(`rocAuc: needs at least one clean and one adversarial score (got ${n0} and ${n1})`);
  checkScores('rocAuc', 'clean', clean);
  checkScores('rocAuc', 'adversarial', adversarial);
  const all: [number, number][] = [];
  for (let i = 0; i < n0; i++) all.push([clean[i]!, 0]);
  for (let i = 0; i < n1; i++) all.push([adversarial[i]!, 1]);
  all.sort((a, b) => a[0] - b[0]);
  let rankSumPositive = 0;
  for (let i = 0; i < all.length;) {
    let j = i;
    while (j + 1 < all.length && all[j + 1]![0] === all[i]![0]) j++;
    const averageRank = (i + j) / 2 + 1; // ranks are 1-based
    for (let k = i; k <= j; k++) if (all[k]![1] === 1) rankSumPositive += averageRank;
    i = j + 1;
  }
  return (rankSumPositive - (n1 * (n1 + 1)) / 2) / (n0 * n1);
}

export interface RocPoint {
  /** flag when score >= threshold */
  threshold: number;
  /** fraction of clean inputs flagged */
  fpr: number;
  /** fraction of adversarial inputs flagged */
  tpr: number;
}

/** ROC curve from (0, 0) to (1, 1), one point per distinct score (descending thresholds). */
export function rocCurve(clean: Scores, adversarial: Scores): RocPoint[] {
  const n0 = clean.length, n1 = adversarial.length;
  if (n0 === 0 || n1 === 0) throw new DetectorError(`rocCurve: needs at least one clean and one adversarial score (got ${n0} and ${n1})`);
  checkScores('rocCurve', 'clean', clean);
  checkScores('rocCurve', 'adversarial', adversarial);
  const all: [number, number][] = [];
  for (let i = 0; i < n0; i++) all.push([clean[i]!, 0]);
  for (let i = 0; i < n1; i++) all.push([adversarial[i]!, 1]);
  all.sort((a, b) => b[0] - a[0]);
  const points: RocPoint[] = [{ threshold: Infinity, fpr: 0, tpr: 0 }];
  let fp = 0, tp = 0;
  for (let i = 0; i < all.length;) {
    const t = all[i]![0];
    while (i < all.length && all[i]![0] === t) {
      if (all[i]![1] === 1) tp++; else fp++;
      i++;
    }
    points.push({ threshold: t, fpr: fp / n0, tpr: tp / n1 });
  }
  return points;
}

/** Fraction of adversarial inputs rejected (score > τ) at the τ that accepts `tpr` of the clean ones. */
export function tnrAtTpr(clean: Scores, adversarial: Scores, tpr = 0.95): number {
  if (adversarial.length === 0) throw new DetectorError('tnrAtTpr: no adversarial scores');
  checkScores('tnrAtTpr', 'adversarial', adversarial);
  const tau = thresholdAtTpr(clean, tpr);
  let rejected = 0;
  for (let i = 0; i < adversarial.length; i++) if (adversarial[i]! > tau) rejected++;
  return rejected / adversarial.length;
}

/**
 * Balanced detection accuracy ½·(clean accepted + adversarial flagged): at τ when given, else the
 * best over all thresholds (Lee et al.'s "detection accuracy").
 */
export function detectionAccuracy(clean: Scores, adversarial: Scores, tau?: number): number {
  const n0 = clean.length, n1 = adversarial.length;
  if (n0 === 0 || n1 === 0) throw new DetectorError(`detectionAccuracy: needs at least one clean and one adversarial score (got ${n0} and ${n1})`);
  if (tau !== undefined) {
    let accepted = 0, flagged = 0;
    for (let i = 0; i < n0; i++) if (clean[i]! <= tau) accepted++;
    for (let i = 0; i < n1; i++) if (adversarial[i]! > tau) flagged++;
    return 0.5 * (accepted / n0 + flagged / n1);
  }
  // flag score >= t at each ROC point; also "flag nothing" (the first point)
  let best = 0;
  for (const p of rocCurve(clean, adversarial)) best = Math.max(best, 0.5 * (1 - p.fpr + p.tpr));
  return best;
}

function fraction(flags: Flags, mask?: Flags): number {
  let num = 0, den = 0;
  for (let i = 0; i < flags.length; i++) {
    if (mask && !mask[i]) continue;
    den++;
    if (flags[i]) num++;
  }
  return den === 0 ? NaN : num / den;
}

/** Fraction of (masked, e.g. clean-correct) samples on which the attack succeeded. */
export function attackSuccessRate(success: Flags, mask?: Flags): number {
  return fraction(success, mask);
}

/** Per sample: misclassified AND accepted (score <= τ). */
export function fooled(misclassified: Flags, scores: Scores, tau: number): boolean[] {
  if (misclassified.length !== scores.length) throw new DetectorError(`fooled: ${misclassified.length} flags but ${scores.length} scores`);
  return Array.from({ length: scores.length }, (_, i) => Boolean(misclassified[i]) && scores[i]! <= tau);
}

/** Robust error: the fraction of (masked) adversarial inputs that are misclassified and accepted. */
export function robustError(misclassified: Flags, scores: Scores, tau: number, mask?: Flags): number {
  return fraction(fooled(misclassified, scores, tau), mask);
}

export interface AttackOutcome {
  name: string;
  /** per sample: the adversarial input is misclassified (or reached its target) */
  misclassified: Flags;
  /** per sample: the detector score of the adversarial input */
  scores: Scores;
}

/**
 * The per-sample worst case over attacks: among the attacks that misclassify a sample, the one
 * with the lowest score (the most likely to be accepted); when none does, the lowest score. A
 * sample is then fooled by the worst case exactly when some attack fooled it.
 */
export function worstCaseOverAttacks(outcomes: readonly AttackOutcome[]): AttackOutcome & { attack: Int32Array } {
  if (outcomes.length === 0) throw new DetectorError('worstCaseOverAttacks: no attacks');
  const n = outcomes[0]!.scores.length;
  for (const o of outcomes) {
    if (o.scores.length !== n || o.misclassified.length !== n) {
      throw new DetectorError(`worstCaseOverAttacks: attack '${o.name}' has ${o.misclassified.length} flags and ${o.scores.length} scores, expected ${n}`);
    }
  }
  const misclassified: boolean[] = new Array<boolean>(n);
  const scores = new Float64Array(n);
  const attack = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    let pick = -1;
    for (let a = 0; a < outcomes.length; a++) {
      const o = outcomes[a]!;
      const better = pick < 0
        || (Boolean(o.misclassified[i]) && !outcomes[pick]!.misclassified[i])
        || (Boolean(o.misclassified[i]) === Boolean(outcomes[pick]!.misclassified[i]) && o.scores[i]! < outcomes[pick]!.scores[i]!);
      if (better) pick = a;
    }
    attack[i] = pick;
    misclassified[i] = Boolean(outcomes[pick]!.misclassified[i]);
    scores[i] = outcomes[pick]!.scores[i]!;
  }
  return { name: 'worst case', misclassified, scores, attack };
}

export interface DetectionRow {
  name: string;
  /** samples evaluated (after the mask) */
  samples: number;
  attackSuccessRate: number;
  /** successful adversarial inputs flagged at τ */
  detectionRate: number;
  /** clean vs successful adversarial (NaN when no attack succeeded) */
  auroc: number;
  tnrAt95Tpr: number;
  detectionAccuracy: number;
  /** misclassified and accepted, over all evaluated samples */
  robustError: number;
}

export interface DetectionReport {
  tau: number;
  perAttack: DetectionRow[];
  worstCase: DetectionRow;
}

/**
 * The detection row of one attack (or of a worst case): success, detection at τ, clean vs successful
 * adversarial ROC numbers and robust error. cleanScores: scores of the clean, correctly classified
 * inputs (what τ was calibrated on). mask: the samples to evaluate (typically those classified
 * correctly when clean).
 */
export function detectionRow(cleanScores: Scores, tau: number, o: AttackOutcome, mask?: Flags): DetectionRow {
  const successful: number[] = [];
  let samples = 0, flagged = 0;
  for (let i = 0; i < o.scores.length; i++) {
    if (mask && !mask[i]) continue;
    samples++;
    if (o.misclassified[i]) {
      successful.push(o.scores[i]!);
      if (o.scores[i]! > tau) flagged++;
    }
  }
  const any = successful.length > 0 && cleanScores.length > 0;
  return {
    name: o.name,
    samples,
    attackSuccessRate: attackSuccessRate(o.misclassified, mask),
    detectionRate: successful.length ? flagged / successful.length : NaN,
    auroc: any ? rocAuc(cleanScores, successful) : NaN,
    tnrAt95Tpr: any ? tnrAtTpr(cleanScores, successful, 0.95) : NaN,
    detectionAccuracy: any ? detectionAccuracy(cleanScores, successful) : NaN,
    robustError: robustError(o.misclassified, o.scores, tau, mask),
  };
}

/**
 * One row per attack and the per-sample worst case over all of them (pass the attacks of one
 * threat model: a worst case over several norms answers no threat model's question).
 */
export function detectionReport(cleanScores: Scores, tau: number, outcomes: readonly AttackOutcome[], mask?: Flags): DetectionReport {
  const row = (o: AttackOutcome) => detectionRow(cleanScores, tau, o, mask);
  return { tau, perAttack: outcomes.map(row), worstCase: row(worstCaseOverAttacks(outcomes)) };
}

export interface OperatingPointReport extends DetectionReport {
  /** the fraction of clean inputs τ accepts */
  tpr: number;
}

/**
 * detectionReport at each operating point, τ the threshold accepting `tpr` of the clean scores
 * (default 95 % and 99 %, the two the robustness tables report).
 */
export function detectionReportsAtTprs(cleanScores: Scores, outcomes: readonly AttackOutcome[], mask?: Flags,
  tprs: readonly number[] = [0.95, 0.99]): OperatingPointReport[] {
  return tprs.map((tpr) => ({ tpr, ...detectionReport(cleanScores, thresholdAtTpr(cleanScores, tpr), outcomes, mask) }));
}
