/**
 * Released weights: the package's manifest is valid and every file it lists matches its sha256;
 * `gmgrad release` evaluates a finished recipe run on the full test set and records it;
 * `gmgrad eval --pretrained` reproduces the recorded accuracy; a file that does not match its
 * sha256, or sits in the weights folder unlisted, is refused. (A temporary weights folder and an
 * untrained tiny model: the package's manifest is empty until the long runs are done.)
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { QUIET } from '../cli/helpers.js';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createBackend, createModel, encodeModel, Generator } from '../../src/index.js';
import { modelMetadata } from '../../src/train/checkpoint.js';
import { configFromRecipe } from '../../src/train/recipe.js';
import { loadRecipe } from '../../src/train/node/recipe-files.js';
import { modelOptions } from '../../src/train/model-options.js';
import { checkpointFromArgs, PACKAGE_WEIGHTS_DIR, readManifest, readReleased } from '../../src/io/node/released-weights.js';
import { sha256Hex, validateManifest } from '../../src/io/weights-manifest.js';
import { releaseCommand } from '../../src/cli/release-command.js';
import { evalCommand } from '../../src/cli/eval-command.js';
import { UsageError } from '../../src/cli/args.js';
import { demoCommand } from '../../src/cli/demo-command.js';

const EMBEDDED_MNIST = fileURLToPath(new URL('../../data/mnist-test/', import.meta.url));

it('the package\'s weights/manifest.json is valid and every listed file matches its sha256', async () => {
  const m = readManifest(PACKAGE_WEIGHTS_DIR);
  for (const c of m.checkpoints) {
    const r = await readReleased(c.name, PACKAGE_WEIGHTS_DIR);
    expect(r.released!.sha256).toBe(await sha256Hex(r.bytes));
    expect(loadRecipe(c.recipe).config.dataset).toBe(c.dataset);
  }
});

describe('gmgrad release / eval --pretrained (temporary weights folder)', () => {
  const root = mkdtempSync(join(tmpdir(), 'gmgrad-weights-'));
  const weights = join(root, 'weights');
  const run = join(root, 'run');
  const quiet: ReturnType<typeof vi.spyOn>[] = [];
  beforeAll(async () => {
    process.env.GMGRAD_WEIGHTS = weights;
    quiet.push(vi.spyOn(console, 'log').mockImplementation(() => {}), vi.spyOn(console, 'error').mockImplementation(() => {}));
    const backend = await createBackend('cpu');
    const write = async (dir: string, changes: Record<string, unknown>, epoch: string) => {
      mkdirSync(dir, { recursive: true });
      const c = { ...configFromRecipe(loadRecipe('mnist-2d-gm')), model: 'tiny-cnn' as const, epochs: 1, seed: 5, dataDir: '/machine/data', ...changes };
      const m = createModel(c.model, { ...modelOptions(c), inputShape: [1, 28, 28], backend, generator: new Generator(5) });
      writeFileSync(join(dir, 'model.safetensors'), await encodeModel(m, modelMetadata(c, m, { epoch, backend: 'cpu', gmgrad_command: "gmgrad train --recipe mnist-2d-gm --model tiny-cnn --data /machine/data --epochs 1 '--out=/machine/runs/it'\\''s x' --seed 5" })));
      writeFileSync(join(dir, 'metrics.json'), JSON.stringify({ backend: 'cpu (test)', epochs: [{ epoch: 1, seconds: 90 }] }));
    };
    await write(run, {}, '1');
    await write(join(root, 'unfinished'), { epochs: 3 }, '1');
    await write(join(root, 'norecipe'), { recipe: undefined }, '1');
    await write(join(root, 'softmax'), { loss: 'softmax', recipe: 'mnist-2d-softmax' }, '1');
  });
  afterAll(() => {
    delete process.env.GMGRAD_WEIGHTS;
    for (const q of quiet) q.mockRestore();
  });

  it('release evaluates on the full test set and records sha256, recipe, seed, epochs, command and accuracy', async () => {
    const entry = (await releaseCommand(['--checkpoint', join(run, 'model.safetensors'), '--name', 'tiny-test', '--data', EMBEDDED_MNIST, '--backend', 'wasm'], QUIET))!;
    expect(entry).toMatchObject({ name: 'tiny-test', file: 'tiny-test.safetensors', recipe: 'mnist-2d-gm', seed: 5, epochs: 1, dataset: 'mnist', model: 'tiny-cnn', loss: 'gm', testImages: 10000 });
    expect(entry.command).toBe('gmgrad train --recipe mnist-2d-gm --model tiny-cnn --epochs 1 --seed 5');
    expect(entry.trainedOn).toMatch(/^cpu \(test\); 1 epochs in 2 min of training; \d+ × /);
    const bytes = readFileSync(join(weights, 'tiny-test.safetensors'));
    expect(entry.sha256).toBe(await sha256Hex(new Uint8Array(bytes)));
    expect(bytes.toString('latin1')).not.toContain('/machine/');
    expect(validateManifest(JSON.parse(readFileSync(join(weights, 'manifest.json'), 'utf8')), 'manifest').checkpoints).toEqual([entry]);
    await expect(releaseCommand(['--checkpoint', join(run, 'model.safetensors'), '--name', 'tiny-test'], QUIET)).rejects.toThrow(/already released.*--replace/);
  }, 120_000);

  it('eval --pretrained reproduces the recorded accuracy on the full test set', async () => {
    const entry = readManifest(weights).checkpoints[0]!;
    const r = (await evalCommand(['--pretrained', 'tiny-test', '--data', EMBEDDED_MNIST, '--backend', 'wasm'], QUIET))!;
    expect(r.n).toBe(entry.testImages);
    expect(r.accuracy).toBe(entry.testAccuracy);
  }, 120_000);

  it('refuses a file that is not the released one, an unlisted file in the weights folder, and unknown names', async () => {
    const file = join(weights, 'tiny-test.safetensors');
    const good = readFileSync(file);
    const bad = Buffer.from(good);
    bad[bad.length - 1] ^= 1;
    writeFileSync(file, bad);
    try {
      await expect(readReleased('tiny-test')).rejects.toThrow(/sha256 [0-9a-f]{64} does not match the manifest's/);
      await expect(checkpointFromArgs(file, undefined, 'eval')).rejects.toThrow(/does not match/);
    } finally {
      writeFileSync(file, good);
    }
    writeFileSync(join(weights, 'stray.safetensors'), good);
    await expect(checkpointFromArgs(join(weights, 'stray.safetensors'), undefined, 'eval')).rejects.toThrow(/does not list; add it with gmgrad release/);
    await expect(checkpointFromArgs(undefined, 'mnist-9d', 'eval')).rejects.toThrow(/no released weights named 'mnist-9d' .*released: tiny-test/);
    await expect(checkpointFromArgs('a', 'b', 'attack')).rejects.toThrow(/not both/);
    // a checkpoint outside the weights folder is read as it is
    expect((await checkpointFromArgs(join(run, 'model.safetensors'), undefined, 'eval')).released).toBeNull();
  });

  it('release refuses unfinished runs and runs not started from a recipe', async () => {
    await expect(releaseCommand(['--checkpoint', join(root, 'unfinished', 'model.safetensors')], QUIET)).rejects.toThrow(/1 of the run's 3 epochs are done/);
    await expect(releaseCommand(['--checkpoint', join(root, 'norecipe', 'model.safetensors')], QUIET)).rejects.toThrow(UsageError);
    expect(existsSync(join(weights, 'mnist-2d-gm.safetensors'))).toBe(false);
  });

  it('demo --pretrained attacks the released mnist-2d-gm and mnist-2d-softmax models instead of training', async () => {
    const out = join(root, 'demo');
    await expect(demoCommand(['--pretrained', '--data', EMBEDDED_MNIST, '--out', out], QUIET)).rejects.toThrow(/no released weights named 'mnist-2d-gm'/);
    // listed by hand (gmgrad release is tested above; its full-test-set evaluation would only cost time here)
    const m = readManifest(weights);
    const template = m.checkpoints[0]!;
    for (const [name, from, loss] of [['mnist-2d-gm', run, 'gm'], ['mnist-2d-softmax', join(root, 'softmax'), 'softmax']] as const) {
      const bytes = new Uint8Array(readFileSync(join(from, 'model.safetensors')));
      writeFileSync(join(weights, `${name}.safetensors`), bytes);
      m.checkpoints.push({ ...template, name, file: `${name}.safetensors`, recipe: name, loss, bytes: bytes.length, sha256: await sha256Hex(bytes) });
    }
    writeFileSync(join(weights, 'manifest.json'), JSON.stringify(m));
    await demoCommand(['--pretrained', '--n', '20', '--eps', '0.2', '--steps', '2', '--data', EMBEDDED_MNIST, '--backend', 'wasm', '--out', out], QUIET);
    const results = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8')) as { models: { name: string; training: unknown[] }[] };
    expect(results.models.map((m) => [m.name, m.training.length])).toEqual([['GM', 0], ['softmax', 0]]);
  }, 240_000);
});
