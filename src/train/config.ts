/** A training run's configuration, with the GM authors' recipes as defaults per dataset. */
import type { GMLikelihood } from '../core/backend.js';
import type { BackendChoice } from '../core/engine.js';
import type { ModelName } from '../models/zoo.js';

export interface TrainConfig {
  dataset: 'mnist' | 'fashion-mnist' | 'cifar10';
  model: ModelName;
  featureDim: number;
  loss: 'gm' | 'softmax';
  alpha: number;
  lambda: number;
  likelihood: GMLikelihood;
  diagonal: boolean;
  epochs: number;
  batch: number;
  optimizer: 'sgd' | 'adam' | 'adamw';
  lr: number;
  momentum: number;
  nesterov: boolean;
  weightDecay: number;
  schedule: 'step' | 'multistep' | 'cosine' | 'constant';
  lrStep: number;
  lrGamma: number;
  milestones: number[];
  warmupEpochs: number;
  /** α/λ ramp (authors: 5 epochs on MNIST, 30 on CIFAR-10) */
  rampEpochs: number;
  /** learning-rate multiplier of the GM class means */
  meansLrScale: number;
  clipNorm: number;
  augment: boolean;
  seed: number;
  backend: BackendChoice;
  threads?: number;
  /** use only the first N training images (stratified), 0 = all */
  limit: number;
  testLimit: number;
  dataDir?: string;
  out: string;
}

export function defaultConfig(dataset: TrainConfig['dataset'] = 'mnist'): TrainConfig {
  const base: TrainConfig = {
    dataset, model: 'mnist-6conv', featureDim: 2, loss: 'gm', alpha: 1, lambda: 0.1, likelihood: 'true-class',
    diagonal: false, epochs: 50, batch: 64, optimizer: 'sgd', lr: 0.01, momentum: 0.9, nesterov: true,
    weightDecay: 1e-3, schedule: 'step', lrStep: 5, lrGamma: 0.7, milestones: [], warmupEpochs: 0,
    rampEpochs: 5, meansLrScale: 1, clipNorm: 0, augment: false, seed: 0, backend: 'auto', limit: 0,
    testLimit: 0, out: 'runs/latest',
  };
  if (dataset === 'cifar10') {
    return {
      ...base, model: 'resnet20', featureDim: 64, alpha: 0.3, lambda: 0.1, likelihood: 'true-class-sq',
      epochs: 300, batch: 128, lr: 0.1, weightDecay: 5e-4, schedule: 'multistep', milestones: [150, 225],
      lrGamma: 0.1, rampEpochs: 30, augment: true,
    };
  }
  return base;
}
