/**
 * `gmgrad figure`: the paper's feature figure of a 2-D model (mnist-2d-gm, mnist-2d-softmax): the
 * features of the full test set, with the class means and σ contours of a GM head, as an SVG.
 */
import { mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { stratifiedSlice } from '../data/dataset.js';
import { loadDataset } from '../data/node/resolve.js';
import { featureFigure } from '../eval/feature-figure.js';
import { writeFileAtomic } from '../io/node/atomic-write.js';
import { MODEL_SOURCE_OPTIONS, modelFromArgs } from './model-source.js';
import { helpText, parseArgs, UsageError, type OptionSpec } from './args.js';

const OPTIONS: Record<string, OptionSpec> = {
  ...MODEL_SOURCE_OPTIONS,
  out: { type: 'string', help: 'the SVG to write (default: features-test.svg next to the checkpoint; runs/figure-NAME/features-test.svg for a released model)' },
  n: { type: 'number', default: 0, help: 'plot a class-balanced subset of N test images (0: the whole test set)' },
  title: { type: 'string', help: 'figure title (default: names the model, the set and what is drawn)' },
  data: { type: 'string', help: 'folder holding the dataset files' },
  backend: { type: 'string', default: 'auto', choices: ['auto', 'webgpu', 'wasm', 'cpu'], help: 'compute backend' },
  help: { type: 'boolean', default: false, help: 'show this help' },
};

export async function figureCommand(argv: string[]): Promise<string | null> {
  const a = parseArgs(argv, OPTIONS);
  if (a.help) { console.log(helpText('figure', 'Draw the 2-D test-set features of a model (class means and σ contours for GM) as an SVG.', OPTIONS)); return null; }
  const { model, config, file, backend } = await modelFromArgs(a, 'figure');
  if (model.meta.featureDim !== 2) throw new UsageError(`${file.path}: ${model.meta.featureDim}-d features; the figure needs a 2-d model`);
  const dataset = config.dataset ?? 'mnist';
  const full = await loadDataset(dataset, { split: 'test', dataDir: (a.data as string | undefined) ?? config.dataDir });
  const n = a.n as number;
  const data = n > 0 && n < full.n ? stratifiedSlice(full, n) : full;
  const name = file.released?.name ?? config.recipe ?? `${config.model} (${config.loss})`;
  const what = model.isGM ? 'class means and 1σ/2σ/3σ contours' : 'softmax head';
  const title = (a.title as string | undefined) ?? `${name}: ${data.n} ${dataset} test features, ${what}`;
  const { svg } = await featureFigure(model, data, backend, { title });
  model.dispose();
  const out = (a.out as string | undefined) ?? (file.released ? join('runs', `figure-${file.released.name}`, 'features-test.svg') : join(dirname(file.path), 'features-test.svg'));
  await mkdir(dirname(out), { recursive: true });
  await writeFileAtomic(out, new TextEncoder().encode(svg));
  console.log(`wrote ${out} (${data.n} points)`);
  return out;
}
