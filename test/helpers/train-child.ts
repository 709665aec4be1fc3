/**
 * A training process for the kill tests (bundled and run as its own process by
 * test/train/kill-resume.test.ts): a tiny GM model on 40 images of the embedded MNIST test split,
 * trained into ./run under the current folder. argv: fresh|resume, epochs, the folder of the embedded
 * split (the bundle cannot locate it from its own path). Exit 0 when done, 3 with
 * the error on stderr when refused; GMGRAD_FAULT_KILL_AT makes it SIGKILL itself mid-write.
 */
import { init } from '../../src/init.js';
import { stratifiedSlice } from '../../src/data/dataset.js';
import { loadDataset } from '../../src/data/node/resolve.js';
import { defaultConfig } from '../../src/train/config.js';
import { trainOnData } from '../../src/train/run.js';

const [mode, epochs, embeddedDir] = process.argv.slice(2);
const test = await loadDataset('mnist', { split: 'test', dataDir: embeddedDir, allowDownload: false, progress: false, log: () => {} });
const train = stratifiedSlice(test, 40);
const held = stratifiedSlice(test, 20, 10);
const { backend, description } = await init({ backend: 'wasm', threads: 1, verbose: false });
const config = {
  ...defaultConfig('mnist'), model: 'tiny-cnn' as const, featureDim: 2, epochs: Number(epochs), batch: 20, lr: 0.02,
  rampEpochs: 1, lrStep: 1, backend: 'wasm' as const, threads: 1, out: 'run', seed: 5,
};
try {
  await trainOnData(config, backend, description, train, held, { resume: mode === 'resume', verbose: false });
  process.exit(0);
} catch (e) {
  process.stderr.write(`${(e as Error).name}: ${(e as Error).message}\n`);
  process.exit(3);
}
