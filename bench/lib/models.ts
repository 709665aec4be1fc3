/**
 * The networks the training and attack benchmarks run, built identically on every gmgrad backend
 * (same seeded generator) and, for TF.js, translated from a copy built on the CPU reference.
 */
import { createBackend, createModel, Generator, type Backend, type Classifier, type ModelName } from '../../src/index.js';

export interface ModelSpec {
  name: ModelName;
  label: string;
  /** [C, H, W] */
  inputShape: [number, number, number];
  featureDim: number;
  /**
   * approximate FLOPs of one training step per image (forward ≈ a third: the backward does the
   * input and the weight gradient); only used to skip cells that would take too long
   */
  trainFlopPerImage: number;
  /** the GM head's margin and likelihood weight (the authors' recipes) */
  alpha: number;
  lambda: number;
}

export const MODEL_SPECS: Record<'small-cnn' | 'lenet' | 'mnist-6conv' | 'resnet20', ModelSpec> = {
  'small-cnn': { name: 'small-cnn', label: 'small CNN (MNIST)', inputShape: [1, 28, 28], featureDim: 10, trainFlopPerImage: 3 * 23.5e6, alpha: 1, lambda: 0.1 },
  // the demo's network: small-cnn's layers, unpadded
  lenet: { name: 'lenet', label: 'LeNet (MNIST, demo)', inputShape: [1, 28, 28], featureDim: 10, trainFlopPerImage: 3 * 8.0e6, alpha: 1, lambda: 0.1 },
  // the GM authors' MNIST network with its 2-D feature (the paper's scatter plots)
  'mnist-6conv': { name: 'mnist-6conv', label: '6-conv (MNIST, paper)', inputShape: [1, 28, 28], featureDim: 2, trainFlopPerImage: 3 * 162e6, alpha: 1, lambda: 0.1 },
  resnet20: { name: 'resnet20', label: 'ResNet-20 (CIFAR, paper)', inputShape: [3, 32, 32], featureDim: 64, trainFlopPerImage: 3 * 82e6, alpha: 0.3, lambda: 0.1 },
};

export const MODEL_SEED = 1234;

export function buildModel(spec: ModelSpec, head: 'gm' | 'softmax', backend: Backend): Classifier {
  return createModel(spec.name, {
    head, featureDim: spec.featureDim, inputShape: spec.inputShape, backend, generator: new Generator(MODEL_SEED),
    margin: spec.alpha, lambda: spec.lambda, likelihood: 'true-class',
  });
}

/** the same weights, on the CPU reference, for TF.js to copy */
export async function referenceModel(spec: ModelSpec, head: 'gm' | 'softmax'): Promise<Classifier> {
  return buildModel(spec, head, await createBackend('cpu'));
}
