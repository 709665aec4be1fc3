// Load weights trained in PyTorch and evaluate them on MNIST with gmgrad.
//
//   node examples/pytorch-weights.mjs --checkpoint tiny-cnn.safetensors --model tiny-cnn --feature-dim 8 --head gm
//
// The file is a plain state_dict saved with safetensors, by a PyTorch module whose parameter names
// are gmgrad's (`backbone.0.weight`, ..., `head.means` for a GM head, `head.weight`/`head.bias` for
// softmax) — e.g. the PyTorch twin of gmgrad's tiny-cnn in test/io/fixtures/pytorch/make_fixture.py:
//
//   from safetensors.torch import save_file
//   save_file(model.state_dict(), 'tiny-cnn.safetensors')
//
// Run from a clone without arguments, it loads that script's output (tiny-cnn, 8-d GM features).
// The command line does the same: gmgrad eval --checkpoint F --model NAME --feature-dim D --head gm|softmax
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import * as g from 'gmgrad';
import { loadDataset, loadModel } from 'gmgrad/node';

const fixture = fileURLToPath(new URL('../test/io/fixtures/pytorch/tiny-cnn-gm8.safetensors', import.meta.url));
const { values: o } = parseArgs({ options: {
  checkpoint: { type: 'string' }, model: { type: 'string', default: 'tiny-cnn' },
  'feature-dim': { type: 'string', default: '8' }, head: { type: 'string', default: 'gm' }, limit: { type: 'string', default: '10000' },
} });
const path = o.checkpoint ?? fixture;
if (!existsSync(path)) throw new Error(`no checkpoint at ${path}: pass --checkpoint FILE (a PyTorch state_dict saved with safetensors)`);

const { backend, description } = await g.init({ backend: 'auto' });
// the architecture is named here because a plain state_dict does not carry it; the head's tensors are checked against it
const { model, architecture } = await loadModel(path, backend, {
  architecture: { model: o.model, featureDim: Number(o['feature-dim']), head: o.head },
});
console.log(`${description}; ${path}: ${architecture.model}, ${architecture.featureDim}-d features, ${architecture.head} head, ${architecture.numClasses} classes`);

const test = g.sliceDataset(await loadDataset('mnist', { split: 'test', allowDownload: false }), 0, Number(o.limit));
const loader = new g.DataLoader(test, { batchSize: 500 });
const confusion = Array.from({ length: 10 }, () => new Array(10).fill(0));
model.eval();
for await (const b of loader.epoch(0)) {
  const pred = g.tidy(() => g.noGrad(() => g.argmax(model.forward(g.tensor(b.x, { shape: [b.size, 1, 28, 28], backend })), 1)));
  const p = await pred.data();
  pred.dispose();
  for (let i = 0; i < b.size; i++) confusion[b.y[i]][p[i]]++;
}
const correct = confusion.reduce((s, row, i) => s + row[i], 0);
console.log(`MNIST test (${test.n} images from ${test.source}): accuracy ${(100 * correct / test.n).toFixed(2)}%`);
console.log(`per class: ${confusion.map((row, i) => `${i} ${(100 * row[i] / row.reduce((a, b) => a + b, 0)).toFixed(1)}%`).join('  ')}`);
