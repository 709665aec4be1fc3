/**
 * The models the page offers, all from the engine's zoo so that a checkpoint moves freely between
 * the page and `gmgrad train` / `gmgrad eval`: small-cnn (the default on a GPU), lenet (its layers
 * unpadded, a third of the work: the demo's network), tiny-cnn (the default on software adapters
 * and CPUs, ~20× fewer multiply-adds) and mnist-6conv (the authors' network, for a real GPU).
 */
import { createModel, decodeModel, type Backend, type Classifier, type ModelName } from '../../../src/index.js';
import type { TrainConfig } from '../../../src/train/config.js';

export type PageModelName = Extract<ModelName, 'small-cnn' | 'lenet' | 'tiny-cnn' | 'mnist-6conv'>;

export const PAGE_MODELS: { id: PageModelName; label: string }[] = [
  { id: 'small-cnn', label: 'small-cnn (2 conv + 2 fc)' },
  { id: 'lenet', label: 'lenet (small-cnn unpadded; the demo’s network)' },
  { id: 'tiny-cnn', label: 'tiny-cnn (fast, for slow adapters)' },
  { id: 'mnist-6conv', label: 'mnist-6conv (the authors’ network; needs a real GPU)' },
];

export interface PageModelOptions {
  inputShape: number[];
  featureDim: number;
  backend: Backend;
  alpha: number;
  lambda: number;
  numClasses?: number;
}

export function isPageModel(name: string | null): name is PageModelName {
  return PAGE_MODELS.some((m) => m.id === name);
}

export function createPageModel(name: PageModelName, o: PageModelOptions): Classifier {
  return createModel(name, {
    head: 'gm', featureDim: o.featureDim, inputShape: o.inputShape, backend: o.backend, margin: o.alpha, lambda: o.lambda, numClasses: o.numClasses,
  });
}

export interface DecodedModel {
  model: Classifier;
  config: Partial<TrainConfig>;
  metadata: Record<string, string>;
}

/** A checkpoint as `gmgrad train` writes it (any zoo model; the page then checks it fits). */
export function decodePageModel(bytes: Uint8Array, backend: Backend, source: string): DecodedModel {
  return decodeModel(bytes, backend, source);
}
