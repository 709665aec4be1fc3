/**
 * Bytes arrive as Node Buffers (views into larger pooled or file-sized buffers), as Uint8Arrays with
 * an offset, or as ArrayBuffers: every decoder reads exactly the bytes it was given, and names that
 * are special to JavaScript objects ('__proto__') are ordinary tensor names.
 */
import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeSafetensors, encodeSafetensors } from '../../src/io/safetensors.js';
import { decodeModel, encodeModel } from '../../src/train/checkpoint.js';
import { createModel } from '../../src/models/zoo.js';
import { parseIdx } from '../../src/data/idx.js';
import { CpuBackend } from '../../src/backends/cpu/index.js';

const backend = new CpuBackend();

function sample(): Uint8Array {
  return encodeSafetensors({
    w: { dtype: 'F32', shape: [2, 2], data: Float32Array.from([1, 2, 3, 4]) },
    b: { dtype: 'F64', shape: [1], data: Float64Array.from([-5]) },
    n: { dtype: 'I64', shape: [], data: Int32Array.from([7]) },
  }, { note: 'x' });
}

/** the same bytes in every form a caller may hold them */
function forms(bytes: Uint8Array): [string, Uint8Array | ArrayBuffer][] {
  const padded = new Uint8Array(bytes.length + 13);
  padded.set(bytes, 5);
  const dir = mkdtempSync(join(tmpdir(), 'gmgrad-bytes-'));
  writeFileSync(join(dir, 'f'), bytes);
  return [
    ['Uint8Array', bytes],
    ['Uint8Array with an offset', padded.subarray(5, 5 + bytes.length)],
    ['ArrayBuffer', bytes.slice().buffer],
    ['Buffer from readFileSync', readFileSync(join(dir, 'f'))],
    ['pooled Buffer', Buffer.from(bytes)],
  ];
}

describe('decoders read exactly the bytes given', () => {
  for (const [what, input] of forms(sample())) {
    it(`decodeSafetensors: ${what}`, () => {
      const { tensors, metadata } = decodeSafetensors(input);
      expect(Array.from(tensors.w!.data as Float32Array)).toEqual([1, 2, 3, 4]);
      expect(Array.from(tensors.b!.data as Float64Array)).toEqual([-5]);
      expect(Array.from(tensors.n!.data as Int32Array)).toEqual([7]);
      expect(metadata.note).toBe('x');
    });
  }

  it('decodeModel on the Buffer that readFile returns equals the model that was saved', async () => {
    const model = createModel('tiny-cnn', { head: 'gm', featureDim: 2, inputShape: [1, 28, 28], backend });
    const bytes = await encodeModel(model, { gmgrad_config: JSON.stringify({ model: 'tiny-cnn', loss: 'gm', featureDim: 2 }) });
    const dir = mkdtempSync(join(tmpdir(), 'gmgrad-bytes-'));
    writeFileSync(join(dir, 'model.safetensors'), bytes);
    for (const input of [await readFile(join(dir, 'model.safetensors')), Buffer.from(bytes), bytes.slice().buffer]) {
      const loaded = decodeModel(input, backend, 'model.safetensors').model;
      for (const [k, t] of model.stateDict()) expect(Array.from(loaded.stateDict().get(k)!.dataSync()), k).toEqual(Array.from(t.dataSync()));
      loaded.dispose();
    }
    model.dispose();
  });

  it('parseIdx reads a Buffer view and a Uint8Array with an offset', () => {
    const idx = Uint8Array.from([0, 0, 0x0b, 1, 0, 0, 0, 2, 0x12, 0x34, 0xff, 0xfe]);
    for (const [, input] of forms(idx)) {
      const bytes = input instanceof ArrayBuffer ? new Uint8Array(input) : input;
      expect(Array.from(parseIdx(bytes).data)).toEqual([0x1234, -2]);
    }
  });

  it('refuses things that are not bytes, naming the source', () => {
    expect(() => decodeSafetensors('abc' as unknown as Uint8Array, { source: 'x.safetensors' })).toThrow(/x\.safetensors: expected bytes .* got string/);
    expect(() => decodeSafetensors(null as unknown as Uint8Array)).toThrow(/expected bytes .* got null/);
  });
});

describe("a tensor or metadata key named '__proto__'", () => {
  it('survives encoding and decoding', () => {
    const tensors = JSON.parse('{"__proto__": {"dtype": "F32", "shape": [1], "data": null}}') as Record<string, { dtype: 'F32'; shape: number[]; data: Float32Array }>;
    tensors['__proto__']!.data = Float32Array.from([3]);
    const meta = JSON.parse('{"__proto__": "m"}') as Record<string, string>;
    const decoded = decodeSafetensors(encodeSafetensors(tensors, meta));
    expect(Object.keys(decoded.tensors)).toEqual(['__proto__']);
    expect(Array.from(decoded.tensors['__proto__']!.data as Float32Array)).toEqual([3]);
    expect(Object.keys(decoded.metadata)).toEqual(['__proto__']);
  });

  it('is an unexpected key for a strict model load', async () => {
    const model = createModel('tiny-cnn', { head: 'softmax', featureDim: 2, inputShape: [1, 28, 28], backend });
    const bytes = await encodeModel(model, { gmgrad_config: JSON.stringify({ model: 'tiny-cnn', loss: 'softmax', featureDim: 2 }) });
    const { tensors, metadata } = decodeSafetensors(bytes);
    const extra = Object.create(null) as typeof tensors;
    Object.assign(extra, tensors);
    Object.defineProperty(extra, '__proto__', { value: { dtype: 'F32', shape: [1], data: Float32Array.from([0]) }, enumerable: true });
    expect(() => decodeModel(encodeSafetensors(extra, metadata), backend, 'evil.safetensors')).toThrow(/evil\.safetensors: .*unexpected keys: __proto__/);
    model.dispose();
  });
});
