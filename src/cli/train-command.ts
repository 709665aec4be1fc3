/** `gmgrad train`: options → TrainConfig → a training run with checkpoints and metrics.json. */
import { defaultConfig, type TrainConfig } from '../train/config.js';
import { runTraining } from '../train/run.js';
import { MODEL_NAMES } from '../models/zoo.js';
import { helpText, parseArgs, type OptionSpec } from './args.js';

export const TRAIN_OPTIONS: Record<string, OptionSpec> = {
  dataset: { type: 'string', default: 'mnist', choices: ['mnist', 'fashion-mnist', 'cifar10'], help: 'dataset to train on' },
  model: { type: 'string', choices: MODEL_NAMES, help: 'network (default: mnist-6conv for MNIST-like, resnet20 for CIFAR-10)' },
  'feature-dim': { type: 'number', help: 'feature dimension D (default 2 on MNIST, 64 on CIFAR-10)' },
  loss: { type: 'string', default: 'gm', choices: ['gm', 'softmax'], help: 'GM head or softmax (linear + cross-entropy) head' },
  alpha: { type: 'number', help: 'GM margin α' },
  lambda: { type: 'number', help: 'GM likelihood weight λ' },
  likelihood: { type: 'string', choices: ['true-class', 'true-class-sq', 'all-class'], help: 'likelihood term variant' },
  diagonal: { type: 'boolean', default: false, help: 'learn a diagonal covariance per class' },
  epochs: { type: 'number', help: 'epochs (default: the recipe: 50 MNIST, 300 CIFAR-10)' },
  batch: { type: 'number', help: 'batch size' },
  optimizer: { type: 'string', choices: ['sgd', 'adam', 'adamw'], help: 'optimizer (default Nesterov SGD)' },
  lr: { type: 'number', help: 'learning rate' },
  momentum: { type: 'number', help: 'SGD momentum' },
  nesterov: { type: 'boolean', help: 'Nesterov momentum (default on)' },
  'weight-decay': { type: 'number', help: 'weight decay' },
  schedule: { type: 'string', choices: ['step', 'multistep', 'cosine', 'constant'], help: 'learning-rate schedule' },
  'lr-step': { type: 'number', help: 'step schedule: epochs between decays' },
  'lr-gamma': { type: 'number', help: 'decay factor' },
  milestones: { type: 'list', help: 'multistep schedule: epochs, comma separated' },
  'warmup-epochs': { type: 'number', help: 'linear learning-rate warm-up epochs' },
  'ramp-epochs': { type: 'number', help: 'α/λ warm-up epochs (authors: 5 MNIST, 30 CIFAR-10)' },
  'means-lr-scale': { type: 'number', help: 'learning-rate multiplier for the GM class means' },
  'clip-norm': { type: 'number', help: 'clip gradients to this global L2 norm (0: off)' },
  augment: { type: 'boolean', help: 'random crop (pad 4) + horizontal flip (default on for CIFAR-10)' },
  seed: { type: 'number', default: 0, help: 'seed of initialisation, shuffling and augmentation' },
  backend: { type: 'string', default: 'auto', choices: ['auto', 'webgpu', 'wasm', 'cpu'], help: 'compute backend' },
  threads: { type: 'number', help: 'threads of the wasm backend (default: all cores)' },
  limit: { type: 'number', default: 0, help: 'train on a class-balanced subset of N images (0: all)' },
  'test-limit': { type: 'number', default: 0, help: 'evaluate on a class-balanced subset of N test images (0: all)' },
  data: { type: 'string', help: 'folder holding the dataset files (searched first)' },
  out: { type: 'string', help: 'output folder for checkpoints and metrics.json (default runs/<dataset>-<loss>)' },
  resume: { type: 'boolean', default: false, help: 'continue the run in --out from its last checkpoint' },
  help: { type: 'boolean', default: false, help: 'show this help' },
};

export function trainConfigFromArgs(argv: string[]): { config: TrainConfig; resume: boolean; help: boolean } {
  const a = parseArgs(argv, TRAIN_OPTIONS);
  const base = defaultConfig(a.dataset as TrainConfig['dataset']);
  const pick = <K extends keyof TrainConfig>(key: K, v: unknown) => { if (v !== undefined) (base[key] as unknown) = v; };
  pick('model', a.model); pick('featureDim', a.featureDim); pick('loss', a.loss); pick('alpha', a.alpha);
  pick('lambda', a.lambda); pick('likelihood', a.likelihood); pick('diagonal', a.diagonal); pick('epochs', a.epochs);
  pick('batch', a.batch); pick('optimizer', a.optimizer); pick('lr', a.lr); pick('momentum', a.momentum);
  pick('nesterov', a.nesterov); pick('weightDecay', a.weightDecay); pick('schedule', a.schedule); pick('lrStep', a.lrStep);
  pick('lrGamma', a.lrGamma); pick('warmupEpochs', a.warmupEpochs); pick('rampEpochs', a.rampEpochs);
  pick('meansLrScale', a.meansLrScale); pick('clipNorm', a.clipNorm); pick('augment', a.augment); pick('seed', a.seed);
  pick('backend', a.backend); pick('threads', a.threads); pick('limit', a.limit); pick('testLimit', a.testLimit);
  pick('dataDir', a.data);
  if (a.milestones) base.milestones = (a.milestones as string[]).map(Number);
  base.out = (a.out as string | undefined) ?? `runs/${base.dataset}-${base.loss}`;
  if (base.loss === 'softmax' && a.optimizer === undefined) base.nesterov = base.nesterov && base.momentum > 0;
  return { config: base, resume: Boolean(a.resume), help: Boolean(a.help) };
}

export async function trainCommand(argv: string[]): Promise<void> {
  const { config, resume, help } = trainConfigFromArgs(argv);
  if (help) {
    console.log(helpText('train', 'Train a CNN with the Gaussian-mixture loss (or softmax) on a real dataset.', TRAIN_OPTIONS));
    return;
  }
  await runTraining(config, { resume });
}
