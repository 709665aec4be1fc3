/** `gmgrad train`: flags → TrainConfig → a training run with transactional checkpoints. */
import { CONFIG_RULES, defaultConfig, DATASET_NAMES, type TrainConfig } from '../train/config.js';
import { runTraining } from '../train/run.js';
import { givenFlags, helpText, parseArgs, UsageError, type OptionSpec } from './args.js';
import { say, type CliIO } from './io.js';

const RECIPES = Object.fromEntries(DATASET_NAMES.map((d) => [d, defaultConfig(d)])) as Record<TrainConfig['dataset'], TrainConfig>;

const fmt = (v: unknown) => (Array.isArray(v) ? (v.length ? v.join(',') : 'none') : String(v));

/** The recipe default of a field, per dataset where they differ: "50 (mnist, fashion-mnist), 300 (cifar10)". */
function recipeDefault(key: keyof TrainConfig): string {
  const groups = new Map<string, string[]>();
  for (const d of DATASET_NAMES) {
    const v = fmt(RECIPES[d][key]);
    groups.set(v, [...(groups.get(v) ?? []), d]);
  }
  return groups.size === 1 ? [...groups.keys()][0]! : [...groups].map(([v, ds]) => `${v} (${ds.join(', ')})`).join(', ');
}

/** A flag for a configuration field: its rule from CONFIG_RULES, its default from the recipes. */
const field = <K extends keyof TrainConfig>(key: K, help: string, extra: Partial<OptionSpec> = {}) =>
  ({ ...CONFIG_RULES[key], help, defaultText: recipeDefault(key), ...extra }) as (typeof CONFIG_RULES)[K] & { help: string };

export const TRAIN_OPTIONS = {
  dataset: { ...CONFIG_RULES.dataset, default: 'mnist', help: 'dataset to train on' },
  model: field('model', 'network'),
  'feature-dim': field('featureDim', 'feature dimension D'),
  loss: field('loss', 'GM head or softmax (linear + cross-entropy) head'),
  alpha: field('alpha', 'GM margin α'),
  lambda: field('lambda', 'GM likelihood weight λ'),
  likelihood: field('likelihood', 'GM likelihood term variant'),
  diagonal: field('diagonal', 'learn a diagonal covariance per class'),
  epochs: field('epochs', 'epochs'),
  batch: field('batch', 'batch size'),
  optimizer: field('optimizer', 'optimizer (sgd: with Nesterov momentum by default)'),
  lr: field('lr', 'learning rate'),
  momentum: field('momentum', 'SGD momentum'),
  nesterov: field('nesterov', 'Nesterov momentum (SGD)'),
  'weight-decay': field('weightDecay', 'weight decay'),
  schedule: field('schedule', 'learning-rate schedule'),
  'lr-step': field('lrStep', 'step schedule: epochs between decays'),
  'lr-gamma': field('lrGamma', 'step and multistep schedules: decay factor'),
  milestones: field('milestones', 'multistep schedule: epochs where the rate decays'),
  'warmup-epochs': field('warmupEpochs', 'linear learning-rate warm-up epochs'),
  'ramp-epochs': field('rampEpochs', 'GM α/λ warm-up epochs (authors: 5 MNIST, 30 CIFAR-10)'),
  'means-lr-scale': field('meansLrScale', 'learning-rate multiplier for the GM class means'),
  'clip-norm': field('clipNorm', 'clip gradients to this global L2 norm (0: off)'),
  augment: field('augment', 'random crop (pad 4) + horizontal flip'),
  seed: field('seed', 'seed of initialisation, shuffling and augmentation'),
  backend: field('backend', 'compute backend'),
  threads: field('threads', 'threads of the wasm backend', { defaultText: 'all cores' }),
  limit: field('limit', 'train on a class-balanced subset of N images (0: all)'),
  'test-limit': field('testLimit', 'evaluate on a class-balanced subset of N test images (0: all)'),
  data: { type: 'string', path: 'dir', help: 'folder holding the dataset files (searched first)', defaultText: 'GMGRAD_DATA, the user cache, system folders' },
  out: { type: 'string', help: 'output folder for checkpoints and metrics.json', defaultText: 'runs/<dataset>-<loss>' },
  resume: { type: 'boolean', default: false, help: 'continue the run in --out from its last committed epoch (same recipe and data)' },
  force: { type: 'boolean', default: false, help: 'start over in an --out that holds a run, discarding it' },
  'dry-run': { type: 'boolean', default: false, help: 'print the configuration the flags resolve to, as JSON, and exit' },
} satisfies Record<string, OptionSpec>;

/** Flags that only mean something in some configurations: given elsewhere they would be silently ignored. */
interface Applies { when: (c: TrainConfig) => boolean; where: string; field: keyof TrainConfig }
const SGD: Applies = { when: (c) => c.optimizer === 'sgd', where: '--optimizer sgd', field: 'optimizer' };
const GM: Applies = { when: (c) => c.loss === 'gm', where: '--loss gm', field: 'loss' };
const APPLIES: Record<string, Applies> = {
  momentum: SGD, nesterov: SGD,
  milestones: { when: (c) => c.schedule === 'multistep', where: '--schedule multistep', field: 'schedule' },
  'lr-step': { when: (c) => c.schedule === 'step', where: '--schedule step', field: 'schedule' },
  'lr-gamma': { when: (c) => c.schedule === 'step' || c.schedule === 'multistep', where: '--schedule step or multistep', field: 'schedule' },
  alpha: GM, lambda: GM, likelihood: GM, diagonal: GM, 'ramp-epochs': GM, 'means-lr-scale': GM,
  threads: { when: (c) => c.backend === 'wasm' || c.backend === 'auto', where: '--backend wasm (or auto)', field: 'backend' },
};

export interface TrainArgs {
  config: TrainConfig;
  resume: boolean;
  force: boolean;
  help: boolean;
  dryRun: boolean;
}

export function trainConfigFromArgs(argv: string[]): TrainArgs {
  const a = parseArgs(argv, TRAIN_OPTIONS);
  const base = defaultConfig(a.dataset);
  const pick = <K extends keyof TrainConfig>(key: K, v: TrainConfig[K] | undefined) => { if (v !== undefined) base[key] = v; };
  pick('model', a.model); pick('featureDim', a.featureDim); pick('loss', a.loss); pick('alpha', a.alpha);
  pick('lambda', a.lambda); pick('likelihood', a.likelihood); pick('diagonal', a.diagonal); pick('epochs', a.epochs);
  pick('batch', a.batch); pick('optimizer', a.optimizer); pick('lr', a.lr); pick('momentum', a.momentum);
  pick('nesterov', a.nesterov); pick('weightDecay', a.weightDecay); pick('schedule', a.schedule); pick('lrStep', a.lrStep);
  pick('lrGamma', a.lrGamma); pick('milestones', a.milestones); pick('warmupEpochs', a.warmupEpochs); pick('rampEpochs', a.rampEpochs);
  pick('meansLrScale', a.meansLrScale); pick('clipNorm', a.clipNorm); pick('augment', a.augment); pick('seed', a.seed);
  pick('backend', a.backend); pick('threads', a.threads); pick('limit', a.limit); pick('testLimit', a.testLimit);
  pick('dataDir', a.data);
  base.out = a.out ?? `runs/${base.dataset}-${base.loss}`;
  if (base.loss === 'softmax' && a.optimizer === undefined) base.nesterov = base.nesterov && base.momentum > 0;
  const given = givenFlags(argv);
  for (const [flag, rule] of Object.entries(APPLIES)) {
    if (given.has(flag) && !rule.when(base)) throw new UsageError(`--${flag} applies to ${rule.where}, not ${String(base[rule.field])}`);
  }
  if (given.has('nesterov') && base.nesterov && base.momentum === 0) throw new UsageError('--nesterov needs --momentum > 0');
  const m = base.milestones;
  if (m.some((v, i) => i > 0 && v <= m[i - 1]!)) throw new UsageError(`--milestones must increase, got ${m.join(',')}`);
  if (a.resume && a.force) throw new UsageError('--resume continues the run in --out and --force discards it: give one of them');
  return { config: base, resume: a.resume, force: a.force, help: a.help, dryRun: a.dryRun };
}

export async function trainCommand(argv: string[], io: CliIO): Promise<void> {
  const { config, resume, force, help, dryRun } = trainConfigFromArgs(argv);
  if (help) {
    say(io.stdout, helpText('train', 'Train a CNN with the Gaussian-mixture loss (or softmax) on a real dataset. Each epoch is committed to --out as one unit; --resume continues exactly.', TRAIN_OPTIONS));
    return;
  }
  if (dryRun) {
    say(io.stdout, JSON.stringify({ config, resume, force }, null, 2));
    return;
  }
  const r = await runTraining(config, { resume, force, log: (l) => say(io.stderr, l), progressStream: io.stderr });
  const last = r.history[r.history.length - 1];
  r.model.dispose();
  say(io.stdout, `trained ${r.history.length} epoch(s): test accuracy ${last?.testAccuracy === null || last === undefined ? 'n/a' : `${(100 * last.testAccuracy).toFixed(2)}%`}; checkpoint ${r.checkpoint}`);
}
