/**
 * A minimal reader for (uncompressed) tar archives: ustar / GNU / pax, regular files only, enough
 * to pull the CIFAR-10 `.bin` members out of cifar-10-binary.tar.gz without extracting to disk.
 * Member contents are views on the archive bytes (no copies).
 */

export interface TarEntry {
  /** full member path, e.g. 'cifar-10-batches-bin/test_batch.bin' */
  name: string;
  /** '0' regular file, '5' directory, ... (NUL is reported as '0') */
  type: string;
  data: Uint8Array;
}

const BLOCK = 512;

/** A damaged or cut-off archive; `detail` says what was wrong, without the archive name. */
export class TarError extends Error {
  constructor(readonly archive: string, readonly detail: string, readonly truncated: boolean) {
    super(`${archive}: ${detail}`);
    this.name = 'TarError';
  }
}

function readString(block: Uint8Array, start: number, length: number): string {
  let end = start;
  while (end < start + length && block[end] !== 0) end++;
  return new TextDecoder().decode(block.subarray(start, end));
}

function readSize(block: Uint8Array, archiveName: string, offset: number): number {
  const field = block.subarray(124, 136);
  if (field[0]! & 0x80) {
    // GNU base-256 encoding for sizes ≥ 8 GiB: big-endian number in the remaining bytes.
    let size = 0;
    for (let i = 1; i < field.length; i++) size = size * 256 + field[i]!;
    return size;
  }
  const text = readString(block, 124, 12).trim();
  if (!/^[0-7]*$/.test(text)) throw new TarError(archiveName, `corrupt tar header at byte ${offset}: size field '${text}' is not octal`, false);
  return text === '' ? 0 : parseInt(text, 8);
}

function checksumMatches(block: Uint8Array): boolean {
  const stored = parseInt(readString(block, 148, 8).trim(), 8);
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 0x20 : block[i]!;
  return sum === stored;
}

function isZeroBlock(block: Uint8Array): boolean {
  for (let i = 0; i < BLOCK; i++) if (block[i] !== 0) return false;
  return true;
}

/** The `path` record of a pax extended header ("<len> path=<value>\n" records). */
function paxPath(data: Uint8Array): string | undefined {
  const text = new TextDecoder().decode(data);
  for (const line of text.split('\n')) {
    const match = /^\d+ path=(.*)$/.exec(line);
    if (match) return match[1];
  }
  return undefined;
}

/** Iterate over the members of a tar archive. Throws (naming `archiveName`) on a corrupt or truncated archive. */
export function* readTar(bytes: Uint8Array, archiveName = 'tar archive'): Generator<TarEntry> {
  let offset = 0;
  let longName: string | undefined;
  while (offset + BLOCK <= bytes.length) {
    const block = bytes.subarray(offset, offset + BLOCK);
    if (isZeroBlock(block)) return; // end-of-archive marker
    if (!checksumMatches(block)) throw new TarError(archiveName, `corrupt tar header at byte ${offset} (header checksum mismatch)`, false);
    const size = readSize(block, archiveName, offset);
    const dataStart = offset + BLOCK;
    if (dataStart + size > bytes.length) {
      throw new TarError(archiveName, `truncated tar archive: the member at byte ${offset} needs ${size} bytes, only ${Math.max(0, bytes.length - dataStart)} remain`, true);
    }
    const data = bytes.subarray(dataStart, dataStart + size);
    offset = dataStart + Math.ceil(size / BLOCK) * BLOCK;
    const type = block[156] === 0 ? '0' : String.fromCharCode(block[156]!);
    if (type === 'L') { longName = readString(data, 0, data.length); continue; }
    if (type === 'x') { longName = paxPath(data) ?? longName; continue; }
    if (type === 'g') continue; // pax global header: nothing we need
    const magic = readString(block, 257, 6);
    const prefix = magic.startsWith('ustar') ? readString(block, 345, 155) : '';
    const shortName = readString(block, 0, 100);
    const name = longName ?? (prefix ? `${prefix}/${shortName}` : shortName);
    longName = undefined;
    yield { name, type, data };
  }
  if (bytes.length === 0) throw new TarError(archiveName, 'empty tar archive', true);
  if (offset < bytes.length) {
    throw new TarError(archiveName, `truncated tar archive (${bytes.length} bytes: ends inside a header block)`, true);
  }
}
