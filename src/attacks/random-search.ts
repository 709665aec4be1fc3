/**
 * The batched random search behind Square and Sparse-RS: every sample starts from an
 * initialisation, then each iteration proposes one candidate per sample that has not yet
 * succeeded, evaluates all those candidates with one model query, and keeps a candidate only when
 * it lowers that sample's loss. The kept loss therefore never increases, and a sample stops
 * spending queries once it succeeds.
 */
import type { ScoredBatch } from './score-query.js';

export interface SearchProblem<C> {
  /** samples in the batch */
  readonly samples: number;
  /** samples already successful before any query (e.g. misclassified clean inputs): left alone, 0 queries */
  readonly doneAtStart: readonly boolean[];
  /** the starting candidate of a sample (always kept: it is the search's first point) */
  init(sample: number): C;
  /** a new candidate for a sample from its best so far; t counts updates from 0 */
  propose(sample: number, best: C, t: number): C;
  /** one model query for the candidates of these samples */
  evaluate(samples: readonly number[], candidates: readonly C[]): Promise<ScoredBatch>;
}

export interface SearchOptions {
  /** the query budget per sample, the initialisation's query included */
  queries: number;
  /** after the initialisation (t = −1) and after every update t: the best loss per sample so far */
  onIteration?: (t: number, bestLoss: Float64Array) => void;
}

export interface SearchResult<C> {
  /** per sample: the best candidate, or null for a sample done at the start */
  best: (C | null)[];
  /** per sample: its loss (NaN for samples done at the start, which were never queried) */
  loss: Float64Array;
  success: boolean[];
  /** per sample: model queries spent on it */
  queries: Int32Array;
}

export async function randomSearch<C>(problem: SearchProblem<C>, options: SearchOptions): Promise<SearchResult<C>> {
  const n = problem.samples;
  const best: (C | null)[] = new Array(n).fill(null);
  const loss = new Float64Array(n).fill(NaN);
  const success = problem.doneAtStart.slice(0, n);
  const queries = new Int32Array(n);

  const pending = () => Array.from({ length: n }, (_, i) => i).filter((i) => !success[i]);
  const started = pending();
  if (started.length > 0) {
    const candidates = started.map((i) => problem.init(i));
    const scored = await problem.evaluate(started, candidates);
    started.forEach((i, r) => {
      best[i] = candidates[r]!;
      loss[i] = scored.loss[r]!;
      success[i] = scored.success[r]!;
      queries[i]++;
    });
  }
  options.onIteration?.(-1, loss.slice());

  for (let t = 0; t < options.queries - 1; t++) {
    const active = pending();
    if (active.length === 0) break;
    const candidates = active.map((i) => problem.propose(i, best[i]!, t));
    const scored = await problem.evaluate(active, candidates);
    active.forEach((i, r) => {
      queries[i]++;
      // strictly lower only: an equal loss keeps the old point (the search does not drift on plateaus)
      if (scored.loss[r]! < loss[i]!) {
        best[i] = candidates[r]!;
        loss[i] = scored.loss[r]!;
        success[i] = scored.success[r]!;
      }
    });
    options.onIteration?.(t, loss.slice());
  }
  return { best, loss, success, queries };
}
