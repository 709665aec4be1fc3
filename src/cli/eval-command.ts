/** `gmgrad eval`: accuracy, per-class accuracy and the confusion matrix of a checkpoint or a released model. */
import { stratifiedSlice } from '../data/dataset.js';
import { loadDataset } from '../data/node/resolve.js';
import { BACKEND_CHOICES, DATASET_NAMES } from '../train/config.js';
import { evaluateAccuracy, type AccuracyResult } from '../eval/accuracy.js';
import { helpText, parseArgs, UsageError, type OptionSpec } from './args.js';
import { say, type CliIO } from './io.js';
import { MODEL_SOURCE_OPTIONS, modelFromArgs } from './model-source.js';
import { ProgressBar } from '../progress/progress-bar.js';

export const EVAL_OPTIONS = {
  ...MODEL_SOURCE_OPTIONS,
  dataset: { type: 'string', choices: DATASET_NAMES, help: 'dataset', defaultText: 'the one the checkpoint was trained on' },
  split: { type: 'string', default: 'test', choices: ['train', 'test'], help: 'which split' },
  limit: { type: 'integer', min: 0, default: 0, help: 'class-balanced subset of N images (0: all)' },
  data: { type: 'string', path: 'dir', help: 'folder holding the dataset files', defaultText: 'GMGRAD_DATA, the user cache, system folders, the embedded MNIST test split' },
  backend: { type: 'string', default: 'auto', choices: BACKEND_CHOICES, help: 'compute backend' },
  batch: { type: 'integer', min: 1, max: 65536, default: 256, help: 'batch size' },
  'dry-run': { type: 'boolean', default: false, help: 'check the flags and the checkpoint, print the settings as JSON, and exit' },
} as const satisfies Record<string, OptionSpec>;

export type EvalResult = AccuracyResult;

export async function evalCommand(argv: string[], io: CliIO): Promise<EvalResult | null> {
  const a = parseArgs(argv, EVAL_OPTIONS);
  if (a.help) { say(io.stdout, helpText('eval', 'Evaluate a checkpoint or a released model: accuracy, per-class accuracy, confusion matrix.', EVAL_OPTIONS)); return null; }
  const { model, config, file, backend } = await modelFromArgs(a, 'eval');
  const path = file.path;
  const dataset = a.dataset ?? config.dataset ?? 'mnist';
  if (a.dryRun) {
    say(io.stdout, JSON.stringify({ checkpoint: path, released: file.released?.name ?? null, model: config.model, dataset, split: a.split, limit: a.limit, batch: a.batch, backend: backend.name }, null, 2));
    model.dispose();
    return null;
  }
  const full = await loadDataset(dataset, { split: a.split, dataDir: a.data, progress: false, log: (l) => say(io.stderr, l) });
  if (a.limit > full.n) throw new UsageError(`--limit ${a.limit} is more than the ${full.n} images of the ${dataset} ${a.split} split`);
  const [c, h, w] = model.meta.inputShape;
  if (c !== full.c || h !== full.h || w !== full.w) {
    throw new UsageError(`${path}: the model takes ${c}×${h}×${w} images, but --dataset ${dataset} has ${full.c}×${full.h}×${full.w}`);
  }
  const data = a.limit > 0 && a.limit < full.n ? stratifiedSlice(full, a.limit) : full;
  const k = full.classes.length;
  if (k !== model.meta.numClasses) throw new UsageError(`${path}: the model has ${model.meta.numClasses} classes, but --dataset ${dataset} has ${k}`);
  const bar = new ProgressBar('eval', Math.ceil(data.n / a.batch), io.stderr);
  let r: AccuracyResult;
  try {
    r = await evaluateAccuracy(model, data, k, backend, { batchSize: a.batch, what: `${path} on the ${dataset} ${a.split} split`, onBatch: (done) => bar.update(done) });
  } finally {
    model.dispose();
  }
  bar.done();
  const correct = Math.round(r.accuracy * r.n);
  say(io.stdout, `${dataset} ${a.split}: accuracy ${(100 * r.accuracy).toFixed(2)}% (${correct}/${r.n})`);
  const rel = file.released;
  if (rel) {
    const same = dataset === rel.dataset && a.split === 'test' && r.n === rel.testImages;
    const verdict = !same ? '' : Math.abs(r.accuracy - rel.testAccuracy) < 0.5 / r.n ? ' — reproduced' : ` — ${(100 * r.accuracy).toFixed(2)}% here`;
    say(io.stdout, `released '${rel.name}' (sha256 verified): the manifest lists ${(100 * rel.testAccuracy).toFixed(2)}% on ${rel.testImages} ${rel.dataset} test images${verdict}`);
  }
  say(io.stdout, 'per class: ' + r.perClass.map((v, i) => `${full.classes[i]} ${(100 * v).toFixed(1)}%`).join('  '));
  say(io.stdout, 'confusion matrix (rows: true class, columns: predicted):');
  const width = Math.max(5, String(r.n).length + 1);
  say(io.stdout, ' '.repeat(4) + r.confusion.map((_, j) => String(j).padStart(width)).join(''));
  r.confusion.forEach((row, i) => say(io.stdout, String(i).padStart(3) + ' ' + row.map((v) => String(v).padStart(width)).join('')));
  return r;
}
