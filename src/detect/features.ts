/** Penultimate features of a batch of inputs, read back to the host in float64 (for fitting detectors). */
import { noGrad } from '../core/autograd.js';
import { tidy } from '../core/scope.js';
import { formatShape } from '../core/shape.js';
import type { Tensor } from '../core/tensor.js';
import type { FeatureModel } from '../attacks/model.js';
import { DetectorError, forEachBatch } from './detector.js';

export interface HostFeatures {
  /** [n·dim] row-major */
  values: Float64Array;
  n: number;
  dim: number;
}

/** model.features(x) in eval mode, batched, as float64 rows; `map` may replace the features (e.g. by the logits). */
export async function collectFeatures(model: FeatureModel, x: Tensor, batchSize: number | undefined, what: string,
  map: (features: Tensor) => Tensor = (f) => f): Promise<HostFeatures> {
  const chunks: Float64Array[] = [];
  let dim = -1, n = 0;
  await forEachBatch(model, x, batchSize, what, async (xb) => {
    const f = tidy(() => noGrad(() => map(model.features(xb))));
    try {
      if (f.rank !== 2) throw new DetectorError(`${what}: features must be [N, D], got ${formatShape(f.shape)}`);
      dim = f.shape[1]!;
      chunks.push(Float64Array.from(await f.data()));
      n += f.shape[0]!;
    } finally {
      // an identity backbone hands back the input batch itself, which is not ours to free
      if (f !== xb) f.dispose();
    }
  });
  if (n === 0) throw new DetectorError(`${what}: no samples`);
  const values = new Float64Array(n * dim);
  let offset = 0;
  for (const c of chunks) { values.set(c, offset); offset += c.length; }
  return { values, n, dim };
}

/** int32 labels [N] matching x, read to the host */
export async function hostLabels(what: string, x: Tensor, labels: Tensor): Promise<Int32Array> {
  if (labels.dtype !== 'int32' || labels.rank !== 1 || labels.shape[0] !== x.shape[0]) {
    throw new DetectorError(`${what}: labels must be int32 [${x.shape[0]}], got ${labels.dtype} ${formatShape(labels.shape)}`);
  }
  return Int32Array.from(await labels.data());
}
