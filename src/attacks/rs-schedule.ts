/**
 * The random-search schedule shared by Square (Andriushchenko et al. 2020) and Sparse-RS (Croce et
 * al. 2022): a fraction p (Square: of the image's pixels covered by the square; Sparse-RS: of the
 * perturbed pixels swapped) that starts at p_init and is halved at fixed iterations of a
 * 10 000-query run, the iterations rescaled proportionally for other budgets.
 */

/** the iterations of a 10 000-query run after which p is halved (Square Attack, Section 3.1) */
export const HALVING_ITERATIONS = [10, 50, 200, 500, 1000, 2000, 4000, 6000, 8000] as const;

/** the budget HALVING_ITERATIONS refer to */
export const SCHEDULE_REFERENCE_QUERIES = 10000;

/**
 * p at update t (t = 0 is the first update after the initialisation) of a run with `queries`
 * queries: t is rescaled to ⌊t·10000/queries⌋ and p_init halved once for every halving iteration
 * the rescaled t has passed (strictly: at t = 10 of a 10 000-query run p is still p_init).
 */
export function fractionAt(pInit: number, t: number, queries: number): number {
  const rescaled = Math.floor((t * SCHEDULE_REFERENCE_QUERIES) / queries);
  let halvings = 0;
  for (const at of HALVING_ITERATIONS) if (rescaled > at) halvings++;
  return pInit / 2 ** halvings;
}

/**
 * The side of Square's window for fraction p on an h×w image: round(√(p·h·w)), at least 1 and at
 * most min(h, w) − 1 (a window as large as the image would leave no room to move).
 */
export function squareSide(p: number, h: number, w: number): number {
  const side = Math.max(Math.round(Math.sqrt(p * h * w)), 1);
  return Math.max(1, Math.min(side, Math.min(h, w) - 1));
}

/** The number of pixels Sparse-RS swaps at fraction p with k perturbed pixels: max(⌊p·k⌋, 1). */
export function pixelsToSwap(p: number, k: number): number {
  return Math.min(Math.max(Math.floor(p * k), 1), k);
}
