/**
 * `gmgrad demo` (the README's main command): train a GM model and a softmax model with the same
 * network on MNIST, attack both, detect with the GM score and Mahalanobis, print the table, and
 * write runs/demo/report.html and results.json. Works offline on the embedded MNIST test split;
 * uses the full MNIST files when they can be found.
 */
import { join } from 'node:path';
import { init } from '../init.js';
import { gather, slice, stratifiedSlice, type Dataset } from '../data/dataset.js';
import { loadDataset } from '../data/node/resolve.js';
import { Generator } from '../core/random.js';
import { defaultConfig, type TrainConfig } from '../train/config.js';
import { trainOnData } from '../train/run.js';
import { evaluateModel, type ModelEvaluation } from '../eval/evaluate-model.js';
import { formatRobustness, robustnessJson } from '../eval/summary.js';
import { writeReport } from '../eval/report-writer.js';
import type { EpochMetrics } from '../train/trainer.js';
import type { Classifier } from '../models/classifier.js';
import { writeFileAtomic } from '../io/node/atomic-write.js';
import { ensureWritableDir } from '../io/node/folders.js';
import { BACKEND_CHOICES } from '../train/config.js';
import { SEED_RULE } from '../core/value-rules.js';
import { givenFlags, helpText, parseArgs, UsageError, type OptionSpec } from './args.js';
import { say, type CliIO } from './io.js';
import { taskProgressPrinter } from '../progress/task-progress.js';
import { checkpointFromArgs } from '../io/node/released-weights.js';
import { decodeModel } from '../train/checkpoint.js';

export const DEMO_OPTIONS = {
  backend: { type: 'string', default: 'auto', choices: BACKEND_CHOICES, help: 'compute backend' },
  model: { type: 'string', default: 'lenet', choices: ['lenet', 'small-cnn', 'tiny-cnn'], help: 'network (both models use it, ending in 2-d features)' },
  epochs: { type: 'integer', min: 1, max: 1000, default: 3, help: 'training epochs per model' },
  'train-n': { type: 'integer', min: 0, default: 0, help: 'training images (0: 8000 of the embedded split, or 10000 of the full set)' },
  n: { type: 'integer', min: 1, default: 200, help: 'test images attacked' },
  eps: { type: 'numbers', min: 0, max: 1, default: [0.2], help: 'L∞ ε of FGSM, PGD and the adaptive attack' },
  steps: { type: 'integer', min: 1, max: 100_000, default: 10, help: 'PGD and adaptive-PGD iterations' },
  data: { type: 'string', path: 'dir', help: 'folder holding the MNIST files', defaultText: 'GMGRAD_DATA, the user cache, the embedded MNIST test split' },
  out: { type: 'string', default: 'runs/demo', help: 'output folder' },
  seed: { ...SEED_RULE, type: 'integer', default: 0, help: 'seed' },
  force: { type: 'boolean', default: false, help: 'overwrite the runs a previous demo left in --out' },
  pretrained: { type: 'boolean', default: false, help: 'attack the released mnist-2d-gm and mnist-2d-softmax models (their -short schedules when the reference runs are not released; weights/, sha256 checked) instead of training two' },
  'dry-run': { type: 'boolean', default: false, help: 'check the flags and --out, print the settings as JSON, and exit' },
} as const satisfies Record<string, OptionSpec>;

interface Splits { train: Dataset; fit: Dataset; calibration: Dataset; evaluation: Dataset; test: Dataset; source: string; full: boolean }

/** Full MNIST when present; else the embedded 10 000-image test split, divided 8000 / 2000. */
async function demoData(dataDir: string | undefined, trainN: number, n: number): Promise<Splits> {
  const quiet = { dataDir, allowDownload: false, progress: false, log: () => {} };
  const tooMany = (what: string, have: number) => new UsageError(`${what} needs more images than the ${have} available`);
  const test = await loadDataset('mnist', { split: 'test', ...quiet });
  let train: Dataset | null = null;
  try {
    train = await loadDataset('mnist', { split: 'train', ...quiet });
  } catch {
    train = null;
  }
  if (train) {
    const t = trainN > 0 ? trainN : 10000;
    if (t > train.n) throw tooMany(`--train-n ${t}`, train.n);
    if (n + 2000 + 100 > test.n) throw tooMany(`--n ${n} (with 1000 calibration and 2000 held-out images)`, test.n);
    const trainSub = t < train.n ? stratifiedSlice(train, t) : train;
    const evaluation = stratifiedSlice(test, n);
    const calibration = stratifiedSlice(test, 1000, Math.ceil(n / 10) + 1);
    const heldOut = stratifiedSlice(test, 2000, Math.ceil(n / 10) + 1 + 100);
    return { train: trainSub, fit: slice(train, 0, Math.min(10000, train.n)), calibration, evaluation, test: heldOut, source: `full MNIST (${train.source})`, full: true };
  }
  // embedded: a seeded class-balanced split of the test set into train / held-out
  const order = new Generator(1234).permutation(test.n);
  const t = trainN > 0 ? trainN : Math.min(8000, test.n - 1500);
  if (t + n + 1000 > test.n) throw tooMany(`--train-n ${t} + --n ${n} (with 1000 calibration images) on the embedded split`, test.n);
  const trainPart = gather(test, order.subarray(0, t));
  const rest = gather(test, order.subarray(t));
  const evaluation = slice(rest, 0, n);
  const calibration = slice(rest, evaluation.n, Math.min(1000, rest.n - evaluation.n));
  return { train: trainPart, fit: trainPart, calibration, evaluation, test: slice(rest, evaluation.n, rest.n - evaluation.n), source: `embedded MNIST test split (${test.source})`, full: false };
}

export async function demoCommand(argv: string[], io: CliIO): Promise<void> {
  const a = parseArgs(argv, DEMO_OPTIONS);
  if (a.help) { say(io.stdout, helpText('demo', 'Train GM and softmax models, attack both, detect, and write the report.', DEMO_OPTIONS)); return; }
  const t0 = performance.now();
  const out = a.out;
  if (a.pretrained) {
    const given = givenFlags(argv);
    const ignored = ['model', 'epochs', 'train-n', 'force'].filter((f) => given.has(f));
    if (ignored.length) throw new UsageError(`--${ignored[0]} sets up training, and --pretrained attacks the released models without training`);
  }
  await ensureWritableDir(out, '--out folder');
  if (a.dryRun) { say(io.stdout, JSON.stringify({ ...a, help: undefined, debug: undefined, dryRun: undefined }, null, 2)); return; }
  const log = (line: string) => say(io.stderr, line);
  const { backend, description } = await init({ backend: a.backend, verbose: false });
  log(`gmgrad demo — backend: ${description}`);
  const data = await demoData(a.data, a.trainN, a.n).catch((e: Error) => {
    throw /^stratifiedSlice/.test(e.message) ? new UsageError(`--n ${a.n} and --train-n ${a.trainN} ask for more class-balanced images than MNIST holds (${e.message})`) : e;
  });
  log(`data: ${data.source}; ${a.pretrained ? 'released models' : `training on ${data.train.n} images`}, attacking ${data.evaluation.n}, τ from ${data.calibration.n} held-out clean images`);
  const epsilons = a.eps;
  const models: { name: string; model: Classifier; history: EpochMetrics[]; evaluation: ModelEvaluation }[] = [];
  for (const loss of ['gm', 'softmax'] as const) {
    const config: TrainConfig = {
      ...defaultConfig('mnist'), model: a.model, featureDim: 2, loss, epochs: a.epochs, batch: 64,
      lr: 0.03, schedule: 'step', lrStep: 2, lrGamma: 0.3, rampEpochs: 1, weightDecay: 5e-4, seed: a.seed, backend: a.backend, out: join(out, loss),
    };
    let r: { model: Classifier; history: EpochMetrics[] };
    if (a.pretrained) {
      const file = await releasedPaperModel(loss);
      const rel = file.released!;
      r = { model: decodeModel(file.bytes, backend, file.path).model, history: [] };
      log(`\nthe released ${rel.name} model (${rel.model} → 2-d features, ${rel.epochs} epochs, ${(100 * rel.testAccuracy).toFixed(2)}% on the MNIST test set; sha256 verified)`);
    } else {
      log(`\ntraining the ${loss === 'gm' ? 'GM' : 'softmax'} model (${config.model} → 2-d features, ${config.epochs} epochs)`);
      r = await trainOnData(config, backend, description, data.train, data.test, { verbose: true, force: a.force, log, progressStream: io.stderr });
    }
    log(`\nattacking the ${loss === 'gm' ? 'GM' : 'softmax'} model`);
    const evaluation = await evaluateModel({
      model: r.model, backend, fit: data.fit, calibration: data.calibration, evaluation: data.evaluation,
      attacks: ['fgsm', 'pgd', 'cw', 'deepfool', 'adaptive'], epsilons, steps: a.steps,
      cwSearchSteps: 3, cwIterations: 30, cwInitialConst: 1, cwLearningRate: 0.1, // a short search must start where C&W succeeds, with larger steps
      seed: a.seed, keepFeatures: true, keepImages: 8,
      log,
      onProgress: taskProgressPrinter({ stream: io.stderr }),
    });
    models.push({ name: loss === 'gm' ? 'GM' : 'softmax', model: r.model, history: r.history, evaluation });
  }
  say(io.stdout, '');
  for (const m of models) say(io.stdout, `${formatRobustness(`${m.name} model`, m.evaluation.result)}\n`);
  const seconds = (performance.now() - t0) / 1000;
  await writeFileAtomic(join(out, 'results.json'), JSON.stringify({
    backend: description, data: data.source, seconds,
    models: models.map((m) => ({ name: m.name, training: m.history, robustness: robustnessJson(m.evaluation.result) })),
  }, null, 2));
  const reportPath = join(out, 'report.html');
  const written = await writeReport(reportPath, {
    title: 'gmgrad demo — GM vs softmax on MNIST',
    backend: description,
    config: { data: data.source, model: a.pretrained ? 'released mnist-2d-gm / mnist-2d-softmax' : `${a.model} → 2-d features`, epochs: a.pretrained ? 'released' : a.epochs, eps: epsilons.join(','), 'PGD steps': a.steps, 'attacked images': data.evaluation.n },
    models: models.map((m) => ({ name: m.name, model: m.model, evaluation: m.evaluation, images: data.evaluation, history: m.history })),
    seconds,
  });
  for (const m of models) m.model.dispose();
  say(io.stdout, `wrote ${[...written, join(out, 'results.json')].join(', ')} in ${seconds.toFixed(0)} s (backend ${description})`);
}

/** the released 2-D MNIST paper model of a head: the reference recipe's when released, else its shortened schedule's */
async function releasedPaperModel(loss: 'gm' | 'softmax'): Promise<Awaited<ReturnType<typeof checkpointFromArgs>>> {
  try {
    return await checkpointFromArgs(undefined, `mnist-2d-${loss}`, 'demo');
  } catch (reference) {
    try {
      return await checkpointFromArgs(undefined, `mnist-2d-${loss}-short`, 'demo');
    } catch {
      throw reference;
    }
  }
}
