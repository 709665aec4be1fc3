/**
 * `gmgrad attack` end to end on a checkpoint trained here (2-D GM features, a slice of real MNIST):
 * the results file carries every attack and detector, and the report and the standalone feature
 * scatter are written next to it.
 */
import { expect, it } from 'vitest';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultConfig } from '../../src/train/config.js';
import { runTraining } from '../../src/train/run.js';
import { attackCommand } from '../../src/cli/attack-command.js';
import { needFullData } from '../helpers/data.js';

it('trains a 2-D GM model, attacks it, and writes results.json, report.html and the feature scatter', async (ctx) => {
  // the command fits Mahalanobis on the training split: full MNIST
  const mnistDir = await needFullData(ctx, 'mnist');
  const out = mkdtempSync(join(tmpdir(), 'gmgrad-attack-cmd-'));
  const r = await runTraining({
    ...defaultConfig('mnist'), model: 'tiny-cnn', featureDim: 2, loss: 'gm', epochs: 1, batch: 50, lr: 0.01,
    rampEpochs: 0, limit: 500, testLimit: 200, backend: 'wasm', out, dataDir: mnistDir, seed: 3,
  }, { verbose: false });
  r.model.dispose();
  const sink = { write: () => true };
  await attackCommand([
    '--checkpoint', join(out, 'model.safetensors'), '--attacks', 'fgsm,pgd,adaptive', '--eps', '0.2', '--steps', '3',
    '--n', '20', '--calibration', '50', '--fit-n', '200', '--backend', 'wasm', '--data', mnistDir, '--out', join(out, 'attack'),
  ], { stdout: sink, stderr: sink });
  const results = JSON.parse(readFileSync(join(out, 'attack', 'results.json'), 'utf8'));
  expect(results.result).toBeDefined();
  const text = JSON.stringify(results.result);
  for (const what of ['FGSM', 'PGD', 'GM score', 'Mahalanobis']) expect(text, what).toContain(what);
  const html = readFileSync(join(out, 'attack', 'report.html'), 'utf8');
  expect(html).toContain('<svg');
  expect(html).not.toMatch(/NaN/);
  const svgPath = join(out, 'attack', 'features-gm.svg');
  expect(existsSync(svgPath)).toBe(true);
  expect(readFileSync(svgPath, 'utf8')).toMatch(/^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
}, 240_000);
