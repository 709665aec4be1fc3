/** `gmgrad eval`: accuracy, per-class accuracy and the confusion matrix of a checkpoint. */
import { noGrad } from '../core/autograd.js';
import { tidy } from '../core/scope.js';
import { init } from '../init.js';
import { DataLoader } from '../data/dataloader.js';
import { stratifiedSlice } from '../data/dataset.js';
import { loadDataset } from '../data/node/resolve.js';
import { batchTensors } from '../train/trainer.js';
import { argmax } from '../ops/reduce.js';
import { helpText, parseArgs, UsageError, type OptionSpec } from './args.js';
import { ARCHITECTURE_FLAGS, loadCheckpoint } from './architecture-flags.js';
import { ProgressBar } from '../progress/progress-bar.js';

const OPTIONS: Record<string, OptionSpec> = {
  checkpoint: { type: 'string', help: 'model.safetensors written by gmgrad train, or a PyTorch state_dict in safetensors (with --model, --feature-dim, --head)' },
  ...ARCHITECTURE_FLAGS,
  dataset: { type: 'string', help: 'dataset (default: the one the checkpoint was trained on)', choices: ['mnist', 'fashion-mnist', 'cifar10'] },
  split: { type: 'string', default: 'test', choices: ['train', 'test'], help: 'which split' },
  limit: { type: 'number', default: 0, help: 'class-balanced subset of N images (0: all)' },
  data: { type: 'string', help: 'folder holding the dataset files' },
  backend: { type: 'string', default: 'auto', choices: ['auto', 'webgpu', 'wasm', 'cpu'], help: 'compute backend' },
  batch: { type: 'number', default: 256, help: 'batch size' },
  help: { type: 'boolean', default: false, help: 'show this help' },
};

export interface EvalResult {
  accuracy: number;
  perClass: number[];
  confusion: number[][];
  n: number;
}

export async function evalCommand(argv: string[]): Promise<EvalResult | null> {
  const a = parseArgs(argv, OPTIONS);
  if (a.help) { console.log(helpText('eval', 'Evaluate a checkpoint: accuracy, per-class accuracy, confusion matrix.', OPTIONS)); return null; }
  if (!a.checkpoint) throw new UsageError('eval needs --checkpoint PATH');
  const { backend } = await init({ backend: a.backend as 'auto', log: (line) => console.error(line) });
  const { model, config } = await loadCheckpoint(a, backend);
  const dataset = (a.dataset as string | undefined) ?? config.dataset ?? 'mnist';
  const full = await loadDataset(dataset, { split: a.split as 'test', dataDir: a.data as string | undefined });
  const data = (a.limit as number) > 0 && (a.limit as number) < full.n ? stratifiedSlice(full, a.limit as number) : full;
  const k = full.classes.length;
  const confusion = Array.from({ length: k }, () => new Array<number>(k).fill(0));
  const loader = new DataLoader(data, { batchSize: a.batch as number });
  const bar = new ProgressBar('eval', loader.length);
  model.eval();
  let done = 0;
  for await (const b of loader.epoch(0)) {
    const pred = noGrad(() => tidy(() => {
      const { x } = batchTensors(b, [data.c, data.h, data.w], backend);
      return argmax(model.forward(x), 1);
    }));
    const p = await pred.data();
    pred.dispose();
    for (let i = 0; i < b.size; i++) confusion[b.y[i]!]![p[i]!]!++;
    bar.update(++done);
  }
  bar.done();
  const n = data.n;
  const correct = confusion.reduce((s, row, i) => s + row[i]!, 0);
  const perClass = confusion.map((row, i) => row[i]! / Math.max(1, row.reduce((x, y) => x + y, 0)));
  console.log(`${dataset} ${a.split}: accuracy ${(100 * correct / n).toFixed(2)}% (${correct}/${n})`);
  console.log('per class: ' + perClass.map((v, i) => `${full.classes[i]} ${(100 * v).toFixed(1)}%`).join('  '));
  console.log('confusion matrix (rows: true class, columns: predicted):');
  const w = Math.max(5, String(n).length + 1);
  console.log(' '.repeat(4) + confusion.map((_, j) => String(j).padStart(w)).join(''));
  confusion.forEach((row, i) => console.log(String(i).padStart(3) + ' ' + row.map((v) => String(v).padStart(w)).join('')));
  return { accuracy: correct / n, perClass, confusion, n };
}
