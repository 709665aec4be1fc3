// Train a CNN with the Gaussian-mixture loss on MNIST and draw its 2-D feature space.
//
//   node examples/train-gm.mjs [--model lenet] [--epochs 3] [--train-n 8000] [--out runs/train-gm]
//
// Full MNIST is used when gmgrad finds it (GMGRAD_DATA, ~/.cache/gmgrad/mnist, --data DIR); otherwise
// the MNIST test split that the package embeds, 8 000 images to train on and the rest held out.
// Writes <out>/model.safetensors, metrics.json and features.svg (held-out features, the class means
// and the 1σ/2σ/3σ circles of each class Gaussian).
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import * as g from 'gmgrad';
import { loadDataset, trainOnData } from 'gmgrad/node';

const { values: o } = parseArgs({ options: {
  model: { type: 'string', default: 'lenet' }, epochs: { type: 'string', default: '3' },
  'train-n': { type: 'string', default: '8000' }, data: { type: 'string' }, out: { type: 'string', default: 'runs/train-gm' },
} });

const { backend, description } = await g.init({ backend: 'auto' });
const quiet = { dataDir: o.data, allowDownload: false };
const test = await loadDataset('mnist', { split: 'test', ...quiet });
let train, heldOut;
try {
  train = g.stratifiedSlice(await loadDataset('mnist', { split: 'train', ...quiet }), Number(o['train-n']));
  heldOut = g.sliceDataset(test, 0, 2000);
} catch {
  // no full MNIST here: divide the embedded test split (a seeded order mixes its two halves' writers)
  const order = new g.Generator(1234).permutation(test.n);
  train = g.stratifiedSlice(g.gatherDataset(test, order.subarray(0, 8000)), Math.min(8000, Number(o['train-n'])));
  heldOut = g.gatherDataset(test, order.subarray(8000));
}
console.log(`${description}; training ${o.model} on ${train.n} images from ${train.source}`);

const config = {
  ...g.defaultConfig('mnist'), model: o.model, featureDim: 2, loss: 'gm', alpha: 1, lambda: 0.1,
  epochs: Number(o.epochs), batch: 64, lr: 0.03, lrStep: 2, lrGamma: 0.3, rampEpochs: 1, weightDecay: 5e-4, out: o.out,
};
const run = await trainOnData(config, backend, description, train, heldOut, { verbose: true });
const model = run.model;

// the held-out images' features and the mixture's means, then the plot
model.eval();
const n = Math.min(heldOut.n, 2000);
const x = g.tensor(Float32Array.from(heldOut.images.subarray(0, n * 784), (v) => v / 255), { shape: [n, 1, 28, 28], backend });
const features = g.tidy(() => g.noGrad(() => model.features(x)));
const svg = g.report.featureScatter({
  width: 640, height: 640, title: `${o.model} with the GM loss: held-out features`,
  points: await features.data(), labels: heldOut.labels.subarray(0, n), means: await model.head.means.data(),
  density: 'circles', classNames: test.classes,
});
features.dispose();
x.dispose();
await mkdir(o.out, { recursive: true });
await writeFile(join(o.out, 'features.svg'), svg);
const last = run.history.at(-1);
console.log(`held-out accuracy ${(100 * last.testAccuracy).toFixed(2)}%; wrote ${run.checkpoint} and ${join(o.out, 'features.svg')}`);
