/**
 * safetensors (https://github.com/huggingface/safetensors), bytes in and out, platform-neutral:
 *
 *   [8 bytes: header length N, little-endian u64] [N bytes: JSON header] [data]
 *
 * The header maps each tensor name to {"dtype", "shape", "data_offsets": [begin, end]} (offsets
 * relative to the start of the data) and may hold "__metadata__": {string: string}. It starts with
 * '{' and is padded with spaces so the data starts at a multiple of 8. The data must be covered
 * exactly by the tensors: no overlaps, no holes, no trailing bytes.
 *
 * The writer matches the reference implementation byte for byte: compact JSON, "__metadata__"
 * first, tensors ordered by dtype (widest first, hence naturally aligned) then name. The reader
 * checks everything before trusting it (the header length against the file size before
 * allocating anything) and its errors name the file, the tensor and what was wrong.
 */
import {
  DTYPE_RANK, ITEM_BYTES, assertLittleEndianHost, isSafetensorsDtype, readElements, writeElements,
  type ReadOptions, type SafetensorsDtype, type TensorData,
} from './safetensors-dtypes.js';

export type { SafetensorsDtype, TensorData } from './safetensors-dtypes.js';

/** What the decoders accept: a Uint8Array (a Node Buffer, or any view with an offset) or a whole ArrayBuffer. */
export type BytesLike = Uint8Array | ArrayBuffer | ArrayBufferView;

/**
 * A plain Uint8Array over exactly the given bytes. A Node Buffer is often a view into a larger
 * pooled or file-sized buffer, so `.buffer` alone (or Buffer's view-returning `slice`) would read
 * the wrong bytes; everything downstream works on this normalised view.
 */
export function asBytes(input: BytesLike, what: string): Uint8Array {
  if (input instanceof ArrayBuffer || (typeof SharedArrayBuffer !== 'undefined' && input instanceof SharedArrayBuffer)) return new Uint8Array(input);
  if (ArrayBuffer.isView(input)) return new Uint8Array(input.buffer, input.byteOffset, input.byteLength);
  throw new TypeError(`${what}: expected bytes (a Uint8Array, Buffer or ArrayBuffer), got ${input === null ? 'null' : typeof input === 'object' ? Object.prototype.toString.call(input) : typeof input}`);
}

export interface SafetensorsTensor {
  dtype: SafetensorsDtype;
  shape: number[];
  data: TensorData;
}

export interface DecodedSafetensors {
  tensors: Record<string, SafetensorsTensor>;
  metadata: Record<string, string>;
}

export interface DecodeOptions extends ReadOptions {
  /** names the file in errors (a path or URL) */
  source?: string;
}

/** The reference implementation refuses headers above 100 MB; so do we, before allocating. */
export const MAX_HEADER_BYTES = 100_000_000;

const METADATA_KEY = '__metadata__';

function elementCount(shape: number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** Byte order of names as the reference implementation sorts them (UTF-8 bytes = code points). */
function compareNames(a: string, b: string): number {
  const ca = [...a], cb = [...b];
  for (let i = 0; i < Math.min(ca.length, cb.length); i++) {
    const d = ca[i]!.codePointAt(0)! - cb[i]!.codePointAt(0)!;
    if (d !== 0) return d;
  }
  return ca.length - cb.length;
}

export function encodeSafetensors(tensors: Record<string, SafetensorsTensor>, metadata?: Record<string, string>): Uint8Array {
  assertLittleEndianHost();
  if (typeof tensors !== 'object' || tensors === null) throw new TypeError(`safetensors encode: tensors must be an object of name → { dtype, shape, data }, got ${tensors === null ? 'null' : typeof tensors}`);
  const names = Object.keys(tensors);
  for (const name of names) {
    const t = tensors[name]!;
    const what = `safetensors encode: tensor '${name}'`;
    if (name === METADATA_KEY || name === '') throw new Error(`safetensors encode: '${name}' is not a valid tensor name`);
    if (typeof t !== 'object' || t === null || !ArrayBuffer.isView(t.data)) throw new Error(`${what}: expected { dtype, shape, data: a typed array }, got ${t === null ? 'null' : typeof t}`);
    if (!isSafetensorsDtype(t.dtype)) throw new Error(`${what}: unsupported dtype ${String(t.dtype)} (supported: ${Object.keys(ITEM_BYTES).join(', ')})`);
    if (!Array.isArray(t.shape) || t.shape.some((d) => !Number.isSafeInteger(d) || d < 0)) {
      throw new Error(`${what}: shape [${String(t.shape)}] must be a list of non-negative integers`);
    }
    if (elementCount(t.shape) !== t.data.length) {
      throw new Error(`${what}: shape [${t.shape.join(', ')}] has ${elementCount(t.shape)} elements but the data has ${t.data.length}`);
    }
  }
  if (metadata) {
    for (const [k, v] of Object.entries(metadata)) {
      if (typeof v !== 'string') throw new Error(`safetensors encode: metadata '${k}' must be a string, got ${typeof v}`);
    }
  }
  names.sort((a, b) => DTYPE_RANK[tensors[b]!.dtype] - DTYPE_RANK[tensors[a]!.dtype] || compareNames(a, b));

  // null-prototype objects: a tensor or metadata key named '__proto__' is an ordinary key
  const header: Record<string, unknown> = Object.create(null) as Record<string, unknown>;
  if (metadata) {
    const sorted: Record<string, string> = Object.create(null) as Record<string, string>;
    for (const k of Object.keys(metadata).sort(compareNames)) sorted[k] = metadata[k]!;
    header[METADATA_KEY] = sorted;
  }
  let offset = 0;
  for (const name of names) {
    const t = tensors[name]!;
    const size = t.data.length * ITEM_BYTES[t.dtype];
    header[name] = { dtype: t.dtype, shape: t.shape, data_offsets: [offset, offset + size] };
    offset += size;
  }
  const json = new TextEncoder().encode(JSON.stringify(header));
  const headerBytes = Math.ceil(json.length / 8) * 8;
  const out = new Uint8Array(8 + headerBytes + offset);
  const view = new DataView(out.buffer);
  view.setUint32(0, headerBytes, true);
  view.setUint32(4, Math.floor(headerBytes / 4294967296), true);
  out.set(json, 8);
  out.fill(0x20, 8 + json.length, 8 + headerBytes);
  const dataStart = 8 + headerBytes;
  for (const name of names) {
    const t = tensors[name]!;
    const [begin] = (header[name] as { data_offsets: [number, number] }).data_offsets;
    writeElements(t.dtype, t.data, out, dataStart + begin, `safetensors encode: tensor '${name}'`);
  }
  return out;
}

interface Entry {
  name: string;
  dtype: SafetensorsDtype;
  shape: number[];
  begin: number;
  end: number;
}

function parseEntry(name: string, value: unknown, dataBytes: number, fail: (msg: string) => never): Entry {
  const what = `tensor '${name}'`;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) fail(`${what}: header entry is not an object`);
  const { dtype, shape, data_offsets: offsets } = value as Record<string, unknown>;
  if (!isSafetensorsDtype(dtype)) {
    fail(`${what}: ${dtype === undefined ? 'no dtype' : `unsupported dtype ${JSON.stringify(dtype)}`} (supported: ${Object.keys(ITEM_BYTES).join(', ')})`);
  }
  if (!Array.isArray(shape) || shape.some((d) => !Number.isSafeInteger(d) || (d as number) < 0)) {
    fail(`${what}: shape ${JSON.stringify(shape)} is not a list of non-negative integers`);
  }
  if (!Array.isArray(offsets) || offsets.length !== 2 || offsets.some((o) => !Number.isSafeInteger(o) || (o as number) < 0)) {
    fail(`${what}: data_offsets ${JSON.stringify(offsets)} is not a pair of non-negative integers`);
  }
  const [begin, end] = offsets as [number, number];
  if (begin > end) fail(`${what}: data_offsets [${begin}, ${end}] end before they begin`);
  if (end > dataBytes) {
    fail(`${what}: data_offsets [${begin}, ${end}] go past the end of the data (${dataBytes} bytes after the header; file truncated?)`);
  }
  const expected = elementCount(shape as number[]) * ITEM_BYTES[dtype];
  if (end - begin !== expected) {
    fail(`${what}: data_offsets [${begin}, ${end}] span ${end - begin} bytes, but shape [${(shape as number[]).join(', ')}] of ${dtype} needs ${expected}`);
  }
  return { name, dtype, shape: shape as number[], begin, end };
}

export function decodeSafetensors(input: BytesLike, options: DecodeOptions = {}): DecodedSafetensors {
  assertLittleEndianHost();
  const source = options.source ?? 'safetensors data';
  const bytes = asBytes(input, source);
  const fail = (msg: string): never => { throw new Error(`${source}: ${msg}`); };
  if (bytes.length < 8) fail(`${bytes.length} bytes is too short for a safetensors file (it starts with an 8-byte header length)`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLength = view.getBigUint64(0, true);
  const available = bytes.length - 8;
  if (headerLength > BigInt(available)) {
    fail(`header length ${headerLength} is larger than the ${available} bytes that follow it (truncated file, or not a safetensors file)`);
  }
  const n = Number(headerLength);
  if (n > MAX_HEADER_BYTES) fail(`header length ${n} exceeds the ${MAX_HEADER_BYTES}-byte limit`);
  if (n === 0 || bytes[8] !== 0x7b) fail(`the header must be a JSON object starting with '{' (header length ${n})`);
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, 8 + n));
  } catch {
    return fail('the header is not valid UTF-8');
  }
  let header: unknown;
  try {
    header = JSON.parse(text);
  } catch (err) {
    return fail(`the header is not valid JSON (${(err as Error).message})`);
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) fail('the header is not a JSON object');

  const data = bytes.subarray(8 + n);
  const metadata: Record<string, string> = Object.create(null) as Record<string, string>;
  const entries: Entry[] = [];
  for (const [name, value] of Object.entries(header as Record<string, unknown>)) {
    if (name === METADATA_KEY) {
      if (typeof value !== 'object' || value === null || Array.isArray(value)) fail(`${METADATA_KEY} is not an object`);
      for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
        if (typeof v !== 'string') fail(`${METADATA_KEY}['${k}'] is ${JSON.stringify(v)}, metadata values must be strings`);
        metadata[k] = v as string;
      }
      continue;
    }
    entries.push(parseEntry(name, value, data.length, fail));
  }

  // The tensors must tile the data exactly: sorted by offset, each starts where the previous ended.
  const ordered = [...entries].sort((a, b) => a.begin - b.begin || a.end - b.end);
  let covered = 0;
  let previous: Entry | null = null;
  for (const e of ordered) {
    if (e.begin < covered) fail(`tensor '${e.name}' [${e.begin}, ${e.end}) overlaps tensor '${previous!.name}' [${previous!.begin}, ${previous!.end})`);
    if (e.begin > covered) fail(`bytes [${covered}, ${e.begin}) of the data belong to no tensor (hole before tensor '${e.name}')`);
    covered = e.end;
    previous = e;
  }
  if (covered !== data.length) fail(`${data.length - covered} trailing bytes after the last tensor (data is ${data.length} bytes, tensors cover ${covered})`);

  const tensors: Record<string, SafetensorsTensor> = Object.create(null) as Record<string, SafetensorsTensor>;
  for (const e of entries) {
    const count = elementCount(e.shape);
    tensors[e.name] = {
      dtype: e.dtype,
      shape: e.shape.slice(),
      data: readElements(e.dtype, data.subarray(e.begin, e.end), count, `${source}: tensor '${e.name}'`, options),
    };
  }
  return { tensors, metadata };
}
