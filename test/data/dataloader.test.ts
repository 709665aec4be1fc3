import { describe, expect, it } from 'vitest';
import { DataLoader, type HostBatch } from '../../src/data/dataloader.js';
import { gather, slice, stratifiedSlice, type ImageData } from '../../src/data/dataset.js';
import { Generator } from '../../src/core/random.js';
import { clearDatasetMemo, loadDataset } from '../../src/data/node/resolve.js';

function synthetic(n: number, c = 3, h = 4, w = 5): ImageData {
  const gen = new Generator(1234);
  const images = Uint8Array.from(gen.integers(n * c * h * w, 0, 256));
  const labels = Uint8Array.from({ length: n }, (_, i) => i % 3);
  return { images, labels, n, c, h, w };
}

async function collect(loader: DataLoader, epoch: number, start = 0): Promise<HostBatch[]> {
  const out: HostBatch[] = [];
  for await (const b of loader.epoch(epoch, start)) out.push(b);
  return out;
}

const data = synthetic(10);

describe('DataLoader batching', () => {
  it('covers every sample once per epoch, in order without shuffling, scaled to [0, 1]', async () => {
    const loader = new DataLoader(data, { batchSize: 4 });
    expect(loader.length).toBe(3);
    const batches = await collect(loader, 0);
    expect(batches.map((b) => b.size)).toEqual([4, 4, 2]);
    expect(batches[2]!.shape).toEqual([2, 3, 4, 5]);
    expect(Array.from(batches.flatMap((b) => Array.from(b.indices)))).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(Array.from(batches[1]!.y)).toEqual([1, 2, 0, 1]);
    expect(batches[0]!.y).toBeInstanceOf(Int32Array);
    for (let i = 0; i < 60; i++) expect(batches[0]!.x[i]).toBeCloseTo(data.images[i]! / 255, 7);
  });

  it('drops the incomplete last batch with dropLast', async () => {
    const loader = new DataLoader(data, { batchSize: 4, dropLast: true, shuffle: true });
    expect(loader.length).toBe(2);
    expect((await collect(loader, 0)).map((b) => b.size)).toEqual([4, 4]);
    expect(new DataLoader(data, { batchSize: 5, dropLast: true }).length).toBe(2);
    expect(new DataLoader(data, { batchSize: 11, dropLast: true }).length).toBe(0);
  });

  it('normalises per channel', () => {
    const loader = new DataLoader(data, { batchSize: 10, normalize: { mean: [0.5, 0.25, 0], std: [0.5, 2, 1] } });
    const { x } = loader.batch(0, 0);
    const plane = 20;
    for (const [i, ch] of [[0, 0], [plane + 3, 1], [2 * plane + 7, 2]] as const) {
      const mean = [0.5, 0.25, 0][ch]!, std = [0.5, 2, 1][ch]!;
      expect(x[i]).toBeCloseTo((data.images[i]! / 255 - mean) / std, 6);
    }
    expect(() => new DataLoader(data, { batchSize: 2, normalize: { mean: [0.5], std: [0.5] } })).toThrow(/normalize needs 3 means and stds/);
  });

  it('validates its inputs', () => {
    expect(() => new DataLoader(data, { batchSize: 0 })).toThrow(/batchSize must be a positive integer, got 0/);
    expect(() => new DataLoader({ ...data, n: 11 }, { batchSize: 2 })).toThrow(/images hold 600 bytes, expected n·c·h·w = 11·3·4·5 = 660/);
    expect(() => new DataLoader(data, { batchSize: 2 }).batch(0, 5)).toThrow(/batch 5 out of range \(0\.\.4 per epoch\)/);
  });
});

describe('DataLoader shuffling is a function of (seed, epoch)', () => {
  it('gives the same order for the same seed and epoch, whatever happened before', async () => {
    const a = new DataLoader(data, { batchSize: 3, shuffle: true, seed: 7 });
    const b = new DataLoader(data, { batchSize: 3, shuffle: true, seed: 7 });
    await collect(a, 0);
    await collect(a, 1);
    const a2 = await collect(a, 2);
    const b2 = await collect(b, 2); // fresh loader, straight to epoch 2 (a resumed run)
    expect(a2.map((x) => Array.from(x.indices))).toEqual(b2.map((x) => Array.from(x.indices)));
    expect(Array.from(a.order(2)).sort((p, q) => p - q)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(Array.from(a.order(0))).not.toEqual(Array.from(a.order(1)));
    expect(Array.from(new DataLoader(data, { batchSize: 3, shuffle: true, seed: 8 }).order(2))).not.toEqual(Array.from(a.order(2)));
  });

  it('resumes mid-epoch with exactly the remaining batches', async () => {
    const loader = new DataLoader(data, { batchSize: 3, shuffle: true, seed: 3, augment: true });
    const full = await collect(loader, 4);
    const tail = await collect(new DataLoader(data, { batchSize: 3, shuffle: true, seed: 3, augment: true }), 4, 2);
    expect(tail).toEqual(full.slice(2));
  });

  it('with prefetching off yields the same batches', async () => {
    const on = await collect(new DataLoader(data, { batchSize: 4, shuffle: true, seed: 1 }), 1);
    const off = await collect(new DataLoader(data, { batchSize: 4, shuffle: true, seed: 1, prefetch: false }), 1);
    expect(off).toEqual(on);
  });
});

describe('DataLoader prefetching', () => {
  it('prepares the next batch while the caller is busy with the current one', async () => {
    const loader = new DataLoader(data, { batchSize: 2 });
    const built: number[] = [];
    const original = loader.batch.bind(loader);
    loader.batch = (epoch, index) => { built.push(index); return original(epoch, index); };
    const seenWhenConsumed: number[][] = [];
    for await (const b of loader.epoch(0)) {
      await new Promise((r) => setTimeout(r, 5)); // "training" on b, e.g. awaiting the GPU
      seenWhenConsumed.push([b.indices[0]! / 2, built.length]);
    }
    // while batch i was being used, batch i+1 had already been built
    for (const [i, count] of seenWhenConsumed.slice(0, -1)) expect(count).toBeGreaterThanOrEqual(i! + 2);
    expect(built).toEqual([0, 1, 2, 3, 4]);
  });
});

describe('CIFAR augmentation', () => {
  const img = synthetic(6, 3, 8, 8);

  it('keeps shapes, is deterministic in (seed, epoch), and differs between epochs', () => {
    const make = () => new DataLoader(img, { batchSize: 6, augment: true, seed: 9 });
    const a = make().batch(3, 0), b = make().batch(3, 0);
    expect(a.shape).toEqual([6, 3, 8, 8]);
    expect(a.x.length).toBe(6 * 192);
    expect(a.x).toEqual(b.x);
    expect(make().batch(4, 0).x).not.toEqual(a.x);
  });

  it('each augmented image is a zero-padded shift of the original, possibly mirrored', () => {
    const loader = new DataLoader(img, { batchSize: 6, augment: { padding: 2 }, seed: 5 });
    const plain = new DataLoader(img, { batchSize: 6 }).batch(0, 0).x;
    const seen = new Set<string>();
    for (let epoch = 0; epoch < 6; epoch++) {
      const { x } = loader.batch(epoch, 0);
      for (let k = 0; k < 6; k++) {
        const found = matchTransform(x.subarray(k * 192, (k + 1) * 192), plain.subarray(k * 192, (k + 1) * 192), 2);
        expect(found, `epoch ${epoch} image ${k}`).not.toBeNull();
        seen.add(found!);
      }
    }
    expect(seen.size).toBeGreaterThan(10); // shifts and flips really vary
    expect([...seen].some((s) => s.endsWith('flip'))).toBe(true);
  });

  it('flip only (padding 0) mirrors rows', () => {
    const { x } = new DataLoader(img, { batchSize: 6, augment: { padding: 0 }, seed: 2 }).batch(0, 0);
    const plain = new DataLoader(img, { batchSize: 6 }).batch(0, 0).x;
    for (let k = 0; k < 6; k++) {
      const t = matchTransform(x.subarray(k * 192, (k + 1) * 192), plain.subarray(k * 192, (k + 1) * 192), 0);
      expect(t === '0,0' || t === '0,0,flip').toBe(true);
    }
  });
});

/** Which (dy, dx, flip) turns `src` into `out` (c=3, 8×8, zeros outside), or null. */
function matchTransform(out: Float32Array, src: Float32Array, p: number): string | null {
  for (let dy = -p; dy <= p; dy++) {
    for (let dx = -p; dx <= p; dx++) {
      for (const flip of [false, true]) {
        let ok = true;
        for (let ch = 0; ch < 3 && ok; ch++) {
          for (let y = 0; y < 8 && ok; y++) {
            for (let x = 0; x < 8 && ok; x++) {
              const sy = y + dy, sx = (flip ? 7 - x : x) + dx;
              const v = sy < 0 || sy >= 8 || sx < 0 || sx >= 8 ? 0 : src[ch * 64 + sy * 8 + sx]!;
              ok = out[ch * 64 + y * 8 + x] === v;
            }
          }
        }
        if (ok) return `${dy},${dx}${flip ? ',flip' : ''}`;
      }
    }
  }
  return null;
}

describe('slices of a dataset', () => {
  it('slice takes a sequential view; gather copies', () => {
    const s = slice(data, 2, 3);
    expect(s.n).toBe(3);
    expect(Array.from(s.labels)).toEqual([2, 0, 1]);
    expect(s.images.buffer).toBe(data.images.buffer);
    expect(s.images[0]).toBe(data.images[2 * 60]);
    expect(() => slice(data, 8, 3)).toThrow(/slice: \[8, 11\) is not a range of samples of a dataset with n = 10/);
    const g = gather(data, Int32Array.from([9, 0]));
    expect(Array.from(g.labels)).toEqual([0, 0]);
    expect(g.images.buffer).not.toBe(data.images.buffer);
  });

  it('stratifiedSlice balances the classes of real MNIST', async () => {
    clearDatasetMemo();
    const mnist = await loadDataset('mnist', { split: 'test', env: { XDG_CACHE_HOME: '/nonexistent/gmgrad-cache' }, allowDownload: false });
    const s = stratifiedSlice(mnist, 25);
    expect(s.n).toBe(25);
    const counts = new Array(10).fill(0);
    for (const l of s.labels) counts[l]++;
    expect(counts).toEqual([3, 3, 3, 3, 3, 2, 2, 2, 2, 2]);
    expect(Array.from(s.labels.subarray(0, 10))).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(s.indices[7]).toBe(0); // the first test image is a 7
    const loader = new DataLoader(mnist, { batchSize: 128 });
    expect(loader.length).toBe(79);
    expect(loader.batch(0, 78).size).toBe(16);
    expect(() => stratifiedSlice(slice(mnist, 0, 20), 21)).toThrow(/only 20 available/);
  });
});
