/**
 * `gmgrad figure`: the paper's feature figure of a 2-D model (mnist-2d-gm, mnist-2d-softmax): the
 * features of the full test set, with the class means and σ contours of a GM head, as an SVG.
 */
import { dirname, join } from 'node:path';
import { stratifiedSlice } from '../data/dataset.js';
import { loadDataset } from '../data/node/resolve.js';
import { featureFigure } from '../eval/feature-figure.js';
import { writeFileAtomic } from '../io/node/atomic-write.js';
import { ensureWritableDir } from '../io/node/folders.js';
import { BACKEND_CHOICES } from '../train/config.js';
import { helpText, parseArgs, UsageError, type OptionSpec } from './args.js';
import { say, type CliIO } from './io.js';
import { MODEL_SOURCE_OPTIONS, modelFromArgs } from './model-source.js';

export const FIGURE_OPTIONS = {
  ...MODEL_SOURCE_OPTIONS,
  out: { type: 'string', help: 'the SVG to write', defaultText: 'features-test.svg next to the checkpoint; runs/figure-NAME/features-test.svg for --pretrained NAME' },
  n: { type: 'integer', min: 0, default: 0, help: 'plot a class-balanced subset of N test images (0: the whole test set)' },
  title: { type: 'string', help: 'figure title', defaultText: 'names the model, the set and what is drawn' },
  data: { type: 'string', path: 'dir', help: 'folder holding the dataset files', defaultText: 'GMGRAD_DATA, the user cache, system folders, the embedded MNIST test split' },
  backend: { type: 'string', default: 'auto', choices: BACKEND_CHOICES, help: 'compute backend' },
} as const satisfies Record<string, OptionSpec>;

export async function figureCommand(argv: string[], io: CliIO): Promise<string | null> {
  const a = parseArgs(argv, FIGURE_OPTIONS);
  if (a.help) { say(io.stdout, helpText('figure', 'Draw the 2-D test-set features of a model (class means and σ contours for GM) as an SVG.', FIGURE_OPTIONS)); return null; }
  if (a.checkpoint === undefined && a.pretrained === undefined) throw new UsageError('figure needs --checkpoint PATH or --pretrained NAME');
  const out = a.out ?? (a.checkpoint !== undefined ? join(dirname(a.checkpoint), 'features-test.svg') : join('runs', `figure-${a.pretrained}`, 'features-test.svg'));
  await ensureWritableDir(dirname(out), '--out folder');
  const { model, config, file, backend } = await modelFromArgs(a, 'figure');
  try {
    if (model.meta.featureDim !== 2) throw new UsageError(`${file.path}: ${model.meta.featureDim}-d features; the figure needs a 2-d model (--checkpoint or --pretrained)`);
    const dataset = config.dataset ?? 'mnist';
    const full = await loadDataset(dataset, { split: 'test', dataDir: a.data ?? config.dataDir, progress: false, log: (l) => say(io.stderr, l) });
    if (a.n > full.n) throw new UsageError(`--n ${a.n} is more than the ${full.n} images of the ${dataset} test split`);
    const data = a.n > 0 && a.n < full.n ? stratifiedSlice(full, a.n) : full;
    const name = file.released?.name ?? config.recipe ?? `${config.model} (${config.loss})`;
    const what = model.isGM ? 'class means and 1σ/2σ/3σ contours' : 'softmax head';
    const { svg } = await featureFigure(model, data, backend, { title: a.title ?? `${name}: ${data.n} ${dataset} test features, ${what}` });
    await writeFileAtomic(out, svg);
    say(io.stdout, `wrote ${out} (${data.n} points)`);
    return out;
  } finally {
    model.dispose();
  }
}
