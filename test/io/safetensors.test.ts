import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { decodeSafetensors, encodeSafetensors, MAX_HEADER_BYTES, type SafetensorsTensor, type TensorData } from '../../src/io/safetensors.js';
import { bf16BitsToFloat, f16BitsToFloat, floatToBf16Bits, floatToF16Bits } from '../../src/io/safetensors-dtypes.js';

/** values of any tensor data array, numbers or bigints */
const list = (d: TensorData): (number | bigint)[] => Array.from(d as ArrayLike<number | bigint>);

/** Build a file by hand, following the spec: u64 LE header length, JSON header, data. */
function handBuilt(headerJson: string, data: number[], pad = true): Uint8Array {
  const padded = pad ? headerJson + ' '.repeat((8 - (headerJson.length % 8)) % 8) : headerJson;
  const header = new TextEncoder().encode(padded);
  const out = new Uint8Array(8 + header.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(header.length), true);
  out.set(header, 8);
  out.set(data, 8 + header.length);
  return out;
}

describe('safetensors encoding', () => {
  it('matches a file built by hand from the spec, byte for byte', () => {
    const json = '{"__metadata__":{"format":"pt"},"a":{"dtype":"I64","shape":[],"data_offsets":[0,8]},'
      + '"b":{"dtype":"F32","shape":[2],"data_offsets":[8,16]},"c":{"dtype":"U8","shape":[3],"data_offsets":[16,19]}}';
    expect(json.length).toBe(192); // already a multiple of 8: no padding
    const expected = handBuilt(json, [
      3, 0, 0, 0, 0, 0, 0, 0, // a = 3 as little-endian int64
      0, 0, 0x80, 0x3f, 0, 0, 0, 0xc0, // b = [1, -2] as float32
      1, 2, 3, // c
    ]);
    const encoded = encodeSafetensors({
      c: { dtype: 'U8', shape: [3], data: Uint8Array.from([1, 2, 3]) },
      b: { dtype: 'F32', shape: [2], data: Float32Array.from([1, -2]) },
      a: { dtype: 'I64', shape: [], data: Int32Array.from([3]) },
    }, { format: 'pt' });
    expect(Array.from(encoded)).toEqual(Array.from(expected));
  });

  it('pads the header with spaces so the data starts at a multiple of 8', () => {
    const bytes = encodeSafetensors({ x: { dtype: 'F32', shape: [1], data: Float32Array.from([5]) } });
    const n = Number(new DataView(bytes.buffer).getBigUint64(0, true));
    const json = '{"x":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}';
    expect(n).toBe(56);
    expect(new TextDecoder().decode(bytes.subarray(8, 8 + n))).toBe(json + ' '.repeat(56 - json.length));
    expect(bytes.length).toBe(8 + 56 + 4);
  });

  it('is byte-identical to a file written by the reference implementation (Python safetensors 0.8.0)', () => {
    const reference = new Uint8Array(readFileSync(new URL('./fixtures/reference.safetensors', import.meta.url)));
    const { tensors, metadata } = decodeSafetensors(reference, { source: 'reference.safetensors' });
    expect(metadata).toEqual({ format: 'pt' });
    expect(tensors['bn1.num_batches_tracked']).toEqual({ dtype: 'I64', shape: [], data: Int32Array.from([7]) });
    expect(list(tensors['conv1.weight']!.data)).toEqual([0.5, -1.25, 3, Math.fround(1e-3)]);
    expect(tensors['half']!.data).toEqual(Float32Array.from([1, -2.5, 65504, f16BitsToFloat(floatToF16Bits(6.1e-5))]));
    expect(list(tensors['idx']!.data)).toEqual([-1, 2, 2147483647]);
    expect(list(tensors['mask']!.data)).toEqual([1, 0, 1]);
    expect(tensors['empty']!.shape).toEqual([0, 3]);
    expect(tensors['bn1.running_var']!.data).toBeInstanceOf(Float64Array);
    expect(Array.from(encodeSafetensors(tensors, metadata))).toEqual(Array.from(reference));
  });
});

describe('safetensors round trip', () => {
  it('keeps every dtype, shape and value', () => {
    const tensors: Record<string, SafetensorsTensor> = {
      f64: { dtype: 'F64', shape: [2], data: Float64Array.from([Math.PI, -0]) },
      f32: { dtype: 'F32', shape: [2, 1], data: Float32Array.from([1.5, Infinity]) },
      i32: { dtype: 'I32', shape: [3], data: Int32Array.from([-2147483648, 0, 2147483647]) },
      i16: { dtype: 'I16', shape: [2], data: Int16Array.from([-32768, 32767]) },
      i8: { dtype: 'I8', shape: [2], data: Int8Array.from([-128, 127]) },
      u32: { dtype: 'U32', shape: [1], data: Uint32Array.from([4294967295]) },
      u16: { dtype: 'U16', shape: [1], data: Uint16Array.from([65535]) },
      u8: { dtype: 'U8', shape: [1, 1, 1], data: Uint8Array.from([200]) },
      bool: { dtype: 'BOOL', shape: [2], data: Uint8Array.from([0, 1]) },
      f16: { dtype: 'F16', shape: [3], data: Float32Array.from([0.5, -65504, 2 ** -24]) },
      bf16: { dtype: 'BF16', shape: [2], data: Float32Array.from([1.5, -3.0e38]) },
      i64: { dtype: 'I64', shape: [2], data: Int32Array.from([-5, 1 << 30]) },
      u64: { dtype: 'U64', shape: [1], data: BigUint64Array.from([2n ** 64n - 1n]) },
      scalar: { dtype: 'F32', shape: [], data: Float32Array.from([42]) },
      none: { dtype: 'F64', shape: [0], data: new Float64Array(0) },
    };
    const bytes = encodeSafetensors(tensors, { epoch: '3', 'ünïcode': 'ok ✓' });
    const decoded = decodeSafetensors(bytes, { int64: 'bigint' });
    expect(decoded.metadata).toEqual({ epoch: '3', 'ünïcode': 'ok ✓' });
    for (const [name, t] of Object.entries(tensors)) {
      const got = decoded.tensors[name]!;
      expect(got.dtype, name).toBe(t.dtype);
      expect(got.shape, name).toEqual(t.shape);
      if (t.dtype === 'I64') expect(list(got.data)).toEqual([-5n, BigInt(1 << 30)]);
      else if (t.dtype === 'BF16') expect(list(got.data)).toEqual([1.5, bf16BitsToFloat(floatToBf16Bits(-3.0e38))]);
      else expect(list(got.data), name).toEqual(list(t.data));
    }
    // every tensor starts at a multiple of its item size
    const n = Number(new DataView(bytes.buffer).getBigUint64(0, true));
    expect((8 + n) % 8).toBe(0);
  });

  it('reads I64 into Int32Array when the values fit, and says how to read larger ones', () => {
    const big = encodeSafetensors({ steps: { dtype: 'I64', shape: [1], data: BigInt64Array.from([2n ** 40n]) } });
    expect(() => decodeSafetensors(big, { source: 'ckpt.safetensors' })).toThrow(
      /ckpt\.safetensors: tensor 'steps': I64 element 0 = 1099511627776 does not fit in int32; read it with \{ int64: 'bigint' \}/);
    const neg = decodeSafetensors(encodeSafetensors({ v: { dtype: 'I64', shape: [2], data: Int32Array.from([-1, -2147483648]) } }));
    expect(neg.tensors.v!.data).toEqual(Int32Array.from([-1, -2147483648]));
  });

  it('converts half precision with round-to-nearest-even', () => {
    expect(floatToF16Bits(1)).toBe(0x3c00);
    expect(floatToF16Bits(65504)).toBe(0x7bff);
    expect(floatToF16Bits(65520)).toBe(0x7c00); // rounds up to infinity
    expect(floatToF16Bits(2 ** -24)).toBe(0x0001); // smallest subnormal
    expect(floatToF16Bits(2 ** -25)).toBe(0x0000); // tie → even (zero)
    expect(floatToF16Bits(3 * 2 ** -25)).toBe(0x0002); // tie → even
    expect(floatToF16Bits(1 + 2 ** -11)).toBe(0x3c00); // tie → even
    expect(floatToF16Bits(1 + 3 * 2 ** -11)).toBe(0x3c02);
    expect(floatToF16Bits(-0)).toBe(0x8000);
    expect(Number.isNaN(f16BitsToFloat(floatToF16Bits(NaN)))).toBe(true);
    expect(floatToBf16Bits(1)).toBe(0x3f80);
    expect(floatToBf16Bits(1 + 2 ** -8)).toBe(0x3f80); // tie → even
    expect(floatToBf16Bits(1 + 3 * 2 ** -8)).toBe(0x3f82);
    expect(Number.isNaN(bf16BitsToFloat(floatToBf16Bits(NaN)))).toBe(true);
  });

  it('refuses to encode inconsistent tensors, naming them', () => {
    expect(() => encodeSafetensors({ w: { dtype: 'F32', shape: [2, 2], data: new Float32Array(3) } })).toThrow(
      /tensor 'w': shape \[2, 2\] has 4 elements but the data has 3/);
    expect(() => encodeSafetensors({ w: { dtype: 'I32', shape: [1], data: Float32Array.from([1.5]) } })).toThrow(
      /tensor 'w': element 0 = 1\.5 is not an integer in \[-2147483648, 2147483647\]/);
    expect(() => encodeSafetensors({ w: { dtype: 'F8_E4M3' as 'F32', shape: [1], data: new Float32Array(1) } })).toThrow(/tensor 'w': unsupported dtype F8_E4M3/);
    expect(() => encodeSafetensors({ __metadata__: { dtype: 'F32', shape: [1], data: new Float32Array(1) } })).toThrow(/not a valid tensor name/);
  });
});

describe('safetensors decoding rejects malformed files with a clear error', () => {
  const ok = '{"t":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}';
  const data8 = [0, 0, 0x80, 0x3f, 0, 0, 0, 0x40];
  const decode = (bytes: Uint8Array) => () => decodeSafetensors(bytes, { source: 'model.safetensors' });

  it('accepts the well-formed baseline', () => {
    expect(list(decodeSafetensors(handBuilt(ok, data8)).tensors.t!.data)).toEqual([1, 2]);
  });

  it('checks the header length against the file size before allocating', () => {
    const huge = new Uint8Array(16);
    new DataView(huge.buffer).setBigUint64(0, 2n ** 62n, true);
    expect(decode(huge)).toThrow(/model\.safetensors: header length 4611686018427387904 is larger than the 8 bytes that follow it \(truncated file, or not a safetensors file\)/);
    const big = new Uint8Array(8 + MAX_HEADER_BYTES + 8);
    new DataView(big.buffer).setBigUint64(0, BigInt(MAX_HEADER_BYTES + 1), true);
    expect(decode(big)).toThrow(/header length 100000001 exceeds the 100000000-byte limit/);
    expect(decode(new Uint8Array(5))).toThrow(/model\.safetensors: 5 bytes is too short for a safetensors file/);
  });

  it('rejects a header that is not a JSON object', () => {
    expect(decode(handBuilt('{"t":{"dtype":"F32",', data8))).toThrow(/model\.safetensors: the header is not valid JSON \(/);
    expect(decode(handBuilt('[1, 2]  ', []))).toThrow(/the header must be a JSON object starting with '\{'/);
    const badUtf8 = handBuilt('{"\u00e9":1}', []);
    badUtf8[11] = 0xff;
    expect(decode(badUtf8)).toThrow(/the header is not valid UTF-8/);
  });

  it('rejects bad entries, naming the tensor', () => {
    expect(decode(handBuilt('{"t":{"dtype":"F17","shape":[2],"data_offsets":[0,8]}}', data8))).toThrow(/tensor 't': unsupported dtype "F17"/);
    expect(decode(handBuilt('{"t":{"dtype":"F32","shape":[-2],"data_offsets":[0,8]}}', data8))).toThrow(/tensor 't': shape \[-2\] is not a list of non-negative integers/);
    expect(decode(handBuilt('{"t":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}', data8))).toThrow(/tensor 't': data_offsets \[0, 8\] span 8 bytes, but shape \[3\] of F32 needs 12/);
    expect(decode(handBuilt('{"t":{"dtype":"F32","shape":[2],"data_offsets":[8,0]}}', data8))).toThrow(/tensor 't': data_offsets \[8, 0\] end before they begin/);
    expect(decode(handBuilt('{"t":{"dtype":"F32","shape":[2]}}', data8))).toThrow(/tensor 't': data_offsets undefined is not a pair/);
    expect(decode(handBuilt('{"__metadata__":{"epoch":3}}', []))).toThrow(/__metadata__\['epoch'\] is 3, metadata values must be strings/);
  });

  it('rejects offsets out of bounds, truncated data, overlaps, holes and trailing bytes', () => {
    expect(decode(handBuilt('{"t":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}}', data8))).toThrow(
      /tensor 't': data_offsets \[0, 16\] go past the end of the data \(8 bytes after the header; file truncated\?\)/);
    const full = handBuilt(ok, data8);
    expect(decode(full.subarray(0, full.length - 3))).toThrow(/tensor 't': data_offsets \[0, 8\] go past the end of the data \(5 bytes/);
    expect(decode(handBuilt('{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}', data8))).toThrow(
      /tensor 'b' \[4, 8\) overlaps tensor 'a' \[0, 8\)/);
    expect(decode(handBuilt('{"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}', data8))).toThrow(/bytes \[0, 4\) of the data belong to no tensor \(hole before tensor 'a'\)/);
    expect(decode(handBuilt('{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}', data8))).toThrow(/4 trailing bytes after the last tensor/);
  });

  it('decodes from an unaligned view of a larger buffer', () => {
    const file = handBuilt(ok, data8);
    const shifted = new Uint8Array(file.length + 3);
    shifted.set(file, 3);
    expect(list(decodeSafetensors(shifted.subarray(3)).tensors.t!.data)).toEqual([1, 2]);
  });
});
