/**
 * Checkpoints rebuild what the config describes: the input normalisation and head settings travel
 * with the model (also in a file that carries only the architecture); configs from before the margin was named `margin` still load; checkpoints of
 * architectures gmgrad changed to match the authors (option-B ResNet-20, per-channel PReLU) are
 * refused with the reason.
 */
import { describe, expect, it } from 'vitest';
import { architectureOf, createBackend, createModel, encodeModel, encodeSafetensors, Generator, tensor } from '../../src/index.js';
import { decodeModel, modelMetadata } from '../../src/train/checkpoint.js';
import { defaultConfig } from '../../src/train/config.js';
import { configFromRecipe } from '../../src/train/recipe.js';
import { loadRecipe } from '../../src/train/node/recipe-files.js';
import { modelOptions } from '../../src/train/model-options.js';

const backend = await createBackend('cpu');

describe('checkpoint config', () => {
  it('a cifar10-resnet20-gm model (normalised input, margin 0.3) round-trips with the same outputs', async () => {
    const c = { ...configFromRecipe(loadRecipe('cifar10-resnet20-gm')), backend: 'cpu' as const };
    const m = createModel('resnet20', { ...modelOptions(c), inputShape: [3, 32, 32], backend, generator: new Generator(1) });
    const bytes = await encodeModel(m, modelMetadata(c, m));
    const { model, config } = decodeModel(bytes, backend, 'mem');
    expect(config.normalize).toEqual(c.normalize);
    expect(model.normalize).not.toBeNull();
    expect(model.isGM && (model.head as { margin: number }).margin).toBe(0.3);
    m.eval(); model.eval();
    const x = tensor(Float32Array.from({ length: 2 * 3 * 32 * 32 }, (_, i) => (i % 97) / 97), { shape: [2, 3, 32, 32], backend });
    expect(Array.from(await model.forward(x).data())).toEqual(Array.from(await m.forward(x).data()));
  });

  it('a model saved without a run config (its architecture only) keeps its input normalisation', async () => {
    const c = { ...configFromRecipe(loadRecipe('cifar10-resnet20-gm')), backend: 'cpu' as const };
    const m = createModel('tiny-cnn', { ...modelOptions(c), inputShape: [3, 32, 32], backend, generator: new Generator(2) });
    const { model, architecture } = decodeModel(await encodeModel(m), backend, 'plain');
    expect(architecture.normalize).toEqual(c.normalize);
    expect(architectureOf(model)).toEqual(architectureOf(m));
    m.eval(); model.eval();
    const x = tensor(Float32Array.from({ length: 3 * 32 * 32 }, (_, i) => (i % 89) / 89), { shape: [1, 3, 32, 32], backend });
    expect(Array.from(await model.forward(x).data())).toEqual(Array.from(await m.forward(x).data()));
  });

  it('a stored config that still calls the margin alpha loads it as the margin', async () => {
    const c = { ...defaultConfig('mnist'), model: 'tiny-cnn' as const, margin: 0.7 };
    const m = createModel('tiny-cnn', { ...modelOptions(c), inputShape: [1, 28, 28], backend });
    const meta = modelMetadata(c, m);
    const { margin, ...rest } = JSON.parse(meta.gmgrad_config!) as Record<string, unknown>;
    const old = await encodeModel(m, { ...meta, gmgrad_config: JSON.stringify({ ...rest, alpha: margin }) });
    const { model, config } = decodeModel(old, backend, 'old.safetensors');
    expect(config.margin).toBe(0.7);
    expect((model.head as { margin: number }).margin).toBe(0.7);
  });

  it('an option-B ResNet-20 checkpoint is refused with the reason', async () => {
    const c = { ...defaultConfig('cifar10') };
    const m = createModel('resnet20', { ...modelOptions(c), inputShape: [3, 32, 32], backend });
    const entries: Parameters<typeof encodeSafetensors>[0] = {};
    for (const [k, t] of m.stateDict()) entries[k] = { dtype: t.dtype === 'int32' ? 'I32' : 'F32', shape: [...t.shape], data: await t.data() };
    entries['backbone.layer2.0.shortcut.0.weight'] = { dtype: 'F32', shape: [32, 16, 1, 1], data: new Float32Array(512) };
    const bytes = encodeSafetensors(entries, modelMetadata(c, m));
    expect(() => decodeModel(bytes, backend, 'b.safetensors')).toThrow(/b\.safetensors: does not fit resnet20 .*loadStateDict: unexpected keys: backbone\.layer2\.0\.shortcut\.0\.weight.*option B.*retrain/);
  });
});
