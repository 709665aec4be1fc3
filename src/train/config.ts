/** A training run's configuration, with the GM authors' recipes as defaults per dataset. */
import type { GMLikelihood } from '../core/backend.js';
import type { BackendChoice } from '../core/engine.js';
import { checkValue, SEED_RULE, type ValueRule } from '../core/value-rules.js';
import { MODEL_NAMES, type ModelName } from '../models/zoo.js';

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

export const DATASET_NAMES = ['mnist', 'fashion-mnist', 'cifar10'] as const;
export const BACKEND_CHOICES = ['auto', 'webgpu', 'wasm', 'cpu'] as const;

/** The values each field accepts (the train command's flags take their rules from here). */
export const CONFIG_RULES = {
  dataset: { type: 'string', choices: DATASET_NAMES },
  model: { type: 'string', choices: MODEL_NAMES },
  featureDim: { type: 'integer', min: 1, max: 65536 },
  loss: { type: 'string', choices: ['gm', 'softmax'] },
  alpha: { type: 'number', min: 0 },
  lambda: { type: 'number', min: 0 },
  likelihood: { type: 'string', choices: ['true-class', 'true-class-sq', 'all-class'] },
  diagonal: { type: 'boolean' },
  epochs: { type: 'integer', min: 1, max: 1_000_000 },
  batch: { type: 'integer', min: 1, max: 1_000_000 },
  optimizer: { type: 'string', choices: ['sgd', 'adam', 'adamw'] },
  lr: { type: 'number', min: 0, exclusiveMin: true },
  momentum: { type: 'number', min: 0, max: 1 },
  nesterov: { type: 'boolean' },
  weightDecay: { type: 'number', min: 0 },
  schedule: { type: 'string', choices: ['step', 'multistep', 'cosine', 'constant'] },
  lrStep: { type: 'number', min: 0, exclusiveMin: true },
  lrGamma: { type: 'number', min: 0, exclusiveMin: true },
  milestones: { type: 'integers', min: 1, minItems: 0 },
  warmupEpochs: { type: 'number', min: 0 },
  rampEpochs: { type: 'number', min: 0 },
  meansLrScale: { type: 'number', min: 0 },
  clipNorm: { type: 'number', min: 0 },
  augment: { type: 'boolean' },
  seed: { ...SEED_RULE, type: 'integer' },
  backend: { type: 'string', choices: BACKEND_CHOICES },
  threads: { type: 'integer', min: 1, max: 1024 },
  limit: { type: 'integer', min: 0 },
  testLimit: { type: 'integer', min: 0 },
  dataDir: { type: 'string' },
  out: { type: 'string' },
} as const satisfies { [K in keyof TrainConfig]-?: ValueRule };

const OPTIONAL: readonly (keyof TrainConfig)[] = ['threads', 'dataDir'];

/** Check every field of a configuration; the error names the field, what it accepts and what it got. */
export function checkTrainConfig(c: TrainConfig): void {
  if (typeof c !== 'object' || c === null) throw new Error(`TrainConfig must be an object, got ${c === null ? 'null' : typeof c}`);
  for (const [key, rule] of Object.entries(CONFIG_RULES) as [keyof TrainConfig, ValueRule][]) {
    if (c[key] === undefined && OPTIONAL.includes(key)) continue;
    checkValue(`TrainConfig.${key}`, rule, c[key]);
  }
  const m = c.milestones;
  for (let i = 1; i < m.length; i++) {
    if (m[i]! <= m[i - 1]!) throw new Error(`TrainConfig.milestones must increase, got ${m.join(',')}`);
  }
}
