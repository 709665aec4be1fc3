/** The architecture and head settings of a run config, as createModel options (training and checkpoint loading share them). */
import type { ModelOptions } from '../models/zoo.js';
import type { TrainConfig } from './config.js';

export function modelOptions(c: Partial<TrainConfig>): Omit<ModelOptions, 'inputShape'> {
  const featureDim = c.featureDim ?? 2;
  return {
    head: c.loss ?? 'gm', featureDim,
    margin: c.margin, lambda: c.lambda, likelihood: c.likelihood, diagonal: c.diagonal,
    headInitStd: c.headInitGain ? c.headInitGain / Math.sqrt(featureDim) : undefined,
    normalize: c.normalize ?? null,
  };
}
