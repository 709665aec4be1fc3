/** `gmgrad eval`: accuracy, per-class accuracy and the confusion matrix of a checkpoint or a released model. */
import { stratifiedSlice } from '../data/dataset.js';
import { loadDataset } from '../data/node/resolve.js';
import { evaluateAccuracy, type AccuracyResult } from '../eval/accuracy.js';
import { MODEL_SOURCE_OPTIONS, modelFromArgs } from './model-source.js';
import { helpText, parseArgs, type OptionSpec } from './args.js';
import { ProgressBar } from './progress.js';

const OPTIONS: Record<string, OptionSpec> = {
  ...MODEL_SOURCE_OPTIONS,
  dataset: { type: 'string', help: 'dataset (default: the one the checkpoint was trained on)', choices: ['mnist', 'fashion-mnist', 'cifar10'] },
  split: { type: 'string', default: 'test', choices: ['train', 'test'], help: 'which split' },
  limit: { type: 'number', default: 0, help: 'class-balanced subset of N images (0: all)' },
  data: { type: 'string', help: 'folder holding the dataset files' },
  backend: { type: 'string', default: 'auto', choices: ['auto', 'webgpu', 'wasm', 'cpu'], help: 'compute backend' },
  batch: { type: 'number', default: 256, help: 'batch size' },
  help: { type: 'boolean', default: false, help: 'show this help' },
};

export type EvalResult = AccuracyResult;

export async function evalCommand(argv: string[]): Promise<EvalResult | null> {
  const a = parseArgs(argv, OPTIONS);
  if (a.help) { console.log(helpText('eval', 'Evaluate a checkpoint: accuracy, per-class accuracy, confusion matrix.', OPTIONS)); return null; }
  const { model, config, file, backend } = await modelFromArgs(a, 'eval');
  const dataset = (a.dataset as string | undefined) ?? config.dataset ?? 'mnist';
  const full = await loadDataset(dataset, { split: a.split as 'test', dataDir: a.data as string | undefined });
  const data = (a.limit as number) > 0 && (a.limit as number) < full.n ? stratifiedSlice(full, a.limit as number) : full;
  const bar = new ProgressBar('eval', Math.ceil(data.n / (a.batch as number)));
  const r = await evaluateAccuracy(model, data, full.classes.length, backend, { batchSize: a.batch as number, onBatch: (done) => bar.update(done) });
  bar.done();
  const correct = Math.round(r.accuracy * r.n);
  console.log(`${dataset} ${a.split}: accuracy ${(100 * r.accuracy).toFixed(2)}% (${correct}/${r.n})`);
  const rel = file.released;
  if (rel) {
    const same = dataset === rel.dataset && a.split === 'test' && r.n === rel.testImages;
    console.log(`released '${rel.name}' (sha256 verified): the manifest lists ${(100 * rel.testAccuracy).toFixed(2)}% on ${rel.testImages} ${rel.dataset} test images${same ? (Math.abs(r.accuracy - rel.testAccuracy) < 0.5 / r.n ? ' — reproduced' : ` — measured ${(100 * r.accuracy).toFixed(2)}% here`) : ''}`);
  }
  console.log('per class: ' + r.perClass.map((v, i) => `${full.classes[i]} ${(100 * v).toFixed(1)}%`).join('  '));
  console.log('confusion matrix (rows: true class, columns: predicted):');
  const w = Math.max(5, String(r.n).length + 1);
  console.log(' '.repeat(4) + r.confusion.map((_, j) => String(j).padStart(w)).join(''));
  r.confusion.forEach((row, i) => console.log(String(i).padStart(3) + ' ' + row.map((v) => String(v).padStart(w)).join('')));
  return r;
}
