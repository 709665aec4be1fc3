/**
 * ROC curves from raw detection scores, with the conventions of src/detect/metrics.ts (re-derived
 * here because the report must not import the engine): adversarial inputs are the positives, a
 * higher score means "less like clean data", and "TNR at 95 % TPR" (Lee et al.) is the fraction of
 * adversarial inputs flagged at the τ that accepts 95 % of the clean inputs.
 */

export interface RocPoint {
  /** fraction of clean inputs flagged */
  fpr: number;
  /** fraction of adversarial inputs flagged */
  tpr: number;
}

export interface RocCurve {
  name: string;
  /** from (0, 0) to (1, 1), fpr non-decreasing */
  points: RocPoint[];
  auroc: number;
  /** the operating point at which 95 % of the clean inputs are accepted (tpr = TNR@95) */
  at95?: RocPoint;
}

/** The clean-score threshold that accepts `cleanTpr` of the clean inputs (as thresholdAtTpr). */
export function thresholdAt(clean: ArrayLike<number>, cleanTpr: number): number {
  const sorted = Float64Array.from(clean).sort();
  const k = Math.min(sorted.length, Math.max(1, Math.ceil(cleanTpr * sorted.length - 1e-9)));
  return sorted[k - 1]!;
}

/**
 * One point per distinct score (flag score ≥ t for descending t), the trapezoid AUROC (equal to the
 * Mann–Whitney statistic with ties counted one half), and the 95 % operating point.
 */
export function rocFromScores(name: string, clean: ArrayLike<number>, adversarial: ArrayLike<number>): RocCurve {
  const n0 = clean.length, n1 = adversarial.length;
  if (n0 === 0 || n1 === 0) throw new Error(`rocFromScores('${name}'): needs clean and adversarial scores (got ${n0} and ${n1})`);
  const all: [number, number][] = [];
  for (let i = 0; i < n0; i++) all.push([clean[i]!, 0]);
  for (let i = 0; i < n1; i++) all.push([adversarial[i]!, 1]);
  all.sort((a, b) => b[0] - a[0]);
  const points: RocPoint[] = [{ fpr: 0, tpr: 0 }];
  let fp = 0, tp = 0, auc = 0;
  for (let i = 0; i < all.length;) {
    const t = all[i]![0];
    while (i < all.length && all[i]![0] === t) { if (all[i]![1] === 1) tp++; else fp++; i++; }
    const prev = points[points.length - 1]!;
    const p = { fpr: fp / n0, tpr: tp / n1 };
    auc += (p.fpr - prev.fpr) * (p.tpr + prev.tpr) / 2;
    points.push(p);
  }
  const tau = thresholdAt(clean, 0.95);
  let flaggedClean = 0, flaggedAdv = 0;
  for (let i = 0; i < n0; i++) if (clean[i]! > tau) flaggedClean++;
  for (let i = 0; i < n1; i++) if (adversarial[i]! > tau) flaggedAdv++;
  return { name, points, auroc: auc, at95: { fpr: flaggedClean / n0, tpr: flaggedAdv / n1 } };
}

/**
 * Drop points closer than `minStep` (in unit-square distance) to the last kept one: ROC curves of
 * thousands of scores have thousands of points but only a few hundred pixels. Ends are kept.
 */
export function simplifyRoc(points: readonly RocPoint[], minStep = 0.002): RocPoint[] {
  if (points.length <= 2) return points.slice();
  const out: RocPoint[] = [points[0]!];
  for (let i = 1; i < points.length - 1; i++) {
    const p = points[i]!, last = out[out.length - 1]!;
    if (Math.abs(p.fpr - last.fpr) + Math.abs(p.tpr - last.tpr) >= minStep) out.push(p);
  }
  out.push(points[points.length - 1]!);
  return out;
}
