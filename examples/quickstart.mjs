// A minimal end-to-end use of the library (in a clone, after `npm run build`):
//   node examples/quickstart.mjs
// Trains a small GM-loss classifier on the embedded MNIST test split for 150 steps (--steps N) and prints its
// accuracy and the detection score of clean vs noisy inputs.
import { parseArgs } from 'node:util';
import * as g from 'gmgrad';
import { loadDataset } from 'gmgrad/node';

const steps = Number(parseArgs({ options: { steps: { type: 'string', default: '150' } } }).values.steps);

const { DataLoader, createModel, SGD } = g;

const { backend, description } = await g.init({ backend: 'auto' });
console.log(`backend: ${description}`);
const data = await loadDataset('mnist', { split: 'test' });
const loader = new DataLoader(data, { batchSize: 64, shuffle: true, seed: 0, dropLast: true });
const model = createModel('small-cnn', { head: 'gm', featureDim: 16, inputShape: [1, 28, 28], backend, margin: 0.3, lambda: 0.05 });
const opt = new SGD(model.parameters(), { lr: 0.05, momentum: 0.9, nesterov: true, weightDecay: 5e-4 });

let step = 0;
for await (const b of loader.epoch(0)) {
  const stats = g.tidy(() => {
    const x = g.tensor(b.x, { shape: [b.size, 1, 28, 28], backend });
    const y = g.tensor(b.y, { backend });
    const out = model.step(x, y);
    out.loss.backward();
    opt.step();
    opt.zeroGrad();
    return g.stack([out.loss, g.mean(g.cast(g.eq(out.prediction, y), 'float32'))]);
  });
  const [loss, acc] = await stats.data();
  stats.dispose();
  if (++step % 20 === 0) console.log(`step ${step}: loss ${loss.toFixed(3)}, batch accuracy ${(100 * acc).toFixed(1)}%`);
  if (step === steps) break;
}
model.eval();
const scores = g.noGrad(() => g.tidy(() => {
  const x = g.tensor(loader.batch(0, 0).x, { shape: [64, 1, 28, 28], backend });
  const noisy = g.clamp(g.add(x, g.randn(x.shape, { backend, std: 0.5 })), 0, 1);
  const f = (t) => g.mean(g.gmScore(model.head, model.features(t)));
  return g.stack([f(x), f(noisy)]);
}));
const [clean, noisy] = await scores.data();
console.log(`mean detection score: clean ${clean.toFixed(2)}, noisy ${noisy.toFixed(2)} (higher = less likely under the mixture)`);
