/**
 * The recipe files: each one validates and cites its source, the reference recipes carry the
 * authors' settings (jschenthu/GM-Loss), the shortened ones change only the schedule, and
 * `gmgrad train --recipe` applies them flag by flag and refuses a flag that changes the experiment.
 */
import { describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { trainConfigFromArgs } from '../../src/cli/train-command.js';
import { UsageError } from '../../src/cli/args.js';
import { DEFINING_FIELDS, RecipeError } from '../../src/train/recipe.js';
import { loadRecipe, recipeNames } from '../../src/train/node/recipe-files.js';
import { rampedHyper } from '../../src/train/trainer.js';
import { oneCycleLR } from '../../src/optim/schedules.js';
import { makeSchedule } from '../../src/train/run.js';
import { configFromRecipe } from '../../src/train/recipe.js';
import { createBackend, gmLoss, tensor } from '../../src/index.js';

const REFERENCES = ['mnist-2d-gm', 'mnist-2d-softmax', 'mnist-2d-gm-nomargin', 'mnist-100d-gm', 'cifar10-resnet20-gm', 'cifar10-resnet20-softmax'];

describe('recipe files', () => {
  const names = recipeNames();
  it('the six reference recipes are there, each a reference', () => {
    for (const n of REFERENCES) {
      expect(names).toContain(n);
      expect(loadRecipe(n).reference).toBe(true);
    }
  });

  it.each(names)('%s validates, cites its source and names what it shortens', (name) => {
    const r = loadRecipe(name);
    expect(r.name).toBe(name);
    expect(r.sources.length).toBeGreaterThan(0);
    if (!r.reference) {
      const ref = loadRecipe(r.shortens!);
      expect(ref.reference).toBe(true);
      for (const f of DEFINING_FIELDS) expect(r.config[f], f).toEqual(ref.config[f]);
      // a shortened recipe keeps the loss, optimiser and data settings; only the schedule changes
      const scheduleFields = new Set(['epochs', 'schedule', 'lrStep', 'lrGamma', 'milestones', 'warmupEpochs', 'rampEpochs', 'rampEvery']);
      for (const [k, v] of Object.entries(ref.config)) if (!scheduleFields.has(k)) expect((r.config as Record<string, unknown>)[k], k).toEqual(v);
      expect(r.config.epochs!).toBeLessThan(ref.config.epochs!);
    }
  });

  it('MNIST: the authors\' all-class likelihood, α = 1, λ = 0.1, Nesterov SGD with weight decay 1e-3, ×0.7 every 5 epochs, per-epoch ramp, input normalisation', () => {
    for (const n of ['mnist-2d-gm', 'mnist-100d-gm']) {
      expect(loadRecipe(n).config).toMatchObject({
        model: 'mnist-6conv', likelihood: 'all-class', margin: 1, lambda: 0.1, optimizer: 'sgd', momentum: 0.9, nesterov: true,
        weightDecay: 1e-3, schedule: 'step', lrStep: 5, lrGamma: 0.7, batch: 64, epochs: 50, rampEpochs: 5, rampEvery: 'epoch',
        normalize: { mean: [0.1307], std: [0.3081] },
      });
    }
    expect(loadRecipe('mnist-2d-gm').config).toMatchObject({ featureDim: 2, lr: 0.01 });
    expect(loadRecipe('mnist-100d-gm').config).toMatchObject({ featureDim: 100, lr: 0.02 });
    expect(loadRecipe('mnist-2d-gm-nomargin').config).toMatchObject({ ...loadRecipe('mnist-2d-gm').config, margin: 0 });
  });

  it('CIFAR-10: option-A ResNet-20, ‖·‖² true-class likelihood, α = 0.3, ×0.1 at 150 and 225 of 300 epochs, augmentation', () => {
    expect(loadRecipe('cifar10-resnet20-gm').config).toMatchObject({
      model: 'resnet20', featureDim: 64, likelihood: 'true-class-sq', margin: 0.3, lambda: 0.1, lr: 0.1, weightDecay: 5e-4,
      schedule: 'multistep', milestones: [150, 225], lrGamma: 0.1, epochs: 300, batch: 128, rampEpochs: 30, augment: true,
    });
  });
});

describe('the shortened schedules', () => {
  const lr = (name: string) => makeSchedule(configFromRecipe(loadRecipe(name)));
  it('MNIST: the authors\' nine ×0.7 decays in 20 epochs instead of 50, ending at the same learning rate', () => {
    const short = lr('mnist-2d-gm-short'), full = lr('mnist-2d-gm');
    for (let k = 0; k < 10; k++) expect(short(2 * k + 1.5)).toBeCloseTo(full(5 * k + 4.5), 12);
    expect(short(19.9)).toBeCloseTo(0.01 * 0.7 ** 9, 12);
  });
  it('CIFAR-10: one cycle, up to the authors\' 0.1 at epoch 3, down to 0 at epoch 60', () => {
    const short = lr('cifar10-resnet20-gm-short');
    expect(short(0)).toBeCloseTo(0.01, 12);
    expect(short(3)).toBeCloseTo(0.1, 12);
    expect(short(31.5)).toBeCloseTo(0.05, 12);
    expect(short(60)).toBe(0);
  });
});

describe('the authors\' MNIST loss', () => {
  it('gmLoss with likelihood all-class is mean_i[CE(−½‖x − μ‖² with the true logit ×(1 + α)) + λ·(1/K)Σ_k ‖x − μ_k‖²] (mnist_release.py loss_func)', async () => {
    const backend = await createBackend('cpu');
    const [n, k, d, alpha, lambda] = [3, 4, 2, 1, 0.1];
    const xs = [0.3, -1.2, 2.0, 0.5, -0.7, -0.4], ms = [1, 0, 0, 1, -1, 0, 0, -1], ys = [0, 2, 3];
    let expected = 0;
    for (let i = 0; i < n; i++) {
      const sq = Array.from({ length: k }, (_, j) => (xs[2 * i]! - ms[2 * j]!) ** 2 + (xs[2 * i + 1]! - ms[2 * j + 1]!) ** 2);
      const z = sq.map((s, j) => -0.5 * s * (j === ys[i] ? 1 + alpha : 1));
      const m = Math.max(...z);
      const ce = m + Math.log(z.reduce((a, v) => a + Math.exp(v - m), 0)) - z[ys[i]!]!;
      expected += (ce + lambda * sq.reduce((a, v) => a + v, 0) / k) / n;
    }
    const r = gmLoss(tensor(xs, { shape: [n, d], backend }), tensor(ms, { shape: [k, d], backend }), tensor(Int32Array.from(ys), { shape: [n], backend }),
      { margin: alpha, lambda, likelihood: 'all-class' });
    expect((await r.loss.data())[0]).toBeCloseTo(expected, 5);
  });

  it('the ramp changes once per epoch as the authors\' train() (start + e/epochs of the way at epoch e)', () => {
    const ramp = { epochs: 5, alphaStart: 0.1, lambdaStart: 0.01, every: 'epoch' as const };
    const finals = { alphaFinal: 1, lambdaFinal: 0.1 };
    expect(rampedHyper(finals, ramp, 2.7)).toEqual(rampedHyper(finals, ramp, 2));
    expect(rampedHyper(finals, ramp, 2).alpha).toBeCloseTo(0.1 + 0.9 * 2 / 5, 12);
    expect(rampedHyper(finals, ramp, 2).lambda).toBeCloseTo(0.1 * (0.01 + 0.99 * 2 / 5), 12);
    expect(rampedHyper(finals, { ...ramp, every: 'step' }, 2.5).alpha).toBeCloseTo(0.1 + 0.9 * 2.5 / 5, 12);
  });

  it('one cycle: linear up to the peak, linear down to 0 at the end', () => {
    const s = oneCycleLR(0.1, 50, 10);
    expect(s(0)).toBeCloseTo(0.01, 12);
    expect(s(5)).toBeCloseTo(0.055, 12);
    expect(s(10)).toBeCloseTo(0.1, 12);
    expect(s(30)).toBeCloseTo(0.05, 12);
    expect(s(50)).toBe(0);
    expect(() => oneCycleLR(0.1, 10, 10)).toThrow(/peak/);
  });
});

describe('gmgrad train --recipe', () => {
  it('starts from the recipe; every flag overrides one setting; the run folder is runs/<recipe>', () => {
    const { config } = trainConfigFromArgs(['--recipe', 'mnist-2d-gm', '--epochs', '2', '--lr', '0.05', '--alpha', '0.5', '--seed', '7']);
    expect(config).toMatchObject({ ...loadRecipe('mnist-2d-gm').config, epochs: 2, lr: 0.05, margin: 0.5, seed: 7, recipe: 'mnist-2d-gm', out: 'runs/mnist-2d-gm' });
  });

  it('without --recipe, MNIST and CIFAR-10 start from their reference recipes (the authors\' all-class MNIST likelihood)', () => {
    expect(trainConfigFromArgs([]).config).toMatchObject({ ...loadRecipe('mnist-2d-gm').config, out: 'runs/mnist-gm' });
    expect(trainConfigFromArgs(['--dataset', 'cifar10', '--loss', 'softmax']).config).toMatchObject({ model: 'resnet20', loss: 'softmax', augment: true });
    expect(trainConfigFromArgs(['--dataset', 'fashion-mnist']).config.recipe).toBeUndefined();
  });

  it('a flag that repeats the recipe\'s network or dataset is fine; one that changes it is an error', () => {
    expect(() => trainConfigFromArgs(['--recipe', 'mnist-2d-gm', '--model', 'mnist-6conv', '--dataset', 'mnist', '--feature-dim', '2'])).not.toThrow();
    expect(() => trainConfigFromArgs(['--recipe', 'mnist-2d-gm', '--model', 'small-cnn'])).toThrow(UsageError);
    expect(() => trainConfigFromArgs(['--recipe', 'mnist-2d-gm', '--dataset', 'cifar10'])).toThrow(/--dataset cifar10 contradicts recipe 'mnist-2d-gm' \(dataset mnist\)/);
    expect(() => trainConfigFromArgs(['--recipe', 'mnist-2d-gm', '--feature-dim', '100'])).toThrow(/--feature-dim 100 contradicts/);
    expect(() => trainConfigFromArgs(['--recipe', 'cifar10-resnet20-gm', '--loss', 'softmax'])).toThrow(/--loss softmax contradicts/);
  });

  it('an unknown recipe lists the known ones', () => {
    expect(() => trainConfigFromArgs(['--recipe', 'mnist-3d'])).toThrow(new RegExp(`--recipe must be one of ${recipeNames().join(', ')}, got 'mnist-3d'`));
    expect(() => loadRecipe('mnist-3d')).toThrow(new RegExp(`unknown recipe 'mnist-3d' \\(known: ${recipeNames().join(', ')}\\)`));
  });

  it('a malformed recipe file is refused with the file, the field and what was expected', () => {
    const dir = mkdtempSync(join(tmpdir(), 'gmgrad-recipes-'));
    const good = loadRecipe('mnist-2d-gm');
    const write = (name: string, r: unknown) => writeFileSync(join(dir, `${name}.json`), JSON.stringify(r));
    write('typo', { ...good, name: 'typo', config: { ...good.config, learningRate: 0.1 } });
    write('wrongtype', { ...good, name: 'wrongtype', config: { ...good.config, epochs: '50' } });
    write('machine', { ...good, name: 'machine', config: { ...good.config, backend: 'cpu' } });
    write('uncited', { ...good, name: 'uncited', sources: [] });
    write('misnamed', { ...good, name: 'other' });
    write('badnorm', { ...good, name: 'badnorm', config: { ...good.config, normalize: { mean: [0.1], std: [0] } } });
    writeFileSync(join(dir, 'broken.json'), '{');
    expect(() => loadRecipe('typo', dir)).toThrow(/typo\.json: config\.learningRate is not a training setting/);
    expect(() => loadRecipe('wrongtype', dir)).toThrow(/config\.epochs must be an integer from 1 to 1000000, got '50'/);
    expect(() => loadRecipe('machine', dir)).toThrow(/config\.backend belongs to a run/);
    expect(() => loadRecipe('uncited', dir)).toThrow(/must cite at least one source/);
    expect(() => loadRecipe('misnamed', dir)).toThrow(/named 'misnamed' but the recipe calls itself 'other'/);
    expect(() => loadRecipe('badnorm', dir)).toThrow(/normalize must be null or/);
    expect(() => loadRecipe('broken', dir)).toThrow(RecipeError);
  });
});
