/**
 * `gmgrad train`: options → TrainConfig → a training run with checkpoints and metrics.json. A run
 * starts from a recipe (`--recipe NAME`; without it, the dataset's reference recipe where there is
 * one) and every flag given overrides one setting of it.
 */
import { defaultConfig, type TrainConfig } from '../train/config.js';
import { checkOverrides, configFromRecipe, RecipeError } from '../train/recipe.js';
import { loadRecipe, recipeNames } from '../train/node/recipe-files.js';
import { runTraining } from '../train/run.js';
import { MODEL_NAMES } from '../models/zoo.js';
import { helpText, parseArgs, UsageError, type OptionSpec } from './args.js';

/** The recipe `gmgrad train` starts from when none is named. */
const DATASET_RECIPE: Partial<Record<TrainConfig['dataset'], string>> = { mnist: 'mnist-2d-gm', cifar10: 'cifar10-resnet20-gm' };

export const TRAIN_OPTIONS: Record<string, OptionSpec> = {
  recipe: { type: 'string', help: 'start from recipes/NAME.json (default: mnist-2d-gm for mnist, cifar10-resnet20-gm for cifar10); flags override it one by one' },
  dataset: { type: 'string', choices: ['mnist', 'fashion-mnist', 'cifar10'], help: 'dataset to train on (default: the recipe\'s, else mnist)' },
  model: { type: 'string', choices: MODEL_NAMES, help: 'network (default: mnist-6conv for MNIST-like, resnet20 for CIFAR-10)' },
  'feature-dim': { type: 'number', help: 'feature dimension D (default 2 on MNIST, 64 on CIFAR-10)' },
  loss: { type: 'string', choices: ['gm', 'softmax'], help: 'GM head or softmax (linear + cross-entropy) head (default gm)' },
  alpha: { type: 'number', help: 'GM margin (the paper\'s α) on the true class\'s distance' },
  lambda: { type: 'number', help: 'GM likelihood weight λ' },
  likelihood: { type: 'string', choices: ['true-class', 'true-class-sq', 'all-class'], help: 'likelihood term variant' },
  diagonal: { type: 'boolean', help: 'learn a diagonal covariance per class' },
  epochs: { type: 'number', help: 'epochs (default: the recipe: 50 MNIST, 300 CIFAR-10)' },
  batch: { type: 'number', help: 'batch size' },
  optimizer: { type: 'string', choices: ['sgd', 'adam', 'adamw'], help: 'optimizer (default Nesterov SGD)' },
  lr: { type: 'number', help: 'learning rate' },
  momentum: { type: 'number', help: 'SGD momentum' },
  nesterov: { type: 'boolean', help: 'Nesterov momentum (default on)' },
  'weight-decay': { type: 'number', help: 'weight decay' },
  schedule: { type: 'string', choices: ['step', 'multistep', 'cosine', 'onecycle', 'constant'], help: 'learning-rate schedule (onecycle: linear up to --lr at --warmup-epochs, then linear down to 0)' },
  'lr-step': { type: 'number', help: 'step schedule: epochs between decays' },
  'lr-gamma': { type: 'number', help: 'decay factor' },
  milestones: { type: 'list', help: 'multistep schedule: epochs, comma separated' },
  'warmup-epochs': { type: 'number', help: 'linear learning-rate warm-up epochs (onecycle: the epoch of the peak)' },
  'ramp-epochs': { type: 'number', help: 'margin/λ warm-up epochs (authors: 5 MNIST, 30 CIFAR-10)' },
  'ramp-every': { type: 'string', choices: ['epoch', 'step'], help: 'the ramp changes once per epoch (the authors\' code) or every step' },
  'means-lr-scale': { type: 'number', help: 'learning-rate multiplier for the GM class means' },
  'clip-norm': { type: 'number', help: 'clip gradients to this global L2 norm (0: off)' },
  augment: { type: 'boolean', help: 'random crop (pad 4) + horizontal flip (default on for CIFAR-10)' },
  seed: { type: 'number', help: 'seed of initialisation, shuffling and augmentation (default 0)' },
  backend: { type: 'string', default: 'auto', choices: ['auto', 'webgpu', 'wasm', 'cpu'], help: 'compute backend' },
  threads: { type: 'number', help: 'threads of the wasm backend (default: all cores)' },
  limit: { type: 'number', default: 0, help: 'train on a class-balanced subset of N images (0: all)' },
  'test-limit': { type: 'number', default: 0, help: 'evaluate on a class-balanced subset of N test images (0: all)' },
  data: { type: 'string', help: 'folder holding the dataset files (searched first)' },
  out: { type: 'string', help: 'output folder for checkpoints and metrics.json (default runs/<recipe>, or runs/<dataset>-<loss>)' },
  resume: { type: 'boolean', default: false, help: 'continue the run in --out from its last checkpoint' },
  help: { type: 'boolean', default: false, help: 'show this help' },
};

/** A word as a POSIX shell reads it back (the recorded command can be pasted). */
const shellWord = (w: string) => (/^[\w@%+=:,./-]+$/.test(w) ? w : `'${w.replace(/'/g, `'\\''`)}'`);

/** Flag name of a config field (for messages). */
const flagOf = (field: string) => (field === 'margin' ? '--alpha' : `--${field.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`);

export function trainConfigFromArgs(argv: string[]): { config: TrainConfig; resume: boolean; help: boolean } {
  const a = parseArgs(argv, TRAIN_OPTIONS);
  const given: Partial<TrainConfig> = {};
  const pick = <K extends keyof TrainConfig>(key: K, v: unknown) => { if (v !== undefined) (given[key] as unknown) = v; };
  pick('dataset', a.dataset); pick('model', a.model); pick('featureDim', a.featureDim); pick('loss', a.loss); pick('margin', a.alpha);
  pick('lambda', a.lambda); pick('likelihood', a.likelihood); pick('diagonal', a.diagonal); pick('epochs', a.epochs);
  pick('batch', a.batch); pick('optimizer', a.optimizer); pick('lr', a.lr); pick('momentum', a.momentum);
  pick('nesterov', a.nesterov); pick('weightDecay', a.weightDecay); pick('schedule', a.schedule); pick('lrStep', a.lrStep);
  pick('lrGamma', a.lrGamma); pick('warmupEpochs', a.warmupEpochs); pick('rampEpochs', a.rampEpochs); pick('rampEvery', a.rampEvery);
  pick('meansLrScale', a.meansLrScale); pick('clipNorm', a.clipNorm); pick('augment', a.augment); pick('seed', a.seed);
  pick('backend', a.backend); pick('threads', a.threads); pick('limit', a.limit); pick('testLimit', a.testLimit);
  pick('dataDir', a.data);
  if (a.milestones) given.milestones = (a.milestones as string[]).map(Number);
  let base: TrainConfig;
  try {
    if (a.recipe !== undefined) {
      const recipe = loadRecipe(a.recipe as string);
      checkOverrides(recipe, given, flagOf);
      base = configFromRecipe(recipe);
    } else {
      const dataset = given.dataset ?? 'mnist';
      const implicit = DATASET_RECIPE[dataset];
      base = implicit && recipeNames().includes(implicit) ? { ...configFromRecipe(loadRecipe(implicit)), recipe: undefined } : defaultConfig(dataset);
    }
  } catch (e) {
    if (e instanceof RecipeError) throw new UsageError(e.message);
    throw e;
  }
  const config: TrainConfig = { ...base, ...given };
  config.out = (a.out as string | undefined) ?? (config.recipe ? `runs/${config.recipe}` : `runs/${config.dataset}-${config.loss}`);
  if (config.loss === 'softmax' && a.optimizer === undefined) config.nesterov = config.nesterov && config.momentum > 0;
  return { config, resume: Boolean(a.resume), help: Boolean(a.help) };
}

export async function trainCommand(argv: string[]): Promise<void> {
  const { config, resume, help } = trainConfigFromArgs(argv);
  if (help) {
    console.log(helpText('train', `Train a CNN with the Gaussian-mixture loss (or softmax) on a real dataset.\nrecipes: ${recipeNames().join(', ')}`, TRAIN_OPTIONS));
    return;
  }
  await runTraining(config, { resume, command: ['gmgrad', 'train', ...argv].map(shellWord).join(' ') });
}
