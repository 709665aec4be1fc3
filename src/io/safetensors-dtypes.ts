/**
 * The safetensors element types gmgrad reads and writes, and the conversions between their
 * little-endian bytes and JavaScript typed arrays. F16/BF16 are read into Float32Array (exactly) and
 * written from float values with round-to-nearest-even; I64/U64 are read into Int32Array when every
 * value fits (PyTorch stores num_batches_tracked as I64), or into BigInt64Array/BigUint64Array on request.
 */

export type SafetensorsDtype = 'F64' | 'F32' | 'F16' | 'BF16' | 'I64' | 'I32' | 'I16' | 'I8' | 'U64' | 'U32' | 'U16' | 'U8' | 'BOOL';

export type TensorData =
  | Float32Array | Float64Array | Int32Array | Int16Array | Int8Array
  | Uint8Array | Uint16Array | Uint32Array | BigInt64Array | BigUint64Array;

export const ITEM_BYTES: Record<SafetensorsDtype, number> = {
  F64: 8, F32: 4, F16: 2, BF16: 2, I64: 8, I32: 4, I16: 2, I8: 1, U64: 8, U32: 4, U16: 2, U8: 1, BOOL: 1,
};

/**
 * Position in the reference implementation's Dtype enum. Writers sort tensors by this, descending
 * (then by name), which also orders them by item size so every tensor is naturally aligned.
 */
export const DTYPE_RANK: Record<SafetensorsDtype, number> = {
  BOOL: 0, U8: 1, I8: 2, I16: 3, U16: 4, F16: 5, BF16: 6, I32: 7, U32: 8, F32: 9, F64: 10, I64: 11, U64: 12,
};

export function isSafetensorsDtype(value: unknown): value is SafetensorsDtype {
  return typeof value === 'string' && Object.prototype.hasOwnProperty.call(ITEM_BYTES, value);
}

/** Typed arrays share the host's byte order; safetensors is little-endian. Every mainstream host is. */
export function assertLittleEndianHost(): void {
  if (new Uint8Array(new Uint16Array([1]).buffer)[0] !== 1) {
    throw new Error('safetensors: this host is big-endian; gmgrad reads and writes safetensors only on little-endian hosts');
  }
}

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** float → IEEE half bits, round to nearest even (through float32). */
export function floatToF16Bits(value: number): number {
  f32[0] = value;
  const x = u32[0]!;
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  let mant = x & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 | (mant >>> 13) : 0);
  const e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    mant |= 0x800000;
    const shift = 14 - e;
    let half = mant >>> shift;
    const rest = mant & ((1 << shift) - 1);
    const halfway = 1 << (shift - 1);
    if (rest > halfway || (rest === halfway && (half & 1))) half++;
    return sign | half;
  }
  let half = (e << 10) | (mant >>> 13);
  const rest = mant & 0x1fff;
  if (rest > 0x1000 || (rest === 0x1000 && (half & 1))) half++; // a carry may round up to infinity, as it should
  return sign | half;
}

export function f16BitsToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >>> 10) & 0x1f;
  const mant = h & 0x3ff;
  if (exp === 0) return sign * mant * 2 ** -24;
  if (exp === 0x1f) return mant ? NaN : sign * Infinity;
  return sign * (1 + mant / 1024) * 2 ** (exp - 15);
}

/** float → bfloat16 bits, round to nearest even (through float32). */
export function floatToBf16Bits(value: number): number {
  f32[0] = value;
  const x = u32[0]!;
  if ((x & 0x7f800000) === 0x7f800000 && (x & 0x7fffff)) return (x >>> 16) | 0x40; // NaN stays NaN
  return ((x + 0x7fff + ((x >>> 16) & 1)) >>> 16) & 0xffff;
}

export function bf16BitsToFloat(h: number): number {
  u32[0] = h << 16;
  return f32[0]!;
}

const INT_RANGE: Partial<Record<SafetensorsDtype, [number, number]>> = {
  I32: [-2147483648, 2147483647], I16: [-32768, 32767], I8: [-128, 127],
  U32: [0, 4294967295], U16: [0, 65535], U8: [0, 255], BOOL: [0, 1],
  I64: [Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER], U64: [0, Number.MAX_SAFE_INTEGER],
};

const NATIVE: Partial<Record<SafetensorsDtype, new (n: number) => TensorData>> = {
  F64: Float64Array, F32: Float32Array, I32: Int32Array, I16: Int16Array, I8: Int8Array,
  U32: Uint32Array, U16: Uint16Array, U8: Uint8Array, BOOL: Uint8Array, I64: BigInt64Array, U64: BigUint64Array,
};

/** Write `data` as `dtype` into out[offset …]; `what` names the tensor in errors. */
export function writeElements(dtype: SafetensorsDtype, data: TensorData, out: Uint8Array, offset: number, what: string): void {
  const n = data.length;
  const NativeArray = NATIVE[dtype];
  if (NativeArray && data instanceof NativeArray && !(dtype === 'BOOL' && data.some((v) => v > 1))) {
    out.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), offset);
    return;
  }
  const view = new DataView(out.buffer, out.byteOffset + offset, n * ITEM_BYTES[dtype]);
  const isBig = data instanceof BigInt64Array || data instanceof BigUint64Array;
  if (isBig && dtype !== 'I64' && dtype !== 'U64') throw new Error(`${what}: bigint data can only be written as I64 or U64, not ${dtype}`);
  if (dtype === 'F64') { for (let i = 0; i < n; i++) view.setFloat64(8 * i, Number(data[i]), true); return; }
  if (dtype === 'F32') { for (let i = 0; i < n; i++) view.setFloat32(4 * i, Number(data[i]), true); return; }
  if (dtype === 'F16') { for (let i = 0; i < n; i++) view.setUint16(2 * i, floatToF16Bits(Number(data[i])), true); return; }
  if (dtype === 'BF16') { for (let i = 0; i < n; i++) view.setUint16(2 * i, floatToBf16Bits(Number(data[i])), true); return; }
  if (isBig) {
    for (let i = 0; i < n; i++) {
      const v = data[i] as bigint;
      if (dtype === 'U64' && v < 0n) throw new Error(`${what}: element ${i} = ${v} is negative, cannot be written as U64`);
      if (dtype === 'I64' && v > 0x7fffffffffffffffn) throw new Error(`${what}: element ${i} = ${v} does not fit in I64`);
      view.setBigUint64(8 * i, BigInt.asUintN(64, v), true);
    }
    return;
  }
  const [low, high] = INT_RANGE[dtype]!;
  for (let i = 0; i < n; i++) {
    const v = data[i] as number;
    if (!Number.isInteger(v) || v < low || v > high) {
      throw new Error(`${what}: element ${i} = ${v} is not ${dtype === 'BOOL' ? '0 or 1' : `an integer in [${low}, ${high}]`}, cannot be written as ${dtype}`);
    }
    switch (dtype) {
      case 'I32': view.setInt32(4 * i, v, true); break;
      case 'U32': view.setUint32(4 * i, v, true); break;
      case 'I16': view.setInt16(2 * i, v, true); break;
      case 'U16': view.setUint16(2 * i, v, true); break;
      case 'I8': view.setInt8(i, v); break;
      case 'U8': case 'BOOL': view.setUint8(i, v); break;
      default: { // I64, U64 from safe integers: two 32-bit words
        const hi = Math.floor(v / 4294967296);
        view.setUint32(8 * i, v - hi * 4294967296, true);
        view.setInt32(8 * i + 4, hi, true);
      }
    }
  }
}

export interface ReadOptions {
  /** how to return I64/U64 tensors: Int32Array when every value fits (default), or bigint arrays */
  int64?: 'int32' | 'bigint';
}

/** Read `count` elements of `dtype` from `bytes` (exactly count·itemsize bytes). `what` names the tensor in errors. */
export function readElements(dtype: SafetensorsDtype, bytes: Uint8Array, count: number, what: string, options: ReadOptions = {}): TensorData {
  const copy = new Uint8Array(bytes); // own, aligned buffer (a Buffer's slice() would be a view, not a copy)
  const buffer = copy.buffer;
  switch (dtype) {
    case 'F64': return new Float64Array(buffer, 0, count);
    case 'F32': return new Float32Array(buffer, 0, count);
    case 'I32': return new Int32Array(buffer, 0, count);
    case 'I16': return new Int16Array(buffer, 0, count);
    case 'I8': return new Int8Array(buffer, 0, count);
    case 'U32': return new Uint32Array(buffer, 0, count);
    case 'U16': return new Uint16Array(buffer, 0, count);
    case 'U8': case 'BOOL': return copy;
    case 'F16': case 'BF16': {
      const bits = new Uint16Array(buffer, 0, count);
      const out = new Float32Array(count);
      const convert = dtype === 'F16' ? f16BitsToFloat : bf16BitsToFloat;
      for (let i = 0; i < count; i++) out[i] = convert(bits[i]!);
      return out;
    }
    case 'I64': case 'U64': {
      const wide = dtype === 'I64' ? new BigInt64Array(buffer, 0, count) : new BigUint64Array(buffer, 0, count);
      if (options.int64 === 'bigint') return wide;
      const words = new Uint32Array(buffer, 0, 2 * count);
      const out = new Int32Array(count);
      for (let i = 0; i < count; i++) {
        const lo = words[2 * i]!, hi = words[2 * i + 1]!;
        const fits = (hi === 0 && lo <= 0x7fffffff) || (dtype === 'I64' && hi === 0xffffffff && lo >= 0x80000000);
        if (!fits) {
          throw new Error(`${what}: ${dtype} element ${i} = ${wide[i]} does not fit in int32; read it with { int64: 'bigint' }`);
        }
        out[i] = lo | 0;
      }
      return out;
    }
  }
}
