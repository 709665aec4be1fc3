/**
 * Reading one data file from disk and proving it is the right one before anything uses it: gunzip
 * when the bytes are gzip (whatever the name says), check the uncompressed size, then the sha256 of
 * the content against the registry. A file that fails is reported with what was wrong and never used.
 */
import { readFile } from 'node:fs/promises';
import { isGzip } from '../gzip.js';
import type { DataFileSpec } from '../registry.js';
import { GunzipError, gunzipNode } from './gunzip.js';
import { sha256Hex } from './hash.js';

export type FileProblem = 'missing' | 'unreadable' | 'truncated' | 'corrupt' | 'wrong size' | 'checksum mismatch';

/** A data file that is not usable, with the reason. */
export class DataFileError extends Error {
  constructor(readonly path: string, readonly problem: FileProblem, readonly detail: string) {
    super(`${path}: ${problem}${detail ? ` (${detail})` : ''}`);
    this.name = 'DataFileError';
  }

  /** the message without the leading path */
  get reason(): string {
    return `${this.problem}${this.detail ? ` (${this.detail})` : ''}`;
  }
}

/** Check decompressed content against the registry entry. `label` names the file in errors. */
export function verifyContent(content: Uint8Array, spec: DataFileSpec, label: string): void {
  if (content.length < spec.bytes) {
    throw new DataFileError(label, 'truncated', `${content.length} bytes of content, expected ${spec.bytes}`);
  }
  if (content.length > spec.bytes) {
    throw new DataFileError(label, 'wrong size', `${content.length} bytes of content, expected ${spec.bytes}`);
  }
  const actual = sha256Hex(content);
  if (actual !== spec.sha256) {
    throw new DataFileError(label, 'checksum mismatch', `content sha256 ${actual}, expected ${spec.sha256}`);
  }
}

/** Decompress (if gzip) and verify bytes read from `label`. */
export async function decodeAndVerify(raw: Uint8Array, spec: DataFileSpec, label: string): Promise<Uint8Array> {
  let content = raw;
  if (isGzip(raw)) {
    try {
      content = await gunzipNode(raw, label);
    } catch (err) {
      if (err instanceof GunzipError) throw new DataFileError(label, err.truncated ? 'truncated' : 'corrupt', err.detail);
      throw err;
    }
  }
  verifyContent(content, spec, label);
  return content;
}

/** Read, decompress and verify the file at `path`; throws DataFileError naming the file. */
export async function readVerifiedFile(path: string, spec: DataFileSpec): Promise<Uint8Array> {
  let raw: Uint8Array;
  try {
    raw = await readFile(path);
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    throw new DataFileError(path, e.code === 'ENOENT' ? 'missing' : 'unreadable', e.code === 'ENOENT' ? '' : e.message);
  }
  return decodeAndVerify(raw, spec, path);
}
