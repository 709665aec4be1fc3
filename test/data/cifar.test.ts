import { gunzipSync } from 'node:zlib';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CIFAR10_RECORD_BYTES, parseCifar10Batch } from '../../src/data/cifar.js';
import { classCounts, needFullData } from '../helpers/data.js';

describe('CIFAR-10 binary batches', () => {
  it('reads the real test batch: labels 3 8 8 0 6 6 1 6 3 1 first, 1000 per class, CHW planes', async (ctx) => {
    const cifar = await needFullData(ctx, 'cifar10');
    const raw = new Uint8Array(gunzipSync(readFileSync(join(cifar, 'test_batch.bin.gz'))));
    const batch = parseCifar10Batch(raw, 'test_batch.bin');
    expect(batch.n).toBe(10_000);
    expect(Array.from(batch.labels.subarray(0, 10))).toEqual([3, 8, 8, 0, 6, 6, 1, 6, 3, 1]);
    expect(classCounts(batch.labels)).toEqual(new Array(10).fill(1000));
    // image 1, green plane, pixel (2, 5) = record byte 1 + 1024 + 2·32 + 5
    expect(batch.images[3072 + 1024 + 2 * 32 + 5]).toBe(raw[CIFAR10_RECORD_BYTES + 1 + 1024 + 69]);
  });

  it('rejects a length that is not a multiple of 3073 and out-of-range labels, naming the file', () => {
    expect(() => parseCifar10Batch(new Uint8Array(3073 * 2 - 1), 'cut.bin')).toThrow(/cut\.bin: 6145 bytes is not a positive multiple of the 3073-byte CIFAR-10 record \(1 whole records and 3072 stray bytes/);
    expect(() => parseCifar10Batch(new Uint8Array(0), 'empty.bin')).toThrow(/empty\.bin: 0 bytes/);
    const bad = new Uint8Array(3073);
    bad[0] = 10;
    expect(() => parseCifar10Batch(bad, 'bad.bin')).toThrow(/bad\.bin: record 0 has label 10, expected 0\.\.9/);
  });
});
