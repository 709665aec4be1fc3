/**
 * A run that blows up stops at the first non-finite loss or gradient, names the step and what went
 * bad, and leaves the last good checkpoint byte for byte as it was.
 */
import { expect, it } from 'vitest';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultConfig, type TrainConfig } from '../../src/train/config.js';
import { trainOnEmbedded } from '../helpers/data.js';

it('divergence stops training with the step named and the last good checkpoint intact', async () => {
  const out = mkdtempSync(join(tmpdir(), 'gmgrad-diverge-'));
  const config: TrainConfig = {
    // the second epoch's learning rate (0.01 · 1e32) overflows within a few steps
    ...defaultConfig('mnist'), model: 'tiny-cnn', featureDim: 8, loss: 'gm', epochs: 1, batch: 50, lr: 0.01, momentum: 0,
    schedule: 'multistep', milestones: [1], lrGamma: 1e32,
    rampEpochs: 0, limit: 300, testLimit: 100, backend: 'wasm', out, seed: 2,
  };
  const first = await trainOnEmbedded(config, { verbose: false });
  first.model.dispose();
  const good = readFileSync(join(out, 'model.safetensors'));
  await expect(trainOnEmbedded({ ...config, epochs: 2 }, { verbose: false, resume: true }))
    .rejects.toThrow(/training diverged at epoch 2, step \d+ \(global step \d+\): the (loss|gradient of \S+) .*is not finite/);
  expect(readFileSync(join(out, 'model.safetensors')).equals(good)).toBe(true);
}, 120_000);
