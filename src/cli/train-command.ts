/**
 * `gmgrad train`: flags → TrainConfig → a training run with transactional checkpoints. A run starts
 * from a recipe (`--recipe NAME`, recipes/*.json; without it, the dataset's reference recipe where
 * there is one) and every flag given overrides one setting of it; a flag may not change the
 * recipe's dataset, network, feature dimension or head.
 */
import { CONFIG_RULES, defaultConfig, DATASET_NAMES, flagOfField, type TrainConfig } from '../train/config.js';
import { checkOverrides, configFromRecipe, RecipeError } from '../train/recipe.js';
import { loadRecipe, recipeNames } from '../train/node/recipe-files.js';
import { runTraining } from '../train/run.js';
import { givenFlags, helpText, parseArgs, UsageError, type OptionSpec } from './args.js';
import { say, type CliIO } from './io.js';

/** The recipe `gmgrad train` starts from when none is named. */
const DATASET_RECIPE: Partial<Record<TrainConfig['dataset'], string>> = { mnist: 'mnist-2d-gm', cifar10: 'cifar10-resnet20-gm' };

/** Where a run without --recipe starts: the dataset's reference recipe, else gmgrad's base settings. */
function datasetBase(dataset: TrainConfig['dataset']): TrainConfig {
  const name = DATASET_RECIPE[dataset];
  return name && recipeNames().includes(name) ? { ...configFromRecipe(loadRecipe(name)), recipe: undefined } : defaultConfig(dataset);
}

const RECIPES = Object.fromEntries(DATASET_NAMES.map((d) => [d, datasetBase(d)])) as Record<TrainConfig['dataset'], TrainConfig>;

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
const field = <K extends keyof typeof CONFIG_RULES>(key: K, help: string, extra: Partial<OptionSpec> = {}) =>
  ({ ...CONFIG_RULES[key], help, defaultText: recipeDefault(key), ...extra }) as (typeof CONFIG_RULES)[K] & { help: string };

export const TRAIN_OPTIONS = {
  recipe: { type: 'string', choices: recipeNames(), help: 'start from recipes/NAME.json; each flag below overrides one of its settings', defaultText: `${Object.entries(DATASET_RECIPE).map(([d, n]) => `${n} for ${d}`).join(', ')}, none for fashion-mnist` },
  dataset: { ...CONFIG_RULES.dataset, help: 'dataset to train on', defaultText: 'the recipe\'s, else mnist' },
  model: field('model', 'network'),
  'feature-dim': field('featureDim', 'feature dimension D'),
  loss: field('loss', 'GM head or softmax (linear + cross-entropy) head'),
  alpha: field('margin', 'GM margin (the paper\'s α) on the true class\'s distance'),
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
  schedule: field('schedule', 'learning-rate schedule (onecycle: linear up to --lr at --warmup-epochs, then linear down to 0)'),
  'lr-step': field('lrStep', 'step schedule: epochs between decays'),
  'lr-gamma': field('lrGamma', 'step and multistep schedules: decay factor'),
  milestones: field('milestones', 'multistep schedule: epochs where the rate decays'),
  'warmup-epochs': field('warmupEpochs', 'linear learning-rate warm-up epochs (onecycle: the epoch of the peak)'),
  'ramp-epochs': field('rampEpochs', 'GM margin/λ warm-up epochs (authors: 5 MNIST, 30 CIFAR-10)'),
  'ramp-every': field('rampEvery', 'the margin/λ ramp changes once per epoch (the authors\' code) or every step'),
  'means-lr-scale': field('meansLrScale', 'learning-rate multiplier for the GM class means'),
  'clip-norm': field('clipNorm', 'clip gradients to this global L2 norm (0: off)'),
  augment: field('augment', 'random crop (pad 4) + horizontal flip'),
  adversarial: field('adversarial', 'adversarial training: pgd (PGD-AT, Madry et al. 2018: train on PGD examples) or trades (Zhang et al. 2019: clean loss + β·KL(p(clean) ‖ p(adv)))'),
  eps: field('advEps', 'adversarial training: the attack\'s budget ε (required with --adversarial)', { defaultText: 'none' }),
  steps: field('advSteps', 'adversarial training: attack iterations per batch'),
  'step-size': field('advStepSize', 'adversarial training: attack step size (0: 2.5·ε/steps)'),
  'adv-norm': field('advNorm', 'adversarial training: the attack\'s threat model'),
  beta: field('tradesBeta', 'TRADES: weight β of the KL term (Zhang et al.: 6 on CIFAR-10, 1/λ)'),
  seed: field('seed', 'seed of initialisation, shuffling and augmentation'),
  backend: field('backend', 'compute backend'),
  threads: field('threads', 'threads of the wasm backend', { defaultText: 'all cores' }),
  limit: field('limit', 'train on a class-balanced subset of N images (0: all)'),
  'test-limit': field('testLimit', 'evaluate on a class-balanced subset of N test images (0: all)'),
  data: { type: 'string', path: 'dir', help: 'folder holding the dataset files (searched first)', defaultText: 'GMGRAD_DATA, the user cache, system folders' },
  out: { type: 'string', help: 'output folder for checkpoints and metrics.json', defaultText: 'runs/<recipe> with --recipe, else runs/<dataset>-<loss>' },
  resume: { type: 'boolean', default: false, help: 'continue the run in --out from its last committed epoch (same recipe and data)' },
  force: { type: 'boolean', default: false, help: 'start over in an --out that holds a run, discarding it' },
  'dry-run': { type: 'boolean', default: false, help: 'print the configuration the flags resolve to, as JSON, and exit' },
} satisfies Record<string, OptionSpec>;

/** Flags that only mean something in some configurations: given elsewhere they would be silently ignored. */
interface Applies { when: (c: TrainConfig) => boolean; where: string; field: keyof TrainConfig }
const ADVERSARIAL: Applies = { when: (c) => c.adversarial !== 'none', where: '--adversarial pgd or trades', field: 'adversarial' };
const SGD: Applies = { when: (c) => c.optimizer === 'sgd', where: '--optimizer sgd', field: 'optimizer' };
const GM: Applies = { when: (c) => c.loss === 'gm', where: '--loss gm', field: 'loss' };
const APPLIES: Record<string, Applies> = {
  momentum: SGD, nesterov: SGD,
  milestones: { when: (c) => c.schedule === 'multistep', where: '--schedule multistep', field: 'schedule' },
  'lr-step': { when: (c) => c.schedule === 'step', where: '--schedule step', field: 'schedule' },
  'lr-gamma': { when: (c) => c.schedule === 'step' || c.schedule === 'multistep', where: '--schedule step or multistep', field: 'schedule' },
  alpha: GM, lambda: GM, likelihood: GM, diagonal: GM, 'ramp-epochs': GM, 'ramp-every': GM, 'means-lr-scale': GM,
  eps: ADVERSARIAL, steps: ADVERSARIAL, 'step-size': ADVERSARIAL, 'adv-norm': ADVERSARIAL,
  beta: { when: (c) => c.adversarial === 'trades', where: '--adversarial trades', field: 'adversarial' },
  threads: { when: (c) => c.backend === 'wasm' || c.backend === 'auto', where: '--backend wasm (or auto)', field: 'backend' },
};

export interface TrainArgs {
  config: TrainConfig;
  resume: boolean;
  force: boolean;
  help: boolean;
  dryRun: boolean;
}

/** Flag name of a config field (for messages). */
const flagOf = flagOfField;

export function trainConfigFromArgs(argv: string[]): TrainArgs {
  const a = parseArgs(argv, TRAIN_OPTIONS);
  const over: Partial<TrainConfig> = {};
  const pick = <K extends keyof TrainConfig>(key: K, v: TrainConfig[K] | undefined) => { if (v !== undefined) over[key] = v; };
  pick('dataset', a.dataset); pick('model', a.model); pick('featureDim', a.featureDim); pick('loss', a.loss); pick('margin', a.alpha);
  pick('lambda', a.lambda); pick('likelihood', a.likelihood); pick('diagonal', a.diagonal); pick('epochs', a.epochs);
  pick('batch', a.batch); pick('optimizer', a.optimizer); pick('lr', a.lr); pick('momentum', a.momentum);
  pick('nesterov', a.nesterov); pick('weightDecay', a.weightDecay); pick('schedule', a.schedule); pick('lrStep', a.lrStep);
  pick('lrGamma', a.lrGamma); pick('milestones', a.milestones); pick('warmupEpochs', a.warmupEpochs); pick('rampEpochs', a.rampEpochs);
  pick('rampEvery', a.rampEvery); pick('meansLrScale', a.meansLrScale); pick('clipNorm', a.clipNorm); pick('augment', a.augment); pick('seed', a.seed);
  pick('backend', a.backend); pick('threads', a.threads); pick('limit', a.limit); pick('testLimit', a.testLimit);
  pick('dataDir', a.data);
  pick('adversarial', a.adversarial); pick('advEps', a.eps); pick('advSteps', a.steps); pick('advStepSize', a.stepSize);
  pick('advNorm', a.advNorm); pick('tradesBeta', a.beta);
  let base: TrainConfig;
  try {
    if (a.recipe !== undefined) {
      const recipe = loadRecipe(a.recipe);
      checkOverrides(recipe, over, flagOf);
      base = configFromRecipe(recipe);
    } else {
      base = datasetBase(over.dataset ?? 'mnist');
    }
  } catch (e) {
    throw e instanceof RecipeError ? new UsageError(e.message) : e;
  }
  Object.assign(base, over);
  base.out = a.out ?? (base.recipe ? `runs/${base.recipe}` : `runs/${base.dataset}-${base.loss}`);
  if (base.loss === 'softmax' && a.optimizer === undefined) base.nesterov = base.nesterov && base.momentum > 0;
  const given = givenFlags(argv);
  for (const [flag, rule] of Object.entries(APPLIES)) {
    if (given.has(flag) && !rule.when(base)) throw new UsageError(`--${flag} applies to ${rule.where}, not ${String(base[rule.field])}`);
  }
  if (given.has('nesterov') && base.nesterov && base.momentum === 0) throw new UsageError('--nesterov needs --momentum > 0');
  const m = base.milestones;
  if (m.some((v, i) => i > 0 && v <= m[i - 1]!)) throw new UsageError(`--milestones must increase, got ${m.join(',')}`);
  if (base.adversarial !== 'none' && !(base.advEps > 0)) throw new UsageError(`--adversarial ${base.adversarial} needs --eps > 0 (the attack's budget), got ${base.advEps}`);
  if (a.resume && a.force) throw new UsageError('--resume continues the run in --out and --force discards it: give one of them');
  return { config: base, resume: a.resume, force: a.force, help: a.help, dryRun: a.dryRun };
}

/** A word as a POSIX shell reads it back (the recorded command can be pasted). */
const shellWord = (w: string) => (/^[\w@%+=:,./-]+$/.test(w) ? w : `'${w.replace(/'/g, `'\\''`)}'`);

export async function trainCommand(argv: string[], io: CliIO): Promise<void> {
  const { config, resume, force, help, dryRun } = trainConfigFromArgs(argv);
  if (help) {
    say(io.stdout, helpText('train', 'Train a CNN with the Gaussian-mixture loss (or softmax) on a real dataset, from a recipe (recipes/*.json, each citing its source) that the flags override one by one. Each epoch is committed to --out as one unit; --resume continues exactly.', TRAIN_OPTIONS));
    return;
  }
  if (dryRun) {
    say(io.stdout, JSON.stringify({ config, resume, force }, null, 2));
    return;
  }
  const command = ['gmgrad', 'train', ...argv].map(shellWord).join(' ');
  const r = await runTraining(config, { resume, force, log: (l) => say(io.stderr, l), progressStream: io.stderr, command });
  const last = r.history[r.history.length - 1];
  r.model.dispose();
  say(io.stdout, `trained ${r.history.length} epoch(s): test accuracy ${last?.testAccuracy === null || last === undefined ? 'n/a' : `${(100 * last.testAccuracy).toFixed(2)}%`}; checkpoint ${r.checkpoint}`);
}
