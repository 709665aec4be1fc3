import { gunzipSync } from 'node:zlib';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseIdx, parseIdxImages, parseIdxLabels } from '../../src/data/idx.js';
import { EMBEDDED_MNIST, classCounts, needFullData } from '../helpers/data.js';

const read = (name: string, dir = EMBEDDED_MNIST) => new Uint8Array(gunzipSync(readFileSync(join(dir, name))));

function idx(typeCode: number, dims: number[], body: number[]): Uint8Array {
  const header = [0, 0, typeCode, dims.length];
  for (const d of dims) header.push((d >>> 24) & 255, (d >>> 16) & 255, (d >>> 8) & 255, d & 255);
  return Uint8Array.from([...header, ...body]);
}

describe('IDX parser on the real MNIST files', () => {
  it('reads the test labels with the published per-class counts', () => {
    const labels = parseIdxLabels(read('t10k-labels-idx1-ubyte.gz'), 't10k-labels');
    expect(labels.length).toBe(10_000);
    expect(classCounts(labels)).toEqual([980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]);
  });

  it('reads the training labels: first digits 5 0 4 1 9 2 1 3 1 4, published counts', async (ctx) => {
    const full = await needFullData(ctx, 'mnist');
    const labels = parseIdxLabels(read('train-labels-idx1-ubyte.gz', full), 'train-labels');
    expect(Array.from(labels.subarray(0, 10))).toEqual([5, 0, 4, 1, 9, 2, 1, 3, 1, 4]);
    expect(classCounts(labels)).toEqual([5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]);
  });

  it('reads the test images: 10000 × 28 × 28, values 0..255, as a view without copying', () => {
    const bytes = read('t10k-images-idx3-ubyte.gz');
    const images = parseIdxImages(bytes, 't10k-images');
    expect([images.n, images.h, images.w]).toEqual([10_000, 28, 28]);
    expect(images.pixels.buffer).toBe(bytes.buffer);
    expect(images.pixels.byteOffset - bytes.byteOffset).toBe(16);
    expect(Math.max(...images.pixels.subarray(0, 784))).toBe(255);
  });
});

describe('IDX header validation', () => {
  it('parses big-endian multi-byte types', () => {
    const ints = parseIdx(idx(0x0c, [2], [0, 0, 1, 2, 0xff, 0xff, 0xff, 0xfe]));
    expect(Array.from(ints.data)).toEqual([258, -2]);
    const floats = parseIdx(idx(0x0d, [1], [0x3f, 0xc0, 0, 0]));
    expect(Array.from(floats.data)).toEqual([1.5]);
    const shorts = parseIdx(idx(0x0b, [1, 1], [0x80, 0x00]));
    expect(shorts.dims).toEqual([1, 1]);
    expect(Array.from(shorts.data)).toEqual([-32768]);
  });

  it('rejects a bad magic, naming the file', () => {
    expect(() => parseIdx(Uint8Array.from([0x1f, 0x8b, 8, 0, 0, 0]), 'x.gz')).toThrow(/x\.gz: bad IDX magic 0x1f8b0800.*still gzipped/);
    expect(() => parseIdx(idx(0x07, [1], [0]), 'weird')).toThrow(/weird: bad IDX magic/);
  });

  it('rejects a file whose length does not match its dims', () => {
    expect(() => parseIdx(idx(0x08, [2, 3], [1, 2, 3, 4, 5]), 'short.idx')).toThrow(/short\.idx: IDX file truncated: 17 bytes, but dims \[2, 3\] need 18/);
    expect(() => parseIdx(idx(0x08, [2], [1, 2, 3]), 'long.idx')).toThrow(/long\.idx: IDX file has trailing bytes/);
    expect(() => parseIdx(Uint8Array.from([0, 0, 8, 3, 0, 0]), 'hdr')).toThrow(/hdr: truncated IDX header/);
    expect(() => parseIdx(Uint8Array.from([0, 0]), 'tiny')).toThrow(/tiny: 2 bytes is too short/);
  });

  it('checks that image and label files have the expected rank and type', () => {
    expect(() => parseIdxImages(idx(0x08, [3], [1, 2, 3]), 'labels-as-images')).toThrow(/labels-as-images: expected an image file.*1 dims/);
    expect(() => parseIdxLabels(idx(0x0c, [1], [0, 0, 0, 1]), 'ints')).toThrow(/ints: expected a label file.*type 0x0c/);
  });
});
