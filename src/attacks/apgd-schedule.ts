/**
 * APGD's checkpoints (Croce & Hein 2020, §3.2): the fractions p_0 = 0, p_1 = 0.22,
 * p_{j+1} = p_j + max(p_j − p_{j−1} − 0.03, 0.06) of the iteration budget, while p_j ≤ 1; checkpoint
 * w_j = ⌈p_j·N_iter⌉. The intervals shrink from 22 % of the budget to 6 %: long exploration first,
 * then frequent chances to halve the step.
 */

/** the published fractions p_0, p_1, ... (p_j ≤ 1), rounded to 1e-9 so that 0.41 is 0.41 */
export function checkpointFractions(): number[] {
  const p = [0, 0.22];
  for (;;) {
    const j = p.length - 1;
    const next = Math.round((p[j]! + Math.max(p[j]! - p[j - 1]! - 0.03, 0.06)) * 1e9) / 1e9;
    if (next > 1) return p;
    p.push(next);
  }
}

/** the checkpoints w_0 = 0 < w_1 < ... for a budget of `steps` iterations (duplicates from rounding removed) */
export function apgdCheckpoints(steps: number): number[] {
  const out: number[] = [];
  for (const p of checkpointFractions()) {
    // p·N is a decimal product: keep 0.57·100 from landing on 57.000000000000007 and rounding up to 58
    const w = Math.ceil(Math.round(p * steps * 1e6) / 1e6);
    if (out.length === 0 || w > out[out.length - 1]!) out.push(w);
  }
  return out;
}
