/**
 * `gmgrad figure` on tiny 2-D models (the embedded MNIST test split): the GM figure carries every
 * test point, the class means and three σ ellipses per class; the softmax one the points alone; a
 * model without 2-D features is refused.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { QUIET } from './helpers.js';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createBackend, createModel, encodeModel, Generator } from '../../src/index.js';
import { modelMetadata } from '../../src/train/checkpoint.js';
import { defaultConfig } from '../../src/train/config.js';
import { modelOptions } from '../../src/train/model-options.js';
import { figureCommand } from '../../src/cli/figure-command.js';

const EMBEDDED_MNIST = fileURLToPath(new URL('../../data/mnist-test/', import.meta.url));

describe('gmgrad figure', () => {
  const root = mkdtempSync(join(tmpdir(), 'gmgrad-figure-'));
  const log = vi.spyOn(console, 'log').mockImplementation(() => {});
  beforeAll(async () => {
    const backend = await createBackend('cpu');
    for (const [name, loss, featureDim] of [['gm', 'gm', 2], ['softmax', 'softmax', 2], ['gm16', 'gm', 16]] as const) {
      const c = { ...defaultConfig('mnist'), model: 'tiny-cnn' as const, loss, featureDim, recipe: `tiny-${name}` };
      const m = createModel(c.model, { ...modelOptions(c), inputShape: [1, 28, 28], backend, generator: new Generator(3) });
      mkdirSync(join(root, name));
      writeFileSync(join(root, name, 'model.safetensors'), await encodeModel(m, modelMetadata(c, m, { epoch: '1' })));
    }
  });
  afterAll(() => log.mockRestore());

  it('GM: the test features, the 10 class means and 1σ/2σ/3σ ellipses per class', async () => {
    const out = (await figureCommand(['--checkpoint', join(root, 'gm', 'model.safetensors'), '--n', '300', '--data', EMBEDDED_MNIST, '--backend', 'wasm'], QUIET))!;
    expect(out).toBe(join(root, 'gm', 'features-test.svg'));
    const svg = readFileSync(out, 'utf8');
    expect(svg).toMatch(/^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
    expect(svg.match(/<circle /g)!.length).toBeGreaterThanOrEqual(300);
    expect(svg.match(/<ellipse /g)).toHaveLength(30);
    expect(svg).toContain('tiny-gm: 300 mnist test features, class means and 1σ/2σ/3σ contours');
    expect(svg).not.toMatch(/NaN/);
  }, 60_000);

  it('softmax: the features alone; a D ≠ 2 model is refused', async () => {
    const out = join(root, 'figs', 'softmax.svg');
    await figureCommand(['--checkpoint', join(root, 'softmax', 'model.safetensors'), '--n', '200', '--data', EMBEDDED_MNIST, '--backend', 'wasm', '--out', out], QUIET);
    const svg = readFileSync(out, 'utf8');
    expect(svg).not.toContain('<ellipse');
    expect(svg).toContain('softmax head');
    await expect(figureCommand(['--checkpoint', join(root, 'gm16', 'model.safetensors'), '--data', EMBEDDED_MNIST], QUIET)).rejects.toThrow(/16-d features; the figure needs a 2-d model/);
  }, 60_000);
});
