/** `gmgrad eval`: accuracy, per-class accuracy and the confusion matrix of a checkpoint. */
import { noGrad } from '../core/autograd.js';
import { tidy } from '../core/scope.js';
import { init } from '../init.js';
import { DataLoader } from '../data/dataloader.js';
import { stratifiedSlice } from '../data/dataset.js';
import { loadDataset } from '../data/node/resolve.js';
import { batchTensors } from '../train/trainer.js';
import { BACKEND_CHOICES, DATASET_NAMES } from '../train/config.js';
import { argmax, min } from '../ops/reduce.js';
import { isFinite } from '../ops/unary.js';
import { stack } from '../ops/shape.js';
import { cast } from '../ops/shape.js';
import { helpText, parseArgs, UsageError, type OptionSpec } from './args.js';
import { say, type CliIO } from './io.js';
import { ProgressBar } from '../progress/progress-bar.js';
import { ARCHITECTURE_FLAGS, loadCheckpoint } from './architecture-flags.js';

export const EVAL_OPTIONS = {
  checkpoint: { type: 'string', path: 'file', required: true, help: 'model.safetensors written by gmgrad train, or a PyTorch state_dict in safetensors (with --model, --feature-dim, --head)' },
  ...ARCHITECTURE_FLAGS,
  dataset: { type: 'string', choices: DATASET_NAMES, help: 'dataset', defaultText: 'the one the checkpoint was trained on' },
  split: { type: 'string', default: 'test', choices: ['train', 'test'], help: 'which split' },
  limit: { type: 'integer', min: 0, default: 0, help: 'class-balanced subset of N images (0: all)' },
  data: { type: 'string', path: 'dir', help: 'folder holding the dataset files', defaultText: 'GMGRAD_DATA, the user cache, system folders, the embedded MNIST test split' },
  backend: { type: 'string', default: 'auto', choices: BACKEND_CHOICES, help: 'compute backend' },
  batch: { type: 'integer', min: 1, max: 65536, default: 256, help: 'batch size' },
  'dry-run': { type: 'boolean', default: false, help: 'check the flags and the checkpoint, print the settings as JSON, and exit' },
} as const satisfies Record<string, OptionSpec>;

export interface EvalResult {
  accuracy: number;
  perClass: number[];
  confusion: number[][];
  n: number;
}

export async function evalCommand(argv: string[], io: CliIO): Promise<EvalResult | null> {
  const a = parseArgs(argv, EVAL_OPTIONS);
  if (a.help) { say(io.stdout, helpText('eval', 'Evaluate a checkpoint: accuracy, per-class accuracy, confusion matrix.', EVAL_OPTIONS)); return null; }
  const { backend } = await init({ backend: a.backend, verbose: false });
  const path = a.checkpoint;
  const { model, config } = await loadCheckpoint(a, backend);
  const dataset = a.dataset ?? config.dataset ?? 'mnist';
  if (a.dryRun) {
    say(io.stdout, JSON.stringify({ checkpoint: path, model: config.model, dataset, split: a.split, limit: a.limit, batch: a.batch, backend: backend.name }, null, 2));
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
  const confusion = Array.from({ length: k }, () => new Array<number>(k).fill(0));
  const loader = new DataLoader(data, { batchSize: a.batch });
  const bar = new ProgressBar('eval', loader.length, io.stderr);
  model.eval();
  let done = 0;
  for await (const b of loader.epoch(0)) {
    const out = noGrad(() => tidy(() => {
      const { x } = batchTensors(b, [data.c, data.h, data.w], backend);
      const logits = model.forward(x);
      // the last row says whether every logit was finite
      return stack([cast(argmax(logits, 1), 'float32'), cast(min(isFinite(logits), 1), 'float32')]);
    }));
    const v = await out.data();
    out.dispose();
    for (let i = 0; i < b.size; i++) {
      if (v[b.size + i] !== 1) throw new Error(`${path}: the model's logits for image ${done * a.batch + i} of the ${dataset} ${a.split} split are not finite; its weights or inputs overflow`);
      confusion[b.y[i]!]![v[i]!]!++;
    }
    bar.update(++done);
  }
  bar.done();
  model.dispose();
  const n = data.n;
  const correct = confusion.reduce((s, row, i) => s + row[i]!, 0);
  const perClass = confusion.map((row, i) => row[i]! / Math.max(1, row.reduce((x, y) => x + y, 0)));
  say(io.stdout, `${dataset} ${a.split}: accuracy ${(100 * correct / n).toFixed(2)}% (${correct}/${n})`);
  say(io.stdout, 'per class: ' + perClass.map((v, i) => `${full.classes[i]} ${(100 * v).toFixed(1)}%`).join('  '));
  say(io.stdout, 'confusion matrix (rows: true class, columns: predicted):');
  const width = Math.max(5, String(n).length + 1);
  say(io.stdout, ' '.repeat(4) + confusion.map((_, j) => String(j).padStart(width)).join(''));
  confusion.forEach((row, i) => say(io.stdout, String(i).padStart(3) + ' ' + row.map((v) => String(v).padStart(width)).join('')));
  return { accuracy: correct / n, perClass, confusion, n };
}
