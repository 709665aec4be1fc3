/**
 * The page's released-model start (examples/browser/src/released.ts), in Node with a stand-in
 * fetch: which model the page starts from, and that a file not matching its sha256 is refused.
 */
import { describe, expect, it } from 'vitest';
import { fetchReleased, loadWeightsManifest, pickReleased } from '../../examples/browser/src/released.js';
import { sha256Hex, type ReleasedCheckpoint, type WeightsManifest } from '../../src/io/weights-manifest.js';

const BYTES = new Uint8Array([1, 2, 3, 4, 5]);

async function entry(name: string, o: Partial<ReleasedCheckpoint> = {}): Promise<ReleasedCheckpoint> {
  return {
    name, file: `${name}.safetensors`, sha256: await sha256Hex(BYTES), bytes: BYTES.length, recipe: name, seed: 0, epochs: 50,
    dataset: 'mnist', model: 'mnist-6conv', featureDim: 2, loss: 'gm', testAccuracy: 0.993, testImages: 10000,
    command: `gmgrad train --recipe ${name}`, trainedOn: 'test', ...o,
  };
}

function fakeFetch(files: Record<string, Uint8Array | string>) {
  return async (url: string) => {
    const body = files[url];
    return body === undefined ? new Response('missing', { status: 404 }) : new Response(body as BodyInit);
  };
}

describe('the page\'s released model', () => {
  it('no manifest served (404): a fresh model', async () => {
    const m = await loadWeightsManifest(fakeFetch({}));
    expect(m.checkpoints).toEqual([]);
    expect(pickReleased(m, { pretrained: null, modelGiven: false, pageDataset: 'mnist' })).toBeNull();
  });

  it('default: the first 2-D GM model of the page\'s dataset, unless a model or pretrained=none is asked for', async () => {
    const m: WeightsManifest = { checkpoints: [await entry('mnist-100d-gm', { featureDim: 100 }), await entry('mnist-2d-softmax', { loss: 'softmax' }), await entry('mnist-2d-gm')] };
    expect(pickReleased(m, { pretrained: null, modelGiven: false, pageDataset: 'mnist-test' })?.name).toBe('mnist-2d-gm');
    expect(pickReleased(m, { pretrained: null, modelGiven: true, pageDataset: 'mnist' })).toBeNull();
    expect(pickReleased(m, { pretrained: 'none', modelGiven: false, pageDataset: 'mnist' })).toBeNull();
    expect(pickReleased(m, { pretrained: null, modelGiven: false, pageDataset: 'fashion-mnist' })).toBeNull();
    expect(pickReleased(m, { pretrained: 'mnist-100d-gm', modelGiven: true, pageDataset: 'mnist' })?.name).toBe('mnist-100d-gm');
    expect(() => pickReleased(m, { pretrained: 'mnist-2d-softmax', modelGiven: false, pageDataset: 'mnist' })).toThrow(/the page needs a GM model/);
    expect(() => pickReleased(m, { pretrained: 'cifar', modelGiven: false, pageDataset: 'mnist' })).toThrow(/no released weights named 'cifar'/);
  });

  it('loads the file only when it matches the manifest\'s sha256', async () => {
    const e = await entry('mnist-2d-gm');
    const m = await loadWeightsManifest(fakeFetch({ './weights/manifest.json': JSON.stringify({ checkpoints: [e] }) }));
    expect(m.checkpoints[0]).toEqual(e);
    expect(Array.from(await fetchReleased(e, fakeFetch({ './weights/mnist-2d-gm.safetensors': BYTES })))).toEqual(Array.from(BYTES));
    await expect(fetchReleased(e, fakeFetch({ './weights/mnist-2d-gm.safetensors': new Uint8Array([1, 2, 3, 4, 6]) }))).rejects.toThrow(/sha256 .* does not match/);
    await expect(fetchReleased(e, fakeFetch({}))).rejects.toThrow(/HTTP 404/);
  });
});
