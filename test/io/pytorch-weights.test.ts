/**
 * PyTorch weights in: a plain state_dict written by PyTorch in safetensors (no gmgrad metadata,
 * fixtures/pytorch/make_fixture.py) loads when the architecture is named — in the library and
 * with `gmgrad eval|attack --model --feature-dim --head` — and computes what PyTorch computed.
 * And gmgrad's own files name their architecture: decodeModel(encodeModel(model)) round-trips.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import * as g from '../../src/index.js';
import { parseIdxImages } from '../../src/data/idx.js';
import { evalCommand } from '../../src/cli/eval-command.js';
import { attackCommand } from '../../src/cli/attack-command.js';
import { decodeSafetensors } from '../../src/io/safetensors.js';
import { EMBEDDED_MNIST, needFullData } from '../helpers/data.js';

const FIXTURE = new URL('./fixtures/pytorch/tiny-cnn-gm8.safetensors', import.meta.url).pathname;
const expected = JSON.parse(readFileSync(new URL('./fixtures/pytorch/tiny-cnn-gm8.json', import.meta.url), 'utf8')) as {
  sha256: string; correct_of_10000: number; first_logits: number[][]; architecture: { model: 'tiny-cnn'; featureDim: number; head: 'gm' };
};
const bytes = () => new Uint8Array(readFileSync(FIXTURE));
const FLAGS = ['--model', 'tiny-cnn', '--feature-dim', '8', '--head', 'gm'];

/** where a CLI command's output goes in these tests */
const sink = { write: () => true };
const io = { stdout: sink, stderr: sink };

describe('a PyTorch state_dict in safetensors', () => {
  it('is the committed file (sha256) and carries no gmgrad metadata', () => {
    expect(createHash('sha256').update(bytes()).digest('hex')).toBe(expected.sha256);
    expect(decodeSafetensors(bytes()).metadata).toEqual({});
  });

  it('needs its architecture named, and says how', async () => {
    const cpu = await g.createBackend('cpu');
    expect(() => g.decodeModel(bytes(), cpu, 'tiny.safetensors')).toThrow(
      /tiny\.safetensors: the checkpoint does not name its architecture \(a plain PyTorch state_dict\?\): pass --model \(gmgrad eval \/ attack: --model NAME --feature-dim D --head gm\|softmax/);
  });

  it('computes the logits PyTorch computed', async () => {
    const cpu = await g.createBackend('cpu');
    const { model, architecture } = g.decodeModel(bytes(), cpu, 'tiny', { architecture: { model: 'tiny-cnn' } });
    expect(architecture).toMatchObject({ model: 'tiny-cnn', featureDim: 8, head: 'gm', numClasses: 10, inputShape: [1, 28, 28], diagonal: false });
    const im = parseIdxImages(gunzipSync(readFileSync(join(EMBEDDED_MNIST, 't10k-images-idx3-ubyte.gz'))));
    const x = g.tensor(Float32Array.from(im.pixels.subarray(0, 8 * 784), (v) => v / 255), { shape: [8, 1, 28, 28], backend: cpu });
    model.eval();
    const logits = await g.noGrad(() => model.forward(x)).data();
    const want = expected.first_logits.flat();
    for (let i = 0; i < want.length; i++) expect(Math.abs(logits[i]! - want[i]!), `logit ${i}`).toBeLessThan(1e-4 + 1e-4 * Math.abs(want[i]!));
    model.dispose();
  });

  it('names the mismatch when the flags disagree with the tensors', async () => {
    const cpu = await g.createBackend('cpu');
    const decode = (architecture: Partial<g.Architecture>) => () => g.decodeModel(bytes(), cpu, 'tiny', { architecture });
    expect(decode({ model: 'tiny-cnn', featureDim: 16 })).toThrow(/tiny: --feature-dim 16 was asked for, but the checkpoint's tensors say 8/);
    expect(decode({ model: 'tiny-cnn', head: 'softmax' })).toThrow(/tiny: --head softmax was asked for, but the checkpoint's tensors say "gm"/);
    expect(decode({ model: 'small-cnn' })).toThrow(/tiny: does not fit small-cnn with 8-d features and a gm head: loadStateDict: '?backbone\.0\.weight'? has shape \[8, 1, 5, 5\] but the module expects \[32, 1, 5, 5\]/);
  });

  it('gmgrad eval --model tiny-cnn --feature-dim 8 --head gm: the accuracy PyTorch measured', async () => {
    const r = await evalCommand(['--checkpoint', FIXTURE, ...FLAGS, '--backend', 'wasm'], io);
    expect(r!.n).toBe(10_000);
    // float32 sums in another order may flip a near tie or two
    expect(Math.abs(r!.accuracy * 10_000 - expected.correct_of_10000)).toBeLessThanOrEqual(3);
    await expect(evalCommand(['--checkpoint', FIXTURE, '--model', 'tiny-cnn', '--head', 'softmax', '--backend', 'cpu'], io))
      .rejects.toThrow(/--head softmax was asked for/);
  });

  it('gmgrad attack takes the same flags', async (ctx) => {
    const mnist = await needFullData(ctx, 'mnist'); // the Mahalanobis detector is fitted on training images
    const out = mkdtempSync(join(tmpdir(), 'gmgrad-pt-attack-'));
    await attackCommand(['--checkpoint', FIXTURE, ...FLAGS, '--attacks', 'fgsm', '--eps', '0.1', '--n', '20',
      '--calibration', '50', '--fit-n', '200', '--backend', 'wasm', '--data', mnist, '--out', out], io);
    const results = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8'));
    expect(results.config).toMatchObject({ model: 'tiny-cnn', featureDim: 8, loss: 'gm' });
    expect(results.result.cleanAccuracy).toBeGreaterThan(0.8);
    expect(JSON.stringify(results.result)).toContain('FGSM');
  });
});

describe('decodeModel(encodeModel(model))', () => {
  it('rebuilds every zoo head without run metadata: same architecture, same tensors', async () => {
    const cpu = await g.createBackend('cpu');
    const models = [
      g.createModel('lenet', { head: 'softmax', featureDim: 5, numClasses: 7, inputShape: [1, 28, 28], backend: cpu }),
      g.createModel('tiny-cnn', { head: 'gm', featureDim: 3, inputShape: [3, 32, 32], backend: cpu, margin: 0.3, lambda: 0.05, diagonal: true, likelihood: 'true-class-sq' }),
    ];
    for (const model of models) {
      const { model: back, architecture } = g.decodeModel(await g.encodeModel(model), cpu);
      expect(architecture).toEqual(g.architectureOf(model));
      const a = model.stateDict(), b = back.stateDict();
      expect([...b.keys()]).toEqual([...a.keys()]);
      for (const [k, t] of a) expect(Array.from(await b.get(k)!.data()), k).toEqual(Array.from(await t.data()));
      model.dispose();
      back.dispose();
    }
  });
});
