/**
 * IDX files (the MNIST / Fashion-MNIST container): a 4-byte magic `0x00 0x00 <type> <ndims>`, then
 * `ndims` big-endian uint32 dimension sizes, then the elements in row-major order, big-endian.
 * Every check names the file so a bad file on disk is easy to find.
 */

export type IdxData = Uint8Array | Int8Array | Int16Array | Int32Array | Float32Array | Float64Array;

export interface IdxArray {
  dims: number[];
  /** the element type code from the magic: 0x08 ubyte, 0x09 byte, 0x0B short, 0x0C int, 0x0D float, 0x0E double */
  typeCode: number;
  data: IdxData;
}

const ELEMENT_BYTES: Record<number, number> = { 0x08: 1, 0x09: 1, 0x0b: 2, 0x0c: 4, 0x0d: 4, 0x0e: 8 };

/** Parse an (uncompressed) IDX file. `fileName` only appears in error messages. */
export function parseIdx(bytes: Uint8Array, fileName = 'IDX data'): IdxArray {
  if (bytes.length < 4) throw new Error(`${fileName}: ${bytes.length} bytes is too short for an IDX header (4-byte magic)`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const typeCode = bytes[2]!;
  const ndims = bytes[3]!;
  const elementBytes = ELEMENT_BYTES[typeCode];
  if (bytes[0] !== 0 || bytes[1] !== 0 || elementBytes === undefined || ndims === 0) {
    const magic = view.getUint32(0, false).toString(16).padStart(8, '0');
    throw new Error(`${fileName}: bad IDX magic 0x${magic} (expected 0x0000TTDD with type TT in 08/09/0B/0C/0D/0E and DD ≥ 1 dims; is the file still gzipped or not an IDX file?)`);
  }
  const headerBytes = 4 + 4 * ndims;
  if (bytes.length < headerBytes) {
    throw new Error(`${fileName}: truncated IDX header: ${bytes.length} bytes, the magic announces ${ndims} dims (${headerBytes} header bytes)`);
  }
  const dims: number[] = [];
  let count = 1;
  for (let d = 0; d < ndims; d++) {
    const size = view.getUint32(4 + 4 * d, false);
    dims.push(size);
    count *= size;
  }
  const expected = headerBytes + count * elementBytes;
  if (bytes.length !== expected) {
    const what = bytes.length < expected ? 'truncated' : 'has trailing bytes';
    throw new Error(`${fileName}: IDX file ${what}: ${bytes.length} bytes, but dims [${dims.join(', ')}] need ${expected} (${headerBytes} header + ${count}×${elementBytes})`);
  }
  return { dims, typeCode, data: readElements(view, headerBytes, count, typeCode) };
}

function readElements(view: DataView, offset: number, count: number, typeCode: number): IdxData {
  const bytes = new Uint8Array(view.buffer, view.byteOffset + offset, count * ELEMENT_BYTES[typeCode]!);
  switch (typeCode) {
    case 0x08: return bytes;
    case 0x09: return new Int8Array(bytes.buffer, bytes.byteOffset, count);
    case 0x0b: { const out = new Int16Array(count); for (let i = 0; i < count; i++) out[i] = view.getInt16(offset + 2 * i, false); return out; }
    case 0x0c: { const out = new Int32Array(count); for (let i = 0; i < count; i++) out[i] = view.getInt32(offset + 4 * i, false); return out; }
    case 0x0d: { const out = new Float32Array(count); for (let i = 0; i < count; i++) out[i] = view.getFloat32(offset + 4 * i, false); return out; }
    default: { const out = new Float64Array(count); for (let i = 0; i < count; i++) out[i] = view.getFloat64(offset + 8 * i, false); return out; }
  }
}

/** An IDX image file: unsigned bytes with dims [n, rows, cols]. Returns a view on `bytes` (no copy). */
export function parseIdxImages(bytes: Uint8Array, fileName = 'IDX images'): { n: number; h: number; w: number; pixels: Uint8Array } {
  const { dims, typeCode, data } = parseIdx(bytes, fileName);
  if (typeCode !== 0x08 || dims.length !== 3) {
    throw new Error(`${fileName}: expected an image file (magic 0x00000803: ubyte, 3 dims), got type 0x${typeCode.toString(16).padStart(2, '0')} with ${dims.length} dims`);
  }
  return { n: dims[0]!, h: dims[1]!, w: dims[2]!, pixels: data as Uint8Array };
}

/** An IDX label file: unsigned bytes with dims [n]. Returns a view on `bytes` (no copy). */
export function parseIdxLabels(bytes: Uint8Array, fileName = 'IDX labels'): Uint8Array {
  const { dims, typeCode, data } = parseIdx(bytes, fileName);
  if (typeCode !== 0x08 || dims.length !== 1) {
    throw new Error(`${fileName}: expected a label file (magic 0x00000801: ubyte, 1 dim), got type 0x${typeCode.toString(16).padStart(2, '0')} with ${dims.length} dims`);
  }
  return data as Uint8Array;
}
