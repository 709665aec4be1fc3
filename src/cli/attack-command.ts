/** `gmgrad attack`: attack a checkpoint, detect, print the table, write results.json and report.html. */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { init } from '../init.js';
import { stratifiedSlice, slice } from '../data/dataset.js';
import { loadDataset } from '../data/node/resolve.js';
import { evaluateModel } from '../eval/evaluate-model.js';
import { PLAN_NAMES } from '../eval/plans.js';
import { formatRobustness, robustnessJson } from '../eval/summary.js';
import { writeReport } from '../eval/report-writer.js';
import { helpText, parseArgs, UsageError, type OptionSpec } from './args.js';
import { ARCHITECTURE_FLAGS, loadCheckpoint } from './architecture-flags.js';
import { taskProgressPrinter } from '../progress/task-progress.js';

const OPTIONS: Record<string, OptionSpec> = {
  checkpoint: { type: 'string', help: 'model.safetensors written by gmgrad train, or a PyTorch state_dict in safetensors (with --model, --feature-dim, --head)' },
  ...ARCHITECTURE_FLAGS,
  dataset: { type: 'string', choices: ['mnist', 'fashion-mnist', 'cifar10'], help: 'dataset (default: the checkpoint\'s)' },
  attacks: { type: 'list', default: ['fgsm', 'pgd', 'cw', 'deepfool', 'adaptive'], help: `attacks, comma separated (${PLAN_NAMES.join(', ')})` },
  eps: { type: 'list', default: ['0.1', '0.2', '0.3'], help: 'ε values (L∞ for fgsm/bim/pgd/mim/adaptive; L2 for fgm/pgd-l2)' },
  steps: { type: 'number', default: 40, help: 'PGD/BIM/MIM/adaptive iterations' },
  'cw-search': { type: 'number', default: 5, help: 'C&W binary-search steps over c' },
  'cw-iterations': { type: 'number', default: 100, help: 'C&W Adam iterations per search step' },
  'cw-lr': { type: 'number', default: 1e-2, help: 'C&W Adam learning rate (raise it for few iterations)' },
  'cw-c0': { type: 'number', default: 1e-3, help: 'C&W first c of the binary search (raise it when the search is short)' },
  n: { type: 'number', default: 500, help: 'test images attacked (class-balanced)' },
  calibration: { type: 'number', default: 1000, help: 'held-out clean test images that set τ (99 % TPR)' },
  'fit-n': { type: 'number', default: 10000, help: 'clean training images for the Mahalanobis statistics' },
  tpr: { type: 'number', default: 0.99, help: 'true-positive rate on clean data that sets τ' },
  batch: { type: 'number', default: 128, help: 'attack batch size' },
  seed: { type: 'number', default: 0, help: 'seed of random starts and targets' },
  data: { type: 'string', help: 'folder holding the dataset files' },
  backend: { type: 'string', default: 'auto', choices: ['auto', 'webgpu', 'wasm', 'cpu'], help: 'compute backend' },
  out: { type: 'string', help: 'output folder (default: next to the checkpoint)' },
  help: { type: 'boolean', default: false, help: 'show this help' },
};

export async function attackCommand(argv: string[]): Promise<void> {
  const a = parseArgs(argv, OPTIONS);
  if (a.help) { console.log(helpText('attack', 'Attack a checkpoint, detect the adversarial inputs, and report.', OPTIONS)); return; }
  if (!a.checkpoint) throw new UsageError('attack needs --checkpoint PATH');
  const { backend, description } = await init({ backend: a.backend as 'auto' });
  const { model, config, path } = await loadCheckpoint(a, backend);
  const dataset = (a.dataset as string | undefined) ?? config.dataset ?? 'mnist';
  const dataDir = (a.data as string | undefined) ?? config.dataDir;
  const [train, test] = await Promise.all([
    loadDataset(dataset, { split: 'train', dataDir }),
    loadDataset(dataset, { split: 'test', dataDir }),
  ]);
  const n = a.n as number, nCal = a.calibration as number;
  if (n + nCal > test.n) throw new UsageError(`--n ${n} + --calibration ${nCal} exceeds the ${test.n} test images`);
  // attacked and calibration images come from disjoint parts of the test split
  const evaluation = stratifiedSlice(test, n);
  const calibration = stratifiedSlice(test, nCal, Math.ceil(n / test.classes.length) + 1);
  const fit = slice(train, 0, Math.min(a.fitN as number, train.n));
  const epsilons = (a.eps as string[]).map(Number);
  if (epsilons.some((e) => !(e >= 0))) throw new UsageError(`--eps must be non-negative numbers, got ${(a.eps as string[]).join(',')}`);
  console.error(`gmgrad attack: ${path} (${config.model}, ${config.loss} head, ${config.featureDim}-d) on ${dataset}, backend ${description}`);
  const t0 = performance.now();
  const ev = await evaluateModel({
    model, backend, fit, calibration, evaluation, attacks: a.attacks as string[], epsilons, steps: a.steps as number,
    cwSearchSteps: a.cwSearch as number, cwIterations: a.cwIterations as number, cwInitialConst: a.cwC0 as number, cwLearningRate: a.cwLr as number, seed: a.seed as number,
    tpr: a.tpr as number, batchSize: a.batch as number, keepFeatures: config.featureDim === 2, keepImages: 8,
    log: (l) => console.error(l),
    onProgress: taskProgressPrinter(),
  });
  console.log(formatRobustness(`${config.loss === 'gm' ? 'GM' : 'softmax'} model`, ev.result));
  const out = (a.out as string | undefined) ?? dirname(path);
  await mkdir(out, { recursive: true });
  const results = { checkpoint: path, dataset, backend: description, config, seconds: (performance.now() - t0) / 1000, options: { ...a, help: undefined }, result: robustnessJson(ev.result) };
  await writeFile(join(out, 'results.json'), JSON.stringify(results, null, 2));
  const reportPath = join(out, 'report.html');
  const written = await writeReport(reportPath, {
    title: `gmgrad attack — ${config.model} (${config.loss}) on ${dataset}`,
    backend: description,
    config: { checkpoint: path, dataset, ...config, attacks: (a.attacks as string[]).join(','), eps: epsilons.join(',') },
    models: [{ name: config.loss === 'gm' ? 'GM' : 'softmax', model, evaluation: ev, images: evaluation, history: null }],
  });
  console.error(`wrote ${[join(out, 'results.json'), ...written].join(', ')}`);
}
