// A user's script against the installed tarball (run by scripts/check-package.mjs in a temporary
// project): both entry points by name, datasets, a training run, checkpoint files, an attack, the
// report. Prints one JSON line; the library itself must print nothing (stderr stays empty).
import { mkdtempSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as g from 'gmgrad';
import { loadDataset, trainOnData, saveModel, loadModel, writeReport } from 'gmgrad/node';

const out = mkdtempSync(join(tmpdir(), 'gmgrad-consumer-'));
const webgpu = await g.init({ backend: 'webgpu' }).then(() => 'available', (e) => e.message);
const { backend, description } = await g.init({ backend: process.env.CONSUMER_BACKEND ?? 'wasm' });

const test = await loadDataset('mnist', { split: 'test', allowDownload: false });
const train = g.sliceDataset(test, 0, 1000), heldOut = g.sliceDataset(test, 9000, 500);
const config = { ...g.defaultConfig('mnist'), model: 'tiny-cnn', featureDim: 8, epochs: 1, batch: 25, lr: 0.05, rampEpochs: 0, out, seed: 0 };
const run = await trainOnData(config, backend, description, train, heldOut, { verbose: false });

const file = join(out, 'copy.safetensors');
await saveModel(file, run.model);
const { model, architecture } = await loadModel(file, backend);
const fromRun = await loadModel(run.checkpoint, backend);

const x = g.tensor(Float32Array.from(heldOut.images.subarray(0, 32 * 784), (v) => v / 255), { shape: [32, 1, 28, 28], backend });
const y = g.tensor(Int32Array.from(heldOut.labels.subarray(0, 32)), { dtype: 'int32', backend });
const attack = await new g.PGD({ epsilon: 0.2, steps: 5 }).run(model, x, y);
const evaluation = await g.evaluateModel({
  model, backend, fit: train, calibration: g.sliceDataset(heldOut, 100, 200), evaluation: g.sliceDataset(heldOut, 0, 40),
  attacks: ['fgsm'], epsilons: [0.1],
});
const written = await writeReport(join(out, 'report.html'), { title: 'consumer', backend: description, config: { model: 'tiny-cnn' }, models: [{ name: 'GM', model, evaluation, images: g.sliceDataset(heldOut, 0, 40), history: run.history }] });

console.log(JSON.stringify({
  webgpu, backend: description, dataset: test.source, trainedEpochs: run.history.length,
  testAccuracy: run.history.at(-1).testAccuracy, architecture, reloadedFromRun: fromRun.architecture.model,
  pgdSuccess: attack.success.filter(Boolean).length / attack.success.length,
  attacks: evaluation.result.runs.map((r) => r.label), report: written.every((f) => existsSync(f)), out,
}));
