/**
 * Tramèr's reduction (Tramèr 2022, "Detecting adversarial examples is (nearly) as hard as
 * classifying them", ICML): a detector with robust accuracy A at distance ε (on a
 * sample: the clean input is classified correctly and accepted, and every input within ε of it is
 * either classified correctly or rejected) yields a classifier, inefficient but well defined (the
 * class the detector's classifier gives the accepted input nearest in the ε/2-ball), with robust
 * accuracy at least A at ε/2. So a detector claim at ε is also a classification claim at ε/2, and a
 * claim beyond the best robust classifier known at ε/2 is implausible: more likely a weak attack
 * than a breakthrough.
 */

export interface TramerInput {
  /** the detector's robust accuracy at ε, in [0, 1] (correct and accepted clean, no accepted misclassified input within ε) */
  detectorRobustAccuracy: number;
  /** the ε of that claim, in the claim's norm */
  epsilon: number;
  /** the best robust accuracy of a classifier known at ε/2 on the same task and norm, in [0, 1] */
  bestKnownRobustAccuracy: number;
  /** where that number comes from (paper, leaderboard entry) */
  bestKnownSource: string;
  /** how far above the best known the implied accuracy may be before it is called implausible (default 0.02: evaluation noise) */
  slack?: number;
}

export interface TramerResult {
  epsilon: number;
  /** ε/2: where the implied classifier is robust */
  halfEpsilon: number;
  detectorRobustAccuracy: number;
  /** the implied (inefficient) classifier's robust accuracy at ε/2: at least the detector's at ε */
  impliedRobustAccuracy: number;
  bestKnownRobustAccuracy: number;
  bestKnownSource: string;
  /** implied − best known (positive: the claim implies a classifier beyond the best known) */
  excess: number;
  slack: number;
  /** the implied classifier beats the best known by more than the slack */
  implausible: boolean;
}

function checkFraction(name: string, v: number): void {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0 || v > 1) {
    throw new RangeError(`tramerReduction: ${name} must be a fraction in [0, 1], got ${v}`);
  }
}

export function tramerReduction(i: TramerInput): TramerResult {
  checkFraction('detectorRobustAccuracy', i.detectorRobustAccuracy);
  checkFraction('bestKnownRobustAccuracy', i.bestKnownRobustAccuracy);
  if (!(Number.isFinite(i.epsilon) && i.epsilon > 0)) throw new RangeError(`tramerReduction: epsilon must be a finite number > 0, got ${i.epsilon}`);
  const slack = i.slack ?? 0.02;
  if (!(Number.isFinite(slack) && slack >= 0)) throw new RangeError(`tramerReduction: slack must be a finite number >= 0, got ${slack}`);
  if (typeof i.bestKnownSource !== 'string' || i.bestKnownSource.trim() === '') throw new RangeError('tramerReduction: bestKnownSource must name where the best known robust accuracy comes from');
  const implied = i.detectorRobustAccuracy;
  const excess = implied - i.bestKnownRobustAccuracy;
  return {
    epsilon: i.epsilon,
    halfEpsilon: i.epsilon / 2,
    detectorRobustAccuracy: i.detectorRobustAccuracy,
    impliedRobustAccuracy: implied,
    bestKnownRobustAccuracy: i.bestKnownRobustAccuracy,
    bestKnownSource: i.bestKnownSource,
    excess,
    slack,
    implausible: excess > slack,
  };
}

/**
 * A detector's robust accuracy from per-sample outcomes: the clean input is classified correctly
 * and accepted, and the (worst-case) adversarial input is not both misclassified and accepted.
 */
export function detectorRobustAccuracy(cleanCorrect: readonly boolean[], cleanAccepted: readonly boolean[], adversarialEvades: readonly boolean[]): number {
  const n = cleanCorrect.length;
  if (cleanAccepted.length !== n || adversarialEvades.length !== n) {
    throw new RangeError(`detectorRobustAccuracy: one flag per sample in each array, got ${n}, ${cleanAccepted.length} and ${adversarialEvades.length}`);
  }
  if (n === 0) throw new RangeError('detectorRobustAccuracy: no samples');
  let robust = 0;
  for (let k = 0; k < n; k++) if (cleanCorrect[k] && cleanAccepted[k] && !adversarialEvades[k]) robust++;
  return robust / n;
}
