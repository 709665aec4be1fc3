/**
 * Adversarial training (PGD-AT, TRADES) on a tiny CNN and a slice of the embedded MNIST split, on
 * the wasm backend: the batch the optimizer sees is the adversarial one (inside the ε-ball, a loss
 * no lower than the clean batch's); the random starts depend on (seed, epoch, step) only, so an
 * interrupted run resumes bit-identically; a resume that changes the attack is refused by name;
 * and PGD-AT raises PGD accuracy over plain training at the same budget.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createAttack } from '../../src/attacks/registry.js';
import { noGrad } from '../../src/core/autograd.js';
import type { Backend } from '../../src/core/backend.js';
import { tidy } from '../../src/core/scope.js';
import type { Tensor } from '../../src/core/tensor.js';
import { stratifiedSlice, type Dataset } from '../../src/data/dataset.js';
import { init } from '../../src/init.js';
import { createModel } from '../../src/models/zoo.js';
import type { Classifier } from '../../src/models/classifier.js';
import { randn, tensor, uniform } from '../../src/ops/creation.js';
import { add } from '../../src/ops/binary.js';
import { logSoftmax } from '../../src/ops/softmax.js';
import { clipToImage } from '../../src/attacks/steps.js';
import { klFromLogProbs, tradesLoss, tradesPerturb } from '../../src/train/trades.js';
import { trainConfigFromArgs } from '../../src/cli/train-command.js';
import { configFromRecipe, validateRecipe } from '../../src/train/recipe.js';
import { crossEntropy } from '../../src/ops/nn.js';
import { adversarialSettings, batchSeed, createAdversary, type Adversary } from '../../src/train/adversarial.js';
import { defaultConfig, type TrainConfig } from '../../src/train/config.js';
import { trainOnData } from '../../src/train/run.js';
import { RunStateError } from '../../src/train/run-state-error.js';
import { trainLoop } from '../../src/train/trainer.js';
import { DataLoader } from '../../src/data/dataloader.js';
import { SGD } from '../../src/optim/sgd.js';
import { constantLR } from '../../src/optim/schedules.js';
import { Generator } from '../../src/core/random.js';
import { embeddedSplits } from '../helpers/data.js';

let backend: Backend;
let description: string;
let train: Dataset;
let held: Dataset;

beforeAll(async () => {
  ({ backend, description } = await init({ backend: 'wasm', threads: 1, verbose: false }));
  const s = await embeddedSplits();
  train = s.train;
  held = s.test;
});

const config = (out: string, over: Partial<TrainConfig> = {}): TrainConfig => ({
  ...defaultConfig('mnist'), model: 'tiny-cnn', featureDim: 8, epochs: 2, batch: 20, lr: 0.02, rampEpochs: 1, lrStep: 1,
  backend: 'wasm', threads: 1, out, seed: 5, adversarial: 'pgd', advEps: 0.1, advSteps: 3, ...over,
});

/** The training attack's own objective, summed over the batch: CE for PGD-AT, KL(p(x) ‖ p(x')) for TRADES. */
async function objective(mode: 'pgd' | 'trades', model: Classifier, x: Tensor, xAdv: Tensor, y: Tensor): Promise<number> {
  const t = noGrad(() => tidy(() => (mode === 'pgd'
    ? crossEntropy(model.forward(xAdv), y, { reduction: 'none' })
    : klFromLogProbs(logSoftmax(model.forward(x), 1), model.forward(xAdv)))));
  const v = sumOf(await t.data());
  t.dispose();
  return v;
}

const sumOf = (a: ArrayLike<number>) => Array.from(a).reduce((s, v) => s + v, 0);

describe('the batch the optimizer sees', () => {
  for (const mode of ['pgd', 'trades'] as const) {
    for (const loss of ['gm', 'softmax'] as const) {
      it(`${mode}, ${loss} head: inside the ε-ball, the attack's objective above clean and above a random point of the ball, and the batch the loss is computed on`, async () => {
        const eps = 0.1;
        const c = config('unused', { adversarial: mode, advEps: eps, advSteps: 5, loss, tradesBeta: 6 });
        const model = createModel('tiny-cnn', { head: loss, featureDim: 8, inputShape: [1, 28, 28], numClasses: 10, backend, generator: new Generator(3) });
        const real = createAdversary(adversarialSettings(c)!);
        const fed: { clean: Float32Array; adv: Float32Array; atClean: number; atRandom: number; atAdv: number; sameTensor: boolean }[] = [];
        let last: Tensor | null = null;
        const spy: Adversary = {
          settings: real.settings,
          async perturb(m, x, y, at) {
            const adv = await real.perturb(m, x, y, at);
            const wasTraining = m.training;
            m.eval();
            // a uniform point of the same ball: the attack must do better than chance
            const random = tidy(() => clipToImage(add(x, uniform(x.shape, -eps, eps, { generator: new Generator(at.step + 100), backend }))));
            const [atClean, atRandom, atAdv] = [await objective(mode, m, x, x, y), await objective(mode, m, x, random, y), await objective(mode, m, x, adv, y)];
            random.dispose();
            m.train(wasTraining);
            fed.push({ clean: Float32Array.from(await x.data()), adv: Float32Array.from(await adv.data()), atClean, atRandom, atAdv, sameTensor: false });
            last = adv;
            return adv;
          },
          loss(m, x, xAdv, y) {
            fed[fed.length - 1]!.sameTensor = xAdv === last;
            return real.loss(m, x, xAdv, y);
          },
        };
        const data = stratifiedSlice(train, 40);
        await trainLoop({
          model, optimizer: new SGD(model.parameters(), { lr: 0.01 }) as never, schedule: constantLR(0.01),
          train: new DataLoader(data, { batchSize: 20, shuffle: true, seed: 1 }), imageShape: [1, 28, 28], epochs: 1, backend, adversary: spy,
        });
        expect(fed.length).toBe(2);
        for (const f of fed) {
          expect(f.sameTensor).toBe(true);
          let linf = 0, moved = 0;
          for (let i = 0; i < f.clean.length; i++) {
            const d = Math.abs(f.adv[i]! - f.clean[i]!);
            linf = Math.max(linf, d);
            if (d > 1e-6) moved++;
            expect(f.adv[i]!).toBeGreaterThanOrEqual(0);
            expect(f.adv[i]!).toBeLessThanOrEqual(1);
          }
          expect(linf).toBeLessThanOrEqual(eps + 1e-6);
          expect(moved).toBeGreaterThan(f.clean.length / 10);
          expect(f.atAdv).toBeGreaterThan(f.atClean);
          expect(f.atAdv).toBeGreaterThan(f.atRandom);
        }
        model.dispose();
      }, 30_000);
    }
  }
});

describe('memory', () => {
  for (const mode of ['pgd', 'trades'] as const) {
    it(`${mode}: live bytes stay flat from step to step`, async () => {
      const g = await import('../../src/index.js');
      const model = createModel('tiny-cnn', { head: 'gm', featureDim: 4, inputShape: [1, 28, 28], numClasses: 10, backend, generator: new Generator(3) });
      const adversary = createAdversary(adversarialSettings(config('unused', { adversarial: mode, advSteps: 2 }))!);
      const live: number[] = [];
      await trainLoop({
        model, optimizer: new SGD(model.parameters(), { lr: 0.01, momentum: 0.9 }) as never, schedule: constantLR(0.01),
        train: new DataLoader(stratifiedSlice(train, 40), { batchSize: 10, shuffle: true, seed: 1 }), imageShape: [1, 28, 28], epochs: 3, backend, adversary,
        onStep: () => { live.push(g.memory()[backend.name]!.liveBytes); },
      });
      expect(live).toHaveLength(12);
      // after the first steps (momentum buffers allocated), every step ends where the last one did
      expect(new Set(live.slice(2)).size, `live bytes per step: ${live.join(', ')}`).toBe(1);
      model.dispose();
    }, 30_000);
  }
});

describe('determinism', () => {
  it('batch seeds differ between neighbouring steps, epochs and seeds, and repeat for the same triple', () => {
    const seen = new Set<number>();
    for (const seed of [0, 1]) for (let e = 0; e < 4; e++) for (let s = 0; s < 50; s++) seen.add(batchSeed(seed, e, s));
    expect(seen.size).toBe(2 * 4 * 50);
    expect(batchSeed(7, 3, 11)).toBe(batchSeed(7, 3, 11));
    for (const v of seen) expect(Number.isInteger(v) && v >= 0 && v <= 0xffffffff).toBe(true);
  });

  for (const mode of ['pgd', 'trades'] as const) {
    it(`${mode}: a run resumed after epoch 1 ends with the weights of an uninterrupted one`, async () => {
      const data = stratifiedSlice(train, 40);
      const test = stratifiedSlice(held, 20);
      const a = mkdtempSync(join(tmpdir(), 'gmgrad-adv-a-'));
      const b = mkdtempSync(join(tmpdir(), 'gmgrad-adv-b-'));
      const straight = await trainOnData(config(a, { adversarial: mode }), backend, description, data, test, { verbose: false });
      (await trainOnData(config(b, { adversarial: mode, epochs: 1 }), backend, description, data, test, { verbose: false })).model.dispose();
      const resumed = await trainOnData(config(b, { adversarial: mode }), backend, description, data, test, { verbose: false, resume: true });
      const sa = straight.model.stateDict(), sb = resumed.model.stateDict();
      for (const [k, t] of sa) expect(Array.from(await sb.get(k)!.data()), k).toEqual(Array.from(await t.data()));
      expect(resumed.history.map((h) => h.trainLoss)).toEqual(straight.history.map((h) => h.trainLoss));
      straight.model.dispose(); resumed.model.dispose();
    }, 30_000);
  }

  it('a resume that changes the attack is refused, naming the flag', async () => {
    const data = stratifiedSlice(train, 20);
    const test = stratifiedSlice(held, 10);
    const dir = mkdtempSync(join(tmpdir(), 'gmgrad-adv-id-'));
    (await trainOnData(config(dir, { epochs: 1 }), backend, description, data, test, { verbose: false })).model.dispose();
    const resume = (over: Partial<TrainConfig>) => trainOnData(config(dir, over), backend, description, data, test, { verbose: false, resume: true });
    await expect(resume({ advEps: 0.2 })).rejects.toThrow(RunStateError);
    await expect(resume({ advEps: 0.2 })).rejects.toThrow(/--eps is 0\.2 but the run used 0\.1/);
    await expect(resume({ advSteps: 4 })).rejects.toThrow(/--steps is 4 but the run used 3/);
    await expect(resume({ adversarial: 'none' })).rejects.toThrow(/--adversarial is unset but the run used "pgd"/);
    await expect(resume({ adversarial: 'trades' })).rejects.toThrow(/--adversarial is "trades" but the run used "pgd"/);
  }, 30_000);

  it('a run without adversarial training keeps the identity it had before the adversarial settings existed', async () => {
    const { runIdentity } = await import('../../src/train/run-identity.js');
    const data = stratifiedSlice(train, 20);
    const plain = runIdentity(config('x', { adversarial: 'none', advEps: 0 }), data, data);
    for (const k of ['adversarial', 'advEps', 'advSteps', 'advStepSize', 'advNorm', 'tradesBeta']) expect(plain.recipe).not.toHaveProperty(k);
    const pgd = runIdentity(config('x'), data, data);
    expect(pgd.recipe).toMatchObject({ adversarial: 'pgd', advEps: 0.1, advSteps: 3 });
    expect(pgd.recipe).not.toHaveProperty('tradesBeta');
  });
});

it('PGD-AT raises PGD accuracy over plain training at the same budget', async () => {
  const data = stratifiedSlice(train, 1000);
  const test = stratifiedSlice(held, 100);
  const base = { epochs: 4, batch: 50, optimizer: 'adam' as const, lr: 0.003, weightDecay: 0, schedule: 'constant' as const, loss: 'softmax' as const, advEps: 0.15, advSteps: 5, seed: 2 };
  const plain = await trainOnData(config(mkdtempSync(join(tmpdir(), 'gmgrad-adv-p-')), { ...base, adversarial: 'none' }), backend, description, data, test, { verbose: false });
  const robust = await trainOnData(config(mkdtempSync(join(tmpdir(), 'gmgrad-adv-r-')), { ...base, adversarial: 'pgd' }), backend, description, data, test, { verbose: false });
  const x = tensor(Float32Array.from(test.images, (v) => v / 255), { shape: [test.n, 1, 28, 28], backend });
  const y = tensor(Int32Array.from(test.labels), { shape: [test.n], backend });
  const pgdAccuracy = async (m: Classifier) => {
    const r = await createAttack('pgd', { epsilon: 0.15, steps: 10, seed: 9 }).run(m, x, y);
    r.adversarial.dispose();
    return r.success.filter((s) => !s).length / test.n;
  };
  const [accPlain, accRobust] = [await pgdAccuracy(plain.model), await pgdAccuracy(robust.model)];
  // measured: plain 85 % clean, 10 % under PGD; PGD-AT 81 % clean, 51 % under PGD
  expect(plain.history.at(-1)!.testAccuracy!).toBeGreaterThan(0.7);
  expect(robust.history.at(-1)!.testAccuracy!).toBeGreaterThan(0.6);
  expect(accRobust).toBeGreaterThan(accPlain + 0.25);
  x.dispose(); y.dispose(); plain.model.dispose(); robust.model.dispose();
}, 60_000);

it('the TRADES loss is the clean training loss + β·mean KL(p(x) ‖ p(x′)), as a plain re-implementation computes it', async () => {
  const model = createModel('tiny-cnn', { head: 'softmax', featureDim: 8, inputShape: [1, 28, 28], numClasses: 10, backend, generator: new Generator(4) });
  const data = stratifiedSlice(train, 10);
  const x = tensor(Float32Array.from(data.images, (v) => v / 255), { shape: [10, 1, 28, 28], backend });
  const y = tensor(Int32Array.from(data.labels), { shape: [10], backend });
  const xAdv = tidy(() => clipToImage(add(x, uniform(x.shape, -0.2, 0.2, { generator: new Generator(8), backend }))));
  const beta = 3;
  const got = tidy(() => tradesLoss(model, x, xAdv, y, beta).loss);
  const [zc, za] = [noGrad(() => model.forward(x)), noGrad(() => model.forward(xAdv))];
  const [clean, adv] = [Array.from(await zc.data()), Array.from(await za.data())];
  const logSoftmaxRow = (z: number[]) => { const m = Math.max(...z); const l = Math.log(z.reduce((s, v) => s + Math.exp(v - m), 0)) + m; return z.map((v) => v - l); };
  let ce = 0, kl = 0;
  for (let i = 0; i < 10; i++) {
    const lp = logSoftmaxRow(clean.slice(10 * i, 10 * i + 10));
    const lq = logSoftmaxRow(adv.slice(10 * i, 10 * i + 10));
    ce -= lp[data.labels[i]!]!;
    kl += lp.reduce((s, v, k) => s + Math.exp(v) * (v - lq[k]!), 0);
  }
  const want = ce / 10 + beta * (kl / 10);
  expect((await got.data())[0]!).toBeCloseTo(want, 4);
  for (const t of [got, zc, za, x, y, xAdv]) t.dispose();
  model.dispose();
});

describe('gmgrad train flags', () => {
  it('--adversarial, --eps, --steps, --step-size, --adv-norm and --beta reach the configuration', () => {
    const { config: c } = trainConfigFromArgs(['--dataset', 'mnist', '--adversarial', 'trades', '--eps', '0.3', '--steps', '40', '--step-size', '0.01', '--adv-norm', 'l2', '--beta', '1']);
    expect(c).toMatchObject({ adversarial: 'trades', advEps: 0.3, advSteps: 40, advStepSize: 0.01, advNorm: 'l2', tradesBeta: 1 });
    expect(adversarialSettings(c)).toMatchObject({ mode: 'trades', epsilon: 0.3, steps: 40, stepSize: 0.01, norm: 'l2', beta: 1 });
    const { config: d } = trainConfigFromArgs(['--adversarial', 'pgd', '--eps', '0.3', '--steps', '40']);
    expect(adversarialSettings(d)!.stepSize).toBeCloseTo(2.5 * 0.3 / 40, 12);
    expect(adversarialSettings(trainConfigFromArgs([]).config)).toBeNull();
  });

  it('refuses attack flags without adversarial training, and adversarial training without ε', () => {
    expect(() => trainConfigFromArgs(['--eps', '0.3'])).toThrow(/--eps applies to --adversarial pgd or trades, not none/);
    expect(() => trainConfigFromArgs(['--adversarial', 'pgd', '--beta', '6', '--eps', '0.1'])).toThrow(/--beta applies to --adversarial trades, not pgd/);
    expect(() => trainConfigFromArgs(['--adversarial', 'pgd'])).toThrow(/--adversarial pgd needs --eps > 0/);
    expect(() => trainConfigFromArgs(['--adversarial', 'fgsm'])).toThrow(/--adversarial must be one of none, pgd, trades, got 'fgsm'/);
  });

  it('a recipe may carry the adversarial settings', () => {
    const r = validateRecipe({
      name: 'x', title: 'x', reference: false, shortens: 'mnist-2d-gm', sources: ['Madry et al. 2018'],
      config: { dataset: 'mnist', model: 'tiny-cnn', featureDim: 2, loss: 'gm', adversarial: 'pgd', advEps: 0.3, advSteps: 40, advStepSize: 0.01 },
    }, 'x.json');
    expect(adversarialSettings(configFromRecipe(r))).toMatchObject({ mode: 'pgd', epsilon: 0.3, steps: 40, stepSize: 0.01 });
    expect(() => validateRecipe({ ...r, config: { ...r.config, advNorm: 'l1' } }, 'x.json')).toThrow(/x\.json: config\.advNorm/);
  });
});

it("TRADES' inner maximisation equals a plain re-implementation on a linear model (∇ KL = Wᵀ(q − p), sign steps, project, clip)", async () => {
  const { affineClassifier } = await import('../attacks/fixtures.js');
  const W = [[1, -2, 0.5], [-1, 1, 2], [0.3, 0.7, -1.5]];
  const b = [0.1, -0.2, 0.05];
  const model = affineClassifier(W, b);
  const xs = [[0.2, 0.5, 0.9], [0.6, 0.1, 0.4]];
  const x = tensor(xs, { dtype: 'float64' });
  const s = { epsilon: 0.1, steps: 5, stepSize: 0.03, norm: 'linf' as const };
  const seed = 21;
  const got = await tradesPerturb(model, x, s, seed);
  // the start's draws, taken from the same generator as tradesPerturb takes them
  const noiseTensor = randn(x.shape, { generator: new Generator(seed), dtype: 'float64', std: 0.001 });
  const noise = Array.from(await noiseTensor.data());
  noiseTensor.dispose();
  const softmaxOf = (v: number[]) => { const z = W.map((row, k) => row.reduce((a, w, j) => a + w * v[j]!, b[k]!)); const m = Math.max(...z); const e = z.map((t) => Math.exp(t - m)); const sum = e.reduce((a, t) => a + t, 0); return e.map((t) => t / sum); };
  const clip = (v: number, lo: number, hi: number) => Math.min(Math.max(v, lo), hi);
  const want: number[] = [];
  xs.forEach((x0, i) => {
    const p = softmaxOf(x0);
    let cur = x0.map((v, j) => clip(v + noise[3 * i + j]!, 0, 1));
    for (let t = 0; t < s.steps; t++) {
      const q = softmaxOf(cur);
      const grad = x0.map((_, j) => W.reduce((a, row, k) => a + row[j]! * (q[k]! - p[k]!), 0));
      cur = cur.map((v, j) => clip(clip(v + s.stepSize * Math.sign(grad[j]!), x0[j]! - s.epsilon, x0[j]! + s.epsilon), 0, 1));
    }
    want.push(...cur);
  });
  const values = Array.from(await got.data());
  values.forEach((v, k) => expect(v).toBeCloseTo(want[k]!, 10));
  // the attack moved every coordinate: the comparison is not of two copies of x
  expect(values.some((v, k) => Math.abs(v - xs.flat()[k]!) > 0.05)).toBe(true);
  got.dispose(); x.dispose(); model.dispose();
});
