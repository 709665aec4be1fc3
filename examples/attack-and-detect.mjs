// Attack a GM model and detect the adversarial inputs by their likelihood under the mixture.
//
//   node examples/attack-and-detect.mjs [--checkpoint model.safetensors] [--epochs 2] [--n 200] [--eps 0.2]
//
// With --checkpoint, the model saved by `gmgrad train` (or examples/train-gm.mjs); otherwise a lenet
// trained here for a few epochs on real MNIST (full MNIST when found, else the embedded test split).
// Then: τ from held-out clean images (99 % of them accepted), FGSM, PGD and the detector-aware PGD
// against the GM score, and per attack how many inputs fool the model and how many the detector
// catches (AUROC of clean vs adversarial scores).
import { parseArgs } from 'node:util';
import * as g from 'gmgrad';
import { loadDataset, loadModel, trainOnData } from 'gmgrad/node';

const { values: o } = parseArgs({ options: {
  checkpoint: { type: 'string' }, epochs: { type: 'string', default: '2' }, n: { type: 'string', default: '200' },
  eps: { type: 'string', default: '0.2' }, steps: { type: 'string', default: '20' }, out: { type: 'string', default: 'runs/attack-and-detect' },
} });

const { backend, description } = await g.init({ backend: 'auto' });
const test = await loadDataset('mnist', { split: 'test', allowDownload: false });
// attacked and calibration images come from the last 2 000 test images; a fresh model trains on the rest
const attacked = g.sliceDataset(test, 8000, Number(o.n)), calibration = g.sliceDataset(test, 9000, 1000);

let model;
if (o.checkpoint) {
  ({ model } = await loadModel(o.checkpoint, backend));
  console.log(`${description}; loaded ${o.checkpoint} (${model.meta.model}, ${model.meta.featureDim}-d features)`);
} else {
  const config = { ...g.defaultConfig('mnist'), model: 'lenet', featureDim: 2, epochs: Number(o.epochs), batch: 64, lr: 0.03, lrStep: 2, lrGamma: 0.3, rampEpochs: 1, weightDecay: 5e-4, out: o.out };
  console.log(`${description}; training a lenet with the GM loss for ${config.epochs} epoch(s)`);
  ({ model } = await trainOnData(config, backend, description, g.sliceDataset(test, 0, 8000), calibration, { verbose: false }));
}
if (!model.isGM) throw new Error('this example needs a model with a GM head (its likelihood is the detection score)');
model.eval();

const images = (d) => ({
  x: g.tensor(Float32Array.from(d.images, (v) => v / 255), { shape: [d.n, 1, 28, 28], backend }),
  y: g.tensor(Int32Array.from(d.labels), { dtype: 'int32', backend }),
});
const clean = images(attacked), cal = images(calibration);

const detector = new g.GMScoreDetector(model);
const tau = await detector.calibrate(cal.x, cal.y, { tpr: 0.99 });
const cleanScores = await detector.scores(clean.x);
const cleanPredT = g.tidy(() => g.noGrad(() => g.argmax(model.forward(clean.x), 1)));
const cleanPred = await cleanPredT.data();
cleanPredT.dispose();
const labels = attacked.labels;
console.log(`clean: accuracy ${pct(count(cleanPred, (p, i) => p === labels[i]), attacked.n)}; GM score τ = ${tau.toFixed(3)} (99 % of held-out clean images accepted)`);

const eps = Number(o.eps), steps = Number(o.steps);
const attacks = [
  new g.FGSM({ epsilon: eps }),
  new g.PGD({ epsilon: eps, steps }),
  new g.AdaptivePGD({ epsilon: eps, steps, detector }), // minimises the GM score too, to slip under τ
];
for (const attack of attacks) {
  const r = await attack.run(model, clean.x, clean.y);
  const scores = await detector.scores(r.adversarial);
  // among images the model got right: fooled = now misclassified; caught = fooled and flagged (score > τ)
  const right = Array.from(cleanPred, (p, i) => p === labels[i]);
  const fooled = Array.from(r.predictions, (p, i) => right[i] && p !== labels[i]);
  const caught = fooled.map((f, i) => f && scores[i] > tau);
  // AUROC: how well the score separates clean inputs from the adversarial inputs that fooled the model
  const fooledScores = scores.filter((_, i) => fooled[i]);
  const auroc = fooledScores.length ? g.rocAuc(cleanScores.filter((_, i) => right[i]), fooledScores).toFixed(3) : '—';
  console.log(`${attack.name.padEnd(13)} ε=${eps}: fooled ${pct(count(fooled), count(right))}, of those flagged ${pct(count(caught), Math.max(1, count(fooled)))}, `
    + `undetected errors ${pct(count(fooled) - count(caught), attacked.n)}, AUROC ${auroc}`);
  r.adversarial.dispose();
}

function count(a, f = Boolean) { return Array.from(a).filter(f).length; }
function pct(k, n) { return `${(100 * k / n).toFixed(1)}%`; }
