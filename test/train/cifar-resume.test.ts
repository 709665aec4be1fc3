/**
 * A CIFAR-10 recipe run (random crop + flip in the data loader, per-channel normalisation in the
 * model) interrupted after one epoch and resumed ends with exactly the weights of an uninterrupted
 * one: the augmentation is a function of (seed, epoch, position) only. Slices of the real test batch.
 */
import { describe, expect, it } from 'vitest';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { trainOnData } from '../../src/train/run.js';
import { createBackend } from '../../src/index.js';
import { configFromRecipe } from '../../src/train/recipe.js';
import { loadRecipe } from '../../src/train/node/recipe-files.js';
import { DataLoader } from '../../src/data/dataloader.js';
import { stratifiedSlice } from '../../src/data/dataset.js';
import { loadDataset } from '../../src/data/node/resolve.js';
import type { TrainConfig } from '../../src/train/config.js';
import { needFullData } from '../helpers/data.js';

describe('cifar10 recipe: augmentation and resume', () => {
  const run = (out: string, epochs: number, dataDir: string): TrainConfig => ({
    ...configFromRecipe(loadRecipe('cifar10-resnet20-gm')), model: 'tiny-cnn', featureDim: 8, epochs, batch: 32, rampEpochs: 1,
    limit: 96, testLimit: 40, backend: 'cpu', out, dataDir, seed: 4,
  });

  it('the recipe\'s loader crops and flips (the batches are not the plain images), the same way every time', async (ctx) => {
    const dir = await needFullData(ctx, 'cifar10');
    const c = run('unused', 1, dir);
    const data = stratifiedSlice(await loadDataset('cifar10', { split: 'test', dataDir: dir }), c.limit);
    const a = new DataLoader(data, { batchSize: 32, shuffle: true, seed: c.seed, augment: c.augment }).batch(1, 2);
    const b = new DataLoader(data, { batchSize: 32, shuffle: true, seed: c.seed, augment: c.augment }).batch(1, 2);
    const plain = new DataLoader(data, { batchSize: 32, shuffle: true, seed: c.seed }).batch(1, 2);
    expect(Array.from(b.x)).toEqual(Array.from(a.x));
    expect(Array.from(a.indices)).toEqual(Array.from(plain.indices));
    expect(Array.from(a.x)).not.toEqual(Array.from(plain.x));
  });

  it('2 epochs straight = 1 epoch, interrupted, then --resume', async (ctx) => {
    const dir = await needFullData(ctx, 'cifar10');
    const a = mkdtempSync(join(tmpdir(), 'gmgrad-cifar-a-'));
    const b = mkdtempSync(join(tmpdir(), 'gmgrad-cifar-b-'));
    // the test split's files are one batch (the train split's five cost seconds to verify); the run does not care
    const all = await loadDataset('cifar10', { split: 'test', dataDir: dir });
    const train = stratifiedSlice(all, 96), test = stratifiedSlice(all, 40, 200);
    const backend = await createBackend('cpu');
    const go = (c: TrainConfig, resume = false) => trainOnData(c, backend, 'cpu', train, test, { verbose: false, resume });
    const straight = await go(run(a, 2, dir));
    await go(run(b, 1, dir));
    const resumed = await go(run(b, 2, dir), true);
    expect(resumed.model.normalize).not.toBeNull();
    const sa = straight.model.stateDict(), sb = resumed.model.stateDict();
    expect([...sb.keys()]).toEqual([...sa.keys()]);
    for (const [k, t] of sa) expect(Array.from(await sb.get(k)!.data()), k).toEqual(Array.from(await t.data()));
  }, 120_000);
});
