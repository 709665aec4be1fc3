/**
 * A small trained model for attack comparisons: a 2-layer MLP fitted (Adam, seeded) to four
 * Gaussian blobs in [0, 1]⁸, with held-out points it classifies correctly. Trained once per test
 * file (a fraction of a second on the cpu backend).
 */
import * as g from '../../src/index.js';
import type { Tensor } from '../../src/index.js';
import { Classifier } from '../../src/models/classifier.js';
import { Linear, ReLU, Sequential } from '../../src/nn/layers.js';
import { Adam } from '../../src/optim/adam.js';

function blobs(n: number, seed: number): { x: Tensor; y: Tensor } {
  const rng = new g.Generator(seed);
  const centres = [0.3, 0.7].flatMap((a) => [0.3, 0.7].map((b) => [a, b, 1 - a, 1 - b, a, b, 1 - a, 1 - b]));
  const noise = Array.from(g.randn([n, 8], { generator: rng, dtype: 'float64', std: 0.12 }).dataSync());
  const y = Array.from({ length: n }, (_, i) => i % 4);
  const x = y.flatMap((c, i) => centres[c]!.map((v, j) => Math.min(1, Math.max(0, v + noise[i * 8 + j]!))));
  return { x: g.tensor(x, { dtype: 'float64', shape: [n, 8] }), y: g.tensor(y, { dtype: 'int32' }) };
}

export function trainedBlobModel(): { model: Classifier; x: Tensor; y: Tensor } {
  const o = { generator: new g.Generator(7), dtype: 'float64' as const };
  const model = new Classifier(new Sequential(new Linear(8, 16, o), new ReLU()), new Linear(16, 4, o),
    { model: 'blob-mlp', featureDim: 16, numClasses: 4, inputShape: [8] });
  const train = blobs(256, 11);
  const opt = new Adam(model.parameters(), { lr: 0.05 });
  for (let step = 0; step < 150; step++) {
    opt.zeroGrad();
    g.tidy(() => {
      const loss = g.crossEntropy(model.forward(train.x), train.y);
      g.backward(loss);
    });
    opt.step();
  }
  model.eval();
  const test = blobs(48, 12);
  const pred = Array.from(g.argmax(model.forward(test.x), 1).dataSync());
  const truth = Array.from(test.y.dataSync());
  const keepIdx = truth.map((_, i) => i).filter((i) => pred[i] === truth[i]);
  const xRows = Array.from(test.x.dataSync());
  const x = g.tensor(keepIdx.flatMap((i) => xRows.slice(i * 8, i * 8 + 8)), { dtype: 'float64', shape: [keepIdx.length, 8] });
  return { model, x, y: g.tensor(keepIdx.map((i) => truth[i]!), { dtype: 'int32' }) };
}
