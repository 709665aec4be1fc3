// Define an op of your own with its gradient, check the gradient, and train with it.
//
//   node examples/custom-op.mjs [--steps 150]
//
// softsign(x) = x / (1 + |x|), whose derivative is 1 / (1 + |x|)². The forward pass is written with
// gmgrad's ops; the backward rule gets the output's gradient and returns the input's. The rule is
// checked against central finite differences in float64, then softsign is the activation of a
// small network trained on real MNIST digits (the test split the package embeds).
import { parseArgs } from 'node:util';
import * as g from 'gmgrad';
import { loadDataset } from 'gmgrad/node';

const { values: o } = parseArgs({ options: { steps: { type: 'string', default: '150' } } });

const softsign = g.customOp('softsign', {
  forward: (x) => g.div(x, g.affine(g.abs(x), 1, 1)),
  backward: (grad, _output, x) => [g.div(grad, g.square(g.affine(g.abs(x), 1, 1)))],
});

// 1. the gradient rule against central finite differences, in float64 on the CPU reference
const cpu = await g.createBackend('cpu');
const x0 = Float64Array.from([-2.5, -0.7, -0.01, 0.3, 1.2, 4]);
const f = (x) => g.sum(g.square(softsign(x)));
const x = g.tensor(x0, { dtype: 'float64', backend: cpu, requiresGrad: true });
const [analytic] = g.grad(f)(x);
const h = 1e-6;
let worst = 0;
for (let i = 0; i < x0.length; i++) {
  const at = (d) => f(g.tensor(x0.map((v, j) => (j === i ? v + d : v)), { dtype: 'float64', backend: cpu })).dataSync()[0];
  const numeric = (at(h) - at(-h)) / (2 * h);
  worst = Math.max(worst, Math.abs(analytic.dataSync()[i] - numeric) / Math.max(1, Math.abs(numeric)));
}
console.log(`softsign's gradient vs central differences: worst relative error ${worst.toExponential(1)}`);
if (!(worst < 1e-6)) throw new Error('the gradient rule does not match the function');

// 2. a layer that uses it, in a small network trained on MNIST
class Softsign extends g.Module {
  forward(x) { return softsign(x); }
}
const { backend, description } = await g.init({ backend: 'auto' });
const data = await loadDataset('mnist', { split: 'test', allowDownload: false });
const train = g.sliceDataset(data, 0, 8000), heldOut = g.sliceDataset(data, 8000, 2000);
g.manualSeed(0);
const net = new g.Sequential(new g.Flatten(), new g.Linear(784, 128, { backend }), new Softsign(), new g.Linear(128, 10, { backend }));
const opt = new g.Adam(net.parameters(), { lr: 2e-3 });
const loader = new g.DataLoader(train, { batchSize: 64, shuffle: true, seed: 0, dropLast: true });
const losses = [];
for (let step = 0, epoch = 0; step < Number(o.steps); epoch++) {
  for await (const b of loader.epoch(epoch)) {
    const loss = g.tidy(() => {
      const l = g.crossEntropy(net.forward(g.tensor(b.x, { shape: [b.size, 1, 28, 28], backend })), g.tensor(b.y, { backend }));
      l.backward();
      return l;
    });
    opt.step();
    opt.zeroGrad();
    losses.push((await loss.data())[0]);
    loss.dispose();
    if (++step === Number(o.steps)) break;
  }
}
const first = losses.slice(0, 10).reduce((a, v) => a + v, 0) / 10, last = losses.slice(-10).reduce((a, v) => a + v, 0) / 10;
const pred = g.tidy(() => g.noGrad(() => g.argmax(net.forward(g.tensor(Float32Array.from(heldOut.images, (v) => v / 255), { shape: [heldOut.n, 1, 28, 28], backend })), 1)));
const p = await pred.data();
pred.dispose();
const acc = Array.from(p).filter((v, i) => v === heldOut.labels[i]).length / heldOut.n;
console.log(`${description}: ${losses.length} Adam steps, loss ${first.toFixed(3)} → ${last.toFixed(3)}, held-out accuracy ${(100 * acc).toFixed(1)}%`);
