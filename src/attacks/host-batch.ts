/**
 * The batch on the host for the score-based attacks (Square, Sparse-RS): their random search runs
 * on plain arrays, one row per sample, and only the model queries touch the backend.
 */
import { keep } from '../core/scope.js';
import type { Tensor } from '../core/tensor.js';
import { tensor } from '../ops/creation.js';
import type { AttackContext } from './context.js';
import { scoreLogits } from './score-query.js';

/** the per-sample image of x as flat host arrays (one copy of the batch) */
export async function hostSamples(ctx: AttackContext): Promise<Float64Array[]> {
  const all = await ctx.x.data();
  const n = ctx.x.shape[0]!, size = all.length / n;
  return Array.from({ length: n }, (_, i) => Float64Array.from(all.subarray(i * size, (i + 1) * size)));
}

/** labels, targets and which samples already meet the goal on the clean input (no query spent on them) */
export async function searchTargets(ctx: AttackContext): Promise<{ labels: Int32Array; targets: Int32Array | null; doneAtStart: boolean[] }> {
  const labels = Int32Array.from(await ctx.labels.data());
  const targets = ctx.targets ? Int32Array.from(await ctx.targets.data()) : null;
  const clean = await ctx.cleanLogits.data();
  const doneAtStart = scoreLogits(clean, ctx.numClasses, Array.from(labels, (_, i) => i), labels, targets).success;
  return { labels, targets, doneAtStart };
}

/** the batch [N, ...x.shape[1:]] from per-sample rows (x's own row where a sample has none), kept */
export function batchFromRows(ctx: AttackContext, rows: readonly (Float64Array | null)[], clean: readonly Float64Array[]): Tensor {
  const size = clean[0]!.length;
  const flat = ctx.x.dtype === 'float32' ? new Float32Array(rows.length * size) : new Float64Array(rows.length * size);
  rows.forEach((r, i) => flat.set(r ?? clean[i]!, i * size));
  return keep(tensor(flat, { dtype: ctx.x.dtype, backend: ctx.x.backend, shape: [...ctx.x.shape] }));
}

