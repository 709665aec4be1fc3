/**
 * A model checkpoint whose gmgrad metadata is malformed, null, or describes an impossible network,
 * or whose weights are not finite, is refused with an error naming the file and the key.
 */
import { describe, expect, it } from 'vitest';
import { decodeSafetensors, encodeSafetensors } from '../../src/io/safetensors.js';
import { decodeModel, encodeModel } from '../../src/train/checkpoint.js';
import { createModel } from '../../src/models/zoo.js';
import { CpuBackend } from '../../src/backends/cpu/index.js';

const backend = new CpuBackend();
const model = createModel('tiny-cnn', { head: 'gm', featureDim: 2, inputShape: [1, 28, 28], backend });
const good = { gmgrad_config: JSON.stringify({ model: 'tiny-cnn', loss: 'gm', featureDim: 2 }), gmgrad_input_shape: '[1,28,28]', gmgrad_num_classes: '10' };
const valid = await encodeModel(model, good);

function withMetadata(changes: Record<string, string | undefined>): Uint8Array {
  const { tensors, metadata } = decodeSafetensors(valid);
  const next: Record<string, string> = {};
  for (const [k, v] of Object.entries({ ...metadata, ...changes })) if (v !== undefined) next[k] = v;
  return encodeSafetensors(tensors, next);
}

describe('checkpoint metadata is checked before it is trusted', () => {
  const cases: [string, Record<string, string | undefined>, RegExp][] = [
    // without any metadata the file is a plain state_dict: its architecture must be named (issue 15)
    ['no gmgrad metadata', { gmgrad_config: undefined, gmgrad_architecture: undefined }, /m\.safetensors: the checkpoint does not name its architecture/],
    ['malformed JSON', { gmgrad_config: '{"model": ' }, /m\.safetensors: metadata 'gmgrad_config' is not valid JSON/],
    ['null', { gmgrad_config: 'null' }, /m\.safetensors: metadata 'gmgrad_config' must be a JSON object, got null/],
    ['an array', { gmgrad_config: '[]' }, /'gmgrad_config' must be a JSON object, got \[\]/],
    ['an unknown model', { gmgrad_config: '{"model":"vgg"}' }, /field 'model' must be one of .*got "vgg"/],
    ['featureDim 0', { gmgrad_config: '{"model":"tiny-cnn","featureDim":0}' }, /field 'featureDim' must be a positive integer, got 0/],
    ['featureDim as a string', { gmgrad_config: '{"model":"tiny-cnn","featureDim":"2"}' }, /field 'featureDim' must be a positive integer, got "2"/],
    ['a negative alpha', { gmgrad_config: '{"model":"tiny-cnn","alpha":-1}' }, /field 'alpha' must be a finite number >= 0, got -1/],
    ['an unknown loss', { gmgrad_config: '{"model":"tiny-cnn","loss":"hinge"}' }, /field 'loss' must be 'gm' or 'softmax', got "hinge"/],
    ['an input shape with a zero', { gmgrad_input_shape: '[1,0,28]' }, /'gmgrad_input_shape' must be \[channels, height, width\] of positive integers, got \[1,0,28\]/],
    ['an input shape that is not JSON', { gmgrad_input_shape: '1x28x28' }, /'gmgrad_input_shape' is not valid JSON/],
    ['an input shape too small for the network', { gmgrad_input_shape: '[1,2,2]' }, /m\.safetensors: createModel\('tiny-cnn'\): inputs of 2×2 are too small/],
    ['a class count that is not a number', { gmgrad_num_classes: 'ten' }, /'gmgrad_num_classes' must be an integer from 2 to 100000, got 'ten'/],
    ['one class', { gmgrad_num_classes: '1' }, /'gmgrad_num_classes' must be an integer from 2 to 100000, got '1'/],
    ['a feature dimension that does not match the weights', { gmgrad_config: '{"model":"tiny-cnn","loss":"gm","featureDim":3}' }, /m\.safetensors: the checkpoint's metadata says featureDim 3, but its head tensors say 2/],
  ];
  for (const [what, change, message] of cases) {
    it(what, () => {
      expect(() => decodeModel(withMetadata(change), backend, 'm.safetensors')).toThrow(message);
    });
  }

  it('a truncated file names the file', () => {
    expect(() => decodeModel(valid.subarray(0, valid.length - 3), backend, 'm.safetensors')).toThrow(/^m\.safetensors: .*past the end of the data/);
  });
});

describe('non-finite weights', () => {
  for (const bad of [NaN, Infinity, -Infinity]) {
    it(`a weight of ${bad} is refused, naming the tensor and element`, () => {
      const { tensors, metadata } = decodeSafetensors(valid);
      const key = Object.keys(tensors).find((k) => k.endsWith('means'))!;
      (tensors[key]!.data as Float32Array)[3] = bad;
      const bytes = encodeSafetensors(tensors, metadata);
      expect(() => decodeModel(bytes, backend, 'm.safetensors')).toThrow(new RegExp(`m\\.safetensors: tensor '${key.replace(/\./g, '\\.')}' is not finite \\(element 3 is ${String(bad).replace('+', '')}\\)`));
      const loaded = decodeModel(bytes, backend, 'm.safetensors', { allowNonFinite: true });
      expect(Number.isNaN(loaded.model.stateDict().get(key)!.dataSync()[3]!) || !Number.isFinite(loaded.model.stateDict().get(key)!.dataSync()[3]!)).toBe(true);
      loaded.model.dispose();
    });
  }
});
