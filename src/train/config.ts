/**
 * A training run's configuration and gmgrad's base settings per dataset. The base settings are not
 * a paper recipe: the authors' recipes are the files in `recipes/` (each citing its source), which
 * `gmgrad train --recipe NAME` starts from and which, for MNIST and CIFAR-10, `gmgrad train` uses
 * by default.
 */
import type { GMLikelihood } from '../core/backend.js';
import type { BackendChoice } from '../core/engine.js';
import type { InputNormalization } from '../models/classifier.js';
import { checkValue, SEED_RULE, type ValueRule } from '../core/value-rules.js';
import { MODEL_NAMES, type ModelName } from '../models/zoo.js';

export interface TrainConfig {
  dataset: 'mnist' | 'fashion-mnist' | 'cifar10';
  model: ModelName;
  featureDim: number;
  loss: 'gm' | 'softmax';
  /** the GM margin (the paper's α) on the true class's distance, training only */
  margin: number;
  /** the GM likelihood weight λ */
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
  schedule: 'step' | 'multistep' | 'cosine' | 'onecycle' | 'constant';
  lrStep: number;
  lrGamma: number;
  milestones: number[];
  /** linear learning-rate warm-up (step, multistep, cosine); one-cycle: the epoch of the peak */
  warmupEpochs: number;
  /** margin/λ ramp from 10 % / 1 % of their final values (authors: 5 epochs on MNIST, 30 on CIFAR-10) */
  rampEpochs: number;
  /** 'epoch': the ramp's value changes once per epoch (the authors' code); 'step': every step */
  rampEvery: 'epoch' | 'step';
  /** learning-rate multiplier of the GM class means */
  meansLrScale: number;
  /** head initialised from N(0, (gain/√D)²) (the authors' Kaiming-normal draws); 0: the layer's own default */
  headInitGain: number;
  /** per-channel normalisation inside the model (it still takes [0, 1] images); null: none */
  normalize: InputNormalization | null;
  clipNorm: number;
  augment: boolean;
  /** adversarial training: 'pgd' (PGD-AT, Madry et al. 2018), 'trades' (Zhang et al. 2019) or 'none' */
  adversarial: AdversarialMode;
  /** the training attack's budget ε in its norm (required, > 0, when adversarial is on) */
  advEps: number;
  /** the training attack's iterations */
  advSteps: number;
  /** the training attack's step size; 0: PGD's default 2.5·ε/steps */
  advStepSize: number;
  /** the training attack's threat model */
  advNorm: 'linf' | 'l2';
  /** TRADES: the weight β of KL(p(clean) ‖ p(adv)) */
  tradesBeta: number;
  seed: number;
  backend: BackendChoice;
  threads?: number;
  /** use only the first N training images (stratified), 0 = all */
  limit: number;
  testLimit: number;
  dataDir?: string;
  out: string;
  /** the recipe the run started from, if any */
  recipe?: string;
}

/** gmgrad's base settings for a dataset (Nesterov SGD, the paper's networks; not a paper recipe). */
export function defaultConfig(dataset: TrainConfig['dataset'] = 'mnist'): TrainConfig {
  const base: TrainConfig = {
    dataset, model: 'mnist-6conv', featureDim: 2, loss: 'gm', margin: 1, lambda: 0.1, likelihood: 'true-class',
    diagonal: false, epochs: 50, batch: 64, optimizer: 'sgd', lr: 0.01, momentum: 0.9, nesterov: true,
    weightDecay: 1e-3, schedule: 'step', lrStep: 5, lrGamma: 0.7, milestones: [], warmupEpochs: 0,
    rampEpochs: 5, rampEvery: 'step', meansLrScale: 1, headInitGain: 0, normalize: null, clipNorm: 0, augment: false,
    adversarial: 'none', advEps: 0, advSteps: 10, advStepSize: 0, advNorm: 'linf', tradesBeta: 6,
    seed: 0, backend: 'auto', limit: 0, testLimit: 0, out: 'runs/latest',
  };
  if (dataset === 'cifar10') {
    return {
      ...base, model: 'resnet20', featureDim: 64, margin: 0.3, lambda: 0.1, likelihood: 'true-class-sq',
      epochs: 300, batch: 128, lr: 0.1, weightDecay: 5e-4, schedule: 'multistep', milestones: [150, 225],
      lrGamma: 0.1, rampEpochs: 30, augment: true,
    };
  }
  return base;
}

export const ADVERSARIAL_MODES = ['none', 'pgd', 'trades'] as const;
export type AdversarialMode = (typeof ADVERSARIAL_MODES)[number];

/** The configuration fields of adversarial training (no part of a run's identity while it is off). */
export const ADVERSARIAL_FIELDS = ['adversarial', 'advEps', 'advSteps', 'advStepSize', 'advNorm', 'tradesBeta'] as const satisfies readonly (keyof TrainConfig)[];

/** The train command's flag of each field whose name is not the field's own in kebab case. */
const FIELD_FLAGS: Partial<Record<keyof TrainConfig, string>> = {
  margin: 'alpha', dataDir: 'data', advEps: 'eps', advSteps: 'steps', advStepSize: 'step-size', tradesBeta: 'beta',
};

/** featureDim → --feature-dim, margin → --alpha, advEps → --eps (for messages that name a field). */
export function flagOfField(field: string): string {
  return `--${FIELD_FLAGS[field as keyof TrainConfig] ?? field.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
}

export const DATASET_NAMES = ['mnist', 'fashion-mnist', 'cifar10'] as const;
export const BACKEND_CHOICES = ['auto', 'webgpu', 'wasm', 'cpu'] as const;

/** The values each field accepts (the train command's flags take their rules from here). */
export const CONFIG_RULES = {
  dataset: { type: 'string', choices: DATASET_NAMES },
  model: { type: 'string', choices: MODEL_NAMES },
  featureDim: { type: 'integer', min: 1, max: 65536 },
  loss: { type: 'string', choices: ['gm', 'softmax'] },
  margin: { type: 'number', min: 0 },
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
  schedule: { type: 'string', choices: ['step', 'multistep', 'cosine', 'onecycle', 'constant'] },
  lrStep: { type: 'number', min: 0, exclusiveMin: true },
  lrGamma: { type: 'number', min: 0, exclusiveMin: true },
  milestones: { type: 'integers', min: 1, minItems: 0 },
  warmupEpochs: { type: 'number', min: 0 },
  rampEpochs: { type: 'number', min: 0 },
  rampEvery: { type: 'string', choices: ['epoch', 'step'] },
  meansLrScale: { type: 'number', min: 0 },
  headInitGain: { type: 'number', min: 0 },
  clipNorm: { type: 'number', min: 0 },
  augment: { type: 'boolean' },
  adversarial: { type: 'string', choices: ADVERSARIAL_MODES },
  advEps: { type: 'number', min: 0 },
  advSteps: { type: 'integer', min: 1, max: 100_000 },
  advStepSize: { type: 'number', min: 0 },
  advNorm: { type: 'string', choices: ['linf', 'l2'] },
  tradesBeta: { type: 'number', min: 0 },
  seed: { ...SEED_RULE, type: 'integer' },
  backend: { type: 'string', choices: BACKEND_CHOICES },
  threads: { type: 'integer', min: 1, max: 1024 },
  limit: { type: 'integer', min: 0 },
  testLimit: { type: 'integer', min: 0 },
  dataDir: { type: 'string' },
  out: { type: 'string' },
  recipe: { type: 'string' },
} as const satisfies { [K in Exclude<keyof TrainConfig, 'normalize'>]-?: ValueRule };

const OPTIONAL: readonly (keyof TrainConfig)[] = ['threads', 'dataDir', 'recipe'];

/** Check every field of a configuration; the error names the field, what it accepts and what it got. */
export function checkTrainConfig(c: TrainConfig): void {
  if (typeof c !== 'object' || c === null) throw new Error(`TrainConfig must be an object, got ${c === null ? 'null' : typeof c}`);
  for (const [key, rule] of Object.entries(CONFIG_RULES) as [keyof TrainConfig, ValueRule][]) {
    if (c[key] === undefined && OPTIONAL.includes(key)) continue;
    checkValue(`TrainConfig.${key}`, rule, c[key]);
  }
  checkNormalization('TrainConfig.normalize', c.normalize);
  if (c.schedule === 'onecycle' && !(c.warmupEpochs < c.epochs)) throw new Error(`TrainConfig.warmupEpochs (the one-cycle peak) must be below epochs (${c.epochs}), got ${c.warmupEpochs}`);
  if (c.adversarial !== 'none' && !(c.advEps > 0)) throw new Error(`TrainConfig.advEps (--eps) must be > 0 for adversarial training ('${c.adversarial}'), got ${c.advEps}`);
  const m = c.milestones;
  for (let i = 1; i < m.length; i++) {
    if (m[i]! <= m[i - 1]!) throw new Error(`TrainConfig.milestones must increase, got ${m.join(',')}`);
  }
}

/** null, or one finite mean and one positive std per channel (what the model's Normalize layer takes). */
export function checkNormalization(where: string, v: unknown): void {
  if (v === null) return;
  const n = v as { mean?: unknown; std?: unknown };
  const ok = (a: unknown) => Array.isArray(a) && a.length > 0 && a.every((x) => typeof x === 'number' && Number.isFinite(x));
  if (typeof v !== 'object' || !ok(n.mean) || !ok(n.std) || (n.mean as number[]).length !== (n.std as number[]).length || (n.std as number[]).some((s) => s <= 0)) {
    throw new Error(`${where} must be null or { mean: [...], std: [...] } with one finite mean and one positive std per channel, got ${JSON.stringify(v)}`);
  }
}

/**
 * A config stored in a checkpoint by any gmgrad version, brought to the current fields (the margin
 * was called `alpha` before it was named `margin`).
 */
export function upgradeStoredConfig(stored: Partial<TrainConfig> & { alpha?: number }): Partial<TrainConfig> {
  const { alpha, ...rest } = stored;
  return rest.margin === undefined && alpha !== undefined ? { ...rest, margin: alpha } : rest;
}
