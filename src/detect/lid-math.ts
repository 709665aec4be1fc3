/**
 * The maximum-likelihood LID estimate (Amsaleg et al. 2015, as used by Ma et al. 2018) on the
 * device: LID(f) = −((1/k) Σᵢ log(rᵢ/r_k))⁻¹ over the distances r₁ ≤ … ≤ r_k to the k nearest
 * reference points. The choice of the neighbours is an index choice (not differentiated); the
 * distances to the chosen ones are exact tensor expressions, differentiable in f. Everything runs
 * as tensor ops, so it works on backends without synchronous readback.
 */
import { detach } from '../ops/shape.js';
import type { Tensor } from '../core/tensor.js';
import { add, div, le, sub, where } from '../ops/binary.js';
import { oneHot } from '../ops/indexing.js';
import { linear, matmul } from '../ops/linalg.js';
import { argmin, sum } from '../ops/reduce.js';
import { concat, narrow } from '../ops/shape.js';
import { affine, clamp, log, square } from '../ops/unary.js';

/** finite (WGSL has no guaranteed infinities) and far above any real squared distance */
const FAR = 3.4028234663852886e38;
/** floor under squared distances inside log (a neighbour at distance 0 would give log 0) */
const SQ_FLOOR = 1e-30;

/**
 * Squared distances [N, k] from each query row to its k nearest reference rows, ascending.
 * Reference rows within `duplicateBelow` (squared) of the query are skipped: they are the query
 * itself (a clean sample scored against a reference drawn from the same data).
 */
export function nearestSquaredDistances(query: Tensor, reference: Tensor, referenceSqNorms: Tensor, k: number, duplicateBelow: number): Tensor {
  const r = reference.shape[0]!;
  const fixed = detach(query);
  // ‖q − r‖² = ‖q‖² + ‖r‖² − 2 q·r, only to rank the neighbours
  let ranking = sub(add(sum(square(fixed), 1, true), referenceSqNorms), affine(linear(fixed, reference), 2, 0));
  ranking = where(le(ranking, duplicateBelow), FAR, ranking);
  const columns: Tensor[] = [];
  for (let i = 0; i < k; i++) {
    const pick = oneHot(argmin(ranking, 1), r, query.dtype as 'float32' | 'float64');
    const neighbour = matmul(pick, reference);
    columns.push(sum(square(sub(query, neighbour)), 1, true));
    ranking = where(pick, FAR, ranking);
  }
  return concat(columns, 1);
}

/** LID [N] from ascending squared distances [N, k]: 2k / Σᵢ (log r_k² − log rᵢ²) (= −k / Σᵢ log(rᵢ/r_k)) */
export function lidFromSquaredDistances(sq: Tensor): Tensor {
  const k = sq.shape[1]!;
  const logs = log(clamp(sq, SQ_FLOOR, Infinity));
  const spread = sum(sub(narrow(logs, 1, k - 1, 1), logs), 1);
  // all k neighbours equidistant: the estimate diverges; cap it instead of dividing by 0
  return div(2 * k, clamp(spread, 1e-12, Infinity));
}
