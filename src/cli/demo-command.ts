/**
 * `gmgrad demo` (the README's main command): train a GM model and a softmax model with the same
 * network on MNIST, attack both, detect with the GM score and Mahalanobis, print the table, and
 * write runs/demo/report.html and results.json. Works offline on the embedded MNIST test split;
 * uses the full MNIST files when they can be found.
 */
import { mkdir, writeFile } from 'node:fs/promises';
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
import { helpText, parseArgs, type OptionSpec } from './args.js';
import { taskProgressPrinter } from '../progress/task-progress.js';

const OPTIONS: Record<string, OptionSpec> = {
  backend: { type: 'string', default: 'auto', choices: ['auto', 'webgpu', 'wasm', 'cpu'], help: 'compute backend' },
  model: { type: 'string', default: 'lenet', choices: ['lenet', 'small-cnn', 'tiny-cnn'], help: 'network (both models use it, ending in 2-d features)' },
  epochs: { type: 'number', default: 3, help: 'training epochs per model' },
  'train-n': { type: 'number', default: 0, help: 'training images (0: 8000 of the embedded split, or 10000 of the full set)' },
  n: { type: 'number', default: 200, help: 'test images attacked' },
  eps: { type: 'list', default: ['0.2'], help: 'L∞ ε of FGSM, PGD and the adaptive attack' },
  steps: { type: 'number', default: 10, help: 'PGD and adaptive-PGD iterations' },
  data: { type: 'string', help: 'folder holding the MNIST files' },
  out: { type: 'string', default: 'runs/demo', help: 'output folder' },
  seed: { type: 'number', default: 0, help: 'seed' },
  help: { type: 'boolean', default: false, help: 'show this help' },
};

interface Splits { train: Dataset; fit: Dataset; calibration: Dataset; evaluation: Dataset; test: Dataset; source: string; full: boolean }

/** Full MNIST when present; else the embedded 10 000-image test split, divided 8000 / 2000. */
async function demoData(dataDir: string | undefined, trainN: number, n: number): Promise<Splits> {
  const quiet = { dataDir, allowDownload: false, progress: false, log: () => {} };
  const test = await loadDataset('mnist', { split: 'test', ...quiet });
  let train: Dataset | null = null;
  try {
    train = await loadDataset('mnist', { split: 'train', ...quiet });
  } catch {
    train = null;
  }
  if (train) {
    const t = trainN > 0 ? trainN : 10000;
    const trainSub = t < train.n ? stratifiedSlice(train, t) : train;
    const evaluation = stratifiedSlice(test, n);
    const calibration = stratifiedSlice(test, 1000, Math.ceil(n / 10) + 1);
    const heldOut = stratifiedSlice(test, 2000, Math.ceil(n / 10) + 1 + 100);
    return { train: trainSub, fit: slice(train, 0, Math.min(10000, train.n)), calibration, evaluation, test: heldOut, source: `full MNIST (${train.source})`, full: true };
  }
  // embedded: a seeded class-balanced split of the test set into train / held-out
  const order = new Generator(1234).permutation(test.n);
  const t = Math.min(trainN > 0 ? trainN : 8000, test.n - 1500);
  const trainPart = gather(test, order.subarray(0, t));
  const rest = gather(test, order.subarray(t));
  const evaluation = slice(rest, 0, Math.min(n, rest.n - 1000));
  const calibration = slice(rest, evaluation.n, Math.min(1000, rest.n - evaluation.n));
  return { train: trainPart, fit: trainPart, calibration, evaluation, test: slice(rest, evaluation.n, rest.n - evaluation.n), source: `embedded MNIST test split (${test.source})`, full: false };
}

export async function demoCommand(argv: string[]): Promise<void> {
  const a = parseArgs(argv, OPTIONS);
  if (a.help) { console.log(helpText('demo', 'Train GM and softmax models, attack both, detect, and write the report.', OPTIONS)); return; }
  const t0 = performance.now();
  const { backend, description } = await init({ backend: a.backend as 'auto' });
  console.log(`gmgrad demo — backend: ${description}`);
  const data = await demoData(a.data as string | undefined, a.trainN as number, a.n as number);
  console.log(`data: ${data.source}; training on ${data.train.n} images, attacking ${data.evaluation.n}, τ from ${data.calibration.n} held-out clean images`);
  const out = a.out as string;
  await mkdir(out, { recursive: true });
  const epsilons = (a.eps as string[]).map(Number);
  const models: { name: string; model: Classifier; history: EpochMetrics[]; evaluation: ModelEvaluation }[] = [];
  for (const loss of ['gm', 'softmax'] as const) {
    const config: TrainConfig = {
      ...defaultConfig('mnist'), model: a.model as 'lenet' | 'small-cnn' | 'tiny-cnn', featureDim: 2, loss, epochs: a.epochs as number, batch: 64,
      lr: 0.03, schedule: 'step', lrStep: 2, lrGamma: 0.3, rampEpochs: 1, weightDecay: 5e-4, seed: a.seed as number, backend: a.backend as 'auto', out: join(out, loss),
    };
    console.log(`\ntraining the ${loss === 'gm' ? 'GM' : 'softmax'} model (${config.model} → 2-d features, ${config.epochs} epochs)`);
    const r = await trainOnData(config, backend, description, data.train, data.test, { verbose: true });
    console.log(`\nattacking the ${loss === 'gm' ? 'GM' : 'softmax'} model`);
    const evaluation = await evaluateModel({
      model: r.model, backend, fit: data.fit, calibration: data.calibration, evaluation: data.evaluation,
      attacks: ['fgsm', 'pgd', 'cw', 'deepfool', 'adaptive'], epsilons, steps: a.steps as number,
      cwSearchSteps: 3, cwIterations: 30, cwInitialConst: 1, cwLearningRate: 0.1, // a short search must start where C&W succeeds, with larger steps
      seed: a.seed as number, keepFeatures: true, keepImages: 8,
      log: (l) => console.log(l),
      onProgress: taskProgressPrinter(),
    });
    models.push({ name: loss === 'gm' ? 'GM' : 'softmax', model: r.model, history: r.history, evaluation });
  }
  console.log('');
  for (const m of models) console.log(`${formatRobustness(`${m.name} model`, m.evaluation.result)}\n`);
  const seconds = (performance.now() - t0) / 1000;
  await writeFile(join(out, 'results.json'), JSON.stringify({
    backend: description, data: data.source, seconds,
    models: models.map((m) => ({ name: m.name, training: m.history, robustness: robustnessJson(m.evaluation.result) })),
  }, null, 2));
  const reportPath = join(out, 'report.html');
  const written = await writeReport(reportPath, {
    title: 'gmgrad demo — GM vs softmax on MNIST',
    backend: description,
    config: { data: data.source, model: `${a.model as string} → 2-d features`, epochs: a.epochs as number, eps: epsilons.join(','), 'PGD steps': a.steps as number, 'attacked images': data.evaluation.n },
    models: models.map((m) => ({ name: m.name, model: m.model, evaluation: m.evaluation, images: data.evaluation, history: m.history })),
    seconds,
  });
  console.log(`wrote ${[...written, join(out, 'results.json')].join(', ')} in ${seconds.toFixed(0)} s (backend ${description})`);
}
